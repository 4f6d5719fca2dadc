"""GenoLens dashboard settings from ``genolens.toml`` (not Streamlit's own config)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

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


def server_vcf_dir() -> Path | None:
    """Return the server folder of patient files: ``$GENOLENS_VCF_DIR``, else genolens.toml's."""
    raw = os.environ.get(VCF_DIR_ENV)
    if not raw:
        patients = _settings().get("patients", {})
        raw = patients.get("server_vcf_dir") if isinstance(patients, dict) else None
    if not raw:
        return None
    path = Path(str(raw)).expanduser()
    return path if path.is_absolute() else ROOT / path


def server_vcf_files(folder: Path) -> list[Path]:
    """Return the VCF/VCF.gz/BCF files directly inside ``folder``, sorted by name; [] when none."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.name.lower().endswith(VCF_SUFFIXES)
    )


DEMO_DIR = ROOT / "data" / "demo"
"""Bundled demo patients (simulated people), described in ``data/demo/README.md``."""


def demo_whole_genome() -> set[str]:
    """Demo files documented as whole-genome call sets (absent sites are hom-ref) in the README."""
    readme = DEMO_DIR / "README.md"
    if not readme.is_file():
        return set()
    found = set()
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("`") and "whole-genome call set" in cells[4]:
            found.add(cells[0].strip("`"))
    return found


def demo_patients() -> list[tuple[Path, str]]:
    """Return (file, "sample (build): story" as markdown) for every demo VCF, in README order."""
    stories: dict[str, str] = {}
    readme = DEMO_DIR / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 4 and cells[0].startswith("`") and cells[0].endswith("`"):
                stories[cells[0].strip("`")] = f"{cells[1]} ({cells[2]}): {cells[3]}"
    files = server_vcf_files(DEMO_DIR)
    order = list(stories)
    files.sort(key=lambda p: order.index(p.name) if p.name in order else len(order))
    return [(p, stories.get(p.name, "")) for p in files]
