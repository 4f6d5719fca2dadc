"""The explorer's controls and panels: method, steps, agreement heatmap, completeness, reliability, sanity checks."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import pandas as pd
import streamlit as st

from components import audit, cached, inert
from genolens.datamodel import Attribution, DeletionCurve, PatientGenome, Reliability
from genolens.explain import METHODS, Method
from genolens.genome import ORIGIN_WORDS
from genolens.modeling import Bundle, features_for
from genolens.present.figures import deletion_curve_figure, method_agreement_figure

METHOD_WORDS: dict[str, str] = {
    "ig": "Integrated Gradients", "gradient_shap": "GradientSHAP", "deeplift_shap": "DeepLiftSHAP",
    "deeplift": "DeepLift", "saliency": "Saliency (gradient, not a contribution)",
    "input_x_gradient": "Input × Gradient", "feature_ablation": "Feature ablation",
    "shapley_sampling": "Shapley value sampling (slow)",
}
STEPS: tuple[int | str, ...] = ("auto", 8, 16, 32, 64, 128, 256, 512, 1024)


def controls(column_method: object, column_steps: object) -> tuple[Method, int | None, tuple[Method, ...]]:
    """Method, steps/samples and the methods to compare with (keys ``explorer_*``)."""
    method: Method = column_method.selectbox(  # type: ignore[attr-defined]
        "Method", METHODS, format_func=METHOD_WORDS.__getitem__, key="explorer_method")
    steps = column_steps.select_slider(  # type: ignore[attr-defined]
        "Steps / samples", STEPS, value="auto", key="explorer_steps",
        help="IG steps (auto: doubled until completeness holds), GradientSHAP samples or Shapley permutations.")
    others = st.multiselect(
        "Compare with", [m for m in METHODS if m != method and m != "shapley_sampling"],
        default=[m for m in ("ig", "feature_ablation", "gradient_shap") if m != method],
        format_func=METHOD_WORDS.__getitem__, key="explorer_compare")
    return method, None if steps == "auto" else int(steps), (method, *others)


def completeness(a: Attribution) -> None:
    """Prediction, baseline, what the values add up to, and the residual."""
    cols = st.columns(4)
    cols[0].metric("f(patient)", f"{a.prediction_logit:+.3f}", help="Model output, log-odds.")
    cols[1].metric("f(baseline)", f"{a.baseline_logit:+.3f}", help=a.baseline.caption)
    cols[2].metric("Sum of contributions", f"{float(np.sum(a.values)):+.3f}")
    residual = "—" if np.isnan(a.residual) else f"{a.residual:+.2e}"
    cols[3].metric("Completeness residual", residual, help=f"Tolerance {a.tolerance:.1e}; "
                   + ("met" if a.converged else "not met"))
    st.caption(f"{a.completeness} Parameters: " + ", ".join(f"{k}={v}" for k, v in a.parameters.items()))


def reliability(r: Reliability) -> None:
    """Grade and the checks behind it."""
    st.markdown(f"**Reliability grade {r.grade}**")
    st.dataframe(pd.DataFrame([{"check": c.name, "grade": c.grade, "value": c.value, "reason": c.reason}
                               for c in r.checks]), hide_index=True, placeholder="—", width="stretch",
                 column_config={"value": st.column_config.NumberColumn(format="%.3g"),
                                "reason": st.column_config.TextColumn(width="large")})


def agreement_and_deletion(attrs: tuple[Attribution, ...], curve: DeletionCurve) -> None:
    """Method-agreement heatmap beside the deletion curve."""
    left, right = st.columns(2)
    with left:
        st.markdown("**Method agreement** (rank correlation of |contribution| on the top 10)")
        if len(attrs) > 1:
            st.plotly_chart(method_agreement_figure(attrs), key="explorer_agreement")
        else:
            st.caption("Choose at least one method to compare with.")
    with right:
        st.markdown("**Deletion curve** (faithfulness)")
        st.plotly_chart(deletion_curve_figure(curve), key="explorer_deletion")


def randomisation(bundle: Bundle, output: str, method: Method) -> None:
    """The model-randomisation sanity check, computed on demand and shared across sessions (no patient data)."""
    st.markdown("**Model-randomisation sanity check** (Adebayo et al. 2018)")
    st.caption("Re-initialises the network's layers from the output down and re-attributes a reference person. "
               "A method that explains the model should lose its correlation with the trained model's attribution.")
    key = f"randomised_{bundle.name}_{bundle.version}_{output}_{method}"
    if st.button("Run the sanity check", key="explorer_randomise"):
        st.session_state[key] = True
    if not st.session_state.get(key):
        return
    with st.spinner("Randomising layers and re-attributing…"):
        check = cached.randomisation(bundle.name, bundle.version, output, method, bundle)
    st.dataframe(pd.DataFrame({"layers randomised (cumulative)": check.layers,
                               "rank correlation with trained": check.correlations}), hide_index=True, placeholder="—")
    verdict = "passes" if abs(check.final) <= 0.3 else "is doubtful" if abs(check.final) <= 0.6 else "fails"
    st.markdown(f"With every layer randomised the correlation is **{check.final:.2f}**: the method {verdict}.")


def table(a: Attribution, names: Mapping[str, str], origins: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per-input attribution table (the CSV download).

    ``origins`` says how each input was obtained (``observed``, ``assumed_reference``, ``missing``,
    ``defaulted``); the ``obtained`` column gives it in words, and ``missing_input`` is True for an
    input set to the population mean (a missing genotype or a clinical input not given).
    """
    origin = [(origins or {}).get(n, "defaulted") for n in a.names]
    return pd.DataFrame({
        "input": a.names, "label": [names.get(n, n) for n in a.names], "value": a.inputs,
        "baseline": a.baseline.values, "contribution": a.values, "spread": a.spread,
        "obtained": [ORIGIN_WORDS.get(o, o) for o in origin],
        "missing_input": [o in ("missing", "defaulted") for o in origin],
    }).sort_values("contribution", key=np.abs, ascending=False)


def input_origins(patient: PatientGenome, bundle: Bundle) -> dict[str, str]:
    """How each genetic input of ``bundle`` was obtained for ``patient``; clinical inputs are absent (defaulted)."""
    features = features_for(patient, bundle)
    return dict(zip(features.names, features.origin, strict=True))


def download(a: Attribution, bundle: Bundle, patient: PatientGenome) -> None:
    """The attribution table with a CSV download."""
    names = {v.id: f"{v.gene} {v.rsid or v.id}" for v in bundle.panel.variants}
    frame = table(a, names, input_origins(patient, bundle))
    sample = patient.sample
    st.dataframe(frame, hide_index=True, placeholder="—", width="stretch", height=300, column_config={
        k: st.column_config.NumberColumn(format="%.4f") for k in ("value", "baseline", "contribution", "spread")})
    csv = audit.export(f"attribution csv: {a.output} {a.method}", functools.partial(inert.csv_bytes, frame),
                       "researcher", patient=patient, bundles=(bundle,))  # one "export" audit entry per download
    st.download_button("Download the attribution table (CSV)", csv,
                       file_name=f"attribution_{inert.file_stem(sample)}_{bundle.name}_{a.output}_{a.method}.csv",
                       mime="text/csv",
                       key="explorer_csv", on_click="ignore")
