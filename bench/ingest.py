"""Ingest benchmark: GenoLens's panel-site read vs bcftools on a 4.5-million-record GRCh38 VCF.

Run from the repository root: ``make bench`` (or ``.venv/bin/python bench/ingest.py``).
The synthetic VCF is generated once under ``bench/work/`` (git-ignored) and reused; pass
``--regenerate`` to rebuild it. ``--smoke`` writes a 20,000-record VCF into a temporary folder and times
each contender once (CI checks that the script still works; its timings mean nothing). See
``bench/README.md`` for what is measured.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
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


def best_of(fn: Callable[[], object], repeats: int, warmup: bool = True) -> tuple[float, object]:
    if warmup:
        fn()  # warm-up: page cache, imports, panel loading
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regenerate", action="store_true", help="rebuild the synthetic VCF")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per contender (best is kept)")
    ap.add_argument("--smoke", action="store_true",
                    help=f"{SMOKE_RECORDS:,} records in a temporary folder, one run per contender (CI)")
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

    def genolens(path: Path) -> Callable[[], object]:
        return lambda: read_patient(str(path), sample=None, qc_records=0)

    def bcf(flag: str, path: Path) -> Callable[[], object]:
        return lambda: bcftools("view", flag, str(SITES), str(path), "-Ov", "-o", "/dev/null")

    n, warm = args.repeats, not args.smoke
    t_gi, patient_i = best_of(genolens(INDEXED), n, warm)
    t_bi, _ = best_of(bcf("-R", INDEXED), n, warm)
    t_gu, patient_u = best_of(genolens(UNINDEXED), n, warm)
    drop_stray_index()  # GenoLens must index privately; an index left beside the copy would skew (d)
    t_bu, _ = best_of(bcf("-T", UNINDEXED), n, warm)
    print(f"best of {n} ({'after one warm-up' if warm else 'no warm-up'}), wall clock:")
    print(f"  a. GenoLens read_patient, indexed     {t_gi:8.3f} s")
    print(f"  b. bcftools view -R, indexed          {t_bi:8.3f} s")
    print(f"  c. GenoLens read_patient, no index    {t_gu:8.3f} s")
    print(f"  d. bcftools view -T, streaming        {t_bu:8.3f} s")
    ok = cross_check(patient_i, "indexed") & cross_check(patient_u, "no index")
    r_i, r_u = t_gi / t_bi, t_gu / t_bu
    print(f"targets: ratio_indexed <= 1.30 ({'met' if r_i <= 1.3 else 'MISSED'}), "
          f"ratio_unindexed <= 0.75 ({'met' if r_u <= 0.75 else 'MISSED'}); cross-check "
          f"{'OK' if ok else 'MISMATCH'}")
    print(f"ratio_indexed={r_i:.2f} ratio_unindexed={r_u:.2f}")
    if args.smoke:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
