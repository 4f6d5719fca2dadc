"""The true outcome models of the simulated cohort: covariates, effects, interactions, oracle.

Every outcome is a model on one panel's effect-allele dosages, a few derived genotype features (an
activity score, a count of no-function alleles), clinical covariates and at least one stated
interaction. The model is written out as a plain dict (the ``truth.json`` entry) so that
:func:`oracle_logit` can recompute the true logit from dosages and covariates alone.

Simulation v2 (this module with :mod:`genolens.modeling.fixed_truth`):

* **A fixed truth.** Intercepts and breast cancer's baseline hazard are set once from facts (stated
  prevalences; SEER incidence) on a reference population, never re-solved on a simulated cohort, so
  every seed simulates the same disease and a fixed model can stay calibrated on a fresh one.
* **Published marginal effects.** Breast cancer uses the published PGS000001 (Mavaddat 2015)
  log-ORs of the 77 PRS77 variants (the other panel variants are non-causal) and the population-based
  carrier odds ratios of Hu et al. 2021 (:data:`HIGH_PENETRANCE_SOURCE`); coronary artery disease and
  type 2 diabetes use their panels' published log-ORs. Every variant-by-variant interaction is
  centred at the European carrier dosage (``beta * (a - 2p_a) * (b - 2p_b)``), so it adds no
  per-allele effect on average and each variant's marginal per-allele odds ratio in the simulated
  European population stays the published one (v1's uncentred products doubled several of them).
  Interaction strengths are illustrative, not published, and said so.
* **Breast cancer in women, on the time scale.** Its outcome is a diagnosis within 10 years of the
  current age, drawn from age-specific hazards with competing mortality; men have no breast-cancer
  outcome (empty in ``phenotypes.csv``), and ages at onset are written beside the cohort.

The drug outcomes follow CPIC allele function with odds ratios of the size reported in the
pharmacogenomic literature (rounded; stated in ``DRUG_MODELS``).
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from genolens.datamodel import Panel
from genolens.errors import CohortError
from genolens.modeling.allele_frequencies import target_frequencies
from genolens.modeling.logistic import sigmoid

Truth = dict[str, Any]
"""One outcome's entry of ``truth.json`` (see :func:`outcome_models`)."""

ANCESTRY_SHARES: Mapping[str, float] = {"AFR": 0.2, "EUR": 0.6, "EAS": 0.2}
"""Share of each ancestry group among simulated individuals."""

COVARIATES: tuple[str, ...] = (
    "cov_age", "cov_sex", "cov_family_history", "cov_bmi", "cov_smoking", "cov_ldl", "cov_sbp",
    "cov_egfr", "cov_amiodarone", "cov_capecitabine",
)
"""Covariate columns of ``phenotypes.csv``, all numeric (see :func:`draw_covariates`)."""

PREVALENCE: Mapping[str, float] = {
    "y_breast_cancer": 0.07, "y_coronary_artery_disease": 0.10, "y_type_2_diabetes": 0.10,
    "y_fluoropyrimidine_toxicity": 0.10, "y_thiopurine_myelosuppression": 0.07,
    "y_clopidogrel_failure": 0.10, "y_warfarin_overanticoagulation": 0.10,
    "y_simvastatin_myopathy": 0.05, "y_irinotecan_neutropenia": 0.12,
    "y_tacrolimus_underexposure": 0.12, "y_abacavir_hypersensitivity": 0.05,
}
"""Stated prevalence per logistic outcome (not sourced), met in the reference population of
:mod:`~genolens.modeling.fixed_truth` by an intercept set once; breast cancer's is unused (its
baseline is the SEER incidence)."""

HIGH_PENETRANCE_SOURCE: Mapping[str, tuple[str, float, float, float]] = {
    # variant: (gene, OR, 95% CI low, high) for pathogenic variants in the gene, any breast cancer
    "rs80357914": ("BRCA1", 7.62, 5.33, 11.27),  # BRCA1 185delAG
    "rs80357906": ("BRCA1", 7.62, 5.33, 11.27),  # BRCA1 5382insC
    "rs80359550": ("BRCA2", 5.23, 4.09, 6.77),   # BRCA2 6174delT
    "rs180177102": ("PALB2", 3.83, 2.68, 5.63),  # PALB2 1592delT
    "rs555607708": ("CHEK2", 2.47, 2.02, 3.05),  # CHEK2 1100delC
}
"""Carrier odds ratios of the high/moderate-penetrance variants: Hu C et al., "A Population-Based Study of
Genes Previously Implicated in Breast Cancer", N Engl J Med 2021;384:440-451 (CARRIERS, 32,247 cases and
32,544 controls; Table 2, adjusted for study, age, family history and race), per gene; constant with age
(the table gives one odds ratio per gene)."""

HIGH_PENETRANCE_CITATION = ("Hu C et al., N Engl J Med 2021;384:440-451, doi:10.1056/NEJMoa2005936 (CARRIERS), "
                            "Table 2")

HIGH_PENETRANCE_LOG_OR: Mapping[str, float] = {k: math.log(v[1]) for k, v in HIGH_PENETRANCE_SOURCE.items()}
"""Breast-cancer log-OR per carried allele of the high/moderate-penetrance variants."""

FAMILY_HISTORY_LOG_RR = math.log(1.80)
"""Breast-cancer relative risk of one affected first-degree relative: 1.80 (99% CI 1.69-1.91),
Collaborative Group on Hormonal Factors in Breast Cancer, Lancet 2001;358:1389-1399."""

FOLLOW_UP_YEARS = 10
"""A simulated woman's breast-cancer outcome: a diagnosis within this many years of her current age."""

ILLUSTRATIVE = "illustrative strength, not a published estimate"
"""Said in the description of every disease interaction written to ``truth.json``."""

_PRS77 = re.compile(r"PRS77 log-OR (-?[0-9.]+) per ([ACGT]+) allele")

# (outcome, panel, covariate effects, feature definitions, feature effects, variant effects, interactions)
DRUG_MODELS: tuple[tuple[str, dict[str, float], dict[str, Any], dict[str, float], dict[str, float],
                         list[tuple[str, str, float, str]]], ...] = (
    ("y_fluoropyrimidine_toxicity", {"cov_age": 0.02, "cov_sex": -0.3, "cov_capecitabine": 0.4},
     {"dpyd_activity_deficit": {
         "kind": "activity_deficit", "gene": "DPYD", "normal_value": 1.0, "ploidy": 2,
         "values": {"rs3918290": 0.0, "rs55886062": 0.0, "rs67376798": 0.5, "rs75017182": 0.5,
                    "rs56038477": 0.5},
         "description": "2 minus the DPYD activity score; the score is the sum of the two lowest allele "
                        "activity values (each copy of a listed variant carries its CPIC value; other "
                        "alleles count 1)"}},
     {"dpyd_activity_deficit": 1.8}, {},
     [("dpyd_activity_deficit", "cov_capecitabine", 0.4,
       "DPYD deficiency matters more on capecitabine (illustrative)")]),
    ("y_thiopurine_myelosuppression", {"cov_age": 0.01, "cov_egfr": -0.01},
     {"tpmt_no_function_alleles": {
         "kind": "allele_count", "groups": [["rs1800462"], ["rs1800460", "rs1142345"]], "cap": 2,
         "description": "TPMT no-function alleles: *2, and *3A/*3B/*3C counted once per haplotype "
                        "(rs1800460 and rs1142345 together are one *3A allele)"},
      "nudt15_no_function_alleles": {
         "kind": "allele_count", "groups": [["rs116855232"]], "cap": 2,
         "description": "NUDT15 *3 alleles"}},
     {"tpmt_no_function_alleles": 2.0, "nudt15_no_function_alleles": 2.0}, {},
     [("tpmt_no_function_alleles", "nudt15_no_function_alleles", 1.0,
       "TPMT and NUDT15 deficiency compound (illustrative)")]),
    ("y_clopidogrel_failure", {"cov_age": 0.03, "cov_smoking": -0.3, "cov_bmi": 0.04},
     {"cyp2c19_no_function_alleles": {
         "kind": "allele_count", "groups": [["rs4244285"], ["rs4986893"]], "cap": 2,
         "description": "CYP2C19 no-function alleles (*2, *3)"}},
     {"cyp2c19_no_function_alleles": 0.6}, {"rs12248560": -0.1},
     [("cyp2c19_no_function_alleles", "cov_smoking", -0.2,
       "smoking induces CYP1A2/2C19-independent activation (illustrative)")]),
    ("y_warfarin_overanticoagulation", {"cov_age": 0.03, "cov_bmi": -0.04, "cov_amiodarone": 1.0},
     {"cyp2c9_decreased_alleles": {
         "kind": "allele_count", "groups": [["rs1799853"], ["rs1057910"]], "cap": 2,
         "description": "CYP2C9 decreased-function alleles (*2, *3)"}},
     {}, {"rs1799853": 0.5, "rs1057910": 0.9, "rs9923231": 0.8, "rs2108622": -0.2, "rs12777823": 0.2},
     [("cyp2c9_decreased_alleles", "rs9923231", 0.3, "CYP2C9 x VKORC1 sensitivity (illustrative)")]),
    ("y_simvastatin_myopathy", {"cov_age": 0.03, "cov_sex": -0.3, "cov_egfr": -0.015},
     {}, {}, {"rs4149056": 1.5}, []),
    ("y_irinotecan_neutropenia", {"cov_age": 0.02, "cov_sex": -0.2},
     {}, {}, {"rs3064744": 0.8, "rs4148323": 0.8, "rs887829": 0.3},
     [("rs3064744", "rs4148323", 0.4, "UGT1A1 *28/*6 compound heterozygote (illustrative)")]),
    ("y_tacrolimus_underexposure", {"cov_age": -0.02, "cov_bmi": 0.02},
     {"cyp3a5_no_function_alleles": {
         "kind": "allele_count", "groups": [["rs776746"], ["rs10264272"], ["rs41303343"]], "cap": 2,
         "description": "CYP3A5 no-function alleles (*3, *6, *7); two make a non-expresser"}},
     {"cyp3a5_no_function_alleles": -1.2}, {}, []),
    ("y_abacavir_hypersensitivity", {"cov_age": 0.01, "cov_sex": -0.2},
     {"hla_b5701_carrier": {
         "kind": "allele_count", "groups": [["rs2395029"]], "cap": 1,
         "description": "carries the HLA-B*57:01 tag allele (rs2395029 G)"}},
     {"hla_b5701_carrier": 4.0}, {}, []),
)
"""Drug outcomes on the pharmacogenomics panel (effects are per unit of each feature/dosage/covariate)."""


def draw_covariates(rng: np.random.Generator, ancestry: np.ndarray,
                    carrier: np.ndarray) -> dict[str, np.ndarray]:
    """Draw every covariate for ``n`` individuals.

    Parameters
    ----------
    rng
        Seeded generator.
    ancestry
        str, shape (n,): ancestry group per individual (not used by the distributions, which are shared).
    carrier
        bool, shape (n,): carries a high-penetrance breast-cancer variant (raises family history).

    Returns
    -------
    dict
        float64 arrays of shape (n,): age in years (normal 55 +/- 10, 25..85), sex (1 = male, p 0.5),
        family history of breast cancer (p 0.10, 0.35 for carriers), BMI kg/m2 (27 +/- 4.5, 16..50),
        current smoking (p 0.2), LDL mmol/L (3.3 +/- 0.9, 1..8), systolic BP mmHg (130 +/- 15),
        eGFR mL/min/1.73m2 (85 +/- 20, 15..130), amiodarone co-medication (p 0.05), capecitabine
        rather than 5-FU (p 0.5).
    """
    n = ancestry.shape[0]
    return {
        "cov_age": np.clip(rng.normal(55, 10, n), 25, 85).round(0),
        "cov_sex": np.less(rng.random(n), 0.5).astype(np.float64),
        "cov_family_history": np.less(rng.random(n), np.where(carrier, 0.35, 0.10)).astype(np.float64),
        "cov_bmi": np.clip(rng.normal(27, 4.5, n), 16, 50).round(1),
        "cov_smoking": np.less(rng.random(n), 0.2).astype(np.float64),
        "cov_ldl": np.clip(rng.normal(3.3, 0.9, n), 1, 8).round(2),
        "cov_sbp": np.clip(rng.normal(130, 15, n), 85, 220).round(0),
        "cov_egfr": np.clip(rng.normal(85, 20, n), 15, 130).round(0),
        "cov_amiodarone": np.less(rng.random(n), 0.05).astype(np.float64),
        "cov_capecitabine": np.less(rng.random(n), 0.5).astype(np.float64),
    }


def prs77_log_or(panel: Panel) -> dict[str, float]:
    """PGS000001 log-OR per panel effect allele for the 77 PRS77 variants, read from the evidence."""
    out = {}
    for v in panel.variants:
        m = _PRS77.search(v.evidence)
        if m:
            beta, allele = float(m.group(1)), m.group(2)
            if allele not in (v.grch38.effect_allele, v.grch38.other_allele):
                raise CohortError(f"PRS77 allele {allele} of {v.id} is neither panel allele; rebuild the panel.")
            out[v.id] = beta if allele == v.grch38.effect_allele else -beta
    return out


def outcome_models(panels: Mapping[str, Panel]) -> dict[str, Truth]:
    """The true model of every outcome, before its intercept and baseline hazard are set.

    :func:`genolens.modeling.fixed_truth.truth_models` sets them (once, on a reference population); a
    simulated cohort uses that.

    Returns
    -------
    dict
        Outcome column (``y_...``) -> truth entry with ``panel``, ``panel_sha256``,
        ``panel_variant_ids`` (panel order), ``covariates``, ``covariate_effects``,
        ``variant_effects``, ``features``, ``feature_effects``, ``interactions`` (each with its
        centres), ``link`` (``logit``, or ``hazard`` for breast cancer, which also holds
        ``population``, ``follow_up_years``, ``baseline_hazard`` and ``mortality``).
    """
    eur = {v.id: target_frequencies(v)["EUR"] for p in panels.values() for v in p.variants}

    def entry(panel: str, cov: dict[str, float], features: dict[str, Any], feat: dict[str, float],
              var: dict[str, float], inter: list[tuple[str, str, float, str]], *,
              reads: tuple[str, ...] = ()) -> Truth:
        p = panels[panel]

        def centre(name: str) -> float:  # variants: the European mean dosage; covariates, features: none
            return round(2 * eur[name], 6) if name in eur and name not in features else 0.0

        return {"panel": panel, "panel_sha256": p.sha256, "panel_inputs_sha256": p.inputs_sha256,
                "panel_variant_ids": [v.id for v in p.variants],
                "link": "logit", "intercept": 0.0, "covariates": sorted({*cov, *reads}),
                "covariate_effects": dict(cov), "variant_effects": dict(var), "features": copy.deepcopy(features),
                "feature_effects": dict(feat),
                "interactions": [{"a": a, "b": b, "beta": beta, "centre_a": centre(a), "centre_b": centre(b),
                                  "description": d} for a, b, beta, d in inter]}

    bc = {**prs77_log_or(panels["breast_cancer"]), **HIGH_PENETRANCE_LOG_OR}
    cad = {v.id: v.log_or for v in panels["coronary_artery_disease"].variants if v.log_or is not None}
    t2d = {v.id: v.log_or for v in panels["type_2_diabetes"].variants if v.log_or is not None}
    breast = entry(
        "breast_cancer", {"cov_family_history": round(FAMILY_HISTORY_LOG_RR, 6)}, {}, {"breast_age_logit": 1.0}, bc,
        [("rs80359550", "rs2981579", 0.3, "FGFR2 risk allele raises risk further in BRCA2 carriers "
          f"({ILLUSTRATIVE})"),
         ("rs2981579", "rs3803662", 0.7, f"FGFR2 x TOX3 ({ILLUSTRATIVE})"),
         ("rs889312", "rs13387042", 0.6, f"MAP3K1 x 2q35 ({ILLUSTRATIVE})")], reads=("cov_age",))
    breast.update({"link": "hazard", "follow_up_years": FOLLOW_UP_YEARS,
                   "population": {"cov_sex": 0.0, "words": "women"},
                   "high_penetrance_source": HIGH_PENETRANCE_CITATION,
                   "family_history_source": "Collaborative Group on Hormonal Factors in Breast Cancer, "
                                            "Lancet 2001;358:1389-1399 (RR 1.80, one affected first-degree relative)"})
    models = {
        "y_breast_cancer": breast,
        "y_coronary_artery_disease": entry(
            "coronary_artery_disease", {"cov_age": 0.06, "cov_sex": 0.7, "cov_smoking": 0.6, "cov_ldl": 0.35,
                                        "cov_sbp": 0.015, "cov_bmi": 0.03}, {}, {}, cad,
            [("rs4977574", "rs3184504", 0.5, f"9p21 x SH2B3 ({ILLUSTRATIVE})"),
             ("rs1746048", "rs2107595", 0.6, f"CXCL12 x HDAC9 ({ILLUSTRATIVE})"),
             ("rs4977574", "rs10455872", 0.2, f"9p21 x LPA ({ILLUSTRATIVE})")]),
        "y_type_2_diabetes": entry(
            "type_2_diabetes", {"cov_age": 0.04, "cov_bmi": 0.12, "cov_sex": 0.2}, {}, {}, t2d,
            [("rs7903146", "rs8050136", 0.6, f"TCF7L2 x FTO ({ILLUSTRATIVE})"),
             ("rs10946398", "rs4402960", 0.5, f"CDKAL1 x IGF2BP2 ({ILLUSTRATIVE})")]),
    }
    for name, cov, features, feat, var, inter in DRUG_MODELS:
        models[name] = entry("pharmacogenomics", cov, features, feat, var, inter)
    for name, truth in models.items():
        ids = set(truth["panel_variant_ids"])
        named = set(truth["variant_effects"]) | {i for f in truth["features"].values() for i in _feature_ids(f)
                                                 if not i.startswith("cov_")}
        if named - ids:
            raise CohortError(f"{name}: variants {sorted(named - ids)} are not in panel {truth['panel']}.")
    for truth in models.values():
        _solve_main_effects(truth, eur)
    return models


def _solve_main_effects(truth: Truth, eur: Mapping[str, float]) -> None:
    """Main effects of interacting variants such that each one's marginal per-allele log-OR is the published one.

    Centring removes an interaction's average effect but not its curvature: averaged over the partner's
    genotypes, ``exp(beta (a - c_a)(b - c_b))`` still bends the marginal risk of ``a``. For each connected
    set of interacting variants (three at most here) every genotype combination is enumerated in
    Hardy-Weinberg at the European frequencies, the marginal log relative risk of each variant's genotype
    is ``log E[exp(lp) | g]`` (the rare-disease form) and its per-allele slope (weighted by genotype
    frequency) is brought to the published log-OR by adjusting the variant's own main effect. The
    published values stay in ``published_log_or``; ``variant_effects`` holds the solved ones.
    """
    var = truth["variant_effects"]
    terms = [t for t in truth["interactions"] if t["a"] in var and t["b"] in var]
    if not terms:
        return
    published = {i: float(var[i]) for t in terms for i in (t["a"], t["b"])}
    groups: list[set[str]] = []
    for t in terms:
        joined = [g for g in groups if t["a"] in g or t["b"] in g]
        merged = {t["a"], t["b"]}.union(*joined)
        groups = [g for g in groups if g not in joined] + [merged]
    for group in groups:
        members = sorted(group)
        k = len(members)
        grid = np.array(list(itertools.product(range(3), repeat=k)), dtype=np.float64)  # (3^k, k)
        freq = np.array([eur[m] for m in members])
        hwe = np.stack([(1 - freq) ** 2, 2 * freq * (1 - freq), freq ** 2], axis=1)  # (k, 3)
        prob = np.prod(hwe[np.arange(k), grid.astype(np.int64)], axis=1)  # (3^k,)
        inter = np.zeros(len(grid))
        for t in terms:
            if t["a"] in group:
                ia, ib = members.index(t["a"]), members.index(t["b"])
                inter += float(t["beta"]) * (grid[:, ia] - t["centre_a"]) * (grid[:, ib] - t["centre_b"])
        main = np.array([published[m] for m in members])
        for _ in range(200):
            risk = np.exp(grid @ main + inter)
            slopes = np.empty(k)
            for j in range(k):
                levels = np.array([np.log((prob * risk)[grid[:, j] == g].sum() / prob[grid[:, j] == g].sum())
                                   for g in range(3)])
                w = hwe[j]
                mean_g = float(w @ np.arange(3))
                slopes[j] = float(w @ ((np.arange(3) - mean_g) * levels)) / float(w @ (np.arange(3) - mean_g) ** 2)
            delta = np.array([published[m] for m in members]) - slopes
            main = main + delta
            if float(np.max(np.abs(delta))) < 1e-12:
                break
        for m, beta in zip(members, main, strict=True):
            var[m] = round(float(beta), 6)
    truth["published_log_or"] = {i: round(v, 6) for i, v in sorted(published.items())}


def _feature_ids(feature: Mapping[str, Any]) -> list[str]:
    if feature["kind"] == "age_table":
        return [str(feature["input"])]
    if feature["kind"] == "activity_deficit":
        return list(feature["values"])
    return [i for g in feature["groups"] for i in g]


def feature_values(feature: Mapping[str, Any], dosage: Mapping[str, np.ndarray]) -> np.ndarray:
    """A derived feature (``activity_deficit``, ``allele_count``, ``age_table``) from its inputs, shape (n,)."""
    if feature["kind"] == "age_table":  # a value per whole year of age, clipped to the table's ages
        values = np.asarray(feature["values"], dtype=np.float64)
        age = np.floor(np.asarray(dosage[str(feature["input"])], dtype=np.float64)).astype(np.int64)
        return np.asarray(values[np.clip(age - int(feature["first_age"]), 0, len(values) - 1)], dtype=np.float64)
    if feature["kind"] == "allele_count":
        total = np.zeros(next(iter(dosage.values())).shape[0])
        for group in feature["groups"]:
            total += np.max(np.stack([dosage[i] for i in group]), axis=0)
        return np.minimum(total, float(feature["cap"]))
    if feature["kind"] == "activity_deficit":
        ploidy, normal = int(feature["ploidy"]), float(feature["normal_value"])
        # Per individual, the activity values of its alleles: listed variants first, normal alleles fill up.
        n = next(iter(dosage.values())).shape[0]
        slots = [np.full(n, normal)] * ploidy
        for vid, value in feature["values"].items():
            d = np.rint(dosage[vid]).astype(np.int64)
            for k in range(ploidy):
                slots = [*slots, np.where(d > k, float(value), normal)]
        lowest: np.ndarray = np.sort(np.stack(slots, axis=1), axis=1)[:, :ploidy].sum(axis=1)
        return np.asarray(ploidy * normal - lowest, dtype=np.float64)
    raise CohortError(f"Feature kind {feature['kind']!r} unknown. Choose from: activity_deficit, allele_count, "
                      "age_table.")


def oracle_logit(truth_outcome: Mapping[str, Any], X_panel: np.ndarray,
                 covariates: Mapping[str, np.ndarray]) -> np.ndarray:
    """Recompute the true logit of one outcome from dosages and covariates.

    Parameters
    ----------
    truth_outcome
        One entry of ``truth.json``.
    X_panel
        float, shape (n, n_variants): effect-allele dosages in the order of ``panel_variant_ids``.
    covariates
        ``cov_<name>`` -> float array of shape (n,); must hold every name in ``covariates``.

    Returns
    -------
    numpy.ndarray
        float64, shape (n,): intercept + covariate, variant, feature and interaction terms.

    Raises
    ------
    GenoLensError
        When ``X_panel`` has the wrong number of columns or a covariate is missing.
    """
    ids = list(truth_outcome["panel_variant_ids"])
    X = np.asarray(X_panel)
    if X.ndim != 2 or X.shape[1] != len(ids):
        raise CohortError(f"X_panel has shape {X.shape}; expected (n, {len(ids)}) in panel "
                            f"{truth_outcome['panel']!r} order.")
    missing = [c for c in truth_outcome["covariates"] if c not in covariates]
    if missing:
        raise CohortError(f"Covariates {', '.join(missing)} are missing; the oracle needs them.")
    index = {vid: j for j, vid in enumerate(ids)}

    def value(name: str) -> np.ndarray:
        if name in covariates:
            return np.asarray(covariates[name], dtype=np.float64)
        if name in truth_outcome["features"]:
            feature = truth_outcome["features"][name]
            return feature_values(feature, {i: value(i) for i in _feature_ids(feature)})
        if name in index:  # one column at a time: the panel matrix may be large and narrow-typed
            return np.asarray(X[:, index[name]], dtype=np.float64)
        raise CohortError(f"Term {name!r} is neither a covariate, a feature nor a variant of the panel.")

    logit = np.full(X.shape[0], float(truth_outcome["intercept"]))
    for table in ("covariate_effects", "variant_effects", "feature_effects"):
        for name, beta in truth_outcome[table].items():
            logit += float(beta) * value(name)
    for term in truth_outcome["interactions"]:
        logit += (float(term["beta"]) * (value(term["a"]) - float(term.get("centre_a", 0.0)))
                  * (value(term["b"]) - float(term.get("centre_b", 0.0))))
    return logit


def fit_intercept(logit_without: np.ndarray, prevalence: float) -> float:
    """The intercept that makes the mean probability equal ``prevalence`` (bisection, to 1e-6)."""
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(np.mean(sigmoid(mid + logit_without))) < prevalence:
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2, 6)



SIMULATED_HORIZON = ("none: a simulated case status (ever affected in the simulated cohort), not a risk "
                     "over a stated number of years")
"""The time horizon of every simulated outcome, in words."""

OUTCOME_WORDS: dict[str, dict[str, str]] = {
    "y_breast_cancer": {"outcome": "a breast-cancer diagnosis",
                        "horizon": f"within {FOLLOW_UP_YEARS} years of the current age, in women free of breast "
                                   "cancer at that age (simulated from US incidence and mortality)"},
    "y_coronary_artery_disease": {"outcome": "coronary artery disease"},
    "y_type_2_diabetes": {"outcome": "type 2 diabetes"},
    "y_fluoropyrimidine_toxicity": {"outcome": "severe (grade 3 or worse) fluoropyrimidine toxicity",
                                    "horizon": "during fluoropyrimidine treatment (simulated)"},
    "y_thiopurine_myelosuppression": {"outcome": "thiopurine-induced myelosuppression",
                                      "horizon": "during thiopurine treatment (simulated)"},
    "y_clopidogrel_failure": {"outcome": "clopidogrel treatment failure (a major adverse cardiovascular event)",
                              "horizon": "on clopidogrel after stenting (simulated)"},
    "y_warfarin_overanticoagulation": {"outcome": "over-anticoagulation (INR above range) on a standard warfarin "
                                                  "dose", "horizon": "during warfarin initiation (simulated)"},
    "y_simvastatin_myopathy": {"outcome": "simvastatin-associated myopathy",
                               "horizon": "on simvastatin (simulated)"},
    "y_irinotecan_neutropenia": {"outcome": "severe irinotecan-induced neutropenia",
                                 "horizon": "during irinotecan treatment (simulated)"},
    "y_tacrolimus_underexposure": {"outcome": "tacrolimus trough below target on a standard dose",
                                   "horizon": "early after transplant (simulated)"},
    "y_abacavir_hypersensitivity": {"outcome": "abacavir hypersensitivity reaction",
                                    "horizon": "on abacavir (simulated)"},
}
"""Each simulated outcome in words, written to the cards by training (``horizon`` defaults to
:data:`SIMULATED_HORIZON`)."""

COVARIATE_UNITS: dict[str, str] = {
    "cov_age": "years", "cov_sex": "1 = male, 0 = female", "cov_family_history":
    "1 = one or more first-degree relatives with breast cancer, 0 = none", "cov_bmi": "kg/m²",
    "cov_smoking": "1 = current smoker, 0 = not", "cov_ldl": "mmol/L", "cov_sbp": "mmHg",
    "cov_egfr": "mL/min/1.73 m²", "cov_amiodarone": "1 = taking amiodarone, 0 = not",
    "cov_capecitabine": "1 = oral capecitabine, 0 = IV 5-FU",
}
"""Units (or coding) of each simulated covariate, as :func:`draw_covariates` draws them."""


def truth_on_panel(entry: Mapping[str, Any], panel: Panel) -> bool:
    """Whether a truth entry (``truth.json``) was simulated on this panel's inputs: its variants, positions and
    alleles (``Panel.inputs_sha256``), or, for a truth written before that hash, the panel file's bytes."""
    return panel.pinned_by(entry.get("panel_inputs_sha256"), entry.get("panel_sha256"))
