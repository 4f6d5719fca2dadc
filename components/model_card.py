"""A model card on screen: intended use, training data, metrics beside the baselines, curves; and the warfarin dose
model's card (real IWPC patients: one table of held-out figures, the interval coverage, the concordance)."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import streamlit as st

from components.frame import output_label
from genolens.errors import BundleError
from genolens.modeling import Bundle
from genolens.present.figures import calibration_figure, roc_figure
from genolens.provenance import RESEARCH_USE
from genolens.workflows import installed_dose_bundle
from genolens.workflows.dose_card import COLUMNS, DoseCard, read_dose_card

_METRICS = ("auroc", "auprc", "brier", "calibration_slope", "calibration_intercept", "ece")
_METHOD = {"ig": "Integrated Gradients"}
_MODELS = {"network": "GenoLens network", "linear_prs": "Linear PRS", "oracle": "Oracle (truth)"}
CARD_TAB = "model_card_tab"
"""Widget key of the Models page's tabs (the open card's label)."""


def card(bundle: Bundle) -> None:
    """Show one bundle's card."""
    info = bundle.info
    st.subheader(f"{bundle.name} · v{bundle.version}")
    st.markdown(f"**Intended use.** {info.intended_use}")
    st.caption(info.research_use or RESEARCH_USE)
    left, right = st.columns(2)
    left.markdown(f"**Inputs.** {len(bundle.panel.variants)} variants of the *{bundle.panel.title}* panel "
                  f"(hash `{bundle.panel.sha256[:12]}`), covariates: {', '.join(bundle.covariates) or 'none'}.")
    if info.selected_genetic_inputs:
        kept = ", ".join(f"{o}: {n}" for o, n in info.selected_genetic_inputs.items())
        left.markdown(f"**Variants read.** {kept} of {len(bundle.panel.variants)}, kept by an adaptive lasso "
                      "(AIC) on the training part; the others have weight zero and take no share of an explanation.")
    left.markdown(f"**Outputs.** {', '.join(output_label(o) for o in bundle.outputs)}. "
                  f"Architecture: {bundle.network.kind}, "
                  f"{bundle.network.members} ensemble members.")
    right.markdown(f"**Training data.** {info.training}")
    right.markdown(f"**Calibration.** {info.calibration}.")
    metrics = _metrics_file(bundle)
    output = bundle.outputs[0]
    if len(bundle.outputs) > 1:  # one outcome's table and curves at a time: two charts, not two per outcome
        _overview(bundle, metrics)
        output = st.selectbox("Outcome shown below", bundle.outputs, format_func=output_label,
                              key=f"card_output_{bundle.name}")
    _output(bundle, output, metrics.get(output, {}), metrics.get("curves", {}).get(output, {}))
    _validation(bundle)
    _fresh(bundle)
    with st.expander("Limitations and provenance"):
        for line in info.limitations:
            st.markdown(f"- {plain(line)}")
        st.json(dict(info.provenance), expanded=False)


def plain(text: str) -> str:
    """A card text with its file-section names (``[training]``) in words."""
    return re.sub(r"\[(\w+)\]", lambda m: f"*{m.group(1).replace('_', ' ').capitalize()} data*"
                  if m.group(1) == "training" else m.group(1).replace("_", " "), text)


def _validation(bundle: Bundle) -> None:
    """The card's [validation] table: explanations checked against the simulation's truth."""
    v = bundle.info.validation
    if not v:
        st.caption("Explanations not yet checked against a simulated truth (run make validate).")
        return
    st.markdown("#### Explanations checked against the simulated truth")
    method = _METHOD.get(str(v.get("method")), v.get("method"))
    st.caption(f"{v.get('n_patients')} patients of {v.get('cohort')} ({v.get('patients', 'held out')}), {method} "
               "against the "
               f"{str(v.get('baseline', '')).replace('_', ' ')} baseline. Targets: mean per-patient r ≥ "
               f"{v.get('r_target')}, causal AUROC ≥ {v.get('auroc_target')} (blank where every input is causal); "
               "the randomisation check passes when re-initialising the network destroys the explanation. "
               "Targets are checked per allele: variants the simulation counts as one allele (TPMT *3A: "
               "rs1800460 with rs1142345) are one input there, as no data can split their shared credit.")
    rows = [{"output": output_label(o), "mean r": r.get("mean_pearson_r"),
             "r per allele": r.get("allele_mean_pearson_r"), "r per locus": r.get("locus_mean_pearson_r"),
             "causal AUROC": r.get("causal_auroc"), "causal AUROC per allele": r.get("allele_causal_auroc"),
             "randomisation": r.get("randomisation"), "targets met": "yes" if r.get("passed") else "no"}
            for o, r in v.items() if isinstance(r, dict) and "mean_pearson_r" in r]
    st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="—", width="stretch",
                 column_config={k: st.column_config.NumberColumn(k, format="%.3f")
                                for k in ("mean r", "r per allele", "r per locus", "causal AUROC",
                                          "causal AUROC per allele")})


def _fresh(bundle: Bundle) -> None:
    """The card's [fresh_validation] table: discrimination and calibration on a cohort never used in training."""
    f = bundle.info.fresh_validation
    if not f:
        return
    st.markdown("#### Checked on a fresh simulated cohort")
    st.caption(f"{f.get('people', 0):,} people of {f.get('cohort')}, simulated with seed {f.get('cohort_seed')}, "
               f"never used in training, selection or calibration. Targets: {f.get('rule', '')}.")
    rows = []
    for o, r in f.items():
        if not (isinstance(r, dict) and "network_auroc" in r):
            continue
        eo = r.get("absolute_10y", {}).get("e_over_o")
        rows.append({"output": output_label(o), "people": r.get("n"), "AUROC": r.get("network_auroc"),
                     "oracle AUROC": r.get("oracle_auroc"), "calibration slope": r.get("calibration_slope"),
                     "ECE": r.get("ece"), "mean predicted": r.get("mean_predicted"), "observed": r.get("observed"),
                     "10-year E/O": eo, "targets met": "yes" if r.get("passed") else "no"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="—", width="stretch",
                 column_config={k: st.column_config.NumberColumn(k, format="%.3f")
                                for k in ("AUROC", "oracle AUROC", "calibration slope", "ECE", "mean predicted",
                                          "observed", "10-year E/O")})


def _metrics_file(bundle: Bundle) -> dict[str, Any]:
    path = bundle.path / "metrics.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return data


def _overview(bundle: Bundle, metrics: dict[str, Any]) -> None:
    """Every outcome's held-out AUROC, one row each (the network beside the linear PRS and the oracle)."""
    rows = [{"outcome": output_label(o), **{_MODELS.get(m, m): groups.get("all", {}).get("auroc")
                                          for m, groups in metrics.get(o, {}).items()}}
            for o in bundle.outputs]
    st.markdown("#### Held-out AUROC of every outcome")
    st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="—", width="stretch",
                 column_config={m: st.column_config.NumberColumn(m, format="%.3f") for m in _MODELS.values()})


def _output(bundle: Bundle, output: str, table: dict[str, Any], curves: dict[str, Any]) -> None:
    st.markdown(f"#### {output_label(output)}")
    rows = [{"model": _MODELS.get(m, m), **{k: groups.get("all", {}).get(k) for k in _METRICS}}
            for m, groups in table.items()]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="—", width="stretch",
                     column_config={k: st.column_config.NumberColumn(k.replace("_", " "), format="%.3f")
                                    for k in _METRICS})
    by_group = [{"ancestry": g, "n": v.get("n"), "cases": v.get("cases"), "AUROC": v.get("auroc"),
                 "ECE": v.get("ece")} for g, v in table.get("network", {}).items() if g != "all"]
    if curves:
        left, right = st.columns(2)
        aurocs = {m: groups.get("all", {}).get("auroc") for m, groups in table.items()}
        left.plotly_chart(roc_figure(curves, {k: v for k, v in aurocs.items() if v is not None},
                                     title="ROC (held-out)"), key=f"roc_{bundle.name}_{output}")
        right.plotly_chart(calibration_figure(curves, title="Calibration (held-out)"),
                           key=f"cal_{bundle.name}_{output}")
    if by_group:
        st.caption("Per ancestry (GenoLens network, held-out):")
        st.dataframe(pd.DataFrame(by_group), hide_index=True, placeholder="—",
                     column_config={"AUROC": st.column_config.NumberColumn(format="%.3f"),
                                    "ECE": st.column_config.NumberColumn(format="%.3f")})


def installed_dose_card() -> DoseCard | None:
    """The installed warfarin dose bundle's card, or ``None`` when none is installed."""
    folder = installed_dose_bundle()
    if folder is None:
        return None
    try:
        return read_dose_card(folder)
    except BundleError as exc:
        st.warning(f"The warfarin dose card could not be read: {exc}", icon=":material/warning:")
        return None


def dose_card(c: DoseCard) -> None:
    """Show the warfarin dose bundle's card: use, provenance, split, held-out figures, coverage, concordance."""
    st.subheader(f"Warfarin dose · v{c.version} · trained on real IWPC patients")
    st.markdown(f"**Intended use.** {c.intended_use}")
    st.caption(c.research_use or RESEARCH_USE)
    left, right = st.columns(2)
    left.markdown(f"**Data provenance.** {c.attribution}")
    right.markdown(f"**Split and inclusion.** {c.training}. Split: {c.split}.")
    st.markdown("#### Held-out patients: the network beside the published algorithms")
    published = c.published.get("iwpc_pharmacogenetic_validation_mae")
    st.caption("Mean absolute error of the weekly dose (lower is better) and the share of patients whose dose is "
               "within 20% of the stable dose they needed (higher is better); every model on the same held-out "
               "patients, by the same code." + (f" The paper reports {published:g} mg/week for the IWPC "
                                                 "pharmacogenetic algorithm on its own validation cohort."
                                                 if published else ""))
    patients, model, mae, within = COLUMNS
    st.dataframe(pd.DataFrame(list(c.rows), columns=list(COLUMNS)), hide_index=True, placeholder="—",
                 width="stretch", height=35 * (len(c.rows) + 1) + 3,  # every row, no inner scroll
                 column_config={patients: st.column_config.TextColumn(patients, width="medium"),
                                model: st.column_config.TextColumn(model, width="large"),
                                mae: st.column_config.NumberColumn(mae, format="%.2f"),
                                within: st.column_config.NumberColumn(within, format="%.1f%%")})
    if c.coverage_90 is not None:
        st.markdown(f"**Interval.** {c.coverage_90:.1%} of held-out doses lie inside the network's nominal 90% "
                    "interval (5th-95th percentile of its predictive distribution).")
    _dose_concordance(c)
    st.markdown("#### Limitations")
    st.markdown("\n".join(f"- {line}" for line in c.limitations))


def _dose_concordance(c: DoseCard) -> None:
    st.markdown("#### Explanations beside the IWPC algorithm")
    k = c.concordance
    if k is None:
        st.caption("Concordance not yet computed for this card (run `make models`).")
        return
    st.markdown(f"{k.description} Patients: {k.patients}. Baseline: {k.baseline}.")
    st.markdown("\n".join(
        f"- **{f.factor}**: Pearson r {f.pearson_r:.3f} over {f.n:,} patients; mean contribution "
        f"{f.mean_model_mg_per_week:+.2f} mg/week (network) vs {f.mean_iwpc_mg_per_week:+.2f} mg/week (algorithm)"
        for f in k.factors))
    st.caption(f"The network's contributions add up to its change in mean dose within "
               f"{k.max_relative_completeness_residual:.1e} of that change for every patient (completeness).")
