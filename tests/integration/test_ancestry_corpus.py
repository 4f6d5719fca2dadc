"""Ancestry from the 1000 Genomes markers on real genomes of known population (../shared/corpus), the
markers' REF against every corpus file that covers them, and how an estimate reaches a prediction.

Known populations: NA12878 is CEPH/Utah (CEU, European; Platinum Genomes and the GATK gVCF snippet),
HG00268 is Finnish (FIN, European; hail's gVCF). The other corpus genomes of known population (hail's
1,000-record chr22 slices, bio2zarr's 100-sample chr22 file) cover no marker.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from genolens.datamodel import AncestryEstimate
from genolens.genome.ancestry import load_markers
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import load_bundles
from genolens.modeling.predict import features_for, predict
from tests.factories import CORPUS

PLATINUM = CORPUS / "patients" / "platinum" / "PG_NA12878_hg38-chr21.vcf.gz"
HG00268 = CORPUS / "patients" / "hail-gvcfs" / "HG00268.g.vcf.gz"
NA12878_CHR20 = CORPUS / "vcf" / "bio2zarr" / "vcf" / "NA12878.prod.chr20snippet.g.vcf.gz"


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} not present (../shared/corpus)")
    return path


def test_na12878_whole_chromosome_21_declared_whole_genome_is_european() -> None:
    p = read_patient(_need(PLATINUM), absent="reference")
    a = p.ancestry
    assert a is not None and a.status == "assigned" and a.group == "EUR", a
    assert a.markers_used == a.markers_considered > 250 and 0 < a.markers_assumed_reference < a.markers_used
    assert a.posterior[0][1] > 0.999 and a.fit_z is not None and abs(a.fit_z) < 3


def test_na12878_variant_only_under_the_default_policy_gets_no_estimate() -> None:
    a = read_patient(_need(PLATINUM)).ancestry
    assert a is not None and a.status == "not_estimated" and "whole-genome call set" in a.words


def test_hg00268_gvcf_slice_is_european() -> None:
    a = read_patient(_need(HG00268)).ancestry
    assert a is not None and a.status == "assigned" and a.group == "EUR", a
    assert a.markers_assumed_reference == 0  # every marker inside the slice has a call or a reference block


def test_na12878_grch37_gvcf_snippet_fits_european_best() -> None:
    """21 markers: too few for the 99% posterior, but European is the best fit."""
    a = read_patient(_need(NA12878_CHR20)).ancestry
    assert a is not None and a.group == "EUR" and a.status in ("assigned", "uncertain"), a


def test_markers_under_a_gvcf_block_with_no_reads_are_not_read_as_reference() -> None:
    """CEUTrio's GATK gVCF opens with a 10-Mb block at DP 0, GQ 0: those markers are no-calls, so the estimate is
    "not estimated", not an "unusual" fit of a thousand invented hom-ref genotypes."""
    a = read_patient(_need(CORPUS / "vcf" / "bio2zarr" / "vcf" / "CEUTrio.20.21.gatk3.4.g.vcf.bgz")).ancestry
    assert a is not None and a.status == "not_estimated" and a.markers_used < 20, a


def test_every_marker_ref_agrees_with_every_corpus_file_that_covers_it() -> None:
    from cyvcf2 import VCF

    manifest = _need(CORPUS / "MANIFEST.tsv")
    with manifest.open(newline="", encoding="utf-8") as fh:
        files = [(CORPUS / r["path"], r["build"]) for r in csv.DictReader(fh, delimiter="\t")
                 if r["build"] in ("GRCh37", "GRCh38")]
    m = load_markers()
    refs = {(build, c, p): r for build in ("GRCh37", "GRCh38")
            for c, p, r in zip(m.chrom.tolist(), m.pos[build].tolist(), m.ref.tolist(), strict=True)}
    agree, disagree = 0, []
    for path, build in files:
        try:
            vcf = VCF(str(path))
        except (OSError, ValueError):
            continue
        try:
            for rec in vcf:
                chrom = rec.CHROM.removeprefix("chr")
                ref = refs.get((build, chrom, rec.POS))
                if ref is None or not rec.REF:
                    continue
                if rec.REF[0].upper() == ref:
                    agree += 1
                else:
                    disagree.append(f"{path.name} {rec.CHROM}:{rec.POS} REF {rec.REF}, marker {ref}")
        except (OSError, ValueError):
            pass
        finally:
            vcf.close()
    assert not disagree, disagree[:10]
    assert agree >= 300  # Platinum chr21, hail's and GATK's gVCFs


def test_an_ancestry_the_model_was_not_trained_on_is_flagged_and_a_matched_percentile_given() -> None:
    patient = read_patient(_need(PLATINUM), absent="reference")
    assert patient.ancestry is not None
    bundle = next(b for b in load_bundles() if b.name == "coronary_artery_disease")
    features = features_for(patient, bundle)
    eur = predict(bundle, features, ancestry=patient.ancestry)
    assert not any(f.code == "ancestry_unusual" for o in eur.outputs for f in o.flags)
    for k, o in enumerate(eur.outputs):
        assert o.ancestry_percentile is not None and o.ancestry_percentile[0] == "EUR"
        ref = bundle.reference.logits_by_ancestry["EUR"][k]
        expected = 100.0 * (np.mean(ref < o.logit) + 0.5 * np.mean(ref == o.logit))
        assert o.ancestry_percentile[1] == pytest.approx(expected, abs=1e-9)
    words = "Ancestry most like the 1000 Genomes South Asian superpopulation."
    sas: AncestryEstimate = dataclasses.replace(patient.ancestry, group="SAS", words=words)
    flagged = predict(bundle, features, ancestry=sas)
    for o in flagged.outputs:
        codes = {f.code: f.message for f in o.flags}
        assert "ancestry_unusual" in codes and "South Asian" in codes["ancestry_unusual"]
        assert o.ancestry_percentile is None


def test_an_indexed_file_reads_its_markers_from_the_text_check_as_region_queries_would(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With an index, the panel sites are region-queried and the 29k markers are kept by the text check (one region
    query each would cost more than the check). The oracle: the same read with the text check's copy unusable, so
    every marker is region-queried too."""
    import shutil
    import subprocess

    from genolens.genome.vcf import VcfFile
    from genolens.genome.vcf_prefilter import SitePrefilter

    path = tmp_path / PLATINUM.name
    shutil.copyfile(_need(PLATINUM), path)
    subprocess.run(["tabix", "-p", "vcf", str(path)], check=True)
    queried: list[int] = []
    real_query = VcfFile._query

    def counting(self: VcfFile, sites: list, *args: object, **kwargs: object) -> object:
        queried.append(len(sites))
        return real_query(self, sites, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(VcfFile, "_query", counting)
    fast = read_patient(path, absent="reference")
    with monkeypatch.context() as m:
        m.setattr(SitePrefilter, "usable", property(lambda self: False))
        slow = read_patient(path, absent="reference")
    assert queried[0] < 1_000 < 20_000 < queried[1]  # panel sites only, against panel sites and every marker
    assert fast.read_mode.startswith("region queries") and fast.read_mode == slow.read_mode
    assert fast.ancestry == slow.ancestry and fast.ancestry is not None and fast.ancestry.group == "EUR"
    assert [r.sites for r in fast.panels] == [r.sites for r in slow.panels]
