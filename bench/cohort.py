"""Cohort benchmark: ``python -m genolens cohort`` (every bundle, predictions + IG) beside ``plink2 --score``.

Like with like, whole process against whole process, end to end from the same bgzipped VCF: GenoLens hashes it,
converts it to VCF Zarr (bio2zarr), selects the panel sites and scores chunks of samples on a private Dask
LocalCluster of ``--workers`` processes (one thread each), writing Parquet; ``plink2 --vcf FILE --score`` computes
every bundle's linear score (the panel's log-OR per effect allele, or 1 per effect allele where the panel has no
log-OR: the pharmacogenomics panel) on the same samples and sites with the same thread count. Contenders run
interleaved, round by round (order rotating), each GenoLens run into a fresh results folder (so the conversion is
timed every time); each figure is the median over the rounds of the wall clock, with the CPU seconds (the process
and the children it waited for: Dask's worker processes) and the 1-minute load average after each run.

Per size (2,504, 10,000, 50,000 simulated samples by default) it times GenoLens with 1 and 2 workers and plink2
with 1 and 2 threads; the ratio GenoLens/plink2 (target <= 2, issue 14) and the 1 -> 2 worker speed-up (target
>= 1.6) follow. While GenoLens runs, the peak RSS (``VmHWM``) of every Dask worker process is read from /proc every
0.2 s: the largest is printed per size (it should stay flat as samples grow: chunks of ``--chunk-size`` samples).
Its progress lines give the phases (start-up, conversion + site selection, chunks), from which the time for
500,000 samples on 100 workers is projected, with the assumptions printed beside it.

Cohorts come from ``python -m genolens simulate --n N --seed 20261204 --build GRCh38`` (msprime haplotypes at the
real panel sites), cached under ``bench/work/cohort/nN/`` (git-ignored) with a details file per sample (sex, age,
BMI from the simulated phenotypes, so every model gives an estimate) and plink2's score file. ``--smoke``: 40
samples (a small haplotype pool) in a temporary folder, one round, 1 and 2 workers (two whole jobs: about a
minute on 2 cores).
Needs ``plink2`` (Debian package ``plink2``; installed here with apt-get when missing and root, as CI does).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from genolens.modeling.bundle import bundle_paths, load_bundle  # noqa: E402

WORK = ROOT / "bench" / "work" / "cohort"
SEED = 20261204
SIZES = (2504, 10_000, 50_000)
PY = sys.executable


@dataclass
class Run:
    """One whole-process run."""

    wall: float
    cpu: float
    load: float
    worker_peak_mb: float = float("nan")
    main_peak_mb: float = float("nan")
    phases: dict[str, float] = field(default_factory=dict)


def ensure_plink2() -> str:
    """plink2's path; installs Debian's ``plink2`` with apt-get when it is missing and we are root."""
    found = shutil.which("plink2")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("plink2 is absent and this is not root: apt-get install plink2 (make system-test-deps).")
    print("plink2 absent: installing Debian's plink2 with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "plink2"], check=True, env=env, stdout=subprocess.DEVNULL)
    return shutil.which("plink2") or sys.exit("apt-get install plink2 left no plink2 on PATH")


def cohort(n: int, folder: Path, *, pool: int | None = None) -> Path:
    """The simulated cohort of ``n`` samples in ``folder`` (simulated once), with details.toml and score.tsv."""
    vcf = folder / "cohort.GRCh38.vcf.gz"
    if not (vcf.is_file() and (folder / "phenotypes.csv").is_file()):
        cmd = [PY, "-m", "genolens", "simulate", "--n", str(n), "--seed", str(SEED), "--out", str(folder),
               "--build", "GRCh38"] + (["--pool", str(pool)] if pool else [])
        print(f"simulating {n} samples (once): {' '.join(cmd[1:])}", flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with (folder / "phenotypes.csv").open(newline="") as fh, (folder / "details.toml").open("w") as out:
        for row in csv.DictReader(fh):  # cov_sex: 1 = male, 0 = female (genolens.modeling.outcomes)
            out.write(f'[{row["sample"]}]\nsex = "{"male" if row["cov_sex"] == "1" else "female"}"\n'
                      f'age = {row["cov_age"]}\nbmi = {row["cov_bmi"]}\n\n')
    write_scores(folder / "score.tsv")
    return vcf


def write_scores(path: Path) -> int:
    """plink2's score file: ID, effect allele, one weight column per bundle (0 where a bundle lacks the variant).

    The weight is the panel's log-OR per effect allele, or 1 where the panel gives none (pharmacogenomics). The
    simulated VCF has one record per panel variant ID (its ID column), so plink2 matches by ID and allele.
    """
    bundles = [load_bundle(p) for p in bundle_paths()]
    rows: dict[str, tuple[str, list[float]]] = {}
    for k, b in enumerate(bundles):
        for v in b.panel.variants:
            allele = v.locus("GRCh38").effect_allele
            weight = v.log_or if v.log_or is not None else 1.0
            have, weights = rows.setdefault(v.id, (allele, [0.0] * len(bundles)))
            weights[k] = weight if allele == have else -weight  # the other allele: same score up to a constant
    with path.open("w") as fh:
        fh.write("ID\tA1\t" + "\t".join(b.name for b in bundles) + "\n")
        for vid, (allele, weights) in rows.items():
            fh.write(f"{vid}\t{allele}\t" + "\t".join(f"{w:.6g}" for w in weights) + "\n")
    return len(bundles)


def _hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid``."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(c) for t in Path(f"/proc/{p}/task").iterdir()
                    for c in (t / "children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def _is_worker(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"spawn_main" in cmd or b"forkserver" in cmd  # Dask's worker processes (not the resource tracker)


def run_process(cmd: list[str], *, watch: bool = False) -> Run:
    """Run ``cmd`` to the end; wall, CPU (with waited-for children), load after; for GenoLens, peaks and phases."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE if watch else subprocess.DEVNULL, text=True)
    peaks: dict[int, float] = {}
    main_peak = [0.0]
    marks: dict[str, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            main_peak[0] = max(main_peak[0], _hwm_mb(proc.pid))
            for c in _children(proc.pid):
                if _is_worker(c):
                    hwm = _hwm_mb(c)
                    if hwm == hwm:
                        peaks[c] = max(peaks.get(c, 0.0), hwm)
            done.wait(0.2)

    def read() -> None:  # the job's progress lines, timestamped (no genotype is ever printed)
        assert proc.stderr is not None
        for line in proc.stderr:
            now = time.perf_counter() - start
            for key, pattern in (("convert", r"^Reading the first sample"), ("chunks", r"samples in \d+ chunks"),
                                 ("first_chunk", r"^chunk \d+/\d+ written \(1/"), ("complete", r"^Complete")):
                if re.search(pattern, line) and key not in marks:
                    marks[key] = now
            marks["last_chunk"] = now if line.startswith("chunk ") else marks.get("last_chunk", now)

    threads = [threading.Thread(target=sample, daemon=True)] if watch else []
    threads += [threading.Thread(target=read, daemon=True)] if watch else []
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    for t in threads:
        t.join(timeout=5)
    if status != 0:
        sys.exit(f"{' '.join(cmd)} exited with status {status >> 8}")
    cpu = usage.ru_utime + usage.ru_stime
    run = Run(wall, cpu, os.getloadavg()[0])
    if watch:
        run.worker_peak_mb = max(peaks.values()) if peaks else float("nan")
        run.main_peak_mb = main_peak[0]
        if {"convert", "chunks", "complete"} <= marks.keys():
            run.phases = {"startup_hash": marks["convert"], "convert_sites": marks["chunks"] - marks["convert"],
                          "chunks": marks["complete"] - marks["chunks"], "after": wall - marks["complete"]}
    return run


def genolens_cmd(vcf: Path, out: Path, workers: int, chunk: int | None) -> list[str]:
    return [PY, "-m", "genolens", "cohort", str(vcf), "--out", str(out), "--workers", str(workers),
            "--details", str(vcf.parent / "details.toml"), *(["--chunk-size", str(chunk)] if chunk else [])]


def plink2_cmd(plink2: str, vcf: Path, out: Path, threads: int, n_scores: int) -> list[str]:
    return [plink2, "--vcf", str(vcf), "--score", str(vcf.parent / "score.tsv"), "1", "2", "header-read",
            "no-mean-imputation", "cols=+scoresums", "--score-col-nums", f"3-{2 + n_scores}", "--threads", str(threads),
            "--memory", "2000", "--allow-extra-chr", "--out", str(out), "--silent"]


def contend(name: str, vcf: Path, out: Path, chunk: int | None, plink2: str, n_scores: int) -> Run:
    """One run of a contender: ``genolens_<k>w`` (k workers) or ``plink2_<k>t`` (k threads)."""
    tool, k = name.split("_")
    if tool == "genolens":
        return run_process(genolens_cmd(vcf, out, int(k[:-1]), chunk), watch=True)
    return run_process(plink2_cmd(plink2, vcf, out, int(k[:-1]), n_scores))


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="40 samples in a temporary folder, one round (CI)")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="cohort sizes (default 2504,10000,50000)")
    ap.add_argument("--repeats", type=int, default=5, help="rounds per size up to --big (default 5)")
    ap.add_argument("--big", type=int, default=10_000, help="sizes above this get --big-repeats rounds")
    ap.add_argument("--big-repeats", type=int, default=1, help="rounds for the sizes above --big (default 1)")
    ap.add_argument("--big-only", default="", help="contenders for the sizes above --big (default: all four; "
                    "e.g. genolens_2w,plink2_2t when one 1-worker run would take too long)")
    ap.add_argument("--chunk-size", type=int, default=None,
                    help="samples per chunk (default: the job's own, four chunks per worker within 50-1,000)")
    args = ap.parse_args()

    plink2 = ensure_plink2()
    version = subprocess.run([plink2, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="genolens-bench-cohort-"))
    try:
        if args.smoke:
            sizes, pool, chunk = [40], 60, 10
        else:
            sizes, pool, chunk = [int(s) for s in args.sizes.split(",")], None, args.chunk_size
        n_scores = len(bundle_paths())
        print(f"nproc={os.cpu_count()} python={platform.python_version()} {version} "
              f"chunk_size={chunk or 'job default'} bundles={n_scores} "
              f"load={' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        results: dict[int, dict[str, list[Run]]] = {}
        for n in sizes:
            folder = tmp / f"n{n}" if args.smoke else WORK / f"n{n}"
            vcf = cohort(n, folder, pool=pool)
            rounds = 1 if args.smoke else (args.repeats if n <= args.big else args.big_repeats)
            names = ["genolens_1w", "plink2_1t", "genolens_2w", "plink2_2t"]
            if n > args.big and args.big_only and not args.smoke:
                names = [c for c in names if c in args.big_only.split(",")]
            runs: dict[str, list[Run]] = {k: [] for k in names}
            if not args.smoke:  # warm-up: page cache, Python bytecode (not counted)
                run_process(plink2_cmd(plink2, vcf, tmp / f"plink-{n}-warm", 1, n_scores))
            for r in range(rounds):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    runs[name].append(contend(name, vcf, tmp / f"{name}-{n}-{r}", chunk, plink2, n_scores))
                    run = runs[name][-1]
                    extra = (f" worker_peak={run.worker_peak_mb:.0f}MB main_peak={run.main_peak_mb:.0f}MB "
                             + " ".join(f"{k}={v:.1f}s" for k, v in run.phases.items())
                             if name.startswith("genolens") else "")
                    print(f"  n={n} round {r + 1}/{rounds} {name}: wall {run.wall:.2f}s cpu {run.cpu:.2f}s "
                          f"[load {run.load:.2f}]{extra}", flush=True)
                for out in tmp.glob(f"genolens_*-{n}-*"):
                    shutil.rmtree(out, ignore_errors=True)
            results[n] = runs
        return report(results, args.smoke)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: dict[int, dict[str, list[Run]]], smoke: bool) -> int:
    print("\n| samples | rounds | GenoLens 1 worker | plink2 1 thread | ratio | GenoLens 2 workers | plink2 2 threads "
          "| ratio | speed-up 1->2 | worker peak RSS | load (median) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    cpu = {n: {k: med([r.cpu for r in rs]) for k, rs in runs.items()} for n, runs in results.items()}
    for n, runs in results.items():
        runs = {k: runs.get(k, []) for k in ("genolens_1w", "plink2_1t", "genolens_2w", "plink2_2t")}
        g1, p1 = med([r.wall for r in runs["genolens_1w"]]), med([r.wall for r in runs["plink2_1t"]])
        g2, p2 = med([r.wall for r in runs["genolens_2w"]]), med([r.wall for r in runs["plink2_2t"]])
        peak = max([r.worker_peak_mb for r in runs["genolens_1w"] + runs["genolens_2w"]], default=float("nan"))
        load = med([r.load for rs in runs.values() for r in rs])
        c = {k: cpu[n].get(k, float("nan")) for k in runs}
        print(f"| {n:,} | {len(runs['genolens_1w'])} | {g1:.1f} s ({c['genolens_1w']:.1f}) | {p1:.2f} s "
              f"({c['plink2_1t']:.2f}) | {g1 / p1:.0f} ({c['genolens_1w'] / c['plink2_1t']:.0f}) | {g2:.1f} s "
              f"({c['genolens_2w']:.1f}) | {p2:.2f} s ({c['plink2_2t']:.2f}) | {g2 / p2:.0f} "
              f"({c['genolens_2w'] / c['plink2_2t']:.0f}) | {g1 / g2:.2f} | {peak:.0f} MB | {load:.1f} |")
    print("(medians: wall clock, and in brackets CPU seconds of the process and its waited-for children; each run's "
          "figures and load above)")
    both = [n for n, rs in results.items() if rs.get("genolens_1w") and rs.get("genolens_2w")]
    if not both:  # e.g. one big size run with one contender only: no speed-up, no projection
        print("(no size ran with both 1 and 2 workers: no speed-up or projection)")
        return 0
    big = max(both)
    runs = results[big]
    g1 = med([r.wall for r in runs["genolens_1w"]])
    g2 = med([r.wall for r in runs["genolens_2w"]])
    p1 = med([r.wall for r in runs["plink2_1t"]])
    target, workers = 500_000, 100
    parts = {n: _parts(results[n]) for n in both}
    small = min(both)
    fitted = small < big
    # each part at 500,000 samples: the line through the smallest and the largest size when two were run (a part
    # that does not grow, the scan and start-up, then stays as it is), else the conversion scaled in proportion from
    # the largest and start-up + end taken as fixed
    at = {k: (_line(parts[small][k], small, parts[big][k], big, target) if fitted
              else parts[big][k] * (1 if k == "fixed" else target / big)) for k in ("fixed", "serial", "par")}
    chunks = parts[big]["chunks1"] * target / big  # the chunks' work is per sample
    eff = parts[big]["eff"]
    per_worker_chunks = chunks / (workers * eff)
    converted = at["serial"] + at["par"] / workers
    projected = at["fixed"] + converted + per_worker_chunks
    source = (f"the line through n={small:,} and n={big:,}" if fitted else f"n={big:,} scaled x {target / big:g}")
    print(f"\nProjection, {target:,} samples on {workers} workers, each part at {target:,} from {source} "
          "(phases of the 1-worker runs; the conversion split by Amdahl's law from its 1- and 2-worker times, "
          "T1 = s + p, T2 = s + p/2):")
    for n in both:
        q = parts[n]
        print(f"  n={n:,}: start-up + hash + end {q['fixed']:.1f} s, first sample + conversion + site selection "
              f"{q['serial'] + q['par']:.1f} s ({q['serial']:.1f} s serial + {q['par']:.1f} s parallel), chunks "
              f"{q['chunks1']:.1f} s (1 -> 2 workers efficiency {q['eff']:.2f})")
    print(f"  at {target:,}: start-up + hash + end {at['fixed']:.0f} s + conversion {at['serial']:.0f} s serial + "
          f"{at['par']:.0f} s / {workers} workers = {converted:.0f} s + chunks {chunks:.0f} s / ({workers} workers x "
          f"efficiency {eff:.2f}) = {per_worker_chunks:.0f} s; total {projected:.0f} s ({projected / 60:.1f} min).\n"
          f"  Assumes one core per worker like these, a shared file system as fast as this disk, {target // 1000} "
          f"chunks of 1000 spread evenly ({target // 1000 // workers} waves), no scheduler bottleneck, and the "
          "efficiency seen at 2 workers holding at 100.")
    last = (f"cohort_ratio_1w={g1 / p1:.2f} cohort_speedup_1to2={g1 / g2:.2f} "
            f"cohort_worker_peak_mb={max(r.worker_peak_mb for r in runs['genolens_1w'] + runs['genolens_2w']):.0f} "
            f"cohort_projected_500k_100w_s={projected:.0f}")
    if smoke:
        print("(smoke: 40 samples, one round; these timings mean nothing)")
    print(last)
    return 0


def _parts(runs: dict[str, list[Run]]) -> dict[str, float]:
    """One size's phases, medians: start-up + end, the conversion phase split into serial and parallel parts by its
    1- and 2-worker times (the first sample, bio2zarr's scan, init and finalise and the site selection are on the
    driver; the explode and encode partitions on the workers), the 1-worker chunk phase and its 1 -> 2 efficiency."""
    one = [r.phases for r in runs["genolens_1w"] if r.phases]
    two = [r.phases for r in runs["genolens_2w"] if r.phases]
    if not one or not two:
        nan = float("nan")
        return {"fixed": nan, "serial": nan, "par": nan, "chunks1": nan, "eff": nan}
    convert, convert2 = med([p["convert_sites"] for p in one]), med([p["convert_sites"] for p in two])
    par = min(convert, max(0.0, 2 * (convert - convert2)))
    chunks1, chunks2 = med([p["chunks"] for p in one]), med([p["chunks"] for p in two])
    return {"fixed": med([p["startup_hash"] + p["after"] for p in one]), "serial": convert - par, "par": par,
            "chunks1": chunks1, "eff": min(1.0, chunks1 / (2 * chunks2))}


def _line(y0: float, x0: int, y1: float, x1: int, x: int) -> float:
    """The line through (x0, y0) and (x1, y1) at x, never below y1 (a part measured not to grow stays at y1)."""
    return max(y1, y1 + (y1 - y0) / (x1 - x0) * (x - x1))


if __name__ == "__main__":
    raise SystemExit(main())
