"""Tests for genolens.modeling.simulate / phenotypes and the demo patients in data/demo."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from genolens.datamodel import Build, Contig, PatientGenome, SiteCall
from genolens.errors import GenoLensError
from genolens.genome.encode import dosage_matrix
from genolens.genome.panel import load_panel
from genolens.genome.patient import read_patient
from genolens.genome.vcf import open_vcf, read_header
from genolens.modeling.allele_frequencies import target_eaf
from genolens.modeling.fixed_truth import draw_outcomes
from genolens.modeling.haplotypes import POPULATIONS, draw_haplotypes, group_loci, simulate_windows
from genolens.modeling.outcomes import PREVALENCE, feature_values, oracle_logit, prs77_log_or
from genolens.modeling.simulate import PANELS, SimulatedCohort, simulate_cohort
from tests.factories import DEMO

SEED = 11
N = 2000
POOL = 150  # haplotype pool per population and window: small keeps the tests fast


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cohort")


@pytest.fixture(scope="module")
def cohort(cohort_dir: Path) -> SimulatedCohort:
    return simulate_cohort(n=N, seed=SEED, out_dir=cohort_dir, pool=POOL)


def test_files_and_columns(cohort: SimulatedCohort, cohort_dir: Path) -> None:
    names = sorted(p.name for p in cohort_dir.iterdir())
    assert names == ["cohort.GRCh37.vcf.gz", "cohort.GRCh37.vcf.gz.tbi", "cohort.GRCh38.vcf.gz",
                     "cohort.GRCh38.vcf.gz.tbi", "onsets.csv", "phenotypes.csv", "truth.json"]
    with (cohort_dir / "phenotypes.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N and rows[0]["sample"] == "S000001" and rows[-1]["sample"] == f"S{N:06d}"
    header = list(rows[0])
    assert header[:2] == ["sample", "ancestry"]
    assert [c for c in header if c.startswith("y_")] == list(PREVALENCE)
    assert {r["ancestry"] for r in rows} == set(POPULATIONS)
    assert {r["cov_sex"] for r in rows} == {"0", "1"}
    # breast cancer is an outcome of women only: empty for every man, 0/1 for every woman
    assert {r["y_breast_cancer"] for r in rows if r["cov_sex"] == "1"} == {""}
    assert {r["y_breast_cancer"] for r in rows if r["cov_sex"] == "0"} == {"0", "1"}
    truth = json.loads((cohort_dir / "truth.json").read_text())
    for name in PREVALENCE:
        t = truth[name]
        assert t["panel"] in PANELS and all(c in header for c in t["covariates"])
        assert len(t["interactions"]) >= (2 if t["panel"] != "pharmacogenomics" else 0)
        if name != "y_breast_cancer":
            assert t["link"] == "logit" and set(t["covariates"]) == set(t["covariate_effects"])
    breast = truth["y_breast_cancer"]
    assert breast["link"] == "hazard" and breast["covariates"] == ["cov_age", "cov_family_history"]
    assert breast["covariate_effects"] == {"cov_family_history": pytest.approx(np.log(1.80), abs=1e-6)}
    bc = breast["variant_effects"]
    assert len(bc) == 77 + 5  # PRS77 (PGS000001 log-ORs) + high-penetrance carriers; PRS313-only are null
    assert bc["rs78540526"] == pytest.approx(0.1622) and bc["rs2588809"] == pytest.approx(-0.0646)
    assert bc["rs80357914"] == pytest.approx(np.log(7.62))  # BRCA1, Hu et al. NEJM 2021 Table 2
    # FGFR2 is in two interactions: its published log-OR is kept, its main effect solved below it
    assert breast["published_log_or"]["rs2981579"] == pytest.approx(0.2251, abs=1e-4)
    assert bc["rs2981579"] < 0.2251
    with (cohort_dir / "onsets.csv").open(newline="") as fh:
        onsets = list(csv.DictReader(fh))
    cases = {r["sample"] for r in rows if r["y_breast_cancer"] == "1"}
    assert {o["sample"] for o in onsets} == cases and {o["outcome"] for o in onsets} == {"y_breast_cancer"}
    age = {r["sample"]: float(r["cov_age"]) for r in rows}
    assert all(age[o["sample"]] <= float(o["age_at_onset"]) < age[o["sample"]] + 10 for o in onsets)


def test_same_seed_gives_identical_files(cohort: SimulatedCohort, cohort_dir: Path, tmp_path: Path) -> None:
    again = simulate_cohort(n=N, seed=SEED, out_dir=tmp_path, pool=POOL)
    for path in cohort.files:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert again.truth == cohort.truth


def test_allele_frequencies_match_per_ancestry(cohort: SimulatedCohort) -> None:
    table = cohort.truth["_variants"]
    close = 0
    for name in PANELS:
        panel = load_panel(name)
        for j, v in enumerate(panel.variants):
            for pop in POPULATIONS:
                rows = cohort.ancestry == pop
                freq = cohort.dosages[name][rows, j].mean() / 2
                p = table[v.id]["pool_eaf"][pop]
                se = np.sqrt(max(p * (1 - p), 1e-4) / (2 * rows.sum()))
                assert abs(freq - p) < 5 * se + 0.005, (v.id, pop, freq, p)
            want = target_eaf(v)
            close += abs(table[v.id]["pool_eaf"]["EUR"] - want) <= max(0.2 * min(want, 1 - want), 1 / POOL)
    assert close >= 0.9 * len(table)  # the European pool matches the requested frequency
    eur = [table[i]["pool_eaf"]["EUR"] for i in table]
    afr = [table[i]["pool_eaf"]["AFR"] for i in table]
    assert np.mean(np.abs(np.subtract(eur, afr))) > 0.03  # ancestries differ


def test_ld_between_real_neighbours_decays_with_distance(cohort: SimulatedCohort) -> None:
    table = cohort.truth["_variants"]
    panel = load_panel("breast_cancer")
    X = cohort.dosages["breast_cancer"][cohort.ancestry == "EUR"].astype(float)
    keep = X.std(axis=0) > 0
    r2_all = np.corrcoef(X[:, keep].T) ** 2
    kept = [v for v, k in zip(panel.variants, keep, strict=True) if k]
    near, far, unlinked = [], [], []
    for a, va in enumerate(kept):
        for b in range(a + 1, len(kept)):
            vb, r2 = kept[b], r2_all[a, b]
            if table[va.id]["window"] != table[vb.id]["window"]:
                if va.grch38.chrom != vb.grch38.chrom:
                    unlinked.append(r2)
                continue
            gap = abs(va.grch38.pos - vb.grch38.pos)
            (near if gap < 10_000 else far if gap > 50_000 else []).append(r2)
    assert len(near) >= 5 and len(far) >= 5
    assert np.mean(near) > 2 * np.mean(far)
    assert np.mean(unlinked) < 0.01 < np.mean(near)


def test_disease_variants_of_one_locus_are_drawn_in_windows_of_their_own() -> None:
    panel = load_panel("breast_cancer")
    esr1 = [v for v in panel.variants if v.grch38.chrom == "6" and 151_590_000 < v.grch38.pos < 151_740_000]
    causal = frozenset({"rs12662670", "rs2046210"})  # 29.5 kb apart, both in the breast-cancer truth
    assert len(group_loci(esr1)) == 1
    loci = group_loci(esr1, apart=causal)
    assert [sorted(v.id for v in locus if v.id in causal) for locus in loci] == [["rs12662670"], ["rs2046210"]]
    assert sum(len(locus) for locus in loci) == len(esr1)  # every neighbour joins its nearest causal variant
    windows = simulate_windows(esr1, seed=1, pool=1000, apart=causal)
    rng = np.random.default_rng(2)
    h1, h2 = draw_haplotypes(windows, np.ones(20_000, dtype=np.int8), rng)  # European
    ids = [v.id for w in windows for v in w.variants]
    x = (h1 + h2).astype(float)
    r = np.corrcoef(x[:, ids.index("rs12662670")], x[:, ids.index("rs2046210")])[0, 1]
    assert abs(r) < 0.04  # independent draws: r is sampling noise (sd ~ 0.007)
    together = simulate_windows(esr1, seed=1, pool=1000)
    h1, h2 = draw_haplotypes(together, np.ones(20_000, dtype=np.int8), rng)
    ids = [v.id for w in together for v in w.variants]
    x = (h1 + h2).astype(float)
    assert abs(np.corrcoef(x[:, ids.index("rs12662670")], x[:, ids.index("rs2046210")])[0, 1]) > 0.1  # in one window


def test_the_truth_is_fixed_across_seeds(cohort: SimulatedCohort, tmp_path: Path) -> None:
    other = simulate_cohort(n=300, seed=SEED + 1, out_dir=tmp_path, pool=POOL, builds=("GRCh38",))
    for name in PREVALENCE:
        a, b = cohort.truth[name], other.truth[name]
        for key in ("intercept", "variant_effects", "interactions", "covariate_effects", "features"):
            assert a[key] == b[key], (name, key)
    assert cohort.truth["y_breast_cancer"]["baseline_hazard"] == other.truth["y_breast_cancer"]["baseline_hazard"]


def test_prevalence_in_range(cohort: SimulatedCohort) -> None:
    for name, target in PREVALENCE.items():
        if name == "y_breast_cancer":
            continue
        assert 0.5 * target < cohort.outcomes[name].mean() < 1.6 * target, name
    women = cohort.covariates["cov_sex"] == 0
    assert set(np.unique(cohort.outcomes["y_breast_cancer"][~women])) == {-1}  # not applicable to men
    assert 0.01 < cohort.outcomes["y_breast_cancer"][women].mean() < 0.08  # 10-year incidence, ages 25-85


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
def test_cohort_vcf_reads_back_to_the_simulated_dosages(cohort: SimulatedCohort, cohort_dir: Path,
                                                        build: Build) -> None:
    with open_vcf(cohort_dir / f"cohort.{build}.vcf.gz") as vf:
        assert vf.info.samples == cohort.samples
        for name in PANELS:
            panel = load_panel(name)
            sites = [(v.locus(build).chrom, v.locus(build).pos) for v in panel.variants]
            records, mode = vf.read_matrix(sites)
            assert "region queries" in mode
            got = dosage_matrix(panel, build, records, len(cohort.samples))
            np.testing.assert_array_equal(got, cohort.dosages[name].astype(float), err_msg=f"{name} {build}")


def test_oracle_recomputes_the_probabilities(cohort: SimulatedCohort) -> None:
    for name, truth in cohort.truth.items():
        if not name.startswith("y_"):
            continue
        logit = oracle_logit(truth, cohort.dosages[truth["panel"]], cohort.covariates)
        p = 1 / (1 + np.exp(-logit))
        y = cohort.outcomes[name].astype(float)
        if truth["link"] == "hazard":  # women only; the oracle is the rare-disease form of the hazard model
            women = cohort.covariates["cov_sex"] == 0
            p, y = p[women], y[women]
        se = np.sqrt(p.mean() * (1 - p.mean()) / len(p))
        assert abs(y.mean() - p.mean()) < 4 * se + 0.01 * p.mean(), name  # drawn from these probabilities
        assert p[y == 1].mean() > p[y == 0].mean()
    with pytest.raises(GenoLensError, match=r"X_panel has shape \(2, 3\); expected \(n, 37\)"):
        oracle_logit(cohort.truth["y_abacavir_hypersensitivity"], np.zeros((2, 3)), cohort.covariates)


def test_derived_pgx_features_follow_cpic_rules() -> None:
    from genolens.modeling.outcomes import DRUG_MODELS
    features = {k: f for model in DRUG_MODELS for k, f in model[2].items()}
    dpyd = features["dpyd_activity_deficit"]
    zero = np.zeros(5)
    dos = {i: zero.copy() for i in dpyd["values"]}
    dos["rs3918290"] = np.array([0, 1, 2, 1, 0.0])   # *2A (no function)
    dos["rs56038477"] = np.array([0, 0, 0, 1, 2.0])  # HapB3 (decreased, 0.5)
    # activity scores 2, 1, 0, 0.5, 1 -> deficits 0, 1, 2, 1.5, 1
    np.testing.assert_array_equal(feature_values(dpyd, dos), [0, 1, 2, 1.5, 1])
    tpmt = features["tpmt_no_function_alleles"]
    dos = {"rs1800462": np.array([0, 0, 1.0]), "rs1800460": np.array([1, 0, 1.0]), "rs1142345": np.array([1, 1, 1.0])}
    np.testing.assert_array_equal(feature_values(tpmt, dos), [1, 1, 2])  # *3A counts once


def test_log_or_recovered_by_logistic_regression() -> None:
    panel = load_panel("type_2_diabetes")
    chosen = [v for v in panel.variants if v.id in ("rs7903146", "rs10811661")]
    windows = simulate_windows(chosen, seed=3, pool=300)
    rng = np.random.default_rng(5)
    n = 20_000
    ancestry = np.ones(n, dtype=np.int8)  # European
    h1, h2 = draw_haplotypes(windows, ancestry, rng)
    X = (h1 + h2).astype(float)
    ids = [v.id for w in windows for v in w.variants]
    truth = {"panel": "t2d_subset", "panel_variant_ids": ids, "intercept": 0.0, "covariates": [],
             "covariate_effects": {}, "features": {}, "feature_effects": {}, "interactions": [],
             "variant_effects": {v.id: v.log_or for v in chosen}, "link": "logit"}
    y = draw_outcomes(rng, {"y_type_2_diabetes": truth}, {"t2d_subset": X}, {})[0]["y_type_2_diabetes"]
    beta = _logistic_fit(X, y.astype(float))
    for j, vid in enumerate(ids):
        assert beta[j + 1] == pytest.approx(truth["variant_effects"][vid], abs=0.1), vid


def _logistic_fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    A = np.column_stack([np.ones(len(y)), X])
    b = np.zeros(A.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-A @ b))
        b += np.linalg.solve(A.T @ (A * (p * (1 - p))[:, None]), A.T @ (y - p))
    return b


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GenoLensError, match="Cohort size must be positive, got 0"):
        simulate_cohort(n=0, seed=1, out_dir=tmp_path)
    with pytest.raises(GenoLensError, match=r"Build 'hg19' unknown\. Choose from: GRCh37, GRCh38"):
        simulate_cohort(n=5, seed=1, out_dir=tmp_path, builds=("hg19",))  # type: ignore[arg-type]


# --- demo patients (data/demo, written by data/demo/make_demo.py) ----------------------------



def _sites(name: str, sample: str | None = None) -> tuple[PatientGenome, dict[str, SiteCall]]:
    patient = read_patient(DEMO / name, sample=sample, qc_records=0)
    # The model panels the demo files were written for (not PharmCAT's allele-defining positions)
    return patient, {s.variant_id: s for r in patient.panels if r.panel != "pharmcat_positions" for s in r.sites}


@pytest.mark.parametrize(("name", "variant", "dosage"), [
    ("brca1_185delAG_carrier.vcf.gz", "rs80357914", 1.0),
    ("dpyd_2A_heterozygote.vcf.gz", "rs3918290", 1.0),
    ("cyp2c19_2_2.vcf.gz", "rs4244285", 2.0),
    ("grch37_cyp3a5_expresser.vcf.gz", "rs776746", 1.0),  # GRCh37 REF C is *3: 0/1 means *1/*3
])
def test_demo_story_variant(name: str, variant: str, dosage: float) -> None:
    patient, sites = _sites(name)
    assert sites[variant].status == "called" and sites[variant].dosage == dosage
    assert patient.build.build == ("GRCh37" if "grch37" in name else "GRCh38")
    assert patient.build.source == "contigs"


def test_demo_files_look_like_caller_output() -> None:
    files = sorted(DEMO.glob("*.vcf.gz"))
    # Simulation v2's windows carry about 35% more background variants than v1's (files rewritten 2026-12-05).
    assert len(files) >= 9 and sum(f.stat().st_size for f in DEMO.iterdir()) < 6_000_000
    for f in files:
        assert f.stat().st_size < 850_000, f.name
        with open_vcf(f) as vf:
            assert vf.info.compression == "bgzf" and len(vf.info.contigs) == 24
            records = sum(1 for _ in vf.iter_records(0))
        assert records > 5_000, f.name  # thousands of background variants
    assert read_header(DEMO / "cyp2c19_2_2.vcf.gz").contigs[0] == Contig("chr1", 248956422)
    assert read_header(DEMO / "grch37_cyp3a5_expresser.vcf.gz").contigs[0] == Contig("1", 249250621)


def test_demo_tpmt_3a_is_phased_in_cis() -> None:
    _, sites = _sites("tpmt_3A_heterozygote_phased.vcf.gz")
    b, c = sites["rs1800460"], sites["rs1142345"]
    assert b.dosage == c.dosage == 1.0
    assert b.genotype == c.genotype and b.genotype in ("0|1", "1|0")


def test_demo_high_polygenic_risk() -> None:
    prs77 = prs77_log_or(load_panel("breast_cancer"))
    # A variant-only VCF omits hom-REF sites: read as a whole-genome call set, where the REF facts say which
    # allele an absent site carries (the effect allele where it is REF). Where the panel has no REF fact the demo,
    # like the simulator, writes the other allele as REF, so an absent site (missing here) carries no effect allele.
    patient = read_patient(DEMO / "high_polygenic_breast_risk.vcf.gz", qc_records=0, absent="reference")
    f = next(r.features for r in patient.panels if r.panel == "breast_cancer")
    dosage = {vid: (0.0 if missing else float(x)) for vid, x, missing in zip(f.names, f.values, f.missing, strict=True)}
    origin = dict(zip(f.names, f.origin, strict=True))
    assert sum(origin[vid] == "assumed_reference" for vid in prs77) >= 10  # hom-REF sites the file leaves out
    score = sum(beta * dosage[vid] for vid, beta in prs77.items())
    assert score > 1.42  # mean + 2.33 sd of 400 simulated Europeans (0.37 +/- 0.45): above the 99th percentile


def test_demo_array_like_misses_about_40_percent() -> None:
    _, sites = _sites("array_like_partial_coverage.vcf.gz")
    usable = [s for s in sites.values() if s.status == "called"]
    assert 0.5 < len(usable) / len(sites) < 0.7
    assert {s.status for s in sites.values()} == {"called", "absent"}
    assert any(s.genotype == "0/0" for s in usable)  # arrays write hom-ref probes


def test_demo_gvcf_reference_blocks_cover_model_sites() -> None:
    _, sites = _sites("gvcf_reference_blocks.g.vcf.gz")
    blocks = [s for s in sites.values() if s.status == "reference_block"]
    assert len(blocks) > 100 and sites["rs3918290"].status == "reference_block"
    assert sites["rs3918290"].dosage == 0.0 and sites["rs80357914"].dosage == 0.0
    assert all(s.status in ("called", "reference_block") for s in sites.values())


def test_demo_trio_is_mendelian() -> None:
    calls = {who: _sites("trio_cyp2c19_brca2.vcf.gz", who)[1] for who in ("CHILD", "MOTHER", "FATHER")}
    assert calls["CHILD"]["rs4244285"].dosage == 2.0
    assert [calls[w]["rs80359550"].dosage for w in ("CHILD", "MOTHER", "FATHER")] == [1.0, 0.0, 1.0]
    checked = 0
    for vid, c in calls["CHILD"].items():
        m, f = calls["MOTHER"][vid], calls["FATHER"][vid]
        if c.alleles and m.alleles and f.alleles:
            assert any({c.alleles[0], c.alleles[1]} == {a, b} for a in m.alleles for b in f.alleles), vid
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("name", sorted(f.name for f in DEMO.glob("*.vcf.gz")))
def test_demo_records_carry_the_panels_ref(name: str) -> None:
    # The demo files are rewritten whenever REF facts are added (data/demo/README.md): a record at a panel site
    # whose REF is not the panel's would read as a REF mismatch in front of every user who opens the demo.
    sample = "CHILD" if name.startswith("trio") else None
    patient = read_patient(DEMO / name, sample=sample, qc_records=0, ancestry=False)
    wrong = [(r.panel, s.variant_id, s.note) for r in patient.panels for s in r.sites if s.status == "ref_mismatch"]
    assert wrong == []
