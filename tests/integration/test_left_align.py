"""Indels left-aligned against the user's FASTA, as ``bcftools norm -f`` does; a panel indel written elsewhere
in its repeat is found.

The oracle is bcftools itself. A synthetic FASTA full of short repeats (so that most indels can shift) takes
random deletions and insertions written at arbitrary positions of their repeat; ``bcftools norm -f`` left-aligns
the VCF, and :func:`left_align` must give bcftools's POS, REF and ALTs for every record, and
:func:`equivalent_positions` of bcftools's record must include the position the record was written at.

End to end: the TERT insertion ``5:1296140:A:AG`` of the breast-cancer panel (PRS313), on a chr5 slice whose
only bases are the panel's GRCh38 REF facts on it and a designed repeat ``A GGG T`` from 1296140 (N
elsewhere), written right-shifted as ``chr5:1296143 G>GG`` (fixture ``left_align_tert_insertion_right_shifted.vcf``).
bcftools moves it to ``1296140 A>AG``; GenoLens with the FASTA calls the panel site from it, and without a FASTA
the site stays absent (nothing is guessed).
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pysam
import pytest

from genolens.genome.left_align import equivalent_positions, left_align
from genolens.genome.panel import load_panels
from genolens.genome.patient import read_patient
from tests.factories import DATA

pytestmark = pytest.mark.skipif(subprocess.run(["which", "bcftools"], capture_output=True).returncode != 0,
                                reason="bcftools not installed (make system-test-deps)")

RIGHT_SHIFTED = DATA / "left_align_tert_insertion_right_shifted.vcf"
PANEL_ID = "5:1296140:A:AG"
SLICE = 1_400_000


def _fasta(path: Path, seqs: dict[str, str]) -> Path:
    with open(path, "w", encoding="ascii") as fh:
        for name, seq in seqs.items():
            fh.write(f">{name}\n")
            fh.writelines(seq[i:i + 60] + "\n" for i in range(0, len(seq), 60))
    pysam.faidx(str(path))
    return path


def _repetitive(rng: random.Random, n: int) -> str:
    """Random sequence built of short tandem repeats (units of 1-4 bases, 1-6 copies) and random stretches."""
    out: list[str] = []
    while sum(map(len, out)) < n:
        unit = "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 4)))
        out.append(unit * rng.randint(1, 6))
    return "".join(out)[:n]


def _norm(fasta: Path, vcf: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    done = subprocess.run(["bcftools", "norm", "-f", str(fasta), "-c", "e", str(vcf)], check=True,
                          capture_output=True, text=True)
    return [(int(f[1]), f[3], tuple(f[4].split(","))) for f in
            (line.split("\t") for line in done.stdout.splitlines() if not line.startswith("#"))]


def test_left_align_equals_bcftools_norm_on_random_indels(tmp_path: Path) -> None:
    rng = random.Random(20261205)
    seq = _repetitive(rng, 20_000)
    fasta = _fasta(tmp_path / "repeats.fa", {"chrT": seq})
    written: list[tuple[int, str, tuple[str, ...]]] = []
    for q in sorted(rng.sample(range(50, len(seq) - 60), 600)):
        kind = rng.random()
        if kind < 0.4:  # a deletion of 1-8 bases after the anchor at q
            ref, alts = seq[q - 1:q + rng.randint(1, 8)], (seq[q - 1],)
        elif kind < 0.8:  # an insertion: often a copy of the bases that follow (a repeat expansion)
            k = rng.randint(1, 6)
            ins = seq[q:q + k] if rng.random() < 0.7 else "".join(rng.choice("ACGT") for _ in range(k))
            ref, alts = seq[q - 1], (seq[q - 1] + ins,)
        else:  # multi-allelic: the deletion and the insertion of the same unit at one position
            k = rng.randint(1, 3)
            ref, alts = seq[q - 1:q + k], (seq[q - 1], seq[q - 1:q + k] + seq[q:q + k])
        if written and written[-1][0] == q:
            continue
        written.append((q, ref, alts))
    vcf = tmp_path / "random_indels.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chrT,length=20000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\t"
                   "INFO\n" + "".join(f"chrT\t{q}\t.\t{r}\t{','.join(a)}\t.\t.\t.\n" for q, r, a in written))
    oracle = _norm(fasta, vcf)

    def bases(pos: int, n: int) -> str:
        return seq[pos - 1:pos - 1 + n] if pos >= 1 and pos - 1 + n <= len(seq) else ""

    ours = [left_align(bases, q, r, a) or (q, r, a) for q, r, a in written]
    assert sorted(ours) == sorted(oracle)
    moved = sum(o[0] != w[0] for o, w in zip(ours, written, strict=True))
    assert moved > 100  # the sequence makes most of them shift: the comparison is not of unmoved records
    for (q, _, _), (pos, ref, alts) in zip(written, ours, strict=True):
        if len(alts) == 1 and len(ref) != len(alts[0]):
            assert q in equivalent_positions(bases, pos, ref, alts[0])


def test_snvs_symbolic_alleles_and_wrong_refs_are_left_as_written() -> None:
    seq = "ACGTTTTTGCA"

    def bases(pos: int, n: int) -> str:
        return seq[pos - 1:pos - 1 + n]

    assert left_align(bases, 4, "T", ("C",)) == (4, "T", ("C",))  # an SNV stays where it is
    assert left_align(bases, 7, "TT", ("T",)) == (3, "GT", ("G",))  # a T deleted from the run: anchored before it
    assert left_align(bases, 7, "TT", ("<NON_REF>",)) is None
    assert left_align(bases, 7, "TT", ("T", "*")) is None
    assert left_align(bases, 7, "GT", ("G",)) is None  # REF is not the FASTA's: not shifted (reported elsewhere)
    assert list(equivalent_positions(bases, 3, "GT", "G")) == [3, 4, 5, 6, 7]  # anchors before each T of the run
    assert list(equivalent_positions(bases, 4, "T", "C")) == [4]


@pytest.fixture(scope="module")
def tert_fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seq = bytearray(b"N" * SLICE)
    for panel in load_panels():
        for v in panel.variants:
            locus = v.grch38
            if locus.chrom == "5" and locus.ref and locus.pos + len(locus.ref) < SLICE:
                seq[locus.pos - 1:locus.pos - 1 + len(locus.ref)] = locus.ref.encode()
    seq[1296140 - 1:1296144] = b"AGGGT"  # the designed repeat after the panel's REF base A
    return _fasta(tmp_path_factory.mktemp("ref") / "chr5_slice.fa", {"chr5": seq.decode()})


def _site(path: Path, **kw: object) -> tuple[str, float | None]:
    p = read_patient(path, build="GRCh38", ancestry=False, **kw)  # type: ignore[arg-type]
    site = next(s for r in p.panels for s in r.sites if s.variant_id == PANEL_ID)
    return site.status, site.dosage


def test_bcftools_moves_the_fixture_record_to_the_panel_position(tert_fasta: Path) -> None:
    assert _norm(tert_fasta, RIGHT_SHIFTED) == [(1296140, "A", ("AG",))]


def test_a_right_shifted_panel_indel_is_found_with_a_fasta_and_stays_absent_without(tert_fasta: Path) -> None:
    assert _site(RIGHT_SHIFTED) == ("absent", None)
    status, dosage = _site(RIGHT_SHIFTED, references=[tert_fasta])
    assert (status, dosage) == ("called", 1.0)
    p = read_patient(RIGHT_SHIFTED, build="GRCh38", ancestry=False, references=[tert_fasta])
    assert p.reference is not None and p.reference.left_aligned == 1
