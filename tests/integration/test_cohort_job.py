"""Cohort jobs (genolens.cohort): the single-patient path's numbers for every sample, restart after a kill, refusals,
and the ``cohort`` command on a local Dask cluster."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from genolens.cohort import default_chunk_size, run_cohort_job
from genolens.datamodel import AbsentPolicy
from genolens.datamodel.clinical import NO_DETAILS, PatientDetails, details_tables, patient_details
from genolens.errors import CohortJobError
from genolens.genome.panel import load_panel, load_panels
from genolens.genome.patient import read_patient
from genolens.genome.vcf import index_vcf, open_vcf
from genolens.modeling.bundle import Bundle, bundle_paths, load_bundle
from genolens.modeling.clinical import model_inputs
from genolens.workflows import explain_bundle
from tests.factories import (
    DEMO,
    ROOT,
    cohort_job_rows,
    need_shared,
    pharmcat_bases,
    simulated_cohort_vcf,
    small_bundle,
    write_fasta,
)

TOLERANCE = 1e-6  # the bound; the job runs the same functions, so the differences are 0 in practice


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(bundle folder, panel folder, simulated cohort VCF of 60 samples)."""
    root = tmp_path_factory.mktemp("cohort")
    bundle, _ = small_bundle(root)
    panel = load_panel("tiny", directory=root / "panels")
    return bundle, root / "panels", simulated_cohort_vcf(root / "cohort.vcf", panel, 60, seed=5)


def _assert_single_patient_equal(vcf: Path, bundles: Sequence[Bundle], absent: AbsentPolicy,
                                 results: Path, details: Mapping[str, PatientDetails] | None = None,
                                 references: Sequence[Path] = ()) -> int:
    """Every sample read alone (read_patient), predicted and explained alone (explain_bundle) with its details, on
    the job's date; return how many (sample, output) pairs were compared with an estimate."""
    rows = cohort_job_rows(results)
    manifest = json.loads((results / "manifest.json").read_text())
    on = dt.date.fromisoformat(manifest["settings_used"]["on"])
    samples = sorted({s for s, _, _ in rows})
    assert len(samples) == manifest["input"]["samples"]
    compared = 0
    for s in samples:
        patient = read_patient(vcf, sample=s, absent=absent, panels=[b.panel for b in bundles], qc_records=0,
                               references=references)
        for b in bundles:
            inputs = model_inputs(b.info, (details or {}).get(s, NO_DETAILS), on=on, sexes=b.info.sexes)
            if inputs.missing:
                for o in b.outputs:
                    assert rows[(s, b.name, o)]["not_computed"] == inputs.missing
                continue
            for o, e in explain_bundle(b, patient, clinical=inputs, reliability=False).items():
                got = rows[(s, b.name, o)]
                want = e.output
                np.testing.assert_allclose(
                    [got["probability"], got["interval_low"], got["interval_high"], got["percentile"],
                     got["coverage"]],
                    [want.probability, *want.interval, want.percentile, e.prediction.coverage],
                    rtol=0, atol=TOLERANCE, err_msg=f"{s} {b.name} {o}")
                assert got["band"] == want.band and got["flags"] == [f.code for f in want.flags]
                np.testing.assert_allclose(got["attribution"], e.attribution.values, rtol=0, atol=TOLERANCE)
                assert got["ig_steps"] == e.attribution.parameters["n_steps"]
                a = patient.ancestry
                assert a is not None and got["ancestry_status"] == a.status
                assert got["ancestry"] == (a.group if a.status == "assigned" else "")
                want_pct = want.ancestry_percentile[1] if want.ancestry_percentile else float("nan")
                np.testing.assert_allclose(got["ancestry_percentile"], want_pct, rtol=0, atol=TOLERANCE)
                compared += 1
    return compared


def test_every_sample_equals_the_single_patient_path_on_the_simulated_cohort(
        tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """Missing genotype, haploid call and absent site included; chunks of 25 (the last one short)."""
    bundle_dir, panels, vcf = tiny
    done = run_cohort_job(vcf, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels, chunk_size=25)
    assert (done.samples, done.chunks, done.computed, done.skipped) == (60, 3, (0, 1, 2), ())
    rows = cohort_job_rows(tmp_path / "out")
    assert len(rows) == 60
    bundle = load_bundle(bundle_dir, panel_dir=panels)
    assert _assert_single_patient_equal(vcf, [bundle], "missing", tmp_path / "out") == 60
    assert rows[("s4", "tiny_risk", "y_disease")]["n_imputed"] == 1  # rs7 absent; s4's haploid rs5 is read
    assert rows[("s3", "tiny_risk", "y_disease")]["n_imputed"] == 2  # rs7 absent and rs3 ./.
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["input"]["samples"] == 60
    assert manifest["sites"] == {"panel_sites": 20, "in_file": 19, "records": 19, "ancestry_markers_in_file": 0}
    assert manifest["summary"]["tiny_risk"]["flags"]["imputed_genetic"] == 60


def test_a_reference_fasta_gives_the_job_what_it_gives_one_patient(tiny: tuple[Path, Path, Path],
                                                                    tmp_path: Path) -> None:
    """The FASTA's REFs fill the panel sites that ship without one (rs7, absent from the file, becomes assumed
    reference under the whole-genome policy) and the file's REF mismatch is reported, as for one patient."""
    bundle_dir, panels, vcf = tiny
    panel = load_panel("tiny", directory=panels)
    sites = {v.grch38.pos: v.grch38.other_allele for v in panel.variants}  # the file's REF at every site
    sites[panel.variants[1].grch38.pos] = "C"  # rs2: the FASTA disagrees with the file's G
    fasta = write_fasta(tmp_path / "slices.fa", {"chr6": (18_200_000, pharmcat_bases("chr6")),  # tells GRCh38
                                                 "1": (max(sites) + 100, sites)})
    done = run_cohort_job(vcf, tmp_path / "fasta", bundles=[bundle_dir], panel_dir=panels, chunk_size=25,
                          absent="reference", references=[fasta])
    ref = done.manifest["reference"]
    assert (ref["fasta"], ref["build"], ref["sites_compared"], ref["panel_refs_supplied"]) == ("slices.fa", "GRCh38",
                                                                                              19, 19)
    assert ref["ref_mismatches"] == [{"chrom": "1", "pos": panel.variants[1].grch38.pos, "file_ref": "G",
                                      "fasta_ref": "C", "variants": ["rs2"]}]
    assert ref["indel_records_left_aligned"] == 0
    bundle = load_bundle(bundle_dir, panel_dir=panels)
    assert _assert_single_patient_equal(vcf, [bundle], "reference", tmp_path / "fasta", references=[fasta]) == 60
    rows = cohort_job_rows(tmp_path / "fasta")
    assert rows[("s4", "tiny_risk", "y_disease")]["n_imputed"] == 0  # rs7 assumed reference from the FASTA's G
    assert rows[("s3", "tiny_risk", "y_disease")]["n_imputed"] == 1  # rs3 ./. stays missing
    plain = run_cohort_job(vcf, tmp_path / "plain", bundles=[bundle_dir], panel_dir=panels, chunk_size=25,
                           absent="reference")
    assert plain.manifest["reference"] is None
    assert cohort_job_rows(tmp_path / "plain")[("s4", "tiny_risk", "y_disease")]["n_imputed"] == 1  # no REF: missing
    with pytest.raises(CohortJobError, match="holds the results of another job"):  # the FASTA is a setting
        run_cohort_job(vcf, tmp_path / "plain", bundles=[bundle_dir], panel_dir=panels, chunk_size=25,
                       absent="reference", references=[fasta])
    # a server with one FASTA per build, both named alike in folders of their own: the file's build's is used
    to37 = {v.grch38.pos: v.grch37.pos for p in load_panels() for v in p.variants
            if v.grch38.chrom == "6" and v.gene == "TPMT"}
    (tmp_path / "b37").mkdir()
    other = write_fasta(tmp_path / "b37" / "slices.fa", {"chr6": (18_200_000, {to37[pos]: base for pos, base in
                                                                                pharmcat_bases("chr6").items()
                                                                                if pos in to37})})
    both = run_cohort_job(vcf, tmp_path / "both", bundles=[bundle_dir], panel_dir=panels, chunk_size=25,
                          absent="reference", references=[other, fasta])
    assert both.manifest["reference"]["build"] == "GRCh38"
    assert both.manifest["reference"]["ref_mismatches"] == ref["ref_mismatches"]
    assert cohort_job_rows(tmp_path / "both")[("s4", "tiny_risk", "y_disease")]["n_imputed"] == 0


@pytest.mark.slow  # about 80 s on 2 busy cores: 100 samples explained one by one by the single-patient path
@pytest.mark.corpus
def test_every_sample_equals_the_single_patient_path_on_the_real_100_sample_file(tmp_path: Path) -> None:
    """1000 Genomes high-coverage chr22 slice (100 samples), every shipped bundle, whole-genome policy."""
    vcf = need_shared("corpus", "vcf", "bio2zarr", "vcf", "chr22.vcf.gz")
    paths = bundle_paths()
    with open_vcf(vcf) as vf:
        samples = vf.info.samples
    details = {s: patient_details({"sex": ("female", "male")[i % 2], "age": 30 + i % 45, "bmi": 20 + i % 15})
               for i, s in enumerate(samples[:90])}  # the last ten without: no estimate from models reading sex
    done = run_cohort_job(vcf, tmp_path / "out", bundles=paths, chunk_size=40, absent="reference", details=details)
    assert (done.samples, done.chunks) == (100, 3)
    bundles = [load_bundle(p) for p in paths]
    assert _assert_single_patient_equal(vcf, bundles, "reference", tmp_path / "out", details) >= 90
    _assert_summary_of_whole_table(done.manifest["summary"], tmp_path / "out")


def _assert_summary_of_whole_table(summary: Mapping[str, Mapping[str, object]], out: Path) -> None:
    """The manifest's summary (read chunk by chunk) equals one computed from every prediction row at once."""
    import pandas as pd

    df = pd.concat([pd.read_parquet(p) for p in sorted((out / "chunks").glob("chunk-*/predictions.parquet"))])
    assert sorted(summary) == sorted(df["bundle"].unique())
    for name, rows in df.groupby("bundle"):
        one = rows[rows["output"] == rows["output"].iloc[0]]  # one row per sample
        scored = one[one["not_computed"] == ""]
        flags = one["flags"].explode().dropna().value_counts()
        expected = {"samples": len(one), "scored": len(scored), "no_estimate": len(one) - len(scored),
                    "coverage_mean": pytest.approx(scored["coverage"].mean(), rel=1e-12) if len(scored) else None,
                    "coverage_min": scored["coverage"].min() if len(scored) else None,
                    "flags": {str(k): int(v) for k, v in sorted(flags.items())},
                    "ig_not_within_tolerance": int((~rows.loc[rows["not_computed"] == "", "ig_converged"]).sum())}
        assert summary[name] == expected, name
    assert any(s["no_estimate"] for s in summary.values()) and any(s["flags"] for s in summary.values())


def test_a_gvcf_with_no_data_blocks_equals_the_single_patient_path(tmp_path: Path) -> None:
    """GATK's CEUTrio gVCF: blocks at GQ 0 / DP 0 are no-calls in the job as for one patient (its markers and any
    panel site under them); whole-genome policy, so every model scores."""
    vcf = need_shared("corpus", "vcf", "bio2zarr", "vcf", "CEUTrio.20.21.gatk3.4.g.vcf.bgz")
    paths = [p for p in bundle_paths() if p.parent.name == "coronary_artery_disease"]
    details = {"NA12878": patient_details({"sex": "female", "age": 50})}
    run_cohort_job(vcf, tmp_path / "out", bundles=paths, chunk_size=1, absent="reference", details=details)
    bundles = [load_bundle(p) for p in paths]
    assert _assert_single_patient_equal(vcf, bundles, "reference", tmp_path / "out", details) >= 1
    row = next(iter(cohort_job_rows(tmp_path / "out").values()))
    assert row["ancestry_status"] == "not_estimated"


def test_hom_ref_calls_no_read_supports_are_no_calls_in_the_job_as_for_one_patient(tmp_path: Path) -> None:
    """0/0 at GQ 0 or DP 0 (CYP2C19 *2 site) is a no-call in both paths; a 0/1 at GQ 0 and a 0/0 without GQ stand."""
    vcf = ROOT / "tests" / "data" / "hom_ref_calls_without_reads.vcf"
    paths = [p for p in bundle_paths() if p.parent.name == "treatment_response"]
    with open_vcf(vcf) as vf:
        samples = vf.info.samples
    details = {s: patient_details({"sex": "female", "age": 50, "bmi": 25}) for s in samples}
    run_cohort_job(vcf, tmp_path / "out", bundles=paths, chunk_size=5, details=details)
    bundles = [load_bundle(p) for p in paths]
    assert _assert_single_patient_equal(vcf, bundles, "missing", tmp_path / "out", details) >= len(samples)
    coverage = {s: r["coverage"] for (s, _, _), r in cohort_job_rows(tmp_path / "out").items()}
    assert coverage["HOMREF_GQ0"] == coverage["HOMREF_DP0"] < coverage["HOMREF_OK"] == coverage["HET_GQ0"]
    assert coverage["HOMREF_NO_GQ"] == coverage["HOMREF_OK"]


@pytest.mark.parametrize("absent", ["missing", "reference"])
def test_the_demo_trio_equals_the_single_patient_path_with_every_shipped_bundle(
        absent: AbsentPolicy, tmp_path: Path) -> None:
    """Both absent-site policies; MOTHER without details, so a model that reads sex gives her no estimate and
    says why, as the single-patient path does."""
    vcf = DEMO / "trio_cyp2c19_brca2.vcf.gz"
    paths = bundle_paths()
    details = {s: d for s, d in details_tables((DEMO / "details.toml").read_text(), "details.toml").items()
               if s != "MOTHER"}
    run_cohort_job(vcf, tmp_path / "out", bundles=paths, chunk_size=2, absent=absent, details=details)
    bundles = [load_bundle(p) for p in paths]
    assert _assert_single_patient_equal(vcf, bundles, absent, tmp_path / "out", details) >= 2 * len(bundles)
    mother = [r for (s, _, _), r in cohort_job_rows(tmp_path / "out").items() if s == "MOTHER"]
    assert any(str(r["not_computed"]).startswith("sex not given") for r in mother)


_KILLABLE = """
import sys
from pathlib import Path
from genolens.cohort import default_chunk_size, run_cohort_job
run_cohort_job(sys.argv[1], sys.argv[2], bundles=[Path(sys.argv[3])], panel_dir=Path(sys.argv[4]), chunk_size=2,
               progress=lambda line: print(line, flush=True))
"""


def test_a_job_killed_half_way_resumes_without_recomputing_finished_chunks(
        tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle_dir, panels, vcf = tiny
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-c", _KILLABLE, str(vcf), str(out), str(bundle_dir), str(panels)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        for line in child.stdout or ():  # the job prints one line per chunk written
            if line.startswith("chunk "):
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    finished = sorted(int(p.name.split("-")[1]) for p in (out / "chunks").glob("chunk-*"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running" and 1 <= len(finished) < 30, finished
    (out / "chunks" / ".chunk-00029.tmp-dead").mkdir()  # as a kill during a write leaves it
    stamps = {i: (out / "chunks" / f"chunk-{i:05d}" / "predictions.parquet").stat().st_mtime_ns for i in finished}

    resumed = run_cohort_job(vcf, out, bundles=[bundle_dir], panel_dir=panels)  # no size given: the folder's

    assert resumed.skipped == tuple(finished)
    assert sorted(resumed.computed + resumed.skipped) == list(range(30))
    assert not set(resumed.computed) & set(finished)
    assert all((out / "chunks" / f"chunk-{i:05d}" / "predictions.parquet").stat().st_mtime_ns == t
               for i, t in stamps.items())
    assert not list((out / "chunks").glob(".*"))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    whole = run_cohort_job(vcf, tmp_path / "whole", bundles=[bundle_dir], panel_dir=panels, chunk_size=2)
    assert whole.computed == tuple(range(30))
    _assert_same_results(cohort_job_rows(out), cohort_job_rows(tmp_path / "whole"))
    again = run_cohort_job(vcf, out, bundles=[bundle_dir], panel_dir=panels)
    assert (again.computed, len(again.skipped)) == ((), 30)


def _assert_same_results(a: dict[tuple[str, str, str], dict[str, object]],
                         b: dict[tuple[str, str, str], dict[str, object]]) -> None:
    assert a.keys() == b.keys()
    for key, row in a.items():
        np.testing.assert_equal(row, b[key], err_msg=str(key))  # NaN equals NaN here (no estimate)


def test_without_a_chunk_size_a_job_takes_four_chunks_a_worker_within_50_to_1000_samples(
        tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle_dir, panels, vcf = tiny
    assert [default_chunk_size(n, w) for n, w in ((2_504, 1), (2_504, 2), (50_000, 2), (500_000, 100), (60, 2),
                                                  (2_504, 0))] == [626, 313, 1000, 1000, 50, 626]
    done = run_cohort_job(vcf, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels)  # 60 samples, this process
    assert done.manifest["chunks"]["size"] == done.manifest["settings"]["chunk_size"] == 50
    assert done.computed == (0, 1)


def test_a_results_folder_of_another_input_or_settings_is_refused(
        tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle_dir, panels, vcf = tiny
    run_cohort_job(vcf, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels, chunk_size=30)
    with pytest.raises(CohortJobError, match="holds the results of another job"):
        run_cohort_job(vcf, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels, chunk_size=20)
    other = tmp_path / "other.vcf"
    other.write_text(vcf.read_text().replace("\t0/1", "\t1/1", 1))
    with pytest.raises(CohortJobError, match="holds the results of another job"):
        run_cohort_job(other, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels, chunk_size=30)


def test_a_file_without_any_panel_site_is_refused_unless_whole_genome(
        tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle_dir, panels, vcf = tiny
    moved = tmp_path / "elsewhere.vcf"
    lines = [ln.split("\t") for ln in vcf.read_text().splitlines()]
    moved.write_text("\n".join("\t".join(f if f[0].startswith("#") else [f[0], f[1] + "7", *f[2:]]) for f in lines)
                     + "\n")  # every POS x10 + 7: no record at a panel site
    with pytest.raises(CohortJobError, match=r"no record at any of the 20 variant sites.*--absent reference"):
        run_cohort_job(moved, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels)


def test_a_file_without_contig_lines_is_refused_with_what_to_do(tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle_dir, panels, vcf = tiny
    bare = tmp_path / "no_contigs.vcf"
    bare.write_text("".join(ln for ln in vcf.read_text().splitlines(keepends=True) if not ln.startswith("##contig")))
    with pytest.raises(CohortJobError, match=r"declares no ##contig lines.*bcftools reheader"):
        run_cohort_job(bare, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels)


TRIO = DEMO / "trio_cyp2c19_brca2.vcf.gz"  # bgzipped, records on 22 chromosomes, no index beside it


@pytest.fixture(scope="module")
def trio_indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], dict[str, PatientDetails]]:
    """(results of the demo trio, bgzipped and tabix-indexed, with the CAD bundle; the bundle; the trio's details)."""
    root = tmp_path_factory.mktemp("trio_indexed")
    vcf = root / TRIO.name
    shutil.copyfile(TRIO, vcf)
    index_vcf(vcf)
    paths = [p for p in bundle_paths() if p.parent.name == "coronary_artery_disease"]
    details = details_tables((DEMO / "details.toml").read_text(), "details.toml")
    run_cohort_job(vcf, root / "out", bundles=paths, chunk_size=2, details=details)
    return root / "out", paths, details


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_a_plain_or_gzip_file_with_several_chromosomes_equals_the_same_file_bgzipped_and_indexed(
        compression: str, trio_indexed: tuple[Path, list[Path], dict[str, PatientDetails]], tmp_path: Path) -> None:
    """bio2zarr reads a file with several chromosomes only when bgzipped and indexed: the job converts a private
    bgzipped copy, removes it, and the manifest names the file given."""
    expected, paths, details = trio_indexed
    text = gzip.decompress(TRIO.read_bytes())
    assert len({ln.split(b"\t", 1)[0] for ln in text.splitlines() if not ln.startswith(b"#")}) > 1
    vcf = tmp_path / ("trio.vcf" if compression == "none" else "trio.vcf.gz")
    vcf.write_bytes(text if compression == "none" else gzip.compress(text))
    done = run_cohort_job(vcf, tmp_path / "out", bundles=paths, chunk_size=2, details=details)
    assert done.manifest["sites"]["in_file"] > 0
    _assert_same_results(cohort_job_rows(tmp_path / "out"), cohort_job_rows(expected))
    assert done.manifest["input"]["name"] == vcf.name
    assert done.manifest["input"]["sha256"] == hashlib.sha256(vcf.read_bytes()).hexdigest()
    assert [p.name for p in (tmp_path / "out" / "vcz").iterdir()] == [Path(done.manifest["input"]["vcz"]).name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", vcf.name]  # no copy left beside the input


def test_an_unsorted_file_with_several_chromosomes_is_refused_with_what_to_do(
        tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle_dir, panels, vcf = tiny
    lines = vcf.read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    body = [ln.split("\t") for ln in lines if not ln.startswith("#")]
    body[1][0] = "2"  # chromosome 1, 2, then 1 again: the blocks of a chromosome must be contiguous
    header.insert(2, "##contig=<ID=2,length=242193529>")
    unsorted = tmp_path / "unsorted.vcf"
    unsorted.write_text("\n".join([*header, *("\t".join(f) for f in body)]) + "\n")
    with pytest.raises(CohortJobError, match=r"unsorted.vcf.*sorted by chromosome and position \(bcftools sort"):
        run_cohort_job(unsorted, tmp_path / "out", bundles=[bundle_dir], panel_dir=panels)
    assert not [p for p in (tmp_path / "out" / "vcz").iterdir()]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "genolens", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=False)


def test_cohort_command_on_a_local_cluster_matches_the_in_process_job(
        tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """The command's plumbing (LocalCluster, --models, --details, --absent, progress lines) with a shipped bundle;
    the simulated cohort holds none of its sites, so every input is assumed reference (--absent reference)."""
    _, _, vcf = tiny
    details = tmp_path / "details.toml"
    details.write_text("".join(f'[s{i}]\nsex = "{("female", "male")[i % 2]}"\nage = {40 + i}\n\n' for i in range(50)))
    started = time.monotonic()
    out = _cli("cohort", str(vcf), "--out", str(tmp_path / "cli"), "--workers", "1", "--models",
               "coronary_artery_disease", "--chunk-size", "20", "--absent", "reference", "--details", str(details))
    assert out.returncode == 0, out.stderr
    assert "chunk 1/3 written" in out.stderr and "chunk 3/3 written" in out.stderr
    assert "60 samples x 1 bundles: 3 chunks computed, 0 already complete" in out.stdout
    print(f"cohort command on a 1-worker local cluster: {time.monotonic() - started:.1f} s")
    paths = [p for p in bundle_paths() if p.parent.name == "coronary_artery_disease"]
    table = details_tables(details.read_text(), details.name)
    run_cohort_job(vcf, tmp_path / "api", bundles=paths, chunk_size=20, absent="reference", details=table)
    rows = cohort_job_rows(tmp_path / "cli")
    _assert_same_results(rows, cohort_job_rows(tmp_path / "api"))
    assert sum(r["not_computed"] == "" for r in rows.values()) == 50 * len(load_bundle(paths[0]).outputs)


def test_cohort_command_refuses_an_unknown_model_in_one_line(tmp_path: Path) -> None:
    out = _cli("cohort", str(DEMO / "trio_cyp2c19_brca2.vcf.gz"), "--out", str(tmp_path / "x"), "--models", "nope")
    assert out.returncode == 2
    assert out.stderr.startswith("error: Model(s) nope unknown. Choose from:") and out.stderr.count("\n") == 1
