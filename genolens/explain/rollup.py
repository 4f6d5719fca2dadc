"""Roll attributions up to what a clinician reads: variant, star allele, gene/locus, clinical factors.

A :class:`~genolens.datamodel.Ledger` is the clinician form of an Attribution. Its rows add up to the
prediction minus the baseline prediction on the logit scale, exactly: the completeness residual is a
row of its own instead of being hidden. Every genetic row carries its published evidence and how its
genotype was obtained (called, assumed reference, missing and imputed); every clinical row says
whether the value was given or defaulted to the population mean.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence

import numpy as np

from genolens.datamodel import (
    INPUT_ORIGINS,
    Attribution,
    ExplainContext,
    GenotypeOrigin,
    InputOrigin,
    Ledger,
    LedgerLevel,
    LedgerRow,
    LedgerSection,
)
from genolens.errors import ExplainError
from genolens.genome.encode import ORIGIN_WORDS
from genolens.modeling.logistic import sigmoid

LEVELS: tuple[LedgerLevel, ...] = ("variant", "allele", "gene")



def odds_factor(row: LedgerRow) -> float:
    """Return the factor by which this row multiplies the odds: ``exp(contribution)``."""
    return math.exp(row.contribution)


def probability_path(ledger: Ledger) -> tuple[float, ...]:
    """Return probabilities from the baseline, adding the rows one by one in ledger order.

    The logit steps are exact and order-free; their probability steps depend on the order (the
    sigmoid is not additive), so a waterfall on the probability scale must state its order.

    Returns
    -------
    tuple of float
        len(rows) + 1 probabilities: the baseline's, then after each row; the last equals
        ``ledger.prediction_probability`` up to float rounding.
    """
    z = ledger.baseline_logit
    path = [sigmoid(z)]
    for row in ledger.rows:
        z += row.contribution
        path.append(sigmoid(z))
    return tuple(path)


def input_origins(genetic: Sequence[GenotypeOrigin], covariates: Sequence[str],
                     defaulted: Collection[str]) -> tuple[InputOrigin, ...]:
    """Return the per-input origin a ledger needs, from the encoder's and the predictor's records.

    Parameters
    ----------
    genetic : sequence of str
        ``Features.origin``: ``observed``, ``assumed_reference`` or ``missing`` per panel variant.
    covariates : sequence of str
        Covariate names in model order.
    defaulted : collection of str
        ``Prediction.defaulted``: covariates that were not given and took the population mean.

    Returns
    -------
    tuple of str
        len(genetic) + len(covariates) origins, in model input order.
    """
    return (*genetic, *("defaulted" if c in defaulted else "observed" for c in covariates))


def group_mask(context: ExplainContext, *, level: LedgerLevel | str = "gene") -> tuple[np.ndarray, tuple[str, ...]]:
    """Return a Captum feature mask that groups the inputs at one ledger level.

    Parameters
    ----------
    context : ExplainContext
        Panel and covariate names.
    level : {"variant", "allele", "gene", "section"}
        ``allele`` groups variants of one gene with the same star-allele name (variants without a
        name stay alone); ``section`` makes two groups, "genetics" and "clinical factors". Every
        covariate is its own group except at ``section`` level.

    Returns
    -------
    mask : numpy.ndarray
        int64, shape (n_features,): group id 0..G-1 per input.
    names : tuple of str
        G group labels.
    """
    keys: list[str] = []
    for i, name in enumerate(context.feature_names):
        if level == "section":
            keys.append("genetics" if i < context.n_genetic else "clinical factors")
        elif i >= context.n_genetic:
            keys.append(context.covariate_labels.get(name, name))
        elif level == "variant":
            keys.append(_variant_label(context, i))
        elif level == "allele":
            keys.append(_allele_key(context, i))
        elif level == "gene":
            keys.append(context.panel.variants[i].gene)
        else:
            raise ExplainError(f"Level {level!r} unknown. Choose from: variant, allele, gene, section.")
    return groups(keys)


def groups(keys: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return group ids for per-input labels, groups in order of first appearance.

    Parameters
    ----------
    keys : sequence of str
        One label per input (a gene, a star allele, ...).

    Returns
    -------
    mask : numpy.ndarray
        int64, shape (len(keys),): group id 0..G-1 per input.
    names : tuple of str
        G group labels.
    """
    order = list(dict.fromkeys(keys))
    index = {k: g for g, k in enumerate(order)}
    return np.array([index[k] for k in keys], dtype=np.int64), tuple(order)


def _variant_label(context: ExplainContext, i: int) -> str:
    v = context.panel.variants[i]
    ident = v.rsid or v.id
    return f"{v.gene} {v.allele_name} ({ident})" if v.allele_name else f"{v.gene} ({ident})"


def _allele_key(context: ExplainContext, i: int) -> str:
    v = context.panel.variants[i]
    return f"{v.gene} {v.allele_name}" if v.allele_name else _variant_label(context, i)


_CODING = re.compile(r"^1 = (?P<yes>[^,]+), 0 = (?P<no>.+)$")


def clinical_label(context: ExplainContext, name: str, value: float) -> str:
    """A clinical row's label with the patient's value: ``"sex: female"``, ``"age 38 years"``.

    Uses the covariate's coding (``"1 = male, 0 = female"``) or units from the context; the plain label
    (or the name) when the context has neither.
    """
    label = context.covariate_labels.get(name, name)
    units = context.covariate_units.get(name, "")
    coding = _CODING.match(units)
    if coding and value in (0.0, 1.0):
        return f"{label}: {coding['yes'] if value == 1.0 else coding['no']}"
    if units and not coding:
        return f"{label} {value:.3g} {units}"
    return label


def _note(origins: Sequence[str], *, clinical: bool = False) -> str:
    """Say how the inputs of a row were obtained (``"2 called; 1 missing, population mean used"``)."""
    words = {str(k): v for k, v in ORIGIN_WORDS.items()} | ({"observed": "given"} if clinical else {})
    if len(origins) == 1:
        return words[origins[0]]
    counts = {t: sum(x == t for x in origins) for t in INPUT_ORIGINS if t in origins}
    return "; ".join(f"{n} {words[t]}" for t, n in counts.items())


def _row(attribution: Attribution, idx: Sequence[int], label: str, level: str, evidence: str,
         origins: Sequence[InputOrigin], children: tuple[LedgerRow, ...] = ()) -> LedgerRow:
    """One row summing the inputs ``idx``."""
    cols = list(idx)
    member_sums = attribution.member_values[:, cols].sum(axis=1)  # (members,)
    orig = tuple(origins[i] for i in cols)
    section: LedgerSection = "clinical" if level == "clinical" else "genetics"
    return LedgerRow(
        label=label, section=section,
        level=level, features=tuple(attribution.feature_names[i] for i in cols),
        contribution=math.fsum(attribution.values[cols].tolist()), spread=float(member_sums.std()),
        values=tuple(float(v) for v in attribution.inputs[cols]),
        baseline_values=tuple(float(v) for v in attribution.baseline.values[cols]),
        origins=orig, evidence=evidence, note=_note(orig, clinical=section == "clinical"), children=children,
    )


def _merge(attribution: Attribution, rows: Sequence[LedgerRow], label: str, level: str, evidence: str,
           origins: Sequence[InputOrigin]) -> LedgerRow:
    """A row over the union of ``rows``' inputs, keeping them as children."""
    where = {name: i for i, name in enumerate(attribution.feature_names)}
    idx = [where[f] for r in rows for f in r.features]
    return _row(attribution, idx, label, level, evidence, origins, children=tuple(rows))


def _evidence(context: ExplainContext, rows: Sequence[LedgerRow]) -> str:
    """Evidence of several variants, one ``rsid: text`` item per distinct text."""
    by_id = {v.id: v for v in context.panel.variants}
    items = [f"{by_id[f].rsid or f}: {by_id[f].evidence}" for r in rows for f in r.features if by_id[f].evidence]
    return "; ".join(dict.fromkeys(items))


def _genetic_rows(attribution: Attribution, context: ExplainContext, level: LedgerLevel,
                  origins: Sequence[InputOrigin]) -> tuple[list[LedgerRow], list[LedgerRow]]:
    """(rows of the variants the network reads, grouped at ``level``; one row gathering the others, or none)."""
    variants = [
        _row(attribution, [i], _variant_label(context, i), "variant", context.panel.variants[i].evidence, origins)
        for i in range(context.n_genetic)
    ]
    reads = np.ones(context.n_genetic, dtype=bool) if context.reads is None else np.asarray(context.reads, dtype=bool)
    unread = [row for row, r in zip(variants, reads, strict=True) if not r]
    gathered = [_merge(attribution, unread, f"Not read by the model ({len(unread)} variants, weight zero)", "other",
                       "", origins)] if unread else []
    if level == "variant":
        return [row for row, r in zip(variants, reads, strict=True) if r], gathered
    key = _allele_key if level == "allele" else (lambda c, i: c.panel.variants[i].gene)
    grouped: dict[str, list[LedgerRow]] = {}
    for i, row in enumerate(variants):
        if reads[i]:
            grouped.setdefault(key(context, i), []).append(row)
    out = []
    for name, rows in grouped.items():
        if level == "allele" and len(rows) == 1 and name == rows[0].label:  # no star-allele name
            out.append(rows[0])
        elif level == "allele":
            out.append(_merge(attribution, rows, name, "allele", _evidence(context, rows), origins))
        else:
            label = f"{name} ({len(rows)} variants)" if len(rows) > 1 else rows[0].label
            out.append(_merge(attribution, rows, label, "gene", _evidence(context, rows), origins))
    return out, gathered


def ledger(attribution: Attribution, context: ExplainContext, *, origins: Sequence[InputOrigin],
           level: LedgerLevel = "gene", top: int | None = None) -> Ledger:
    """Turn a per-input attribution into a ledger whose rows add up to prediction minus baseline.

    Parameters
    ----------
    attribution : Attribution
        A per-input (ungrouped) attribution of a contribution method (not ``saliency``).
    context : ExplainContext
        Panel (evidence, gene, star-allele names) and covariate labels, in the attribution's input order.
    origins : sequence of str
        Per input: ``observed``, ``assumed_reference``, ``missing`` (imputed) or ``defaulted``
        (clinical input not given); length n_features.
    level : {"gene", "allele", "variant"}
        Granularity of the genetic rows; gene and allele rows keep their variants as ``children``.
    top : int, optional
        Keep this many genetic rows (largest |contribution|) and merge the rest into one
        "Other genetics" row; all rows when ``None``.

    Returns
    -------
    Ledger
        Rows by decreasing |contribution| ("Other genetics" after them, then one zero row gathering
        the variants the network does not read, ``context.reads``), then the residual row; the
        rows sum to ``prediction_logit - baseline_logit``.

    Raises
    ------
    ExplainError
        For a grouped or saliency attribution, a wrong level, or origins of the wrong length/kind.
    """
    if level not in LEVELS:
        raise ExplainError(f"Ledger level {level!r} unknown. Choose from: {', '.join(LEVELS)}.")
    if attribution.method == "saliency":
        raise ExplainError("Saliency values are gradients, not contributions; choose another method for a ledger.")
    if attribution.names != attribution.feature_names or attribution.feature_names != context.feature_names:
        raise ExplainError("The ledger needs a per-input attribution over the context's inputs "
                           "(no feature mask); the ledger does the grouping itself.")
    n = len(context.feature_names)
    panel_ids = tuple(v.id for v in context.panel.variants)
    if panel_ids != context.feature_names[: context.n_genetic]:
        raise ExplainError(f"The context's first {context.n_genetic} inputs must be the panel {context.panel.name!r} "
                           f"variant ids in panel order ({len(panel_ids)} variants).")
    bad = [t for t in origins if t not in INPUT_ORIGINS]
    if len(origins) != n or bad:
        raise ExplainError(f"Give one origin per input ({n}), each one of {', '.join(INPUT_ORIGINS)}; "
                           f"got {len(origins)}" + (f" with unknown {sorted(set(bad))}" if bad else "") + ".")
    genetic, unread = _genetic_rows(attribution, context, level, origins)
    genetic.sort(key=lambda r: -abs(r.contribution))
    other: list[LedgerRow] = []
    if top is not None and len(genetic) > top:
        rest = genetic[top:]
        genetic = genetic[:top]
        other = [_merge(attribution, rest, f"Other genetics ({len(rest)} rows)", "other", "", origins)]
    clinical = [
        _row(attribution, [i], clinical_label(context, name, float(attribution.inputs[i])), "clinical", "", origins)
        for i, name in enumerate(context.feature_names) if i >= context.n_genetic
    ]
    body = sorted(genetic + clinical, key=lambda r: -abs(r.contribution)) + other + unread
    residual = attribution.delta - math.fsum(r.contribution for r in body)
    residual_row = LedgerRow(
        label="Not attributed (numerical remainder)", section="residual", level="residual", features=(),
        contribution=residual, spread=0.0, values=(), baseline_values=(), origins=(), evidence="",
        note=attribution.completeness,
    )
    rows = (*body, residual_row)
    return Ledger(
        output=attribution.output, method=attribution.method, baseline=attribution.baseline, level=level, rows=rows,
        baseline_logit=attribution.baseline_logit, prediction_logit=attribution.prediction_logit,
        baseline_probability=sigmoid(attribution.baseline_logit),
        prediction_probability=sigmoid(attribution.prediction_logit),
        genetics=math.fsum(r.contribution for r in body if r.section == "genetics"),
        clinical=math.fsum(r.contribution for r in body if r.section == "clinical"),
        residual=residual, converged=attribution.converged,
    )
