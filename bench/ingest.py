"""Ingest benchmark: GenoLens reading a 4.5-million-record GRCh38 VCF beside bcftools and a plain cyvcf2 loop.

Like with like: whole process against whole process (``python -m genolens inspect FILE`` against
``bcftools view -R``/``-T`` on the panel sites), in-process against in-process (``read_patient`` against a
plain cyvcf2 loop reading GT/DP/GQ/ALT/FILTER over the same records), and the dashboard's read (a worker
process) against ``bcftools view -T`` plus that loop, in CPU seconds. Contenders run interleaved, round
by round, after one warm-up round; each figure is the median of ``--repeats`` (default 5) rounds, printed
with the 1-minute load average of each of its rounds. Everything runs single-threaded, as the product does
(bcftools without ``--threads``; GenoLens hashes the file in a thread beside the read, as it always does).

Run from the repository root: ``make bench`` (or ``.venv/bin/python bench/ingest.py``). The synthetic VCF is
generated once under ``bench/work/`` (git-ignored) and reused; pass ``--regenerate`` to rebuild it.
``--smoke`` writes a 20,000-record VCF into a temporary folder and runs one round with no warm-up (CI
checks that the script still works; its timings mean nothing). See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from genolens.genome.build import CONTIG_LENGTHS, normalise_chrom  # noqa: E402
from genolens.genome.panel import load_panels  # noqa: E402

WORK = ROOT / "bench" / "work"
INDEXED, UNINDEXED = WORK / "indexed.vcf.gz", WORK / "unindexed.vcf.gz"
SITES, STAMP = WORK / "sites.tsv", WORK / "stamp.txt"
N_RECORDS, SEED, CHRM_LENGTH = 4_500_000, 20240601, 16_569
SMOKE_RECORDS = 20_000  # --smoke: a few seconds end to end
FORMAT_VERSION = 2  # bump when the generator changes, so cached files are rebuilt
CONTIGS = {f"chr{c}": n for c, n in CONTIG_LENGTHS["GRCh38"].items()} | {"chrM": CHRM_LENGTH}
# Genotypes of biallelic records and their shares; multi-allelic records get 1/2 or 1|2.
GTS, GT_P = np.array(["0/1", "1/1", "0|1", "1|0", "0/0"]), [0.55, 0.30, 0.08, 0.05, 0.02]
HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=LowQual,Description="Low quality">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
{contigs}
##reference=file:///ref/GRCh38_full_analysis_set_plus_decoy_hla.fa
##source=genolens-bench
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tBENCH001
"""


def use_workdir(work: Path, n_records: int) -> None:
    """Point the generator and the contenders at another folder and record count (``--smoke``)."""
    global WORK, INDEXED, UNINDEXED, SITES, STAMP, N_RECORDS
    WORK, N_RECORDS = work, n_records
    INDEXED, UNINDEXED = WORK / "indexed.vcf.gz", WORK / "unindexed.vcf.gz"
    SITES, STAMP = WORK / "sites.tsv", WORK / "stamp.txt"


def vcf_chrom(chrom: str) -> str:
    return "chrM" if chrom == "MT" else f"chr{chrom}"


def panel_sites() -> dict[tuple[str, int], tuple[str, list[str]]]:
    """(vcf chrom, pos) -> (REF, ALTs) for every panel variant on GRCh38; shared sites merge ALTs."""
    sites: dict[tuple[str, int], tuple[str, list[str]]] = {}
    for panel in load_panels():
        for v in panel.variants:
            loc = v.grch38
            ref = loc.ref or loc.other_allele
            alt = loc.effect_allele if loc.effect_allele != ref else loc.other_allele
            _, alts = sites.setdefault((vcf_chrom(loc.chrom), loc.pos), (ref, []))
            if alt not in alts:
                alts.append(alt)
    return sites


def cat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise string concatenation (numpy ufunc, no Python loop per record)."""
    out = np.asarray(parts[0])
    for p in parts[1:]:
        out = np.strings.add(out, p)
    return out


def allele_pool(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """REF/ALT pairs for SNPs, multi-allelic SNPs, deletions, insertions; with kind offsets and sizes."""
    bases = "ACGT"
    snp = [(r, a) for r in bases for a in bases if a != r]
    multi = [(r, f"{a},{b}") for r in bases for a in bases for b in bases if len({r, a, b}) == 3]
    rand = ["".join(rng.choice(list(bases), rng.integers(1, 7))) for _ in range(1024)]
    dels = [(b[0] + s, b[0]) for b, s in zip(rng.choice(list(bases), 512), rand[:512], strict=True)]
    ins = [(b[0], b[0] + s) for b, s in zip(rng.choice(list(bases), 512), rand[512:], strict=True)]
    kinds = [snp, multi, dels, ins]
    sizes = np.array([len(k) for k in kinds])
    pairs = [p for k in kinds for p in k]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]), np.cumsum(sizes) - sizes, sizes


def chunk_lines(rng, chrom, pos, ref, alt, multi, nocall) -> bytes:  # type: ignore[no-untyped-def]
    """Format one chromosome's records (already sorted) as VCF text."""
    n = len(pos)
    gt = np.where(multi, np.where(rng.random(n) < 0.9, "1/2", "1|2"), GTS[rng.choice(len(GTS), n, p=GT_P)])
    dp = rng.integers(8, 80, n)
    hom = np.strings.startswith(gt, "1/1") | np.strings.startswith(gt, "1|1")
    alt_frac = np.where(np.strings.startswith(gt, "0/0"), 0.0, np.where(hom, 0.98, 0.5))
    ad_alt = rng.binomial(dp, alt_frac)
    a1 = rng.binomial(ad_alt, 0.5)
    ad_alts = np.where(multi, cat(a1.astype(str), ",", (ad_alt - a1).astype(str)), ad_alt.astype(str))
    sample = cat(gt, ":", (dp - ad_alt).astype(str), ",", ad_alts, ":", dp.astype(str), ":",
                 rng.integers(0, 99, n).astype(str))
    sample = np.where((rng.random(n) < 0.01) | nocall, "./.:.:.:.", sample)
    filt = np.where(rng.random(n) < 0.02, "LowQual", "PASS")
    qual = rng.integers(20, 3000, n).astype(str)
    lines = cat(f"{chrom}\t", pos.astype(str), "\t.\t", ref, "\t", alt, "\t", qual, "\t", filt,
                "\t.\tGT:AD:DP:GQ\t", sample, "\n")
    return "".join(lines.tolist()).encode()


def generate(sites: dict[tuple[str, int], tuple[str, list[str]]]) -> int:
    """Write INDEXED (bgzipped, then indexed), UNINDEXED (same bytes, no index) and SITES."""
    rng = np.random.default_rng(SEED)
    pool_ref, pool_alt, offsets, sizes = allele_pool(rng)
    # A deletion starting 2-4 bases before every 8th panel site, spanning it; every 40th is "./.".
    nocall = {k for i, k in enumerate(sorted(sites)) if i % 40 == 20}
    specials: dict[tuple[str, int], tuple[str, str]] = {k: (r, ",".join(a)) for k, (r, a) in sites.items()}
    for i, ((chrom, pos), (ref, _)) in enumerate(sorted(sites.items())):
        back = 2 + i % 3
        if i % 8 == 0 and (chrom, pos - back) not in specials:
            bases = "".join(rng.choice(list("ACGT"), back + 3))
            specials[(chrom, pos - back)] = (bases[:back] + ref[0] + bases[back + 1:], bases[0])
    n_random = N_RECORDS - len(specials)
    total = sum(CONTIGS.values())
    counts = {c: int(n_random * n / total) for c, n in CONTIGS.items()}
    counts["chr1"] += n_random - sum(counts.values())
    contig_lines = "\n".join(f"##contig=<ID={c},length={n},assembly=GRCh38>" for c, n in CONTIGS.items())
    WORK.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(INDEXED, "wb") as out:
        bgzip = subprocess.Popen(["bgzip", "-@", str(os.cpu_count() or 1), "-c"], stdin=subprocess.PIPE,
                                 stdout=out)
        assert bgzip.stdin is not None
        bgzip.stdin.write(HEADER.format(contigs=contig_lines).encode())
        for chrom, length in CONTIGS.items():
            sp = {p: ra for (c, p), ra in specials.items() if c == chrom}
            sp_pos = np.array(sorted(sp), dtype=np.int64)
            pos = np.unique(rng.integers(1, length - 60, int(counts[chrom] * 1.01) + 10))
            pos = pos[~np.isin(pos, sp_pos)]
            pos = np.sort(rng.choice(pos, counts[chrom], replace=False))
            kind = rng.choice(4, len(pos), p=[0.93, 0.02, 0.025, 0.025])
            idx = offsets[kind] + rng.integers(0, 1 << 30, len(pos)) % sizes[kind]
            all_pos = np.concatenate([pos, sp_pos])
            ref = np.concatenate([pool_ref[idx], np.array([sp[p][0] for p in sp_pos], dtype=str)])
            alt = np.concatenate([pool_alt[idx], np.array([sp[p][1] for p in sp_pos], dtype=str)])
            order = np.argsort(all_pos, kind="stable")
            multi = np.strings.find(alt[order], ",") >= 0
            no = np.isin(all_pos[order], [p for c, p in nocall if c == chrom])
            bgzip.stdin.write(chunk_lines(rng, chrom, all_pos[order], ref[order], alt[order], multi, no))
            written += len(all_pos)
        bgzip.stdin.close()
        if bgzip.wait() != 0:
            raise SystemExit("bgzip failed")
    shutil.copyfile(INDEXED, UNINDEXED)
    subprocess.run(["bcftools", "index", "-f", "-t", str(INDEXED)], check=True)
    order = list(CONTIGS)
    keys = sorted(sites, key=lambda k: (order.index(k[0]), k[1]))
    SITES.write_text("".join(f"{c}\t{p}\n" for c, p in keys))
    return written


def fingerprint(sites: dict[tuple[str, int], tuple[str, list[str]]]) -> str:
    text = repr((N_RECORDS, SEED, FORMAT_VERSION, sorted(sites.items())))
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_tools() -> None:
    if shutil.which("bcftools") and shutil.which("bgzip"):
        return
    print("bcftools/bgzip missing: installing Debian's bcftools and tabix (apt-get) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "bcftools", "tabix"], check=True, env=env)


def bcftools(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["bcftools", *args], check=True, stdout=subprocess.PIPE)


def drop_stray_index() -> None:
    for suffix in (".tbi", ".csi"):
        stray = Path(str(UNINDEXED) + suffix)
        if stray.exists():
            print(f"WARNING: an index appeared beside the unindexed copy ({stray.name}); removing it")
            stray.unlink()


def cross_check(patient: object, label: str) -> bool:
    """Genotypes GenoLens saw at panel sites vs bcftools's records whose POS is a site."""
    wanted = {(normalise_chrom(c), int(p)) for c, p in (ln.split("\t") for ln in SITES.read_text().splitlines())}
    out = bcftools("query", "-R", str(SITES), "-f", "%CHROM\t%POS\t%FILTER\t[%GT]\n", str(INDEXED))
    rows = [ln.split("\t") for ln in out.stdout.decode().splitlines()]
    at_site = [(normalise_chrom(c), int(p), f, gt) for c, p, f, gt in rows]
    ours = {r for r in at_site if r[:2] in wanted}
    theirs_called = {(c, p, g) for c, p, f, g in ours if f == "PASS" and "." not in g}
    sites = [s for panel in patient.panels for s in panel.sites]  # type: ignore[attr-defined]
    called = {(s.chrom, s.pos, s.genotype) for s in sites if s.status == "called"}
    seen = {(s.chrom, s.pos, s.genotype) for s in sites if s.genotype is not None}
    statuses: dict[str, int] = {}
    for s in sites:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    ok = called == theirs_called and seen == {(c, p, g) for c, p, _, g in ours}
    print(f"cross-check ({label}): {len(sites)} site calls {statuses}; bcftools: {len(ours)} records at "
          f"sites ({len(rows) - len(ours)} overlapping only), {len(theirs_called)} PASS+called -> "
          f"{'OK' if ok else 'MISMATCH'}")
    if not ok:
        with_gt = {(c, p, g) for c, p, _, g in ours}
        for name, a, b in (("called", called, theirs_called), ("with GT", seen, with_gt)):
            print(f"  {name}: only GenoLens {sorted(a - b)[:5]}  only bcftools {sorted(b - a)[:5]}")
    return ok


Measure = tuple[float, float]  # (wall seconds, CPU seconds)


def run_process(cmd: list[str]) -> Measure:
    """Run a command to the end, its output discarded; its wall clock and its own CPU (user + system)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def in_process(fn: Callable[[], object]) -> tuple[Measure, object]:
    """Call ``fn``; its wall clock and the CPU of this process (every thread) and of the children it waited for."""
    c0, k0, t0 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t0
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + (k1.ru_utime - k0.ru_utime) + (k1.ru_stime - k0.ru_stime)
    return (wall, cpu), result


def cyvcf2_loop(path: Path, regions: list[str], *, whole: bool = False, stride: int = 1) -> int:
    """The plain baseline: one cyvcf2 reader, GT/DP/GQ/ALT/FILTER of every record in ``regions`` (and of the
    whole file with ``whole``: every ``stride``-th record, all records still read); no checks, no build
    decision, no matching."""
    import cyvcf2

    reader = cyvcf2.VCF(str(path))
    n = 0
    for chunk in (reader(r) for r in regions):
        for v in chunk:
            _ = (v.genotypes, v.format("DP"), v.format("GQ"), v.ALT, v.FILTER)
            n += 1
    if whole:
        for k, v in enumerate(cyvcf2.VCF(str(path))):
            if k % stride == 0:
                _ = (v.genotypes, v.format("DP"), v.format("GQ"), v.ALT, v.FILTER)
                n += 1
    return n


def load1() -> float:
    return os.getloadavg()[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regenerate", action="store_true", help="rebuild the synthetic VCF")
    ap.add_argument("--repeats", type=int, default=5, help="interleaved rounds (each figure is their median)")
    ap.add_argument("--smoke", action="store_true",
                    help=f"{SMOKE_RECORDS:,} records in a temporary folder, one round, no warm-up (CI)")
    args = ap.parse_args()
    ensure_tools()
    if args.smoke:
        use_workdir(Path(tempfile.mkdtemp(prefix="genolens_bench_ingest_")), SMOKE_RECORDS)
        args.repeats = 1
    sites = panel_sites()
    stamp = fingerprint(sites)
    fresh = all(p.exists() for p in (INDEXED, UNINDEXED, SITES, STAMP)) and STAMP.read_text() == stamp
    if args.regenerate or not fresh:
        print(f"generating {N_RECORDS:,} records ({len(sites)} panel sites) into {WORK} ...", flush=True)
        t0 = time.perf_counter()
        generate(sites)
        STAMP.write_text(stamp)
        print(f"generated in {time.perf_counter() - t0:.1f} s")
    if not Path(str(INDEXED) + ".tbi").exists():
        subprocess.run(["bcftools", "index", "-f", "-t", str(INDEXED)], check=True)
    drop_stray_index()
    n_records = int(bcftools("index", "-n", str(INDEXED)).stdout)
    version = bcftools("--version").stdout.decode().splitlines()[0]
    print(f"machine: nproc={os.cpu_count()} {version} python {platform.python_version()} "
          f"({platform.machine()})")
    print(f"file: {INDEXED.name} {INDEXED.stat().st_size / 2**20:.1f} MiB, {n_records:,} records, "
          f"{len(sites)} panel sites")

    from genolens.genome import read_patient
    from genolens.genome.isolated import read_patient_isolated
    from genolens.genome.vcf_check import check_vcf_file

    site_regions = [f"{c}:{p}-{p}" for c, p in (ln.split("\t") for ln in SITES.read_text().splitlines())]
    py = [sys.executable, "-m", "genolens"]
    found: dict[str, object] = {}

    def keep(name: str, fn: Callable[[], object]) -> Callable[[], Measure]:
        def run() -> Measure:
            measure, found[name] = in_process(fn)
            return measure
        return run

    def qc_records(name: str, sites: list[str]) -> Callable[[], int]:
        """The loop over the records read ``name`` examined: its QC regions, or the whole file when its QC
        read every record or every k-th (the loop then reads every record, as a plain stride must); with
        ``sites``, the panel sites too."""
        def loop() -> int:
            qc = found[name].qc  # type: ignore[attr-defined]
            return cyvcf2_loop(INDEXED, sites + list(qc.regions), whole=qc.sampling in ("all", "stride"),
                               stride=qc.stride)
        return loop

    def unindexed_process(cmd: list[str]) -> Callable[[], Measure]:
        def run() -> Measure:
            measure = run_process(cmd)
            drop_stray_index()  # GenoLens must index privately; an index beside the copy would skew the rest
            return measure
        return run

    contenders: dict[str, tuple[str, Callable[[], Measure]]] = {
        "A": ("inspect, indexed (whole process)", lambda: run_process([*py, "inspect", str(INDEXED)])),
        "B": ("bcftools view -R sites, indexed (whole process)",
              lambda: run_process(["bcftools", "view", "-R", str(SITES), str(INDEXED), "-Ov", "-o", "/dev/null"])),
        "C": ("inspect, no index (whole process)", unindexed_process([*py, "inspect", str(UNINDEXED)])),
        "D": ("bcftools view -T sites, no index (whole process)",
              lambda: run_process(["bcftools", "view", "-T", str(SITES), str(UNINDEXED), "-Ov", "-o", "/dev/null"])),
        "E": ("python start-up + imports of inspect (whole process)",
              lambda: run_process([sys.executable, "-c", "import genolens.cli, genolens.genome.patient"])),
        "F": ("read_patient, indexed (in process)", keep("F", lambda: read_patient(str(INDEXED)))),
        "G": ("cyvcf2 loop, panel sites + F's QC records (in process)",
              keep("G", qc_records("F", site_regions))),
        "H": ("read_patient_isolated, no index (dashboard's read: worker)",
              keep("H", lambda: read_patient_isolated(str(UNINDEXED)))),
        "I": ("cyvcf2 QC loop over H's QC records (in process)",
              keep("I", qc_records("H", []))),
        "J": ("check_vcf_file: the text check inside F and H (in process)",
              lambda: in_process(lambda: check_vcf_file(INDEXED, compressed=True))[0]),
    }
    n, warm = max(args.repeats, 1), not args.smoke
    runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in contenders}
    keys = list(contenders)
    for r in range(-1 if warm else 0, n):
        order = keys[r % len(keys):] + keys[:r % len(keys)] if r >= 0 else keys
        order = sorted(order, key=lambda k: (k in "GI", order.index(k)))  # the loops follow the reads they copy
        for k in order:
            wall, cpu = contenders[k][1]()
            if r >= 0:
                runs[k].append((wall, cpu, load1()))
    med = {k: (statistics.median(w for w, _, _ in v), statistics.median(c for _, c, _ in v)) for k, v in runs.items()}
    print(f"median of {n} interleaved round(s) ({'after one warm-up round' if warm else 'no warm-up'}); "
          "1-minute load average after each run in brackets")
    for k, (label, _) in contenders.items():
        loads = " ".join(f"{ld:.1f}" for _, _, ld in runs[k])
        print(f"  {k}. {label:60s} wall {med[k][0]:7.3f} s  CPU {med[k][1]:7.3f} s  [load {loads}]")
    qc_f = found["F"].qc  # type: ignore[attr-defined]
    print(f"F's QC: {qc_f.records:,} records, sampling {qc_f.sampling}, {len(qc_f.regions)} regions on "
          f"{len(qc_f.chromosomes)} chromosomes; G read {found['G']:,} records, I {found['I']:,}")
    ok = cross_check(found["F"], "indexed, in process") & cross_check(found["H"], "no index, worker")
    ratios = {
        "ratio_inspect_indexed_cpu": med["A"][1] / med["B"][1],
        "ratio_inspect_unindexed_cpu": med["C"][1] / med["D"][1],
        "ratio_read_cpu": med["F"][1] / med["G"][1],
        "ratio_server_cpu": med["H"][1] / (med["D"][1] + med["I"][1]),
    }
    print(f"wall ratios: inspect indexed A/B {med['A'][0] / med['B'][0]:.2f}, no index C/D "
          f"{med['C'][0] / med['D'][0]:.2f}; start-up + imports E is {med['E'][1] / med['A'][1]:.0%} of A's CPU, "
          f"the text check J {med['J'][1] / med['F'][1]:.0%} of F's")
    targets = {"ratio_inspect_indexed_cpu": 2.0, "ratio_inspect_unindexed_cpu": 0.75, "ratio_server_cpu": 2.0}
    print("targets (issue 13): " + ", ".join(f"{k} <= {t} ({'met' if ratios[k] <= t else 'MISSED'})"
                                             for k, t in targets.items())
          + f"; cross-check {'OK' if ok else 'MISMATCH'}")
    print(" ".join(f"{k}={v:.2f}" for k, v in ratios.items()))
    if args.smoke:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
