"""The stricter missing-position policy, chosen by the user, is labelled as such beside PharmCAT's result.

The DPYD demo carries *2A heterozygous and lacks 5 of DPYD's defining positions. Under PharmCAT's policy (the
default, held to PharmCAT's own answers in test_pharmcat_known_answers.py) it is an Intermediate Metabolizer;
under the strict policy any missing defining position makes it Indeterminate, and every output that shows the
strict call also shows PharmCAT's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from html import escape

from genolens.genome.patient import read_patient
from genolens.genome.pgx import MISSING_WORDS
from genolens.present.report import render_html, render_json, summary_from_json
from genolens.workflows import patient_report
from tests.factories import ROOT

DPYD_DEMO = ROOT / "data" / "demo" / "dpyd_2A_heterozygote.vcf.gz"
LABEL = "strict policy; PharmCAT's policy: Intermediate Metabolizer"


def _pgx_line(*extra: str) -> str:
    out = subprocess.run([sys.executable, "-m", "genolens", "pgx", str(DPYD_DEMO), *extra], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=300).stdout
    return next(line for line in out.splitlines() if line.startswith("DPYD:"))


def test_the_cli_labels_a_strict_call_beside_pharmcats() -> None:
    default, strict = _pgx_line(), _pgx_line("--pgx-missing", "strict")
    assert "-> Intermediate Metabolizer" in default and "strict" not in default
    assert "-> Indeterminate" in strict and f"({LABEL})" in strict
    assert default.split("; missing: ")[1] == strict.split("; missing: ")[1]  # the same positions are missing


def test_the_report_drug_table_follows_the_chosen_policy_and_names_both() -> None:
    patient = read_patient(DPYD_DEMO)
    rows = {p: next(r for r in patient_report(patient, (), pgx_missing=p).summary.drugs
                    if r.drug.startswith("Fluoropyrimidines")) for p in ("pharmcat", "strict")}
    assert rows["pharmcat"].guideline.startswith("DPYD Intermediate Metabolizer")
    assert "Reduce starting dose by 50%" in rows["pharmcat"].action and LABEL not in rows["pharmcat"].guideline
    assert rows["strict"].guideline.startswith("DPYD Indeterminate") and LABEL in rows["strict"].guideline
    assert rows["strict"].level != "green"


def test_the_report_names_the_policy_it_used_in_its_settings_and_provenance() -> None:
    patient = read_patient(DPYD_DEMO)
    for policy in ("pharmcat", "strict"):
        summary = patient_report(patient, (), pgx_missing=policy).summary
        assert summary.provenance.pgx_missing == policy
        assert summary.header.settings.endswith(f"pharmacogenomic positions missing from the file: "
                                                f"{MISSING_WORDS[policy]}")
        html = render_html(summary)
        assert escape(MISSING_WORDS[policy]) in html and f"positions missing from the file: {policy} policy" in html
        assert summary_from_json(render_json(summary)) == summary
    record = json.loads(render_json(summary))
    del record["provenance"]["pgx_missing"]  # a record written before the choice: PharmCAT's policy, the only one
    assert summary_from_json(json.dumps(record)).provenance.pgx_missing == "pharmcat"


def test_a_strict_call_that_changes_the_dose_either_way_stays_a_key_finding() -> None:
    """Strict DPYD is Indeterminate, but every possibility reduces the starting dose: the report must not say
    "No key finding"."""
    patient = read_patient(DPYD_DEMO)
    for policy in ("pharmcat", "strict"):
        keys = patient_report(patient, (), pgx_missing=policy).summary.key_findings
        drug = [k for k in keys if k.kind == "drug" and k.title.startswith("Fluoropyrimidines")]
        assert len(drug) == 1 and "Reduce starting dose by 50%" in drug[0].action, (policy, keys)
        assert not any(k.kind == "none" for k in keys)
