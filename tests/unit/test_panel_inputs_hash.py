"""A panel's inputs hash: what a model reads (ids, positions, alleles, function), not REF facts or evidence.

Bundles and simulated truths are pinned to it, so that a REF fact added to a panel table reaches the reading
without voiding the models trained on it, while any change to a variant still does.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from genolens.datamodel import Panel
from genolens.modeling.outcomes import truth_on_panel
from tests.factories import tiny_panel


def _with_first(panel: Panel, **locus: str) -> Panel:
    v = panel.variants[0]
    return replace(panel, variants=(replace(v, grch38=replace(v.grch38, **locus)), *panel.variants[1:]),
                   sha256="edited")


def test_ref_facts_and_evidence_leave_the_inputs_hash_alone(tmp_path: Path) -> None:
    p = tiny_panel(tmp_path, 4)
    with_ref = _with_first(p, ref="G")
    reworded = replace(p, variants=(replace(p.variants[0], evidence="reworded", source="elsewhere"),
                                    *p.variants[1:]), title="Retitled")
    assert with_ref.inputs_sha256 == p.inputs_sha256 == reworded.inputs_sha256


def test_positions_alleles_and_order_change_it(tmp_path: Path) -> None:
    p = tiny_panel(tmp_path, 4)
    changed = [_with_first(p, effect_allele="C"), _with_first(p, pos=10_001),
               replace(p, variants=tuple(reversed(p.variants))),
               replace(p, variants=p.variants[:-1]),
               replace(p, variants=(replace(p.variants[0], activity_value=0.5), *p.variants[1:]))]
    assert len({p.inputs_sha256, *(c.inputs_sha256 for c in changed)}) == 1 + len(changed)


def test_a_truth_is_matched_by_inputs_or_for_old_truths_by_file(tmp_path: Path) -> None:
    p = tiny_panel(tmp_path, 4)
    with_ref = _with_first(p, ref="G")
    new = {"panel_sha256": p.sha256, "panel_inputs_sha256": p.inputs_sha256}
    old = {"panel_sha256": p.sha256}
    assert truth_on_panel(new, p) and truth_on_panel(new, with_ref)
    assert not truth_on_panel(new, _with_first(p, effect_allele="C"))
    assert truth_on_panel(old, p) and not truth_on_panel(old, with_ref)
