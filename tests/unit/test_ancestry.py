"""Continental ancestry from the 1000 Genomes marker table (genolens.genome.ancestry).

The classifier is checked on genotypes drawn from the table's own frequencies (an oracle: the group each
person was drawn from), on first-generation mixes (which no superpopulation fits as its members do), and on
the coverage policy that keeps a variant-only file from being read as all-ALT. Real genomes of known
population: tests/integration/test_ancestry_corpus.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from genolens.datamodel import Record
from genolens.genome.ancestry import (
    GROUPS,
    MIN_MARKERS,
    estimate,
    load_markers,
    marker_dosages,
    marker_sites,
)


def _draw(rng: np.random.Generator, group: str, idx: np.ndarray) -> np.ndarray:
    f = load_markers().alt_freq[idx, GROUPS.index(group)]
    return rng.binomial(2, f).astype(float)


def _full(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.full(len(load_markers().alt_freq), np.nan)
    out[idx] = values
    return out


def test_the_marker_table_is_whole_and_consistent() -> None:
    m = load_markers()
    assert len(m) == m.alt_freq.shape[0] == 29_259
    assert m.alt_freq.shape[1] == len(GROUPS)
    assert np.all((m.alt_freq >= 0) & (m.alt_freq <= 1))
    assert set(m.chrom.tolist()) == {str(i) for i in range(1, 23)}
    assert set(m.ref.tolist()) | set(m.alt.tolist()) <= set("ACGT") and not (m.ref == m.alt).any()
    v = m.variant(0)  # a marker as the reads see it
    assert (v.grch37.pos, v.grch38.pos) == (int(m.pos["GRCh37"][0]), int(m.pos["GRCh38"][0]))
    assert v.grch38.ref == v.grch38.other_allele == str(m.ref[0]) and v.grch38.effect_allele == str(m.alt[0])
    assert len(set(marker_sites("GRCh38"))) == len(set(marker_sites("GRCh37"))) == len(m)


@pytest.mark.parametrize("group", GROUPS)
def test_people_drawn_from_a_group_are_assigned_to_it(group: str) -> None:
    rng = np.random.default_rng(20261204 + GROUPS.index(group))
    n = len(load_markers().alt_freq)
    for _ in range(5):
        idx = rng.choice(n, 2_000, replace=False)
        e = estimate(_full(_draw(rng, group, idx), idx), np.zeros(n, dtype=bool), 2_000, absent="missing")
        assert e.status == "assigned" and e.group == group, e.words
        assert e.fit_z is not None and abs(e.fit_z) < 4
        assert e.posterior[0][0] == group and math.isclose(sum(p for _, p in e.posterior), 1.0, rel_tol=1e-9)


def test_the_fit_z_of_a_group_member_is_standard_normal_on_independent_markers() -> None:
    rng = np.random.default_rng(7)
    n = len(load_markers().alt_freq)
    idx = rng.choice(n, 3_000, replace=False)
    zs = []
    for _ in range(200):
        e = estimate(_full(_draw(rng, "EAS", idx), idx), np.zeros(n, dtype=bool), 3_000, absent="missing")
        assert e.fit_z is not None
        zs.append(e.fit_z)
    assert abs(np.mean(zs)) < 0.3 and 0.8 < np.std(zs) < 1.2


def test_a_first_generation_african_european_mix_fits_no_group() -> None:
    rng = np.random.default_rng(11)
    f = load_markers().alt_freq
    afr, eur = f[:, GROUPS.index("AFR")], f[:, GROUPS.index("EUR")]
    g = (rng.random(len(f)) < afr).astype(float) + (rng.random(len(f)) < eur)
    e = estimate(g, np.zeros(len(f), dtype=bool), len(f), absent="missing")
    assert e.status == "unusual" and "fit no 1000 Genomes superpopulation" in e.words


def test_too_few_markers_gives_no_estimate_and_says_why() -> None:
    rng = np.random.default_rng(3)
    n = len(load_markers().alt_freq)
    idx = rng.choice(n, MIN_MARKERS - 1, replace=False)
    e = estimate(_full(_draw(rng, "EUR", idx), idx), np.zeros(n, dtype=bool), MIN_MARKERS - 1, absent="missing")
    assert e.status == "not_estimated" and e.group is None and e.posterior == ()
    assert f"it needs {MIN_MARKERS}" in e.words


def _record(chrom: str, pos: int, ref: str, alt: str, gt: tuple[int, int], end: int | None = None) -> Record:
    return Record(chrom=chrom, pos=pos, end=end if end is not None else pos, ref=ref, alts=(alt,), filters=(),
                  gt=gt, phased=False, gt_text="/".join(map(str, gt)), ds=None, gq=None, dp=None, ps=None)


def test_a_variant_only_file_under_the_default_policy_is_not_read_as_all_alt() -> None:
    """Only the markers where the person carries ALT are listed; the hom-ref ones are absent. Read as they
    stand, every usable marker would be non-reference: the coverage check refuses, and says what to do."""
    m = load_markers()
    on21 = [(i, m.variant(i)) for i in np.flatnonzero(m.chrom == "21")]
    records = {(v.grch38.chrom, v.grch38.pos): [_record("21", v.grch38.pos, v.grch38.ref, v.grch38.effect_allele,
                                                        (0, 1))]
               for i, v in on21[::2]}
    values, assumed, considered = marker_dosages("GRCh38", records, absent="missing", chromosomes=["21"])
    e = estimate(values, assumed, considered, absent="missing")
    assert e.status == "not_estimated" and "declare it a whole-genome call set" in e.words
    # Declared whole-genome: the other markers of chromosome 21 count as reference, and no marker elsewhere.
    values, assumed, considered = marker_dosages("GRCh38", records, absent="reference", chromosomes=["21"])
    assert considered == len(on21) and int(assumed.sum()) == len(on21) - len(records)
    on_other = m.chrom != "21"
    assert np.isnan(values[on_other]).all() and not assumed[on_other].any()
    assert set(values[~on_other]) == {0.0, 1.0}


def test_a_gvcf_slice_is_judged_on_the_stretch_it_covers() -> None:
    """A reference block over a marker gives dosage 0 (observed); markers outside the slice do not count."""
    m = load_markers()
    on20 = [m.variant(i) for i in np.flatnonzero(m.chrom == "20")[:30]]
    start, stop = on20[0].grch38.pos, on20[-1].grch38.pos
    block = _record("20", start, on20[0].grch38.ref, "<NON_REF>", (0, 0), end=stop)
    records = {("20", v.grch38.pos): [block] for v in on20}
    values, assumed, considered = marker_dosages("GRCh38", records, absent="missing", chromosomes=["20"])
    assert considered == len(on20) and not assumed.any()
    assert np.nansum(values) == 0 and int((~np.isnan(values)).sum()) == len(on20)


def test_a_targeted_file_declared_whole_genome_is_not_read_as_all_reference() -> None:
    """Three markers listed out of chromosome 21's 280: the rest would be invented hom-refs; no estimate."""
    m = load_markers()
    on21 = [m.variant(i) for i in np.flatnonzero(m.chrom == "21")]
    records = {("21", v.grch38.pos): [_record("21", v.grch38.pos, v.grch38.ref, v.grch38.effect_allele, (0, 1))]
               for v in on21[:3]}
    values, assumed, considered = marker_dosages("GRCh38", records, absent="reference", chromosomes=["21"])
    e = estimate(values, assumed, considered, absent="reference")
    assert e.status == "not_estimated" and "looks targeted" in e.words
