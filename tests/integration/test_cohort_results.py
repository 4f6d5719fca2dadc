"""Reading a cohort job's results folder (genolens.cohort.results): every aggregate against a direct pandas/numpy
computation on a small real job's Parquet, the refusals, the cache, and the tiled large-folder generator."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from genolens.cohort import results as cr
from genolens.cohort import run_cohort_job
from genolens.errors import CohortJobError, OptionError
from genolens.genome.panel import load_panel
from tests.factories import simulated_cohort_vcf, small_bundle, tiled_cohort_results

GENE = {f"rs{i + 1}": f"P{i // 3}" for i in range(40)}  # inputs regrouped three to a "gene" in a copy of the folder


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real job's results: the tiny bundle on the 60-sample simulated cohort, chunks of 25."""
    root = tmp_path_factory.mktemp("cohort_results")
    bundle, _ = small_bundle(root)
    panel = load_panel("tiny", directory=root / "panels")
    vcf = simulated_cohort_vcf(root / "cohort.vcf", panel, 60, seed=5)
    run_cohort_job(vcf, root / "out", bundles=[bundle], panel_dir=root / "panels", chunk_size=25)
    return root / "out"


@pytest.fixture(scope="module")
def regrouped(job: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The job's folder with its manifest's genes replaced by :data:`GENE` (so roll-ups sum several inputs)."""
    out = tmp_path_factory.mktemp("regrouped") / "out"
    shutil.copytree(job, out)
    manifest = json.loads((out / "manifest.json").read_text())
    for b in manifest["bundles"]:
        for i in b["inputs"]:
            if i["kind"] == "genetic":
                i["gene"] = GENE[i["id"]]
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def _frames(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object]]:
    """(predictions, attributions of the one bundle, manifest) read directly with pandas."""
    manifest = json.loads((folder / "manifest.json").read_text())
    name = manifest["bundles"][0]["name"]
    pred = pd.concat(pd.read_parquet(p) for p in sorted(folder.glob("chunks/chunk-*/predictions.parquet")))
    attr = pd.concat(pd.read_parquet(p) for p in sorted(folder.glob(f"chunks/chunk-*/attributions-{name}.parquet")))
    return pred, attr, manifest


def _one(folder: Path) -> tuple[cr.CohortResults, str, str]:
    results = cr.open_results(folder)
    (bundle, output), = results.outputs
    return results, bundle, output


def test_opened_results_are_the_parquet_rows_with_each_word_held_once(job: Path) -> None:
    """Probability, band, reason and ancestry per sample equal pandas' read of the chunks; the repeated words are
    shared objects (not one string per cell: 50,000 samples x 11 outputs cost the server about 350 MB so)."""
    pred, _, _ = _frames(job)
    results = cr.open_results(job)
    assert len(pred) == len(results.outputs) * results.n  # every sample has a row for every output
    for (bundle, output), rows in pred.groupby(["bundle", "output"]):
        key = (str(bundle), str(output))
        at = rows["sample_index"].to_numpy()
        np.testing.assert_array_equal(results.probability[key][at], rows["probability"].to_numpy())
        assert results.band[key][at].tolist() == rows["band"].tolist()
        assert results.not_computed[key][at].tolist() == rows["not_computed"].tolist()
        for words in (results.band[key], results.not_computed[key]):
            assert len({id(w) for w in words}) <= len(set(words.tolist()))
    first = pred.drop_duplicates("sample_index")
    assert results.samples[first["sample_index"].to_numpy()].tolist() == first["sample"].tolist()
    want = np.where(first["ancestry"].to_numpy() == "", cr.NOT_ASSIGNED, first["ancestry"].to_numpy())
    assert results.ancestry[first["sample_index"].to_numpy()].tolist() == want.tolist()


def test_distribution_is_numpys_histogram_and_quantiles_of_the_probabilities(job: Path) -> None:
    results, bundle, output = _one(job)
    pred, _, _ = _frames(job)
    p = pred.loc[pred["output"] == output, "probability"].to_numpy()
    d = cr.distribution(results, bundle, output, bins=12)
    want_counts, want_edges = np.histogram(p[~np.isnan(p)], bins=12)
    np.testing.assert_array_equal(d.counts, want_counts)
    np.testing.assert_allclose(d.edges, want_edges, rtol=0, atol=1e-15)
    np.testing.assert_allclose([d.quantiles[q] for q in cr.QUANTILES], np.nanquantile(p, cr.QUANTILES), atol=1e-15)
    assert (d.scored, d.no_estimate) == (int((~np.isnan(p)).sum()), int(np.isnan(p).sum()))
    assert d.scored + d.no_estimate == results.n == 60
    # The simulated cohort carries no ancestry marker: every sample is "not assigned", one group of the whole.
    assert (results.ancestry == cr.NOT_ASSIGNED).all() and list(d.group_counts) == [cr.NOT_ASSIGNED]
    np.testing.assert_array_equal(d.group_counts[cr.NOT_ASSIGNED], d.counts)
    assert d.groups == f"ancestry from the 1000 Genomes markers: {cr.NOT_ASSIGNED} {d.scored}"


@pytest.mark.parametrize(("sort_by", "gene", "risk", "descending"), [
    ("risk", "", (0.0, 1.0), True), ("risk", "P2", (0.0, 1.0), False), ("gene", "P1", (0.0, 1.0), True),
    ("gene", "P0", (0.1, 0.4), False)])
def test_gene_matrix_is_pandas_groupby_sum_filter_and_sort(regrouped: Path, sort_by: cr.SortKey, gene: str,
                                                           risk: tuple[float, float], descending: bool) -> None:
    results, bundle, output = _one(regrouped)
    pred, attr, manifest = _frames(regrouped)
    inputs = [i["id"] for i in manifest["bundles"][0]["inputs"]]  # type: ignore[index]
    labels = {i: GENE.get(i, f"clinical: {i.removeprefix('cov_')}") for i in inputs}
    genes = attr[inputs].T.groupby(labels).sum().T  # samples x genes, sums of the inputs of each
    genes["sample"] = attr["sample"].to_numpy()
    table = genes.merge(pred[["sample", "probability"]], on="sample")
    table = table[table["probability"].between(*risk)]
    key = "probability" if sort_by == "risk" else gene
    table = table.sort_values(key, ascending=not descending, kind="stable").head(7)

    view = cr.gene_matrix(results, bundle, output, sort_by=sort_by, gene=gene, risk=risk, descending=descending,
                          top=7, columns=4)
    assert view.matching == int(genes.merge(pred[["sample", "probability"]], on="sample")["probability"]
                                .between(*risk).sum())
    assert list(view.samples) == table["sample"].tolist()
    np.testing.assert_allclose(view.probability, table["probability"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(view.values, table[list(view.genes)].to_numpy(), rtol=1e-6, atol=1e-6)  # float32
    if gene:
        assert view.genes[0] == gene
    assert len(view.genes) == 4 and len(set(view.genes)) == 4


def test_gene_matrix_columns_are_the_strongest_genes(regrouped: Path) -> None:
    results, bundle, output = _one(regrouped)
    _, attr, _ = _frames(regrouped)
    strength = {g: np.abs(attr[[i for i, k in GENE.items() if k == g and i in attr]].sum(axis=1)).mean()
                for g in set(GENE.values()) if any(i in attr for i, k in GENE.items() if k == g)}
    view = cr.gene_matrix(results, bundle, output, columns=3)
    genetic = [g for g in view.genes if not g.startswith("clinical: ")]
    ranked = sorted(strength, key=lambda g: -strength[g])
    assert genetic == [g for g in ranked if g in genetic]  # in strength order among the genes shown
    assert ranked[0] in view.genes or any(g.startswith("clinical: ") for g in view.genes)


def test_top_decile_drivers_are_the_mean_differences(job: Path) -> None:
    results, bundle, output = _one(job)
    pred, attr, manifest = _frames(job)
    inputs = [i["id"] for i in manifest["bundles"][0]["inputs"]]  # type: ignore[index]
    table = attr.merge(pred[["sample", "probability"]], on="sample")
    cut = table["probability"].quantile(0.9)
    top = table[table["probability"] >= cut][inputs].mean()
    rest = table[table["probability"] < cut][inputs].mean()
    want = (top - rest).sort_values(ascending=False, kind="stable").head(5)

    d = cr.top_decile_drivers(results, bundle, output, top=5)
    assert d.threshold == pytest.approx(cut, abs=1e-15)
    assert d.in_top == int((table["probability"] >= cut).sum()) == 6
    assert list(d.inputs) == want.index.tolist()
    np.testing.assert_allclose(d.top_mean, top[list(d.inputs)], atol=1e-6)  # float32 inputs summed in float64
    np.testing.assert_allclose(d.rest_mean, rest[list(d.inputs)], atol=1e-6)


def test_one_samples_rows_are_its_rows_of_the_parquet(job: Path) -> None:
    results, bundle, output = _one(job)
    pred, attr, manifest = _frames(job)
    s = cr.sample_rows(results, "s37")  # in the second chunk
    row = pred[pred["sample"] == "s37"].iloc[0]
    (got,) = s.predictions
    assert got["probability"] == row["probability"] and got["band"] == row["band"]
    inputs = [i["id"] for i in manifest["bundles"][0]["inputs"]]  # type: ignore[index]
    want = attr[attr["sample"] == "s37"].iloc[0][inputs].astype(float).to_dict()
    assert s.attributions[(bundle, output)] == want
    with pytest.raises(OptionError, match="Sample 'nobody' is not in these results"):
        cr.sample_rows(results, "nobody")


def test_folders_that_are_not_complete_results_are_refused(job: Path, tmp_path: Path) -> None:
    with pytest.raises(CohortJobError, match=r"has no manifest\.json"):
        cr.open_results(tmp_path)
    for change, message in (({"status": "running"}, "is 'running', not complete"),
                            ({"format": "other/9"}, "of format 'other/9'")):
        folder = tmp_path / next(iter(change.values())).replace("/", "_")
        shutil.copytree(job, folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps({**manifest, **change}))
        with pytest.raises(CohortJobError, match=message):
            cr.open_results(folder)
    shutil.rmtree(tmp_path / "running" / "chunks" / "chunk-00001")
    manifest = json.loads((tmp_path / "running" / "manifest.json").read_text())
    (tmp_path / "running" / "manifest.json").write_text(json.dumps({**manifest, "status": "complete"}))
    with pytest.raises(CohortJobError, match="1 chunk file"):
        cr.open_results(tmp_path / "running")


def test_opened_folders_are_cached_until_the_manifest_changes(job: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(job, folder)
    first = cr.open_results(folder)
    assert cr.open_results(folder) is first
    stat = (folder / "manifest.json").stat()
    os.utime(folder / "manifest.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cr.open_results(folder) is not first


def test_the_tiled_folder_has_the_jobs_schema_and_stays_complete(job: Path, tmp_path: Path) -> None:
    out = tiled_cohort_results(job, tmp_path / "tiled", 2_500, seed=1, chunk_size=1000)
    for name in ("predictions.parquet", "attributions-tiny_risk.parquet"):
        assert pq.read_schema(out / "chunks" / "chunk-00002" / name) == pq.read_schema(job / "chunks" / "chunk-00000"
                                                                                       / name)
    pred, attr, manifest = _frames(out)
    assert manifest["input"]["samples"] == 2_500 and manifest["chunks"]["count"] == 3  # type: ignore[index]
    assert pred["sample_index"].tolist() == list(range(2_500))
    inputs = [i["id"] for i in manifest["bundles"][0]["inputs"]]  # type: ignore[index]
    total = attr["baseline_logit"] + attr[inputs].sum(axis=1) + attr["residual"]
    np.testing.assert_allclose(attr["prediction_logit"], total, rtol=0, atol=1e-9)  # completeness kept
    merged = attr.merge(pred, on="sample")
    # the job's two logits (predict in float64, the attribution's model output in float32) differ by float32
    # rounding already; tiling moves both by the same amount
    np.testing.assert_allclose(merged["logit"], merged["prediction_logit"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(merged["probability"], 1 / (1 + np.exp(-merged["logit"])), rtol=1e-12)
    assert cr.open_results(out).n == 2_500
