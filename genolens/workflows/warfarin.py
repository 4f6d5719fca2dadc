"""The warfarin dose use case: a patient's stable weekly dose from the IWPC-trained network, explained in mg/week.

:func:`warfarin_dose` reads the CYP2C9 *2 (rs1799853), *3 (rs1057910) and VKORC1 -1639G>A (rs9923231) dosages
from the pharmacogenomics panel, the clinical inputs from :class:`PatientDetails`, and returns the network's
median dose with its 90% interval, the published IWPC pharmacogenetic algorithm's dose on the same inputs, and
a ledger of contributions.

Policy (never a silent default):

- age, height, weight or race not given: **no dose**, and :attr:`WarfarinDose.missing` says which;
- amiodarone or enzyme inducer not given: coded "no", as the IWPC paper codes a missing entry, and flagged;
- a genotype not called (site absent, no-call, filtered, or a dosage that is not 0/1/2): coded "unknown"
  exactly as the IWPC algorithm codes a missing genotype (its own coefficient), and flagged.

The ledger: Integrated Gradients (:func:`genolens.explain.attribute`) of the ensemble's mean dose
(:meth:`DoseEnsemble.forward`, mg/week) against :data:`BASELINE_CAPTION` (stored in the card), per factor
(age, height, weight, VKORC1, CYP2C9, race, enzyme inducer, amiodarone), in float64. Beside each factor, the
IWPC algorithm's exact contribution of the same factor on the same baseline, defined as the **exact Shapley
split** of the two-point difference ``dose(x) - dose(baseline)`` over the eight factors
(:func:`iwpc_contributions`, by enumeration of all 2**8 coalitions). For the algorithm's ``(a + b.x)**2``
(unclipped) this equals ``t_g * (s_x + s_b)``, with ``t_g`` the factor's sqrt-scale term and ``s`` the
linear predictors -- which is also Integrated Gradients on the straight path, so the model's and the
algorithm's columns are the same kind of number. The contributions explain the *mean* of the predictive
distribution; the dose shown is its *median* (the ledger gives both).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genolens.datamodel import Baseline, PatientGenome
from genolens.datamodel.clinical import PatientDetails
from genolens.errors import BundleError, CohortError, OptionError
from genolens.modeling.bundle import MODELS_DIR, dumps_toml
from genolens.modeling.dose_explain import explainable_dose_model, float64_copy
from genolens.modeling.dose_network import DoseEnsemble, load_dose_ensemble, predict_dose
from genolens.modeling.iwpc import DESIGN_NAMES, design_matrix, iwpc_csv, load_iwpc, split_iwpc
from genolens.modeling.warfarin_baselines import IWPC_PHARMACOGENETIC, iwpc_dose

MODEL_NAME = "warfarin_dose"
"""The bundle folder under ``models/``."""
WARFARIN_OUTPUT = "y_warfarin_overanticoagulation"
"""The drug-table row (the simulated treatment-response output) of the drug the dose is for."""
DOSE_DETAILS = ("age", "height", "weight", "race", "amiodarone", "enzyme_inducer")
"""The patient details the dose model reads."""
PANEL = "pharmacogenomics"
"""The panel the genotypes are read from."""
CYP2C9_STAR2, CYP2C9_STAR3, VKORC1_1639 = "rs1799853", "rs1057910", "rs9923231"
"""The three sites (effect alleles on the + strand: T = *2, C = *3, T = -1639A)."""
UNKNOWN = "unknown"
FACTORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Age", ("age_decades",)),
    ("Height", ("height_cm",)),
    ("Weight", ("weight_kg",)),
    ("VKORC1", ("vkorc1_AG", "vkorc1_AA", "vkorc1_unknown")),
    ("CYP2C9", ("cyp2c9_12", "cyp2c9_13", "cyp2c9_22", "cyp2c9_23", "cyp2c9_33", "cyp2c9_unknown")),
    ("Race", ("asian", "black", "race_unknown")),
    ("Enzyme inducer", ("enzyme_inducer",)),
    ("Amiodarone", ("amiodarone",)),
)
"""The ledger's factors and the design-matrix columns of each (every column in exactly one)."""
RACE_COLUMN: Mapping[str, str | None] = {"White": None, "Asian": "asian", "Black or African American": "black",
                                         "other or mixed": "race_unknown"}
"""Patient race -> the IWPC indicator it sets (White is the reference)."""
_CYP2C9_BY_COUNTS: Mapping[tuple[int, int], str] = {
    (0, 0): "*1/*1", (1, 0): "*1/*2", (0, 1): "*1/*3", (2, 0): "*2/*2", (1, 1): "*2/*3", (0, 2): "*3/*3"}
_VKORC1_BY_COUNT: Mapping[int, str] = {0: "G/G", 1: "A/G", 2: "A/A"}
VKORC1_GENOTYPES: tuple[str, ...] = (*_VKORC1_BY_COUNT.values(), UNKNOWN)
"""VKORC1 -1639 genotypes in the IWPC coding (what a what-if may set)."""
CYP2C9_DIPLOTYPES: tuple[str, ...] = (*_CYP2C9_BY_COUNTS.values(), UNKNOWN)
"""CYP2C9 diplotypes in the IWPC coding (what a what-if may set)."""
COMPLETENESS = 0.01
"""The ledger is complete when |residual| <= 1% of |f(x) - f(baseline)| (or 1e-6 mg/week)."""


@dataclass(frozen=True)
class DoseLedgerRow:
    """One factor's contribution to the dose, mg/week, relative to the baseline patient."""

    factor: str
    """``"VKORC1"``, ``"Age"`` ... (:data:`FACTORS`)."""
    model_mg_per_week: float
    """The network's contribution (Integrated Gradients of the mean dose)."""
    iwpc_mg_per_week: float
    """The IWPC algorithm's exact (Shapley) contribution of the same factor on the same baseline."""


@dataclass(frozen=True)
class DoseLedger:
    """Contributions in mg/week from the baseline patient to this patient, for the network and the algorithm."""

    rows: tuple[DoseLedgerRow, ...]
    """One per factor of :data:`FACTORS`, in that order."""
    baseline_caption: str
    """Who the patient is compared with."""
    model_mean_mg_per_week: float
    """The network's mean dose for the patient (what the contributions add up to, with the baseline's)."""
    model_baseline_mg_per_week: float
    """The network's mean dose for the baseline patient."""
    iwpc_mg_per_week: float
    """The algorithm's dose for the patient."""
    iwpc_baseline_mg_per_week: float
    """The algorithm's dose for the baseline patient."""
    residual: float
    """Model change minus the sum of the model's contributions, mg/week."""
    complete: bool
    """True when |residual| <= 1% of the change (:data:`COMPLETENESS`)."""
    completeness: str
    """The completeness check in words."""


@dataclass(frozen=True)
class WarfarinDose:
    """The warfarin dose for one patient; dose fields are ``None`` when :attr:`missing` is not empty."""

    dose_mg_per_week: float | None
    """Median of the network's predictive distribution, mg/week."""
    interval: tuple[float, float] | None
    """5th-95th percentile, mg/week."""
    dose_mg_per_day: float | None
    """``dose_mg_per_week / 7``."""
    iwpc_algorithm_mg_per_week: float | None
    """The published IWPC pharmacogenetic algorithm on the same inputs, mg/week."""
    genotypes: Mapping[str, str]
    """``{"CYP2C9": "*1/*3", "VKORC1": "A/A"}``; ``"unknown"`` when not called."""
    flags: tuple[str, ...]
    """Sentences: what was coded "unknown" or assumed, and why."""
    missing: tuple[str, ...]
    """Why there is no dose: one sentence per required detail not given; ``()`` when there is a dose."""
    ledger: DoseLedger | None
    """The explanation; ``None`` without a dose or when not asked for."""
    inputs: Mapping[str, float] | None
    """The model's inputs (IWPC coding), ``None`` without a dose."""


def newest_bundle(models_dir: Path = MODELS_DIR) -> Path:
    """The newest version folder of ``models/warfarin_dose``.

    Raises
    ------
    BundleError
        When there is none.
    """
    folder = models_dir / MODEL_NAME
    versions = [v for v in folder.iterdir() if (v / "card.toml").is_file()] if folder.is_dir() else []
    if not versions:
        raise BundleError(f"No warfarin dose bundle under {folder}: train it with `python -m genolens train-warfarin`.")
    return max(versions, key=lambda v: tuple(int(x) if x.isdigit() else 0 for x in v.name.split(".")))


def installed_dose_bundle(models_dir: Path = MODELS_DIR) -> Path | None:
    """The newest warfarin dose bundle folder, or ``None`` when none is installed (the report then has no dose
    line)."""
    try:
        return newest_bundle(models_dir)
    except BundleError:
        return None


@dataclass(frozen=True)
class DoseBundle:
    """A loaded warfarin dose bundle: the network (float64 copy for explaining), the card and the baseline."""

    model: DoseEnsemble
    card: Mapping[str, Any]
    baseline: np.ndarray
    caption: str


@functools.lru_cache(maxsize=4)
def load_dose_bundle(bundle_dir: Path) -> DoseBundle:
    """Load and check a dose bundle folder (cached by path; never mutated).

    Raises
    ------
    BundleError
        When the card is unreadable, is not a dose card, or lacks the explanation baseline or the inputs.
    """
    try:
        card = tomllib.loads((bundle_dir / "card.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BundleError(f"Cannot read the warfarin card in {bundle_dir}: {exc}.") from None
    if card.get("bundle", {}).get("kind") != "dose":
        raise BundleError(f"{bundle_dir} is not a dose bundle (card kind {card.get('bundle', {}).get('kind')!r}).")
    if tuple(card.get("inputs", {}).get("names", ())) != DESIGN_NAMES:
        raise BundleError(f"{bundle_dir}: the card's inputs are not the IWPC coding GenoLens reads.")
    base = card.get("explain", {}).get("baseline", {})
    if tuple(base.get("names", ())) != DESIGN_NAMES or len(base.get("values", ())) != len(DESIGN_NAMES):
        raise BundleError(f"{bundle_dir}: the card has no [explain.baseline] for the IWPC inputs; retrain it.")
    model = float64_copy(load_dose_ensemble(bundle_dir / "weights.pt"))
    return DoseBundle(model, card, np.asarray(base["values"], dtype=np.float64), str(base.get("caption", "")))


def _site_dosage(patient: PatientGenome, rsid: str) -> tuple[int | None, str]:
    """The effect-allele count at ``rsid`` (0/1/2) and, when there is none, why."""
    site = next((s for r in patient.panels if r.panel == PANEL for s in r.sites if s.rsid == rsid), None)
    if site is None:
        return None, f"{rsid} was not read (the {PANEL} panel was not matched)"
    dosage = site.dosage
    if site.status == "absent" and patient.absent_policy == "reference":
        return 0, ""  # declared a whole-genome call set: absent is hom-ref (the effect allele is never the REF)
    if dosage is None or site.status not in ("called", "reference_block"):
        return None, f"{rsid} {site.status.replace('_', '-')}"
    count = round(dosage)
    if abs(dosage - count) > 1e-6 or not 0 <= count <= 2:
        return None, f"{rsid} dosage {dosage:g} is not a whole 0/1/2 count"
    return int(count), ""


def cyp2c9_diplotype(star2: int | None, star3: int | None) -> str:
    """CYP2C9 diplotype from the *2 and *3 allele counts: ``"*1/*1"`` ... ``"*3/*3"``; one of each is ``"*2/*3"``;
    ``"unknown"`` when either count is missing or the two add to more than 2."""
    if star2 is None or star3 is None:
        return UNKNOWN
    return _CYP2C9_BY_COUNTS.get((star2, star3), UNKNOWN)


def vkorc1_genotype(a_count: int | None) -> str:
    """VKORC1 -1639 genotype from the count of A (rs9923231 T): ``"G/G"``, ``"A/G"``, ``"A/A"`` or ``"unknown"``."""
    return UNKNOWN if a_count is None else _VKORC1_BY_COUNT.get(a_count, UNKNOWN)


def patient_genotypes(patient: PatientGenome) -> tuple[dict[str, str], list[str]]:
    """The patient's CYP2C9 and VKORC1 genotypes in the IWPC coding, and a flag per genotype coded unknown."""
    s2, why2 = _site_dosage(patient, CYP2C9_STAR2)
    s3, why3 = _site_dosage(patient, CYP2C9_STAR3)
    a, why_a = _site_dosage(patient, VKORC1_1639)
    genotypes = {"CYP2C9": cyp2c9_diplotype(s2, s3), "VKORC1": vkorc1_genotype(a)}
    flags = []
    if genotypes["CYP2C9"] == UNKNOWN:
        why = "; ".join(w for w in (why2, why3) if w) or "*2 and *3 counts add to more than two copies"
        flags.append(f"CYP2C9 coded unknown ({why}): the IWPC algorithm's 'unknown' term is used, as for a "
                     "patient not genotyped.")
    if genotypes["VKORC1"] == UNKNOWN:
        flags.append(f"VKORC1 coded unknown ({why_a}): the IWPC algorithm's 'unknown' term is used, as for a "
                     "patient not genotyped.")
    return genotypes, flags


def design_row(*, age_years: float, height_cm: float, weight_kg: float, race: str, cyp2c9: str, vkorc1: str,
               enzyme_inducer: bool, amiodarone: bool) -> np.ndarray:
    """One patient's inputs in the IWPC coding, shape (17,), columns :data:`DESIGN_NAMES`.

    Age is in decades as the IWPC bins code it (``floor(age / 10)``, 9 for 90 or more).

    Raises
    ------
    CohortError
        On a race, diplotype or genotype outside the IWPC coding.
    """
    if race not in RACE_COLUMN or cyp2c9 not in (*_CYP2C9_BY_COUNTS.values(), UNKNOWN) \
            or vkorc1 not in (*_VKORC1_BY_COUNT.values(), UNKNOWN):
        raise CohortError(f"warfarin inputs outside the IWPC coding: race {race!r}, CYP2C9 {cyp2c9!r}, "
                          f"VKORC1 {vkorc1!r}.")
    x = dict.fromkeys(DESIGN_NAMES, 0.0)
    x.update(age_decades=float(min(math.floor(age_years / 10), 9)), height_cm=float(height_cm),
             weight_kg=float(weight_kg), enzyme_inducer=float(enzyme_inducer), amiodarone=float(amiodarone))
    column = RACE_COLUMN[race]
    if column:
        x[column] = 1.0
    vk = {"A/G": "vkorc1_AG", "A/A": "vkorc1_AA", UNKNOWN: "vkorc1_unknown"}.get(vkorc1)
    if vk:
        x[vk] = 1.0
    cy = {"*1/*2": "cyp2c9_12", "*1/*3": "cyp2c9_13", "*2/*2": "cyp2c9_22", "*2/*3": "cyp2c9_23",
          "*3/*3": "cyp2c9_33", UNKNOWN: "cyp2c9_unknown"}.get(cyp2c9)
    if cy:
        x[cy] = 1.0
    return np.array([x[n] for n in DESIGN_NAMES], dtype=np.float64)


def factor_mask() -> np.ndarray:
    """Group id (index into :data:`FACTORS`) of each column of :data:`DESIGN_NAMES`."""
    group = {col: g for g, (_, cols) in enumerate(FACTORS) for col in cols}
    return np.array([group[n] for n in DESIGN_NAMES], dtype=np.int64)


def iwpc_contributions(X: np.ndarray, baseline: np.ndarray,
                       coefficients: Mapping[str, float] = IWPC_PHARMACOGENETIC) -> np.ndarray:
    """The algorithm's exact Shapley split of ``dose(x) - dose(baseline)`` over :data:`FACTORS`, mg/week.

    A coalition's value is the algorithm's dose with that coalition's columns at the patient's values and the
    others at the baseline's (clipping at 0 included); all ``2**8`` coalitions are enumerated.

    Parameters
    ----------
    X : np.ndarray
        shape (n, 17) or (17,), columns :data:`DESIGN_NAMES`.
    baseline : np.ndarray
        shape (17,).
    coefficients : Mapping[str, float]
        A sqrt-scale linear algorithm (default: the IWPC pharmacogenetic one).

    Returns
    -------
    np.ndarray
        shape (n, 8) (or (8,) for one patient); each row adds up to ``dose(x) - dose(baseline)`` exactly.
    """
    x = np.atleast_2d(np.asarray(X, dtype=np.float64))
    b = np.asarray(baseline, dtype=np.float64)
    mask = factor_mask()
    k = len(FACTORS)
    value: dict[tuple[int, ...], np.ndarray] = {}
    for size in range(k + 1):
        for coalition in itertools.combinations(range(k), size):
            mixed = np.where(np.isin(mask, coalition)[None, :], x, b[None, :])
            value[coalition] = iwpc_dose(mixed, DESIGN_NAMES, coefficients)
    phi = np.zeros((x.shape[0], k))
    for g in range(k):
        others = [h for h in range(k) if h != g]
        for size in range(k):
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for coalition in itertools.combinations(others, size):
                with_g = tuple(sorted((*coalition, g)))
                phi[:, g] += weight * (value[with_g] - value[coalition])
    return phi[0] if np.asarray(X).ndim == 1 else phi


def _ig(bundle: DoseBundle, x: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Integrated Gradients of the mean dose per factor: values (8,), residual, f(x), f(baseline)."""
    from genolens.explain.attribution import attribute  # Captum: only when a ledger is asked for

    base = Baseline(kind="population_average", values=bundle.baseline, samples=None, caption=bundle.caption)
    a = attribute(explainable_dose_model(bundle.model), x, baseline=base, target=0, feature_mask=factor_mask(),
                  group_names=[f for f, _ in FACTORS])
    return np.asarray(a.values, dtype=np.float64), float(a.residual), a.prediction_logit, a.baseline_logit


def dose_ledger(bundle: DoseBundle, x: np.ndarray) -> DoseLedger:
    """The ledger of one patient's inputs ``x`` (shape (17,)) against the bundle's baseline."""
    values, residual, f_x, f_b = _ig(bundle, x)
    algo = iwpc_contributions(x, bundle.baseline)
    d_x = float(iwpc_dose(x[None], DESIGN_NAMES, IWPC_PHARMACOGENETIC)[0])
    d_b = float(iwpc_dose(bundle.baseline[None], DESIGN_NAMES, IWPC_PHARMACOGENETIC)[0])
    change = f_x - f_b
    complete = abs(residual) <= max(COMPLETENESS * abs(change), 1e-6)
    words = (f"Contributions add up to the change in mean dose ({change:+.2f} mg/week) "
             f"{'within' if complete else 'NOT within'} 1%: residual {residual:+.2e} mg/week.")
    rows = tuple(DoseLedgerRow(name, float(m), float(a)) for (name, _), m, a in zip(FACTORS, values, algo, strict=True))
    return DoseLedger(rows, bundle.caption, f_x, f_b, d_x, d_b, residual, complete, words)


def _required(details: PatientDetails, on: dt.date | None) -> tuple[dict[str, Any], list[str]]:
    age = details.age_on(on)
    got: dict[str, Any] = {"age": age, "height": details.values.get("height"),
                           "weight": details.values.get("weight"), "race": details.race}
    words = {"age": "age not given (enter the age or the date of birth)", "height": "height not given (cm)",
             "weight": "weight not given (kg)", "race": "race not given (White, Asian, Black or African American, "
                                                        "or other or mixed)"}
    missing = [f"{words[k]}: the IWPC dose model needs it and makes no dose without it"
               for k, v in got.items() if v is None]
    return got, missing


def warfarin_dose(patient: PatientGenome, details: PatientDetails, *, on: dt.date | None,
                  bundle_dir: Path | None = None, explain: bool = True,
                  what_if: Mapping[str, str] | None = None) -> WarfarinDose:
    """The stable weekly warfarin dose for one patient, beside the IWPC algorithm's, explained.

    Parameters
    ----------
    patient : PatientGenome
        Read with the pharmacogenomics panel.
    details : PatientDetails
        Age (or date of birth), height, weight and race are required; amiodarone and enzyme inducer are
        "no" when not given (flagged).
    on : datetime.date or None
        The day the age is taken on (for a date of birth).
    bundle_dir : Path, optional
        The bundle folder (default: the newest ``models/warfarin_dose/<version>``).
    explain : bool
        Compute the ledger (Integrated Gradients); ``False`` for the dose alone.
    what_if : Mapping[str, str], optional
        The what-if use case: genotypes to use instead of those read, ``{"VKORC1": "A/A", "CYP2C9": "*1/*3"}``
        (values of :data:`VKORC1_GENOTYPES` / :data:`CYP2C9_DIPLOTYPES`). The file is not changed; each
        change is flagged ("what-if: VKORC1 set to A/A; read from the file: G/G").

    Returns
    -------
    WarfarinDose

    Raises
    ------
    BundleError
        When the bundle is missing or malformed.
    OptionError
        When a what-if gene or genotype is outside the IWPC coding.
    """
    bundle = load_dose_bundle((bundle_dir or newest_bundle()).resolve())
    genotypes, flags = patient_genotypes(patient)
    for gene, value in (what_if or {}).items():
        allowed = {"VKORC1": VKORC1_GENOTYPES, "CYP2C9": CYP2C9_DIPLOTYPES}.get(gene)
        if allowed is None or value not in allowed:
            raise OptionError(f"what-if {gene} {value!r}: choose VKORC1 from {', '.join(VKORC1_GENOTYPES)} or "
                              f"CYP2C9 from {', '.join(CYP2C9_DIPLOTYPES)}.")
        if value != genotypes[gene]:
            flags.append(f"what-if: {gene} set to {value}; read from the file: {genotypes[gene]}.")
            genotypes[gene] = value
    got, missing = _required(details, on)
    for name, word in (("amiodarone", "amiodarone"), ("enzyme_inducer", "enzyme inducer")):
        if name not in details.values:
            flags.append(f"{word} not given: coded as not taking it (as the IWPC data code a missing entry).")
    if missing:
        return WarfarinDose(None, None, None, None, genotypes, tuple(flags), tuple(missing), None, None)
    x = design_row(age_years=got["age"], height_cm=got["height"], weight_kg=got["weight"], race=got["race"],
                   cyp2c9=genotypes["CYP2C9"], vkorc1=genotypes["VKORC1"],
                   enzyme_inducer=bool(details.values.get("enzyme_inducer", 0.0)),
                   amiodarone=bool(details.values.get("amiodarone", 0.0)))
    pred = predict_dose(bundle.model, x[None])
    median = float(pred.median[0])
    algo = float(iwpc_dose(x[None], DESIGN_NAMES, IWPC_PHARMACOGENETIC)[0])
    ledger = dose_ledger(bundle, x) if explain else None
    return WarfarinDose(median, (float(pred.lo[0]), float(pred.hi[0])), median / 7.0, algo, genotypes, tuple(flags),
                        (), ledger, dict(zip(DESIGN_NAMES, x.tolist(), strict=True)))


def dose_json(d: WarfarinDose) -> dict[str, Any]:
    """The CLI's ``predict --model warfarin_dose --json`` object (keys documented in the CLI help)."""
    return {"dose_mg_per_week": d.dose_mg_per_week, "dose_mg_per_day": d.dose_mg_per_day,
            "interval_mg_per_week": list(d.interval) if d.interval else None,
            "iwpc_algorithm_mg_per_week": d.iwpc_algorithm_mg_per_week, "genotypes": dict(d.genotypes),
            "flags": list(d.flags), "missing": list(d.missing)}


def ledger_json(d: WarfarinDose) -> dict[str, Any]:
    """The CLI's ``explain --model warfarin_dose --json`` object: the dose, the ledger rows and the residual."""
    led = d.ledger
    out: dict[str, Any] = {**dose_json(d), "ledger": None}
    if led is not None:
        out["ledger"] = {
            "baseline": led.baseline_caption, "model_mean_mg_per_week": led.model_mean_mg_per_week,
            "model_baseline_mg_per_week": led.model_baseline_mg_per_week,
            "iwpc_algorithm_mg_per_week": led.iwpc_mg_per_week,
            "iwpc_algorithm_baseline_mg_per_week": led.iwpc_baseline_mg_per_week,
            "rows": [{"factor": r.factor, "model_mg_per_week": r.model_mg_per_week,
                      "iwpc_algorithm_mg_per_week": r.iwpc_mg_per_week} for r in led.rows],
            "completeness_residual_mg_per_week": led.residual, "complete": led.complete,
            "completeness": led.completeness}
    return out


def concordance(X: np.ndarray, *, bundle_dir: Path | None = None,
                factors: Sequence[str] = ("VKORC1", "CYP2C9")) -> dict[str, Any]:
    """Agreement of the network's and the algorithm's per-factor contributions over patients ``X``.

    Parameters
    ----------
    X : np.ndarray
        shape (n, 17), e.g. the held-out IWPC patients (``design_matrix(cohort)[0][validation]``).
    bundle_dir : Path, optional
        The bundle (default: the newest).
    factors : sequence of str
        Factors of :data:`FACTORS` to compare.

    Returns
    -------
    dict
        Per factor: ``pearson_r``, ``mean_model``, ``mean_iwpc`` (mg/week); and ``max_relative_residual`` and
        ``n`` over the patients.
    """
    bundle = load_dose_bundle((bundle_dir or newest_bundle()).resolve())
    names = [f for f, _ in FACTORS]
    idx = [names.index(f) for f in factors]
    model = np.empty((len(X), len(FACTORS)))
    worst = 0.0
    for i, row in enumerate(np.asarray(X, dtype=np.float64)):
        values, residual, f_x, f_b = _ig(bundle, row)
        model[i] = values
        worst = max(worst, abs(residual) / max(abs(f_x - f_b), 1e-12))
    algo = iwpc_contributions(X, bundle.baseline)
    out: dict[str, Any] = {"n": len(X), "max_relative_residual": worst}
    for f, j in zip(factors, idx, strict=True):
        r = float(np.corrcoef(model[:, j], algo[:, j])[0, 1])
        out[f] = {"pearson_r": r, "mean_model": float(model[:, j].mean()), "mean_iwpc": float(algo[:, j].mean())}
    return out



CONCORDANCE_FACTORS: tuple[str, ...] = ("VKORC1", "CYP2C9")
"""The genetic factors whose contributions the card's ``[concordance]`` table compares with the algorithm's."""


def held_out_inputs(card: Mapping[str, Any], *, csv: Path | None = None) -> np.ndarray:
    """The inputs of the held-out (validation) patients of a dose card's own split, read from the IWPC CSV.

    Parameters
    ----------
    card : Mapping
        A dose card (its ``bundle.seed`` and ``training.n_validation`` are used).
    csv : Path, optional
        The IWPC CSV (default: ``../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv``).

    Returns
    -------
    np.ndarray
        shape (n_validation, 17), columns :data:`DESIGN_NAMES`.

    Raises
    ------
    CohortError
        When the IWPC data set is not found.
    BundleError
        When the split of the card's seed does not give the card's number of held-out patients.
    """
    path = csv or iwpc_csv()
    if path is None or not Path(path).is_file():
        raise CohortError("The IWPC warfarin data set was not found at ../shared/datasets/iwpc_warfarin/"
                          "iwpc_warfarin.csv; the held-out patients are read from it.")
    cohort = load_iwpc(Path(path))
    _, validation = split_iwpc(cohort, seed=int(card["bundle"]["seed"]))
    expected = card.get("training", {}).get("n_validation")
    if int(validation.sum()) != expected:
        raise BundleError(f"The split of seed {card['bundle']['seed']} holds out {int(validation.sum())} patients "
                          f"but the card says {expected}: this card was not made from this data set.")
    X, _ = design_matrix(cohort)
    held_out: np.ndarray = X[validation]
    return held_out


def concordance_section(result: Mapping[str, Any], *, caption: str, seed: int) -> dict[str, Any]:
    """The card's ``[concordance]`` table from a :func:`concordance` result over the held-out patients."""
    n = int(result["n"])
    section: dict[str, Any] = {
        "description": f"Per held-out patient, the network's Integrated Gradients contribution of "
                       f"{' and of '.join(CONCORDANCE_FACTORS)} to the mean dose (mg/week) beside the IWPC "
                       "pharmacogenetic algorithm's exact Shapley contribution of the same factor, both from "
                       "the same baseline patient; Pearson r over the patients.",
        "patients": f"the {n:,} held-out (validation) patients of the bundle's own split (seed {seed})",
        "baseline": caption, "n": n,
        "max_relative_completeness_residual": float(result["max_relative_residual"])}
    for factor in CONCORDANCE_FACTORS:
        r = result[factor]
        section[factor] = {"pearson_r": float(r["pearson_r"]), "mean_model_mg_per_week": float(r["mean_model"]),
                           "mean_iwpc_mg_per_week": float(r["mean_iwpc"]), "n": n}
    return section


def write_concordance(bundle_dir: Path, *, csv: Path | None = None) -> dict[str, Any]:
    """Compute the concordance over the bundle's held-out patients and write it into its card as
    ``[concordance]`` (the rest of the card is left as it is).

    Parameters
    ----------
    bundle_dir : Path
        A dose bundle folder (``card.toml`` and ``weights.pt``).
    csv : Path, optional
        The IWPC CSV (default: the one under ``../shared``).

    Returns
    -------
    dict
        The ``[concordance]`` table written (:func:`concordance_section`).

    Raises
    ------
    CohortError
        When the IWPC data set is not found.
    BundleError
        When the bundle is not a readable dose bundle, or its split does not match the data.
    """
    folder = bundle_dir.resolve()
    bundle = load_dose_bundle(folder)
    card = dict(bundle.card)
    result = concordance(held_out_inputs(card, csv=csv), bundle_dir=folder, factors=CONCORDANCE_FACTORS)
    section = concordance_section(result, caption=bundle.caption, seed=int(card["bundle"]["seed"]))
    card["concordance"] = section
    (folder / "card.toml").write_text(dumps_toml(card), encoding="utf-8")
    load_dose_bundle.cache_clear()  # the cached card is now stale
    return section
