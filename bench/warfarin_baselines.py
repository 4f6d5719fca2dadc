"""Warfarin dose baselines on the IWPC data set: the published algorithms, a fixed dose and an OLS refit.

Run from the repository root: ``.venv/bin/python bench/warfarin_baselines.py``. Reads
``../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv`` (CC BY-SA 4.0, IWPC / PharmGKB), splits it 80/20
(seeded, stratified by race x VKORC1) and prints one table: MAE (mg/week), % ideal (prediction within
80-120% of the actual dose) and R² of the IWPC pharmacogenetic algorithm, the IWPC clinical algorithm,
a fixed 35 mg/week and an OLS refit on the derivation part, on the validation part (overall and per race
group) and on the derivation part. ``--smoke`` does the same on the first 500 patients kept. Without the
CSV it says so and ends with ``n=0``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from genolens.modeling.iwpc import design_matrix, iwpc_csv, load_iwpc, split_iwpc  # noqa: E402
from genolens.modeling.warfarin_baselines import (  # noqa: E402
    IWPC_CLINICAL,
    IWPC_PHARMACOGENETIC,
    dose_metrics,
    fit_ols,
    fixed_dose,
    iwpc_dose,
    ols_dose,
    race_groups,
)

PUBLISHED = "published (appendix S11): validation MAE 8.8 / 10.1 / 13.2, derivation 8.3 / 10.0 / 13.3 mg/week"


def main(argv: list[str] | None = None) -> int:
    """Print the baseline table; the last line holds the key figures as ``name=value``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the first 500 patients kept only")
    args = parser.parse_args(argv)
    path = iwpc_csv()
    if path is None:
        print("the IWPC CSV is absent (../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv): nothing to score")
        print("n=0")
        return 0
    cohort = load_iwpc(path)
    print(f"IWPC cohort: {len(cohort)} kept (dose, age, height, weight; target INR not known outside 2-3)")
    if args.smoke:
        cohort = cohort.subset(np.arange(min(500, len(cohort))))
        print(f"--smoke: the first {len(cohort)} patients")
    derivation, validation = split_iwpc(cohort)
    X, names = design_matrix(cohort)
    dose = cohort.dose_mg_week
    intercept, coef = fit_ols(X[derivation], np.sqrt(dose[derivation]))
    predictions = {
        "IWPC pharmacogenetic": iwpc_dose(X, names, IWPC_PHARMACOGENETIC),
        "IWPC clinical": iwpc_dose(X, names, IWPC_CLINICAL),
        "fixed 35 mg/week": fixed_dose(len(cohort)),
        "OLS refit (derivation)": ols_dose(X, intercept, coef),
    }
    groups = {"validation, all": validation}
    groups |= {f"validation, {race}": validation & mask for race, mask in race_groups(cohort).items()}
    groups["derivation, all"] = derivation
    print(f"split: {int(derivation.sum())} derivation / {int(validation.sum())} validation (seed 2009);"
          f" largest dose {dose.max():.0f} mg/week in {'validation' if validation[np.argmax(dose)] else 'derivation'}")
    print(f"{'part':<38} {'model':<24} {'n':>5} {'MAE':>6} {'%ideal':>7} {'R2':>6}")
    for part, mask in groups.items():
        for model, predicted in predictions.items():
            m = dose_metrics(predicted[mask], dose[mask])
            print(f"{part:<38} {model:<24} {m['n']:>5} {m['mae']:>6.2f} {m['pct_ideal']:>7.1f} {m['r2']:>6.3f}")
    print(PUBLISHED)
    pg = dose_metrics(predictions["IWPC pharmacogenetic"][validation], dose[validation])
    cl = dose_metrics(predictions["IWPC clinical"][validation], dose[validation])
    fx = dose_metrics(predictions["fixed 35 mg/week"][validation], dose[validation])
    ols = dose_metrics(predictions["OLS refit (derivation)"][validation], dose[validation])
    print(f"n={pg['n']} iwpc_mae={pg['mae']:.3f} iwpc_pct_ideal={pg['pct_ideal']:.2f} clinical_mae={cl['mae']:.3f}"
          f" fixed_mae={fx['mae']:.3f} ols_mae={ols['mae']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
