"""The warfarin dose bundle's card, read for the Models page: what it is for, what it was trained on, one table of
held-out figures beside the baselines, the interval coverage, the concordance of its explanations and its limits.

Every figure comes from ``card.toml`` as :func:`genolens.modeling.warfarin_model.train_warfarin` and
:func:`genolens.workflows.warfarin.write_concordance` wrote it; nothing is recomputed here.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genolens.errors import BundleError

MODEL_LABELS: Mapping[str, str] = {
    "network": "GenoLens network (deep ensemble)",
    "iwpc_pharmacogenetic": "IWPC pharmacogenetic algorithm",
    "iwpc_clinical": "IWPC clinical algorithm",
    "fixed_35": "Fixed 35 mg/week",
    "ols_refit": "OLS refit (derivation part)",
}
"""The card's model keys in words, in the table's order."""
COLUMNS: tuple[str, ...] = ("patients", "model", "MAE (mg/week)", "% within 20%")
"""The columns of :attr:`DoseCard.rows`."""


@dataclass(frozen=True)
class FactorConcordance:
    """Agreement of one factor's contributions, network vs algorithm, over the held-out patients."""

    factor: str
    """``"VKORC1"`` or ``"CYP2C9"``."""
    pearson_r: float
    """Pearson r of the per-patient contributions."""
    mean_model_mg_per_week: float
    """Mean of the network's contribution (Integrated Gradients), mg/week."""
    mean_iwpc_mg_per_week: float
    """Mean of the algorithm's exact Shapley contribution, mg/week."""
    n: int
    """Patients compared."""


@dataclass(frozen=True)
class DoseConcordance:
    """The card's ``[concordance]`` table."""

    description: str
    """What was compared, in one sentence."""
    patients: str
    """Which patients, in words."""
    baseline: str
    """The baseline patient both contributions start from."""
    max_relative_completeness_residual: float
    """Worst |residual| / |f(x) - f(baseline)| of the network's contributions over the patients."""
    factors: tuple[FactorConcordance, ...]
    """One per factor compared (:data:`~genolens.workflows.warfarin.CONCORDANCE_FACTORS`), in the card's order."""


@dataclass(frozen=True)
class DoseCard:
    """What the Models page shows of a warfarin dose bundle."""

    name: str
    version: str
    intended_use: str
    research_use: str
    attribution: str
    """The data attribution (CC BY-SA) exactly as the card gives it."""
    licence: str
    training: str
    """Who the network was trained on and who was held out, in words."""
    split: str
    """How the patients were split."""
    rows: tuple[tuple[str | float | None, ...], ...]
    """The held-out figures, columns :data:`COLUMNS`: for each group (all patients first, then each race group as
    the card lists them, labelled with its n: ``"White (n=488)"``), one row per model of :data:`MODEL_LABELS`
    found in the card, in that order; ``None`` where the card has no figure for that model and group."""
    coverage_90: float | None
    """Share of held-out doses inside the network's nominal 90% interval (0-1)."""
    published: Mapping[str, float]
    """The paper's figures the card quotes (``iwpc_pharmacogenetic_validation_mae`` ...)."""
    concordance: DoseConcordance | None
    """``None`` for a card written before the concordance (``make models`` writes it)."""
    limitations: tuple[str, ...]


def _group_label(group: str, n: object) -> str:
    return f"{'All' if group == 'all' else group} (n={n})"


def _table(held_out: Mapping[str, Any]) -> tuple[tuple[str | float | None, ...], ...]:
    """The held-out metrics as one long table: per group ("all" first), one row per model."""
    network: Mapping[str, Any] = held_out.get("network") or next(iter(held_out.values()), {})
    groups = [g for g in network if g == "all"] + [g for g in network if g != "all"]
    rows = []
    for g in groups:
        label = f"{'All' if g == 'all' else g} (n={network[g].get('n')})"
        for key, model in MODEL_LABELS.items():
            if key in held_out:
                figures = held_out[key].get(g, {})
                rows.append((label, model, figures.get("mae"), figures.get("pct_ideal")))
    return tuple(rows)


def _concordance(section: Mapping[str, Any] | None) -> DoseConcordance | None:
    if not section:
        return None
    factors = tuple(FactorConcordance(f, float(section[f]["pearson_r"]), float(section[f]["mean_model_mg_per_week"]),
                                      float(section[f]["mean_iwpc_mg_per_week"]), int(section[f]["n"]))
                    for f, v in section.items() if isinstance(v, Mapping))
    return DoseConcordance(str(section.get("description", "")), str(section.get("patients", "")),
                           str(section.get("baseline", "")),
                           float(section.get("max_relative_completeness_residual", float("nan"))), factors)


def dose_card(card: Mapping[str, Any]) -> DoseCard:
    """A parsed dose card (``tomllib`` mapping) as :class:`DoseCard`.

    Raises
    ------
    BundleError
        When the card is not a dose card or has no held-out metrics.
    """
    info = card.get("bundle", {})
    held_out = card.get("metrics", {}).get("validation")
    if info.get("kind") != "dose" or not held_out:
        raise BundleError(f"Not a dose card with held-out metrics (kind {info.get('kind')!r}).")
    rows = _table(held_out)
    training = card.get("training", {})
    provenance = card.get("provenance", {})
    coverage = card["metrics"].get("interval_coverage_90", {}).get("validation")
    return DoseCard(
        name=str(info.get("name", "")), version=str(info.get("version", "")),
        intended_use=str(info.get("intended_use", "")), research_use=str(info.get("research_use_only", "")),
        attribution=str(provenance.get("attribution", "")), licence=str(provenance.get("licence", "")),
        training=str(training.get("description", "")), split=str(training.get("split", "")),
        rows=rows, coverage_90=None if coverage is None else float(coverage),
        published={k: float(v) for k, v in card["metrics"].get("published", {}).items()},
        concordance=_concordance(card.get("concordance")),
        limitations=tuple(str(t) for t in card.get("limitations", {}).get("text", ())))


@functools.lru_cache(maxsize=4)
def _read(path: Path, stamp: tuple[int, int]) -> DoseCard:
    try:
        card = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BundleError(f"Cannot read the warfarin card {path}: {exc}.") from None
    return dose_card(card)


def read_dose_card(bundle_dir: Path) -> DoseCard:
    """The card of a dose bundle folder (re-read only when ``card.toml`` changes).

    Raises
    ------
    BundleError
        When the card is missing, unreadable or not a dose card.
    """
    path = (bundle_dir / "card.toml").resolve()
    try:
        st = path.stat()
    except OSError as exc:
        raise BundleError(f"No warfarin card in {bundle_dir}: {exc.strerror}.") from None
    return _read(path, (st.st_mtime_ns, st.st_size))
