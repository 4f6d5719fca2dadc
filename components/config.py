"""GenoLens dashboard settings from ``genolens.toml`` (not Streamlit's own config)."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from genolens.genome.vcf_check import InputLimits, configure_limits

ROOT = Path(__file__).resolve().parents[1]
"""Project root: relative paths in ``genolens.toml`` are resolved against it."""

SETTINGS_FILE = ROOT / "genolens.toml"
VCF_DIR_ENV = "GENOLENS_VCF_DIR"
VCF_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz", ".bcf")
"""File names the server folder offers (``.g.vcf.gz`` gVCFs included)."""


def _settings() -> dict[str, object]:
    if not SETTINGS_FILE.is_file():
        return {}
    with SETTINGS_FILE.open("rb") as fh:
        return tomllib.load(fh)


def input_limits() -> InputLimits:
    """Put genolens.toml's ``[input_limits]`` in force for the file checks of this server and its read workers.

    Raises
    ------
    genolens.errors.OptionError
        The table names an unknown key or gives a value that is not a positive whole number.
    """
    return configure_limits(_settings())


def server_vcf_dir() -> Path | None:
    """Return the server folder of patient files: ``$GENOLENS_VCF_DIR``, else genolens.toml's."""
    return _folder_setting(VCF_DIR_ENV, "patients", "server_vcf_dir")


def _folder_setting(env: str, table: str, key: str) -> Path | None:
    """A folder from ``$env``, else genolens.toml's ``[table] key`` (relative to the project root); ``None``
    when neither is set."""
    raw = os.environ.get(env)
    if not raw:
        section = _settings().get(table, {})
        raw = section.get(key) if isinstance(section, dict) else None
    if not raw:
        return None
    path = Path(str(raw)).expanduser()
    return path if path.is_absolute() else ROOT / path


REFERENCE_ENV = "GENOLENS_REFERENCE_FASTA"
"""Reference FASTAs for the dashboard's reads, separated by the path separator (':'); overrides genolens.toml."""


def reference_fastas() -> tuple[str, ...]:
    """The reference FASTAs of this server: ``$GENOLENS_REFERENCE_FASTA``, else genolens.toml's ``[reference]``
    ``grch37``/``grch38`` paths (relative ones against the project root); ``()`` when none is set.

    Every read is then checked against the FASTA of its build (``read_patient(references=...)``): a file on a
    build with no FASTA set is refused, so set both builds when the server reads both. Read at each read,
    checked there (a missing FASTA or index is named in the message).
    """
    raw = os.environ.get(REFERENCE_ENV)
    if raw:
        entries = [e for e in raw.split(os.pathsep) if e.strip()]
    else:
        table = _settings().get("reference", {})
        entries = ([str(table[k]) for k in ("grch37", "grch38") if table.get(k)]
                   if isinstance(table, dict) else [])
    paths = (Path(e.strip()).expanduser() for e in entries)
    return tuple(str(p if p.is_absolute() else ROOT / p) for p in paths)


RESULTS_DIR_ENV = "GENOLENS_RESULTS_DIR"


def cohort_results_dir() -> Path | None:
    """Return the server folder of cohort results: ``$GENOLENS_RESULTS_DIR``, else genolens.toml's
    ``[cohort] results_dir``; ``None`` when neither is set (the Cohort page then only runs jobs)."""
    return _folder_setting(RESULTS_DIR_ENV, "cohort", "results_dir")


def cohort_result_folders(root: Path) -> list[Path]:
    """Return the results folders directly inside ``root`` (those with a ``manifest.json``), sorted by name.

    Each is its resolved path, kept only when it is still directly inside ``root`` after links are followed,
    so a link cannot offer a folder elsewhere on the server. Nothing here reads a manifest.
    """
    if not folder_exists(root):
        return []
    real_root = root.resolve()
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    found = set()
    for entry in entries:
        try:
            real = entry.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real.parent == real_root and real.is_dir() and (real / "manifest.json").is_file():
            found.add(real)
    return sorted(found, key=lambda p: p.name)


def folder_exists(folder: Path) -> bool:
    """Whether ``folder`` (links resolved) is a directory this process can list."""
    try:
        return stat.S_ISDIR(folder.resolve(strict=True).stat().st_mode) and os.access(folder, os.R_OK | os.X_OK)
    except (OSError, RuntimeError):  # missing, unreadable, or a link loop (RuntimeError before Python 3.13)
        return False


def inside(folder: Path, entry: Path) -> Path | None:
    """``entry`` with its links resolved when that is a regular file directly inside ``folder`` (resolved too);
    ``None`` for anything else: a link out of the folder, a link loop, a dangling link, a directory, a FIFO,
    a socket or a device. Checked on the resolved path, so a link cannot lead out of the folder."""
    try:
        root = folder.resolve(strict=True)
        real = entry.resolve(strict=True)
        mode = real.stat().st_mode
    except (OSError, RuntimeError):
        return None
    if real.parent != root or not stat.S_ISREG(mode):  # directly inside, after every link is followed
        return None
    return real


def server_vcf_files(folder: Path) -> list[Path]:
    """Return the VCF/VCF.gz/BCF files directly inside ``folder``, sorted by name; [] when none.

    Only regular files inside the folder after links are resolved (:func:`inside`), each once, by its
    resolved path; a name and its link's target must both end with a VCF suffix. Nothing here reads a file.
    """
    if not folder_exists(folder):
        return []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = (inside(folder, p) for p in entries if p.name.lower().endswith(VCF_SUFFIXES))
    return sorted({p for p in found if p is not None and p.name.lower().endswith(VCF_SUFFIXES)},
                  key=lambda p: p.name)


DEMO_DIR = ROOT / "data" / "demo"
"""Bundled demo patients (simulated people), described in ``data/demo/README.md``."""


@dataclass(frozen=True)
class DemoRow:
    """One row of the demo table in ``data/demo/README.md``."""

    file: str
    """File name in ``data/demo``."""
    sample: str
    """Sample name(s) as the README writes them."""
    build: str
    """Genome build as the README writes it."""
    story: str
    """Who the simulated patient is (markdown)."""
    absent: str
    """What a site not written in the file means (the last column)."""

    @property
    def whole_genome(self) -> bool:
        """True when the README documents the file as a whole-genome call set (absent sites hom-ref)."""
        return "whole-genome call set" in self.absent


_CELL_SPLIT = re.compile(r"(?<!\\)\|")
"""A table cell border: a pipe not escaped with a backslash (``0\\|1`` stays inside its cell)."""


def _cells(line: str) -> list[str]:
    """The cells of one markdown table row; escaped pipes (``\\|``) become plain ``|`` in the text."""
    text = line.strip()
    text = text.removeprefix("|")
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(text)]


def demo_rows(readme: Path | None = None) -> list[DemoRow]:
    """Return the demo table of ``data/demo/README.md`` (or ``readme``), one row per file, in order."""
    readme = readme or DEMO_DIR / "README.md"
    if not readme.is_file():
        return []
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = _cells(line)
        if len(cells) >= 5 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows.append(DemoRow(cells[0].strip("`"), cells[1], cells[2], cells[3], cells[4]))
    return rows


def demo_whole_genome() -> set[str]:
    """Demo files documented as whole-genome call sets (absent sites are hom-ref) in the README."""
    return {r.file for r in demo_rows() if r.whole_genome}


def known_whole_genome(path: Path | None) -> bool:
    """Whether the whole-genome box starts ticked for the file at ``path``.

    Only for a bundled demo file documented as a whole-genome call set; every other file (uploads,
    server files, ``None``) starts unticked. The Patient page and the Cohort drill-down both use it.
    """
    return path is not None and path.parent == DEMO_DIR and path.name in demo_whole_genome()


def demo_patients() -> list[tuple[Path, str]]:
    """Return (file, "sample (build): story" as markdown) for every demo VCF, in README order."""
    stories = {r.file: f"{r.sample} ({r.build}): {r.story}" for r in demo_rows()}
    files = server_vcf_files(DEMO_DIR)
    order = list(stories)
    files.sort(key=lambda p: order.index(p.name) if p.name in order else len(order))
    return [(p, stories.get(p.name, "")) for p in files]


DEMO_DETAILS = DEMO_DIR / "details.toml"
"""The demo patients' own details (sex, age, family history, ...), one table per sample."""


def demo_details(path: Path | None, sample: str) -> dict[str, object]:
    """The stored details of a demo patient (``{}`` for any other file, or a sample without a table)."""
    if path is None or path.parent != DEMO_DIR or not DEMO_DETAILS.is_file():
        return {}
    data = tomllib.loads(DEMO_DETAILS.read_text(encoding="utf-8"))
    table = data.get(sample, {})
    return dict(table) if isinstance(table, dict) else {}
