"""Over a thousand mutated VCFs through inspect, pgx, predict and report: each ends in a result or a
GenoLensError; none crashes the process or escapes as another exception.

The corpus is generated deterministically (``random.Random(FUZZ_SEED)``) from small seed files in
tests/data by the mutations that crashed or fooled htslib (blank trailing lines, stray records, bad POS,
late and duplicated header lines, NUL bytes, non-UTF-8 bytes, truncation, CRLF, long lines, dropped or
emptied fields, genotypes beyond ALT, END before POS), each file plain, gzip or bgzip. The commands run
*in-process* (``genolens.cli._run`` with the reading done in the same process, not in the isolated
worker, so that the text check itself is what is tested), in a subprocess per chunk: a segfault fails
the test with the chunk's files named instead of killing pytest.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import DATA, ROOT, bgzf_compress

FUZZ_SEED = 16
N_FILES = 1_040
CLI_FILES = 20
"""Files the one-process-per-file CLI sweep runs by default (the whole corpus with GENOLENS_FUZZ_CLI_FILES)."""
N_CHUNKS = 4
SEEDS = ("pgx_cyp2c19_2_17.vcf", "absent_vs_nocall_vs_filtered_vs_refblock.vcf", "multiallelic_tpmt.vcf",
         "warfarin_vkorc1_AA_cyp2c9_1_3.vcf", "haploid_chrx.vcf", "pgx_tpmt_phased_cis_trans.vcf")
REPORT_EVERY = 40  # the report (every bundle explained) is slow: a sample of the corpus gets one
Mutation = Callable[[list[bytes], random.Random], list[bytes]]


def _body(lines: list[bytes]) -> int:
    """Index of the first record line."""
    return next((i + 1 for i, x in enumerate(lines) if x.startswith(b"#CHROM")), len(lines))


def _record(lines: list[bytes], rng: random.Random) -> int:
    first = _body(lines)
    return rng.randrange(first, len(lines)) if first < len(lines) else len(lines) - 1


def _set_field(lines: list[bytes], rng: random.Random, col: int, value: bytes) -> list[bytes]:
    i = _record(lines, rng)
    cols = lines[i].rstrip(b"\n").split(b"\t")
    if col < len(cols):
        cols[col] = value
    lines[i] = b"\t".join(cols) + b"\n"
    return lines


def _insert(lines: list[bytes], rng: random.Random, line: bytes) -> list[bytes]:
    i = _record(lines, rng) + 1
    return [*lines[:i], line, *lines[i:]]


def _drop_field(lines: list[bytes], rng: random.Random) -> list[bytes]:
    i = _record(lines, rng)
    cols = lines[i].rstrip(b"\n").split(b"\t")
    del cols[rng.randrange(len(cols))]
    lines[i] = b"\t".join(cols) + b"\n"
    return lines


MUTATIONS: dict[str, Mutation] = {
    "blank_trailing_line": lambda ls, r: [*ls, b"\n" * r.randint(1, 3)],
    "blank_line_between_records": lambda ls, r: _insert(ls, r, b"\n"),
    "stray_record_in_header": lambda ls, r: [ls[0], ls[-1], *ls[1:]],
    "bad_pos": lambda ls, r: _set_field(ls, r, 1, r.choice([b"", b"abc", b"-5", b"1e9", b"0x10", b"9" * 25, b"."])),
    "bad_pos_undeclared_contig": lambda ls, r: [*ls, b"chrZZ\tx12\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n"],
    "late_meta_line": lambda ls, r: _insert(ls, r, b"##INFO=<ID=X,Number=1,Type=Integer,Description=\"x\">\n"),
    "second_chrom_line": lambda ls, r: [*ls, ls[_body(ls) - 1], *ls[_body(ls):]],
    "nul_bytes": lambda ls, r: [*ls, b"\0" * r.choice([1, 100, 5000])],
    "non_utf8_byte": lambda ls, r: _set_field(ls, r, r.choice([0, 2, 7, 9]), bytes([r.randint(0x80, 0xFF)]) + b"x"),
    "truncated": lambda ls, r: [b"".join(ls)[: r.randrange(1, max(len(b"".join(ls)), 2))]],
    "crlf": lambda ls, r: [x.replace(b"\n", b"\r\n") for x in ls],
    "long_line": lambda ls, r: _set_field(ls, r, 7, b"X=" + b"A" * r.choice([70_000, 300_000])),
    "dropped_field": lambda ls, r: _drop_field(ls, r),
    "empty_field": lambda ls, r: _set_field(ls, r, r.choice([0, 1, 3, 4, 9]), b""),
    "allele_beyond_alt": lambda ls, r: _set_field(ls, r, 9, r.choice([b"2/3", b"0|7", b"5"])),
    "end_before_pos": lambda ls, r: [*ls, b"chr1\t5000\t.\tA\t<NON_REF>\t.\tPASS\tEND=10\tGT\t0/0\n"],
    "header_line_dropped": lambda ls, r: [x for i, x in enumerate(ls) if i != r.randrange(0, _body(ls))],
    "byte_flip": lambda ls, r: [bytes(b ^ (1 << r.randrange(8)) if r.random() < 0.002 else b for b in b"".join(ls))],
    "tabs_to_spaces": lambda ls, r: _set_field(ls, r, 0, ls[_record(ls, r)].split(b"\t")[0] + b" 1"),
    "duplicated_records": lambda ls, r: ls + ls[_body(ls):],
}


def fuzz_corpus(folder: Path, n: int = N_FILES, seed: int = FUZZ_SEED) -> list[Path]:
    """Write ``n`` mutated VCFs into ``folder`` (deterministic for a seed) and return their paths."""
    rng = random.Random(seed)
    names = sorted(MUTATIONS)
    out: list[Path] = []
    for i in range(n):
        seed_file = SEEDS[i % len(SEEDS)]
        lines = (DATA / seed_file).read_bytes().splitlines(keepends=True)
        applied = [names[i % len(names)], *rng.sample(names, rng.choice([0, 0, 1, 2]))]
        for name in applied:
            lines = MUTATIONS[name](list(lines), rng)
        data = b"".join(lines)
        container = rng.choice(["vcf", "vcf", "gz", "bgz"])
        stem = f"{i:04d}_{'+'.join(applied)}"
        if container == "vcf":
            path = folder / f"{stem}.vcf"
            path.write_bytes(data)
        else:
            path = folder / f"{stem}.vcf.gz"
            path.write_bytes(gzip.compress(data, mtime=0) if container == "gz" else bgzf_compress(data))
        out.append(path)
    return out


def run_chunk(listing: str, out: str) -> None:
    """Run inspect, pgx, predict (and for some files report) on each listed file in this process.

    Writes one JSON line per (file, command): ``ok``, ``refused`` (a GenoLensError leaf) or ``bug`` (any
    other exception, with its traceback).
    """
    import genolens.cli as cli
    import genolens.modeling.bundle as bundle_module
    from genolens.errors import GenoLensError
    from genolens.genome.patient import read_patient

    cli._read = lambda path, **kw: read_patient(path, **kw)  # type: ignore[assignment]  # in-process on purpose
    bundles = bundle_module.load_bundles()
    bundle_module.load_bundles = lambda *a, **k: bundles  # type: ignore[assignment]
    parser = cli.build_parser()
    with open(out, "w", encoding="utf-8") as log:
        for i, path in enumerate(Path(listing).read_text().split("\n")):
            commands = [["inspect", path, "--json"], ["pgx", path, "--json"],
                        ["predict", path, "--detail", "sex=female", "--detail", "age=50", "--json"]]
            if i % REPORT_EVERY == 0:
                commands.append(["report", path, "--format", "json", "--out", f"{out}.report.json"])
            for argv in commands:
                try:
                    cli._run(parser.parse_args(argv))
                    row = {"file": path, "command": argv[0], "outcome": "ok"}
                except GenoLensError as exc:
                    leaf = not type(exc).__subclasses__() and type(exc) is not GenoLensError
                    row = {"file": path, "command": argv[0], "outcome": "refused" if leaf else "bug",
                           "error": f"{type(exc).__name__}: {exc}"}
                except Exception:
                    row = {"file": path, "command": argv[0], "outcome": "bug", "error": traceback.format_exc()}
                log.write(json.dumps(row) + "\n")
                log.flush()


def test_fuzz_corpus_is_deterministic_and_large(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = fuzz_corpus(tmp_path / "a", n=60), fuzz_corpus(tmp_path / "b", n=60)
    assert [p.name for p in a] == [p.name for p in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    assert len({p.name.split("_", 1)[1].split("+")[0].split(".")[0] for p in a}) == len(MUTATIONS)


def test_every_mutated_vcf_ends_in_a_result_or_a_genolens_error(tmp_path: Path) -> None:
    files = fuzz_corpus(tmp_path)
    assert len(files) >= 1_000
    rows: list[dict[str, str]] = []
    procs = []
    for c in range(N_CHUNKS):
        listing, out = tmp_path / f"chunk{c}.txt", tmp_path / f"chunk{c}.jsonl"
        listing.write_text("\n".join(str(p) for p in files[c::N_CHUNKS]))
        code = f"from tests.integration.test_fuzz_vcf import run_chunk; run_chunk({str(listing)!r}, {str(out)!r})"
        procs.append((c, out, subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE,
                                               env={**os.environ, "OMP_NUM_THREADS": "1"})))
        if len(procs) % 2 == 0 or c == N_CHUNKS - 1:  # two chunks at a time: two cores
            for cc, cout, proc in procs[-2:] if len(procs) % 2 == 0 else procs[-1:]:
                _, err = proc.communicate(timeout=600)
                done = [json.loads(x) for x in cout.read_text().splitlines()] if cout.exists() else []
                assert proc.returncode == 0, (
                    f"chunk {cc} died with status {proc.returncode} after {len(done)} runs; last file: "
                    f"{done[-1]['file'] if done else '?'}\n{err.decode(errors='replace')[-2000:]}")
                rows += done
    bugs = [r for r in rows if r["outcome"] == "bug"]
    assert not bugs, f"{len(bugs)} runs escaped as a non-GenoLensError, e.g. {bugs[0]['file']}: {bugs[0]['error']}"
    per_file = {r["file"] for r in rows}
    assert len(per_file) == len(files)
    outcomes = {o: sum(r["outcome"] == o for r in rows) for o in ("ok", "refused")}
    print(f"fuzz: {len(files)} files, {len(rows)} runs: {outcomes}")
    assert outcomes["ok"] > 100 and outcomes["refused"] > 1_000, outcomes  # both paths are exercised


@pytest.mark.slow
@pytest.mark.parametrize("command", ["inspect", "pgx", "predict", "report"])
def test_cli_never_crashes_or_prints_a_traceback_on_the_fuzz_corpus(tmp_path: Path, command: str) -> None:
    """The real CLI, one process per file: exit 0 or exit 2 with one ``error:`` line, never 139 or a traceback.

    ``make test`` runs the first :data:`CLI_FILES` files (a process per file per command costs 0.3-3 s); the
    in-process test above covers the whole corpus. ``GENOLENS_FUZZ_CLI_FILES=1040`` runs all of it (about an
    hour on two cores).
    """
    files = fuzz_corpus(tmp_path)[: int(os.environ.get("GENOLENS_FUZZ_CLI_FILES", CLI_FILES))]
    extra = {"inspect": [], "pgx": [], "predict": ["--detail", "sex=female"],
             "report": ["--format", "json", "--out", str(tmp_path / "r.json")]}[command]
    counts: dict[int, int] = {}
    for path in files:
        run = subprocess.run([sys.executable, "-m", "genolens", command, str(path), *extra], cwd=ROOT,
                             capture_output=True, timeout=600)
        counts[run.returncode] = counts.get(run.returncode, 0) + 1
        err = run.stderr.decode(errors="replace")
        assert run.returncode in (0, 2), f"{path.name}: exit {run.returncode}\n{err[-2000:]}"
        assert "Traceback" not in err, f"{path.name}: {err[-2000:]}"
        if run.returncode == 2:
            assert err.startswith("error: ") and err.count("\n") == 1, f"{path.name}: {err[-500:]}"
    print(f"{command}: {len(files)} files, exit statuses {counts}")
