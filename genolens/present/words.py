"""Small wording helpers shared by the screens and the report (no heavy imports)."""

from __future__ import annotations

from genolens.modeling.absolute_risk import AbsoluteRisk
from genolens.present.summary import DrugRow, RiskCard, WarfarinLine


def ordinal(n: int) -> str:
    """Return ``n`` with its English ordinal suffix: ``1st``, ``2nd``, ``3rd``, ``11th``, ``21st``, ``62nd``.

    Parameters
    ----------
    n
        A whole number (a percentile is rounded by the caller, e.g. ``ordinal(round(62.4))``).

    Returns
    -------
    str
        The number followed by ``st``, ``nd``, ``rd`` or ``th``; 11, 12 and 13 (and 111, 112, ...) take ``th``.
    """
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def comparison_words(caption: str) -> str:
    """The comparison point of a baseline caption, short enough for a chart title.

    ``"Compared with an average person of the reference population (average genotype ...)."`` gives
    ``"an average person of the reference population"``; a caption without the ``"Compared with"``
    opening is returned without its final full stop.
    """
    text = caption.strip().removeprefix("Compared with ").removeprefix("compared with ")
    for stop in (" (", ": "):
        text = text.split(stop, 1)[0]
    return text.rstrip(". ")


def model_words(row: DrugRow) -> str:
    """The drug table's model column in words: the probability of the named outcome against the reference
    mean, or why there is none (the dashboard and the HTML/PDF report both show this)."""
    if row.output.startswith("guideline:"):
        return "no model for this drug"
    if row.model_probability is None:
        return "no estimate (see model vs guideline)"
    p = row.model_probability
    rr = row.model_relative_risk or 0.0
    return f"{p:.1%} risk of {row.model_outcome or 'the outcome'} ({rr:.1f}× the reference mean; simulated cohort)"


def percentile_words(percentile: float) -> str:
    """A percentile of the reference population in words: ``"62nd percentile"``, ``">99th percentile"``,
    ``"<1st percentile"`` (a score beyond every reference person is not the "100th")."""
    if percentile > 99:
        return ">99th percentile"
    if percentile < 1:
        return "<1st percentile"
    return f"{ordinal(round(percentile))} percentile"


def percent(p: float | None) -> str:
    """A probability as the report and the screens print it: one decimal (``"13.5%"``, ``"0.3%"``)."""
    return "n/a" if p is None or p != p else f"{p:.1%}"


METHOD_WORDS = {"ig": "Integrated Gradients", "gradient_shap": "GradientSHAP", "deeplift_shap": "DeepLiftSHAP",
                "deeplift": "DeepLift", "saliency": "saliency", "input_x_gradient": "input × gradient",
                "feature_ablation": "feature ablation", "shapley_sampling": "Shapley value sampling", "none": "none"}
"""Attribution methods in words (the report's settings line)."""

BASELINE_WORDS = {"population": "the average person of the reference population",
                  "reference": "a homozygous-reference genome", "distribution": "a sample of reference people",
                  "ancestry": "the average person of one ancestry group", "relative": "a relative",
                  "none": "none"}
"""Comparison points (baselines) in words."""


def dose_words(line: WarfarinLine) -> str:
    """The dose in one short sentence, for the warfarin key finding."""
    if line.dose_mg_per_week is None or line.interval is None or line.iwpc_mg_per_week is None:
        return f"Dose model (real IWPC patients): no dose ({'; '.join(line.missing)})."
    return (f"Dose model (real IWPC patients): {line.dose_mg_per_week:.1f} mg/week ({line.dose_mg_per_week / 7:.2f} "
            f"mg/day; 90% interval {line.interval[0]:.1f}–{line.interval[1]:.1f}); IWPC algorithm "
            f"{line.iwpc_mg_per_week:.1f} mg/week.")


def warfarin_words(line: WarfarinLine) -> str:
    """The report's warfarin dose line in words (the dashboard and the HTML/PDF report both show this)."""
    head = "Warfarin starting dose, from a model trained on real IWPC patients (target INR 2-3)"
    if line.dose_mg_per_week is None or line.interval is None or line.iwpc_mg_per_week is None:
        return f"{head}: not computed ({'; '.join(line.missing)})."
    genotypes = ", ".join(f"{g} {v}" for g, v in line.genotypes.items())
    return (f"{head}: {line.dose_mg_per_week:.1f} mg/week ({line.dose_mg_per_week / 7:.2f} mg/day; 90% interval "
            f"{line.interval[0]:.1f}–{line.interval[1]:.1f}); the published IWPC algorithm gives "
            f"{line.iwpc_mg_per_week:.1f} mg/week on the same inputs ({genotypes}).")


def risk_percent(p: float) -> str:
    """An absolute risk as a percentage: one decimal, two below 1% (``"12.4%"``, ``"0.81%"``), never ``"0.0%"``."""
    if p != p:
        return "n/a"
    if p < 0.0001:
        return "<0.01%"
    return f"{p:.2%}" if p < 0.01 else f"{p:.1%}"


def absolute_title(r: AbsoluteRisk) -> str:
    """What the number is: ``"Risk of a diagnosis of breast cancer between age 38 and 48"`` (outcome, horizon)."""
    return f"Risk of {r.outcome} between age {r.age_from} and {r.age_to}"


def absolute_comparison(r: AbsoluteRisk) -> str:
    """The comparison in brackets: typical woman's risk, the ratio, the percentile."""
    times = "about the same as" if 0.95 <= r.ratio < 1.05 else f"{r.ratio:.1f}×"
    return (f"typical woman aged {r.age_from}: {risk_percent(r.typical_risk)}; {times} the risk of a typical "
            f"woman this age; {percentile_words(r.percentile)}")


def absolute_words(r: AbsoluteRisk) -> str:
    """One absolute risk in one line, as every card, the report and the Risk page say it:
    ``"Risk of a diagnosis of breast cancer between age 38 and 48: 3.21% (typical woman aged 38: 0.81%;
    4.0× the risk of a typical woman this age; 95th percentile)"``."""
    return f"{absolute_title(r)}: {risk_percent(r.risk)} ({absolute_comparison(r)})"


def absolute_basis(risks: tuple[AbsoluteRisk, ...]) -> str:
    """Where the absolute risks come from and whom they compare with, in one sentence (the card's small print)."""
    if not risks:
        return ""
    r = risks[0]
    return (f"Compared with {r.comparison} (the reference women's median relative risk, not their mean). "
            f"Death from other causes competes. Rates: {'; '.join(r.sources)}.")


def model_probability_words(c: RiskCard) -> str:
    """What the model's own probability is the probability of: outcome, horizon and population, named."""
    return (f"Model probability of {c.outcome} in the simulated population: {percent(c.probability)} "
            f"(time horizon: {c.horizon})")


def comparison_points(c: RiskCard) -> str:
    """Every comparison point a card uses, named where they differ (absolute risks, model probability, ledger)."""
    ledger = (f"the ledger adds up from {comparison_words(c.baseline_caption)} "
              f"({percent(c.baseline_probability)})")
    model = f"the model probability: {c.comparison}"
    if c.absolute:
        return (f"Comparison points differ: the absolute risks compare with the median woman of the same age; "
                f"{model}; {ledger}.")
    return f"Comparison points: {model}; {ledger}."
