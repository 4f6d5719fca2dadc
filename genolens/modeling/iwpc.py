"""The IWPC warfarin data set (PharmGKB release) read into a typed cohort, in the published coding.

The CSV (``../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv``, CC BY-SA 4.0, International Warfarin
Pharmacogenetics Consortium, N Engl J Med 2009;360:753-764) is read from ``../shared`` and never copied.

Coding (IWPC appendix S1e/S4, as PROVENANCE.md records it):

- age in decades: 1 for "10 - 19" ... 8 for "80 - 89", 9 for "90+" (0 for "0 - 9"); NaN when missing.
- race: the OMB column as written ("White", "Asian", "Black or African American"); empty or "Unknown"
  is "Unknown", the algorithm's "missing or mixed race".
- amiodarone and the enzyme inducers (carbamazepine, phenytoin, rifampin/rifampicin): 1 only when the
  column says 1; missing (``NA``) counts as 0, as the paper codes it.
- CYP2C9: the "CYP2C9 consensus" diplotype when it is one of the six *1/*2/*3 diplotypes the algorithm
  has a term for; missing and every other star allele (*5, *6, *11, *13, *14) are "unknown".
- VKORC1: rs9923231 from "VKORC1 -1639 consensus"; when missing, imputed by the appendix S4 ordered
  decision list (first rule that applies wins; :func:`impute_rs9923231`); else "unknown".

Inclusion (:func:`load_iwpc`): a therapeutic dose, complete age, height and weight, and a target INR not
known to lie outside 2-3 (:func:`target_inr_band`: the given target, else the estimated range; a patient
with neither is kept and flagged ``target_inr_2_3 = False``: 723 such patients, mostly from Asian sites).
"Subject Reached Stable Dose" is kept as a flag, not a filter. This release gives 4,193 patients (the paper: 5,052).

The split (:func:`split_iwpc`) mirrors the paper's 80/20 derivation/validation split; the paper
stratified by site, but the site column is absent from this release, so the split is stratified by
race x VKORC1 genotype instead (seeded, deterministic).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genolens.errors import CohortError

RACES: tuple[str, ...] = ("White", "Asian", "Black or African American", "Unknown")
"""The race categories of the cohort; "Unknown" is the algorithm's missing or mixed race."""
CYP2C9_DIPLOTYPES: tuple[str, ...] = ("*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3")
"""The CYP2C9 diplotypes the IWPC algorithm codes; everything else is "unknown"."""
VKORC1_GENOTYPES: tuple[str, ...] = ("G/G", "A/G", "A/A")
"""rs9923231 genotypes (A is the low-dose allele); missing after imputation is "unknown"."""
DESIGN_NAMES: tuple[str, ...] = (
    "age_decades", "height_cm", "weight_kg",
    "vkorc1_AG", "vkorc1_AA", "vkorc1_unknown",
    "cyp2c9_12", "cyp2c9_13", "cyp2c9_22", "cyp2c9_23", "cyp2c9_33", "cyp2c9_unknown",
    "asian", "black", "race_unknown",
    "enzyme_inducer", "amiodarone",
)
"""The columns of :func:`design_matrix`, in order (the IWPC pharmacogenetic coding)."""

COL_ID = "PharmGKB Subject ID"
COL_RACE = "Race"
COL_AGE = "Age"
COL_HEIGHT = "Height (cm)"
COL_WEIGHT = "Weight (kg)"
COL_AMIODARONE = "Amiodarone (Cordarone)"
COL_INDUCERS = ("Carbamazepine (Tegretol)", "Phenytoin (Dilantin)", "Rifampin or Rifampicin")
COL_TARGET = "Target INR"
COL_TARGET_EST = "Estimated Target INR Range Based on Indication"
COL_STABLE = "Subject Reached Stable Dose of Warfarin"
COL_DOSE = "Therapeutic Dose of Warfarin"
COL_CYP2C9 = "CYP2C9 consensus"
COL_VKORC1 = "VKORC1 -1639 consensus"
COL_RS2359612 = "VKORC1 2255 consensus"
COL_RS9934438 = "VKORC1 1173 consensus"
COL_RS8050894 = "VKORC1 1542 consensus"
_REQUIRED = (COL_ID, COL_RACE, COL_AGE, COL_HEIGHT, COL_WEIGHT, COL_AMIODARONE, *COL_INDUCERS, COL_TARGET,
             COL_TARGET_EST, COL_STABLE, COL_DOSE, COL_CYP2C9, COL_VKORC1, COL_RS2359612, COL_RS9934438,
             COL_RS8050894)

# Appendix S4, in order: (SNP column, genotype there, imputed rs9923231, needs a race other than
# Black or African American / missing or mixed). The first rule that applies wins.
_IMPUTATION: tuple[tuple[str, str, str, bool], ...] = (
    (COL_RS2359612, "C/C", "G/G", True),
    (COL_RS2359612, "T/T", "A/A", True),
    (COL_RS2359612, "C/T", "A/G", True),
    (COL_RS9934438, "C/C", "G/G", False),
    (COL_RS9934438, "T/T", "A/A", False),
    (COL_RS9934438, "C/T", "A/G", False),
    (COL_RS8050894, "G/G", "G/G", True),
    (COL_RS8050894, "C/C", "A/A", True),
    (COL_RS8050894, "C/G", "A/G", True),
)


def iwpc_csv() -> Path | None:
    """The IWPC CSV under ``../shared`` (next to the repository root), or None when it is absent.

    Returns
    -------
    Path | None
        ``<root>/../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv`` when that file exists.
    """
    root = Path(__file__).resolve().parents[2]
    path = root.parent / "shared" / "datasets" / "iwpc_warfarin" / "iwpc_warfarin.csv"
    return path if path.is_file() else None


@dataclass(frozen=True)
class WarfarinCohort:
    """The IWPC patients kept, one entry per patient in every array (same order as the CSV)."""

    ids: np.ndarray
    """PharmGKB subject IDs (str)."""
    age_decades: np.ndarray
    """Age in decades, float: 1 for 10-19 ... 9 for 90+; NaN when missing."""
    height_cm: np.ndarray
    """Height in cm, float; NaN when missing."""
    weight_kg: np.ndarray
    """Weight in kg, float; NaN when missing."""
    race: np.ndarray
    """One of :data:`RACES` (str)."""
    amiodarone: np.ndarray
    """1 when taking amiodarone, else 0 (missing counts as 0), int."""
    enzyme_inducer: np.ndarray
    """1 when taking carbamazepine, phenytoin or rifampin/rifampicin, else 0 (missing counts as 0), int."""
    cyp2c9: np.ndarray
    """One of :data:`CYP2C9_DIPLOTYPES` or "unknown" (str)."""
    vkorc1: np.ndarray
    """rs9923231: one of :data:`VKORC1_GENOTYPES` or "unknown" (str), imputed per appendix S4 when missing."""
    dose_mg_week: np.ndarray
    """The therapeutic (stable) weekly dose in mg, float."""
    target_inr_2_3: np.ndarray
    """True when the target INR is known to be 2-3 (:func:`target_inr_band`); False when unknown, bool."""
    stable: np.ndarray
    """True when the CSV says the subject reached a stable dose (1), bool."""

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def subset(self, mask: np.ndarray) -> WarfarinCohort:
        """The patients where ``mask`` (bool, or integer indices) selects them, in the same order.

        Parameters
        ----------
        mask : np.ndarray
            Boolean mask of length ``len(self)`` or integer indices.

        Returns
        -------
        WarfarinCohort
            A cohort with the selected patients.
        """
        return WarfarinCohort(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})


def _missing(value: str) -> bool:
    return value.strip() in ("", "NA")


def _float(value: str) -> float:
    return math.nan if _missing(value) else float(value)


def parse_age_decades(value: str) -> float:
    """The IWPC age in decades of an ``Age`` bin.

    Parameters
    ----------
    value : str
        A bin as written in the CSV: ``"60 - 69"``, ``"90+"``; ``NA`` or empty when missing.

    Returns
    -------
    float
        The bin's lower bound // 10 (``"10 - 19"`` -> 1, ``"90+"`` -> 9); NaN when missing.

    Raises
    ------
    CohortError
        When the text is not an age bin.
    """
    text = value.strip()
    if _missing(text):
        return math.nan
    low = text.removesuffix("+").split("-")[0].strip()
    if not low.isdigit():
        raise CohortError(f"IWPC: {value!r} is not an age bin such as '60 - 69' or '90+'")
    return float(int(low) // 10)


def parse_race(value: str) -> str:
    """The race category: one of :data:`RACES`; empty, unknown or anything else is "Unknown"."""
    text = value.strip()
    return text if text in RACES else "Unknown"


def parse_cyp2c9(value: str) -> str:
    """The CYP2C9 diplotype the algorithm codes, or "unknown" (missing or another star allele)."""
    text = value.strip()
    return text if text in CYP2C9_DIPLOTYPES else "unknown"


def _flag(value: str) -> int:
    """1 when the column says 1; 0 for 0 and for missing (the paper's coding of missing co-medication)."""
    return 1 if value.strip() == "1" else 0


def impute_rs9923231(row: dict[str, str], race: str) -> str:
    """VKORC1 rs9923231 of one CSV row: the consensus call, else the appendix S4 imputation, else "unknown".

    The imputation is an ordered decision list (first rule that applies wins): rs2359612 (2255C>T)
    C/C -> G/G, T/T -> A/A, C/T -> A/G, only when race is neither "Black or African American" nor
    missing/mixed; then rs9934438 (1173C>T) C/C -> G/G, T/T -> A/A, C/T -> A/G for everyone; then
    rs8050894 (1542G>C) G/G -> G/G, C/C -> A/A, C/G -> A/G with the same race condition as rs2359612.

    Parameters
    ----------
    row : dict[str, str]
        One CSV row (column name -> text).
    race : str
        The row's race as :func:`parse_race` returns it.

    Returns
    -------
    str
        One of :data:`VKORC1_GENOTYPES` or "unknown".
    """
    called = row[COL_VKORC1].strip()
    if called in VKORC1_GENOTYPES:
        return called
    race_allows = race not in ("Black or African American", "Unknown")
    for column, genotype, imputed, needs_race in _IMPUTATION:
        if (race_allows or not needs_race) and row[column].strip() == genotype:
            return imputed
    return "unknown"


def target_inr_band(target: str, estimated: str) -> bool | None:
    """Whether a patient's target INR is the standard 2-3 band: True, False, or None when unknown.

    The given ``Target INR`` decides when present (2 <= target <= 3). Otherwise the ``Estimated Target
    INR Range Based on Indication`` decides: a range starting at 2 or below ("2-3", "2-3.5", "1.7-2.8",
    "1.7-3.3") is the standard band, one starting higher ("2.5-3.5", "3-4") is high intensity. Both
    missing: None.

    Parameters
    ----------
    target : str
        The ``Target INR`` text (a number, ``NA`` or empty).
    estimated : str
        The estimated range text (``"LOW-HIGH"``, ``NA`` or empty).

    Returns
    -------
    bool | None
        True for the standard band, False for another target, None when neither column says.

    Raises
    ------
    CohortError
        When a value is not a number or a ``LOW-HIGH`` range.
    """
    try:
        if not _missing(target):
            return 2.0 <= float(target) <= 3.0
        if not _missing(estimated):
            return float(estimated.split("-")[0]) <= 2.0
    except ValueError as exc:
        raise CohortError(f"IWPC: target INR {target!r} / range {estimated!r} is not a number") from exc
    return None


def load_iwpc(path: Path) -> WarfarinCohort:
    """The IWPC patients with a dose, complete age/height/weight and a target INR not known to be outside 2-3.

    Parameters
    ----------
    path : Path
        The IWPC CSV (UTF-8 with a byte-order mark; ``NA`` or empty for missing).

    Returns
    -------
    WarfarinCohort
        One entry per patient kept, in file order (see the module docstring for the coding).

    Raises
    ------
    CohortError
        When the file cannot be read or lacks a column the coding needs.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise CohortError(f"IWPC: {path.name} lacks the columns {missing}")
            rows = list(reader)
    except OSError as exc:
        raise CohortError(f"IWPC: cannot read {path}: {exc}") from exc
    kept: dict[str, list[object]] = {name: [] for name in WarfarinCohort.__dataclass_fields__}
    for row in rows:
        if _missing(row[COL_ID]) or _missing(row[COL_DOSE]):
            continue
        age, height, weight = parse_age_decades(row[COL_AGE]), _float(row[COL_HEIGHT]), _float(row[COL_WEIGHT])
        band = target_inr_band(row[COL_TARGET], row[COL_TARGET_EST])
        if math.isnan(age) or math.isnan(height) or math.isnan(weight) or band is False:
            continue
        race = parse_race(row[COL_RACE])
        values: dict[str, object] = {
            "ids": row[COL_ID].strip(), "age_decades": age, "height_cm": height, "weight_kg": weight,
            "race": race, "amiodarone": _flag(row[COL_AMIODARONE]),
            "enzyme_inducer": max(_flag(row[c]) for c in COL_INDUCERS),
            "cyp2c9": parse_cyp2c9(row[COL_CYP2C9]), "vkorc1": impute_rs9923231(row, race),
            "dose_mg_week": float(row[COL_DOSE]), "target_inr_2_3": band is True,
            "stable": row[COL_STABLE].strip() == "1",
        }
        for name, value in values.items():
            kept[name].append(value)
    dtypes = {"ids": str, "race": str, "cyp2c9": str, "vkorc1": str, "amiodarone": np.int64,
              "enzyme_inducer": np.int64, "target_inr_2_3": bool, "stable": bool}
    return WarfarinCohort(**{name: np.asarray(v, dtype=dtypes.get(name, np.float64)) for name, v in kept.items()})


def split_iwpc(cohort: WarfarinCohort, *, seed: int = 2009,
               validation: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """The derivation/validation split: ``validation`` of each race x VKORC1 stratum, at random.

    The paper drew 80% derivation / 20% validation stratified by site; this release has no site column,
    so each race x VKORC1 genotype stratum is shuffled with ``numpy.random.default_rng(seed)`` (strata
    in sorted order) and ``round(validation * n_stratum)`` of it goes to validation.

    Parameters
    ----------
    cohort : WarfarinCohort
        The patients to split.
    seed : int
        Seed of the shuffle (2009, the paper's year, by default).
    validation : float
        Share of each stratum held out, in (0, 1).

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        Boolean masks (derivation, validation); each patient is in exactly one.

    Raises
    ------
    CohortError
        When ``validation`` is not in (0, 1).
    """
    if not 0.0 < validation < 1.0:
        raise CohortError(f"IWPC split: validation share {validation} is not in (0, 1)")
    rng = np.random.default_rng(seed)
    held = np.zeros(len(cohort), dtype=bool)
    strata = np.char.add(np.char.add(cohort.race.astype(str), "|"), cohort.vkorc1.astype(str))
    for stratum in sorted(set(strata.tolist())):
        members = np.flatnonzero(strata == stratum)
        take = round(validation * members.size)
        held[rng.permutation(members)[:take]] = True
    return ~held, held


def design_matrix(cohort: WarfarinCohort) -> tuple[np.ndarray, tuple[str, ...]]:
    """The IWPC pharmacogenetic design matrix (no intercept column).

    Parameters
    ----------
    cohort : WarfarinCohort
        The patients.

    Returns
    -------
    tuple[np.ndarray, tuple[str, ...]]
        float64 array (n, 17) and its column names :data:`DESIGN_NAMES`: age in decades, height (cm),
        weight (kg), indicators of VKORC1 A/G, A/A, unknown (reference G/G), CYP2C9 *1/*2, *1/*3, *2/*2,
        *2/*3, *3/*3, unknown (reference *1/*1), Asian, Black or African American, missing or mixed race
        (reference White), enzyme inducer, amiodarone.
    """
    columns = [
        cohort.age_decades, cohort.height_cm, cohort.weight_kg,
        cohort.vkorc1 == "A/G", cohort.vkorc1 == "A/A", cohort.vkorc1 == "unknown",
        cohort.cyp2c9 == "*1/*2", cohort.cyp2c9 == "*1/*3", cohort.cyp2c9 == "*2/*2",
        cohort.cyp2c9 == "*2/*3", cohort.cyp2c9 == "*3/*3", cohort.cyp2c9 == "unknown",
        cohort.race == "Asian", cohort.race == "Black or African American", cohort.race == "Unknown",
        cohort.enzyme_inducer, cohort.amiodarone,
    ]
    X = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns]).reshape(len(cohort), len(DESIGN_NAMES))
    return X, DESIGN_NAMES
