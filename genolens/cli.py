"""Command line: ``python -m genolens inspect PATH [--sample S] [--build B] [--absent P] [--json]``.

Bad input exits with status 2 and one line on stderr starting ``error:``; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from genolens.errors import GenoLensError
from genolens.genome.encode import STATUS_WORDS
from genolens.genome.patient import patient_to_json, read_patient
from genolens.genome.pgx import PgxReport, call_pgx, pgx_to_json
from genolens.genome.qc import panel_warnings
from genolens.types import ABSENT_POLICIES, BUILD_CHOICES, PatientGenome


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message} (see `python -m genolens --help`)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m genolens``."""
    parser = _Parser(prog="python -m genolens", description="GenoLens (research use only).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ins = sub.add_parser("inspect", help="read one sample of a VCF/BCF at every panel site")
    _add_read_options(ins)
    ins.add_argument("--qc-records", type=int, default=250_000, help="records examined for file QC (0: none)")
    ins.add_argument("--json", action="store_true", help="print one JSON object")
    pgx = sub.add_parser("pgx", help="guideline (CPIC-style) phenotypes from the pharmacogenomic panel")
    _add_read_options(pgx)
    pgx.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _add_read_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="VCF, VCF.gz or BCF file")
    p.add_argument("--sample", help="sample to read (required when the file has several)")
    p.add_argument("--build", choices=BUILD_CHOICES, default="auto", help="genome build (default: auto)")
    p.add_argument("--absent", choices=ABSENT_POLICIES, default="missing",
                   help="sites absent from the file: missing (default) or reference (whole-genome call set)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        patient = read_patient(args.path, sample=args.sample, build=args.build, absent=args.absent,
                               qc_records=max(getattr(args, "qc_records", 0), 0))
        if args.command == "pgx":
            report = call_pgx(patient)
            text = json.dumps(pgx_to_json(report), indent=1) if args.json else _pgx_text(report)
        else:
            text = json.dumps(patient_to_json(patient), indent=1) if args.json else _text(patient)
    except GenoLensError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader left; not an error of ours
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
    return 0


def _text(p: PatientGenome) -> str:
    lines = [f"{p.source_name}: sample {p.sample} of {len(p.info.samples)}; {p.build.build} "
             f"({p.build.source}); read by {p.read_mode}"]
    lines += [f"  build evidence: {e}" for e in p.build.evidence]
    qc = p.qc
    lines.append(f"  QC: {qc.records:,} records, call rate {_pct(qc.call_rate)}, Ti/Tv {_num(qc.ti_tv)}, "
                 f"het/hom-alt {_num(qc.het_hom_alt)}, median DP {_num(qc.dp_median)}, GQ {_num(qc.gq_median)}")
    lines += [f"  warning: {w}" for w in qc.warnings]
    lines.append(f"  sites absent from the file are treated as: {p.absent_policy}")
    for r in p.panels:
        counts: dict[str, int] = {}
        for s in r.sites:
            counts[s.status] = counts.get(s.status, 0) + 1
        shown = ", ".join(f"{n} {STATUS_WORDS[k]}" for k, n in sorted(counts.items()))  # type: ignore[index]
        lines.append(f"  {r.title}: coverage {r.coverage:.0%} of {len(r.sites)} ({shown})")
        lines += [f"    warning: {w}" for w in panel_warnings(r, p.qc.chromosomes)]
    lines.append("Research use only.")
    return "\n".join(lines)


def _pgx_text(report: PgxReport) -> str:
    lines = []
    for g in report.genes:
        score = "" if g.activity_score is None else f", activity score {g.activity_score:g}"
        missing = f"; missing: {', '.join(g.missing_positions)}" if g.missing_positions else ""
        lines.append(f"{g.gene}: {' or '.join(g.diplotypes) or 'no diplotype'} -> {g.phenotype}{score}{missing}")
    lines.append("Research use only; alleles defined by positions outside the panel are not tested.")
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
