"""Annual rates by single year of age: the incidence and competing mortality absolute risks are made from.

GenoLens ships US rates for women in ``data/incidence/`` (PROVENANCE.md there names source and licence);
a researcher's own table is any CSV with columns ``age,rate``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genolens.errors import AbsoluteRiskError

INCIDENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "incidence"
"""The shipped rate tables and their PROVENANCE.md."""


@dataclass(frozen=True)
class RateTable:
    """Annual rates by single year of age (events per person-year at risk)."""

    first_age: int
    """The age of ``rates[0]`` in whole years; ages run ``first_age, first_age + 1, ...`` without gaps."""
    rates: np.ndarray
    """float64, shape (n_ages,): the annual rate at each age, finite and >= 0."""
    source: str
    """Where the rates come from (file name and PROVENANCE line), shown with every risk made from them."""

    @property
    def last_age(self) -> int:
        """The oldest age the table covers."""
        return self.first_age + len(self.rates) - 1

    def covers(self, age_from: int, age_to: int) -> bool:
        """Whether the table has a rate for every age in ``[age_from, age_to)``."""
        return self.first_age <= age_from and age_to - 1 <= self.last_age


def read_rate_table(path: Path, *, source: str) -> RateTable:
    """Read a CSV with columns ``age,rate`` (one row per single year of age, no gaps).

    Parameters
    ----------
    path
        The CSV file.
    source
        Where the rates come from, carried into every risk made from them.

    Raises
    ------
    AbsoluteRiskError
        When the file cannot be read, a column is missing, a value is not a number, a rate is
        negative or missing, or the ages are not consecutive whole years.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise AbsoluteRiskError(f"Cannot read the rate table {path}: {exc.strerror or exc}.") from exc
    if not rows or set(rows[0]) != {"age", "rate"}:
        raise AbsoluteRiskError(f"Rate table {path.name} must have exactly the columns age,rate "
                                f"(found: {', '.join(rows[0]) if rows else 'no rows'}).")
    ages: list[int] = []
    rates: list[float] = []
    for line, row in enumerate(rows, start=2):
        try:
            age, rate = int(row["age"]), float(row["rate"])
        except (TypeError, ValueError) as exc:
            raise AbsoluteRiskError(f"Rate table {path.name}, line {line}: age {row['age']!r} and rate "
                                    f"{row['rate']!r} must be a whole number and a number.") from exc
        if not math.isfinite(rate) or rate < 0:
            raise AbsoluteRiskError(f"Rate table {path.name}, line {line}: rate {rate} at age {age} must be a "
                                    "finite number >= 0.")
        ages.append(age)
        rates.append(rate)
    if ages != list(range(ages[0], ages[0] + len(ages))):
        raise AbsoluteRiskError(f"Rate table {path.name}: ages must be consecutive whole years in order "
                                f"(found {ages[0]} ... {ages[-1]} in {len(ages)} rows).")
    return RateTable(first_age=ages[0], rates=np.asarray(rates, dtype=np.float64), source=source)


def breast_cancer_rates() -> tuple[RateTable, RateTable]:
    """The shipped US rates for women: breast-cancer incidence (ages 0-85) and all-cause mortality (0-84).

    Returns
    -------
    (incidence, mortality)
        As iCARE ships them for its BPC3 example (SEER incidence, CDC WONDER mortality);
        ``data/incidence/PROVENANCE.md`` names the source and licence.
    """
    incidence = read_rate_table(INCIDENCE_DIR / "breast_cancer_incidence_women.csv",
                                source="SEER breast-cancer incidence, US women, as shipped by iCARE (BPC3 example)")
    mortality = read_rate_table(INCIDENCE_DIR / "all_cause_mortality_women.csv",
                                source="CDC WONDER all-cause mortality, US women, as shipped by iCARE (BPC3 example)")
    return incidence, mortality
