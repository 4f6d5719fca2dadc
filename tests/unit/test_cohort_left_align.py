"""The cohort job's left-alignment of its store rows files every record where the single-patient path files it.

The oracle is :func:`genolens.genome.left_align.left_aligned` (itself checked against ``bcftools norm -f`` in
``tests/integration/test_left_align.py``) on the same records keyed by site, as the reader returns them for one
patient: random SNVs, deletions and insertions written anywhere in the short repeats of a random sequence, and a
gVCF reference block over several of their sites.
"""

from __future__ import annotations

import random

import numpy as np

from genolens.cohort.job import _left_aligned
from genolens.cohort.store import SiteRows
from genolens.datamodel import CohortRecord
from genolens.genome.left_align import left_aligned


def _sequence(rng: random.Random, n: int) -> str:
    out: list[str] = []
    while sum(map(len, out)) < n:
        out.append("".join(rng.choice("ACGT") for _ in range(rng.randint(1, 3))) * rng.randint(1, 5))
    return "".join(out)[:n]


def test_rows_are_filed_where_the_single_patient_path_files_them() -> None:
    rng = random.Random(7)
    seq = _sequence(rng, 3_000)

    def bases(chrom: str, pos: int, n: int) -> str:
        return seq[pos - 1:pos - 1 + n] if chrom == "7" and pos >= 1 else ""

    records: list[CohortRecord] = []
    for q in sorted(rng.sample(range(20, 2_900), 150)):
        kind = rng.random()
        if kind < 0.3:
            ref, alts = seq[q - 1], ("T" if seq[q - 1] != "T" else "A",)
        elif kind < 0.65:
            ref, alts = seq[q - 1:q + rng.randint(1, 4)], (seq[q - 1],)
        else:
            ref, alts = seq[q - 1], (seq[q - 1] + seq[q:q + rng.randint(1, 3)],)
        records.append(CohortRecord(chrom="chr7", pos=q, end=q + len(ref) - 1, ref=ref, alts=alts, filters=(),
                                    gt=None))
    block = CohortRecord(chrom="chr7", pos=1_000, end=1_200, ref=seq[999], alts=("<NON_REF>",), filters=(), gt=None)
    records.append(block)
    sites: dict[tuple[str, int], list[int]] = {}
    for i, r in enumerate(records):
        for p in (range(r.pos, r.end + 1, 37) if r is block else (r.pos,)):
            sites.setdefault(("7", p), []).append(i)
    rows = SiteRows(np.arange(len(records), dtype=np.int64), tuple(records), {s: tuple(ix) for s, ix in sites.items()})

    got, moved = _left_aligned(rows, bases)
    want, want_moved = left_aligned({s: [records[i] for i in ix] for s, ix in sites.items()}, bases)

    assert moved == want_moved > 20  # many indels move: the comparison is not of unmoved records
    as_text = {s: sorted((r.pos, r.ref, r.alts) for r in rs) for s, rs in want.items()}
    assert {s: sorted((got.records[i].pos, got.records[i].ref, got.records[i].alts) for i in ix)
            for s, ix in got.sites.items()} == as_text
    assert np.array_equal(got.rows, rows.rows)  # the genotype rows are the store's, unchanged
