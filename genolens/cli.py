"""Command line: ``python -m genolens inspect PATH [--sample S] [--build B] [--absent P] [--json]``.

``python -m genolens audit verify LOG`` checks the dashboard's audit log (exit 0 ``ok: N entries``, else 2).
``python -m genolens report PATH [--sample S] [--absent P] [--build B] [--details FILE] [--detail NAME=VALUE]
--format html|pdf|json --out FILE`` writes a patient report. ``simulate``, ``validate``, ``train`` and
``import-pgs`` make cohorts and bundles.
``predict FILE --model warfarin_dose --detail age=67 --detail height=170 --detail weight=80 --detail race=White
[--detail amiodarone=no] [--detail enzyme_inducer=no] --json`` prints the warfarin dose (:data:`WARFARIN_KEYS`);
``explain FILE --model warfarin_dose --json`` adds its ledger in mg/week.
Every command's arguments are parsed here; the domain modules take plain keyword arguments.

Bad input exits with status 2 and one line on stderr starting ``error:``; never a traceback.
The ``[input_limits]`` of the project's ``genolens.toml`` (:data:`SETTINGS_FILE`) bound what a file may cost,
as in the dashboard.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genolens.datamodel import ABSENT_POLICIES, BUILD_CHOICES, BUILDS, PatientGenome
from genolens.datamodel.clinical import PatientDetails, details_record, patient_details, read_details
from genolens.errors import BundleError, GenoLensError, GroundTruthError, OptionError, ReportError
from genolens.genome.encode import STATUS_WORDS
from genolens.genome.gene_call import PgxReport
from genolens.genome.isolated import read_patient_isolated
from genolens.genome.outside_calls import OutsideCall, read_outside_calls
from genolens.genome.panel import load_panels
from genolens.genome.patient import patient_to_json, read_patient
from genolens.genome.pgx import call_pgx, diplotype_words, pgx_to_json, strict_words
from genolens.genome.qc import QC_RECORDS, panel_warnings
from genolens.genome.vcf_check import configure_limits
from genolens.modeling.absolute_reference import REFERENCE_SEED, REFERENCE_WOMEN
from genolens.provenance import RESEARCH_USE, RESEARCH_USE_LINE, RESEARCH_USE_REPORT_LINE

if TYPE_CHECKING:
    from genolens.modeling.bundle import Bundle

# torch, captum and msprime load only for the commands that need them: `inspect`, `pgx` and `predict` (numpy)
# start fast; tests/integration/test_cli_start_up.py holds them to it.
METHODS = ("ig", "gradient_shap", "deeplift_shap", "deeplift", "saliency", "input_x_gradient",
           "feature_ablation", "shapley_sampling")
BASELINES = ("population", "reference", "ancestry", "distribution", "relative")
WARFARIN_MODEL = "warfarin_dose"
WARFARIN_KEYS = (
    "dose_mg_per_week: median of the network's predictive distribution (null when no dose); "
    "dose_mg_per_day: the same / 7; interval_mg_per_week: [5th, 95th percentile]; "
    "iwpc_algorithm_mg_per_week: the published IWPC pharmacogenetic algorithm on the same inputs; "
    "genotypes: {CYP2C9, VKORC1} as coded ('unknown' when not called); flags: what was coded unknown or assumed; "
    "missing: why there is no dose (age, height, weight or race not given)")
"""The keys of ``predict --model warfarin_dose --json``, in words (the help and the README say the same)."""
SETTINGS_FILE = Path(__file__).resolve().parents[1] / "genolens.toml"
COHORT_COMMANDS = ("train", "validate")
"""Commands that read simulated cohort VCFs, not patient files: their limits are raised (``COHORT_FLOORS``)."""
"""The project's settings, as the dashboard reads them; the CLI uses their ``[input_limits]``."""


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
    ins.add_argument("--qc-records", type=int, default=QC_RECORDS,
                     help=f"records examined for file QC (0: none; default {QC_RECORDS:,})")
    ins.add_argument("--json", action="store_true", help="print one JSON object")
    _add_cohort_commands(sub)
    _add_audit_command(sub)
    ar = sub.add_parser("absolute-reference", help="simulate a breast-cancer bundle's reference women and write its "
                                                   "baseline hazard (absolute_risk.npz) beside the bundle")
    ar.add_argument("bundle", help="bundle folder, e.g. models/breast_cancer/2.0.0")
    ar.add_argument("--n", type=int, default=REFERENCE_WOMEN, help=f"reference women (default: {REFERENCE_WOMEN})")
    ar.add_argument("--seed", type=int, default=REFERENCE_SEED, help=f"seed (default: {REFERENCE_SEED})")
    pr = sub.add_parser("predict", help="predict with every shipped bundle for one sample",
                        epilog=f"--model {WARFARIN_MODEL} --json prints: {WARFARIN_KEYS}.")
    _add_read_options(pr)
    pr.add_argument("--model", help=f"one bundle only (default: every one); {WARFARIN_MODEL}: the warfarin dose "
                                    "in mg/week, which needs age, height, weight and race")
    _add_details_options(pr)
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    ex = sub.add_parser("explain", help="explain one model's prediction for one sample",
                        epilog=f"--model {WARFARIN_MODEL} --json prints the predict keys and 'ledger': rows of "
                               "(factor, model_mg_per_week, iwpc_algorithm_mg_per_week) against the derivation "
                               "cohort's mean patient with CYP2C9 *1/*1 and VKORC1 G/G, and the completeness "
                               "residual in mg/week.")
    _add_read_options(ex)
    ex.add_argument("--model", required=True, help="bundle name (folder under models/)")
    ex.add_argument("--output", help="output to explain (default: the bundle's first)")
    ex.add_argument("--method", choices=METHODS, default="ig", help="attribution method (default: ig)")
    ex.add_argument("--baseline", choices=BASELINES, default="population",
                    help="comparison point (default: population average)")
    ex.add_argument("--ancestry", help="ancestry for --baseline ancestry (e.g. EUR)")
    ex.add_argument("--relative", help="another sample of the same VCF for --baseline relative")
    ex.add_argument("--level", choices=("gene", "allele", "variant"), default="gene", help="ledger rows")
    _add_details_options(ex)
    ex.add_argument("--json", action="store_true", help="print one JSON object")
    imp = sub.add_parser("import-pgs", help="turn a PGS Catalog scoring file into a linear bundle")
    imp.add_argument("scoring_file", help="PGS Catalog scoring file (format 2.0)")
    imp.add_argument("--out", default="models", help="models folder to write <PGS id>/<version>/ into")
    rep = sub.add_parser("report", help="patient report (HTML, PDF or JSON provenance record) from every bundle")
    _add_read_options(rep)
    rep.add_argument("--format", choices=("html", "pdf", "json"), required=True, help="report format")
    rep.add_argument("--out", required=True, help="file to write")
    _add_details_options(rep)
    rep.add_argument("--method", choices=METHODS, default="ig", help="attribution method (default: ig)")
    rep.add_argument("--baseline", choices=("population", "reference", "distribution"), default="population",
                     help="comparison point of the explanations (default: population average)")
    rep.add_argument("--qc-records", type=int, default=QC_RECORDS,
                     help=f"records examined for file QC (0: none; default {QC_RECORDS:,})")
    _add_pgx_policy(rep)
    pgx = sub.add_parser("pgx", help="guideline (CPIC-style) phenotypes from the pharmacogenomic panel")
    _add_read_options(pgx)
    pgx.add_argument("--json", action="store_true", help="print one JSON object")
    pgx.add_argument("--outside-calls", metavar="TSV", help="outside calls in PharmCAT's format (see report)")
    _add_pgx_policy(pgx)
    co = sub.add_parser("cohort", help="predict and explain every sample of a multi-sample VCF/BCF on Dask; "
                                       "Parquet results (README, Cohorts)")
    co.add_argument("path", help="multi-sample VCF, VCF.gz or BCF (with ##contig lines)")
    co.add_argument("--out", required=True, help="results folder (created; a rerun into it resumes)")
    co.add_argument("--scheduler", help="address of a running Dask scheduler, tcp://HOST:PORT (default: a local "
                                        "cluster on this machine)")
    co.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default: 2)")
    co.add_argument("--models", help="comma-separated bundle names (default: every shipped bundle)")
    co.add_argument("--details", metavar="FILE", help="each sample's details: TOML or JSON with one table per sample, "
                                                      "as data/demo/details.toml (without: no estimate from models "
                                                      "that read sex)")
    co.add_argument("--chunk-size", type=int, default=None,
                    help="samples per chunk, the unit of work and of restart (default: a resumed job's own; else "
                         "four chunks per worker, 50-1,000 samples each)")
    co.add_argument("--build", choices=BUILD_CHOICES, default="auto", help="genome build (default: auto)")
    co.add_argument("--absent", choices=ABSENT_POLICIES, default="missing",
                    help="sites absent from the file: missing (default) or reference (whole-genome call set)")
    co.add_argument("--reference", metavar="FASTA",
                    help="the reference FASTA the file was called against (indexed with samtools faidx): reports the "
                         "file's REF mismatches at panel sites in the manifest, left-aligns its indels there, and "
                         "gives the REF of panel sites that have none (for --absent reference)")
    return parser


def _add_details_options(p: argparse.ArgumentParser) -> None:
    """The patient's details: a file, single values, and the date they are taken on."""
    p.add_argument("--details", metavar="FILE",
                   help="the patient's details, TOML or JSON (sex, age or date_of_birth, breast_cancer_relatives, "
                        "race, bmi or height and weight, smoking, ldl, sbp, egfr, amiodarone, enzyme_inducer, "
                        "capecitabine, patient_id, requester, reason); a file with one table per sample is read "
                        "for --sample")
    p.add_argument("--detail", action="append", default=[], metavar="NAME=VALUE",
                   help="one detail, e.g. sex=female or age=42 (repeatable; wins over --details). Models that read "
                        "sex make no prediction without it; any other detail not given is set to a stated "
                        "reference value, named in the output")
    p.add_argument("--clinical", action="extend", nargs="+", default=[], dest="detail", metavar="NAME=VALUE",
                   help="several details at once, e.g. --clinical age=67 height_cm=170 weight_kg=80 race=White "
                        "amiodarone=0 enzyme_inducer=0 (the same as repeating --detail; height_cm and weight_kg "
                        "are read as height and weight)")
    p.add_argument("--date", help="the date of the report, YYYY-MM-DD (default: today)")
    p.add_argument("--outside-calls", metavar="TSV",
                   help="outside calls in PharmCAT's format (gene, diplotype[, phenotype, activity score]; CYP2D6, "
                        "HLA-B, ...): each replaces the call made from the file")


def _add_cohort_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """The commands that work on cohorts: ``simulate``, ``validate`` and ``train``."""
    # Defaults that live in torch/msprime modules (the pool size, the models folder) are filled in
    # when the command runs, so building the parser stays fast; the help texts say what they are.
    sim = sub.add_parser("simulate", help="simulate a cohort with known truth (python -m genolens simulate --help)",
                         description="Simulated training cohorts with known truth: msprime haplotypes, real panel "
                                     "variants, phenotypes.")
    sim.add_argument("--n", type=int, required=True, help="individuals to simulate")
    sim.add_argument("--seed", type=int, required=True, help="seed of every random draw")
    sim.add_argument("--out", required=True, help="folder to write the cohort into")
    sim.add_argument("--build", action="append", choices=BUILDS, help="build(s) to write (default: both)")
    sim.add_argument("--pool", type=int, help="diploid individuals per population per window")
    chk = sub.add_parser("check-simulation",
                         help="check a fresh simulated population against the published effects and frequencies",
                         description="Draw a population in memory with a fresh seed and compare its per-allele odds "
                                     "ratios, allele frequencies and 10-year breast-cancer incidence with the sources.")
    chk.add_argument("--n", type=int, required=True, help="individuals to draw (500,000 gives ~150,000 European women)")
    chk.add_argument("--seed", type=int, required=True, help="a seed never used for training")
    chk.add_argument("--pool", type=int, help="diploid individuals per population per window")
    chk.add_argument("--json", help="also write every row to this JSON file")
    val = sub.add_parser("validate",
                         help="check explanations against the simulated truth (python -m genolens validate --help)",
                         description="Check every bundle's explanations against a simulated cohort's truth.")
    val.add_argument("--cohort", required=True, help="simulated cohort folder (truth.json, phenotypes.csv, VCF)")
    val.add_argument("--models", help="models folder (default: the shipped models/)")
    val.add_argument("--bundle", action="append", default=[], help="bundle name to validate (default: every one)")
    val.add_argument("--n-patients", type=int, default=200, help="held-out patients per bundle (default 200)")
    val.add_argument("--seed", type=int, default=0, help="seed of the draw and the attributions (default 0)")
    val.add_argument("--fresh", action="store_true",
                     help="the cohort was simulated with a seed never used in training: draw patients from all of it "
                          "and also measure discrimination, calibration and 10-year E/O into [fresh_validation]")
    val.add_argument("--dry-run", action="store_true",
                     help="print the figures without writing them into the bundles")
    tr = sub.add_parser("train", help="train a bundle from a cohort VCF and a phenotype table")
    tr.add_argument("--vcf", required=True, help="cohort VCF/BCF (one column per individual)")
    tr.add_argument("--phenotypes", required=True, help="CSV: sample, [ancestry], cov_* covariates, y_* outcomes")
    tr.add_argument("--panel", required=True, help="panel whose variants are the inputs (data/panels/NAME.tsv)")
    tr.add_argument("--out", required=True, help="bundle folder to write: models/<name>/<version>")
    tr.add_argument("--outcomes", help="comma-separated y_* columns (default: those the truth file or table give)")
    tr.add_argument("--covariates", help="comma-separated cov_* columns (default: all, or the truth file's)")
    tr.add_argument("--kind", choices=("risk", "response"), default="risk", help="network kind (default: risk)")
    tr.add_argument("--members", type=int, default=5, help="ensemble members (default 5)")
    tr.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    tr.add_argument("--no-select", dest="select", action="store_false",
                    help="read every panel variant (default: only those the AIC adaptive lasso keeps per output)")
    tw = sub.add_parser("train-warfarin", help="train the warfarin dose bundle on the real IWPC patients, score it "
                        "beside the published algorithms and write the concordance of its explanations with the "
                        "IWPC algorithm's into the card")
    tw.add_argument("--out", required=True, help="bundle folder to write: models/warfarin_dose/<version>")
    tw.add_argument("--seed", type=int, default=2009, help="seed of the split and the training (default 2009)")


def _add_audit_command(sub: argparse._SubParsersAction[_Parser]) -> None:
    au = sub.add_parser("audit", help="check the dashboard's audit log (python -m genolens audit verify LOG)")
    au_sub = au.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    ver = au_sub.add_parser("verify", help="check the hash chain: exit 0 and 'ok: N entries', or 2 and each problem")
    ver.add_argument("log", help="the audit log (JSON lines), e.g. ~/.local/share/genolens/audit.jsonl")


def _audit_verify(log: str) -> tuple[int, str]:
    """``audit verify LOG``: exit 0 and ``ok: N entries``, or exit 2 and one line per problem."""
    from genolens.audit import read, verify

    path = Path(log)
    problems = verify(path)
    if not problems:
        return 0, f"ok: {len(read(path))} entries in {path}"
    return 2, "\n".join([f"FAILED: {len(problems)} problem(s) in {path}", *(str(p) for p in problems)])


def _add_read_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="VCF, VCF.gz or BCF file")
    p.add_argument("--sample", help="sample to read (required when the file has several)")
    p.add_argument("--build", choices=BUILD_CHOICES, default="auto", help="genome build (default: auto)")
    p.add_argument("--absent", choices=ABSENT_POLICIES, default="missing",
                   help="sites absent from the file: missing (default) or reference (whole-genome call set)")
    p.add_argument("--reference", metavar="FASTA",
                   help="the reference FASTA the file was called against (.fa or bgzipped .fa.gz, indexed with "
                        "samtools faidx): confirms the build, reports the file's REF mismatches at panel sites, and "
                        "gives the REF of panel sites that have none (for --absent reference)")


def _references(args: argparse.Namespace) -> tuple[str, ...]:
    return (args.reference,) if getattr(args, "reference", None) else ()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 and one ``error:`` line for anything the user can fix)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        configure_limits(_settings(), cohort=args.command in COHORT_COMMANDS)
        status, text = _run(args)
    except GenoLensError as exc:  # the one place a domain error becomes a message
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader left; not an error of ours
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
    return status


def _settings() -> dict[str, Any]:
    """The parsed :data:`SETTINGS_FILE` ({} without one)."""
    if not SETTINGS_FILE.is_file():
        return {}
    try:
        with SETTINGS_FILE.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OptionError(f"{SETTINGS_FILE.name} cannot be read: {exc}. Fix or remove it.") from None


def _read(path: str, **options: Any) -> PatientGenome:
    """Read the patient in this process, after the text check (``genolens.genome.vcf_check``) that refuses every
    file shape known to crash htslib; ``GENOLENS_ISOLATED_READ=1`` reads in a worker process instead (about 0.7 s
    more per command), as the dashboard always does, where one crash would disconnect every user."""
    if os.environ.get("GENOLENS_ISOLATED_READ") == "1":
        return read_patient_isolated(path, **options)
    return read_patient(path, **options)


def _run(args: argparse.Namespace) -> tuple[int, str]:
    """Run one command; return its exit status and what it prints."""
    if args.command == "audit":
        return _audit_verify(args.log)
    if args.command == "simulate":
        return 0, _simulate(args)
    if args.command == "validate":
        return _validate(args)
    if args.command == "check-simulation":
        return _check_simulation(args)
    if args.command in ("train", "import-pgs"):
        return 0, _build_bundle(args)
    if args.command == "train-warfarin":
        return 0, _train_warfarin(args)
    if args.command == "absolute-reference":
        return 0, _absolute_reference(args)
    if args.command == "cohort":
        return 0, _cohort(args)
    if args.command in ("predict", "explain") and args.model == WARFARIN_MODEL:
        return 0, _warfarin(args, _read(args.path, sample=args.sample, build=args.build, absent=args.absent,
                                        references=_references(args), qc_records=0))
    bundles: tuple[Bundle, ...] = ()
    if args.command in ("explain", "report"):  # they run torch (and Captum); `predict` runs in numpy
        from genolens.explain.explanation import use_one_thread

        use_one_thread()
    if args.command in ("predict", "explain", "report"):
        bundles = _bundles(args.model if args.command != "report" else None)
    extra = [b.panel for b in bundles if b.info.own_panel]
    patient = _read(args.path, sample=args.sample, build=args.build, absent=args.absent,
                    references=_references(args), panels=[*load_panels(), *extra] if extra else None,
                    qc_records=max(getattr(args, "qc_records", 0), 0))
    if args.command == "predict":
        return 0, _predict(args, patient, bundles)
    if args.command == "explain":
        return 0, _explain(args, patient, bundles)
    if args.command == "report":
        return 0, _report(args, patient, bundles)
    if args.command == "pgx":
        report = call_pgx(patient, _outside(args), missing=args.pgx_missing)
        return 0, json.dumps(pgx_to_json(report), indent=1) if args.json else _pgx_text(report)
    return 0, json.dumps(patient_to_json(patient), indent=1) if args.json else _text(patient)


def _bundles(name: str | None) -> tuple[Bundle, ...]:
    """The bundle ``name`` (``--model``), or every shipped bundle when ``None``: each loaded once per command (an
    imported score brings its own panel to read).

    Raises
    ------
    OptionError
        When no bundle is called ``name`` (the message lists those there are).
    """
    from genolens.modeling.bundle import bundle_paths, load_bundles

    if name is None:
        return load_bundles()
    bundles = load_bundles(names=(name,))
    if not bundles:
        names = ", ".join([*(p.parent.name for p in bundle_paths()), WARFARIN_MODEL])
        raise OptionError(f"Model '{name}' unknown. Choose from: {names}.")
    return bundles


def _text(p: PatientGenome) -> str:
    lines = [f"{p.source_name}: sample {p.sample} of {len(p.info.samples)}; {p.build.build} "
             f"({p.build.source}); read by {p.read_mode}"]
    lines += [f"  build evidence: {e}" for e in p.build.evidence]
    if (ref := p.reference) is not None:
        lines.append(f"  reference FASTA {ref.name} ({ref.build}): {ref.compared} panel sites compared, "
                     f"{len(ref.mismatches)} REF mismatches, {ref.filled} panel REFs supplied, "
                     f"indel records left-aligned: {ref.left_aligned}")
        lines += [f"  REF mismatch: {m.chrom}:{m.pos} file {m.file_ref}, FASTA {m.fasta_ref} ({', '.join(m.variants)})"
                  for m in ref.mismatches]
    qc = p.qc
    lines.append(f"  QC: {qc.records:,} records, call rate {_pct(qc.call_rate)}, Ti/Tv {_num(qc.ti_tv)}, "
                 f"het/hom-alt {_num(qc.het_hom_alt)}, median DP {_num(qc.dp_median)}, GQ {_num(qc.gq_median)}")
    lines += [f"  warning: {w}" for w in qc.warnings]
    lines.append(f"  sites absent from the file are treated as: {p.absent_policy}")
    if p.ancestry is not None:
        lines.append(f"  ancestry: {p.ancestry.words}")
    for r in p.panels:
        counts: dict[str, int] = {}
        for s in r.sites:
            counts[s.status] = counts.get(s.status, 0) + 1
        shown = ", ".join(f"{n} {STATUS_WORDS[k]}" for k, n in sorted(counts.items()))  # type: ignore[index]
        lines.append(f"  {r.title}: coverage {r.coverage:.0%} of {len(r.sites)} ({shown})")
        lines += [f"    warning: {w}" for w in panel_warnings(r, p.qc.chromosomes)]
    lines.append(RESEARCH_USE)
    return "\n".join(lines)


def _explain(args: argparse.Namespace, patient: PatientGenome, bundles: Sequence[Bundle]) -> str:
    from genolens.explain.explanation import explanation_json, output_index
    from genolens.modeling.clinical import model_inputs
    from genolens.modeling.predict import features_for
    from genolens.workflows import explain_bundle

    bundle = next((b for b in bundles if b.name == args.model), None)
    if bundle is None:
        names = ", ".join(b.name for b in bundles) or "none (run make models)"
        raise OptionError(f"Model '{args.model}' unknown. Choose from: {names}.")
    relative_values = None
    if args.baseline == "relative":
        if not args.relative:
            raise OptionError("--baseline relative needs --relative SAMPLE (another sample of the same VCF).")
        other = _read(args.path, sample=args.relative, build=args.build, absent=args.absent,
                      references=_references(args), panels=[bundle.panel], qc_records=0)
        relative_values = features_for(other, bundle).values
    name = bundle.outputs[output_index(bundle, args.output)]
    inputs = model_inputs(bundle.info, _details(args, patient.sample), on=_date(args), sexes=bundle.info.sexes)
    if inputs.missing:
        raise OptionError(f"{bundle.name} makes no prediction: {inputs.missing}. Give it with --detail or --details.")
    e = explain_bundle(bundle, patient, outputs=[name], method=args.method, baseline=args.baseline,
                       clinical=inputs, ancestry=args.ancestry, relative_values=relative_values,
                       level=args.level)[name]
    if args.json:
        return json.dumps(explanation_json(e), indent=1)
    o, led = e.output, e.ledger
    lines = [f"{bundle.name}/{o.output}: {o.probability:.1%} (members {o.interval[0]:.1%}-{o.interval[1]:.1%}); "
             f"with missing genotypes varied: {e.sensitivity_band[0]:.1%}-{e.sensitivity_band[1]:.1%}",
             f"baseline: {led.baseline.caption} ({led.baseline_probability:.1%})",
             f"method: {e.attribution.method}; {e.attribution.completeness}"]
    for r in led.rows[:12]:
        lines.append(f"  {r.contribution:+.3f}  {r.label}" + (f"  [{r.note}]" if r.note else ""))
    lines.append(f"reliability: {e.reliability.grade}" + "".join(f"\n  - {x}" for x in e.reliability.reasons))
    lines.append(RESEARCH_USE_LINE)
    return "\n".join(lines)


_DETAIL_ALIASES = {"height_cm": "height", "weight_kg": "weight"}
"""Detail names with their units, as ``--clinical`` may write them."""


def _details(args: argparse.Namespace, sample: str) -> PatientDetails:
    """The patient's details from ``--details`` and ``--detail`` (the single values win)."""
    base = details_record(read_details(args.details, sample)) if args.details else {}
    for item in args.detail:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OptionError(f"--detail '{item}' is not NAME=VALUE (e.g. sex=female or age=42).")
        base[_DETAIL_ALIASES.get(name.strip(), name.strip())] = value.strip()
    return patient_details(base)


def _outside(args: argparse.Namespace) -> dict[str, OutsideCall]:
    """The outside calls of ``--outside-calls`` (none without it)."""
    if not args.outside_calls:
        return {}
    try:
        text = Path(args.outside_calls).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"Cannot read --outside-calls {args.outside_calls}: {exc}.") from None
    return read_outside_calls(text)


def _date(args: argparse.Namespace) -> dt.date:
    if not args.date:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(args.date)
    except ValueError:
        raise OptionError(f"--date '{args.date}' is not a date: write YYYY-MM-DD.") from None


def _predict(args: argparse.Namespace, patient: PatientGenome, bundles: Sequence[Bundle]) -> str:
    from genolens.modeling.predict import predict_json

    if not bundles:
        raise BundleError("No model bundles under models/: run `make models` first.")
    if args.model:
        chosen = [b for b in bundles if b.name == args.model]
        if not chosen:
            names = ", ".join([*(b.name for b in bundles), WARFARIN_MODEL])
            raise OptionError(f"Model '{args.model}' unknown. Choose from: {names}.")
        bundles = chosen
    record = predict_json(patient, bundles, _details(args, patient.sample), on=_date(args))
    if args.json:
        return json.dumps(record, indent=1)
    lines = []
    for name, outputs in record["predictions"].items():
        for output, o in outputs.items():
            lo, hi = o["interval"]
            lines.append(f"{name}/{output}: {o['probability']:.1%} ({lo:.1%}-{hi:.1%}), percentile "
                         f"{o['percentile']:.0f}, {o['band']}")
            lines += [f"  flag: {f['message']}" for f in o["flags"]]
    lines += [f"{name}: no prediction: {why}" for name, why in record["not_computed"].items()]
    lines.append(RESEARCH_USE_LINE)
    return "\n".join(lines)


def _warfarin(args: argparse.Namespace, patient: PatientGenome) -> str:
    """``predict``/``explain --model warfarin_dose``: the dose (and, for explain, its ledger)."""
    from genolens.workflows.warfarin import dose_json, ledger_json, warfarin_dose

    explain = args.command == "explain"
    d = warfarin_dose(patient, _details(args, patient.sample), on=_date(args), explain=explain)
    if args.json:
        return json.dumps(ledger_json(d) if explain else dose_json(d), indent=1)
    lines = [f"genotypes: CYP2C9 {d.genotypes['CYP2C9']}, VKORC1 {d.genotypes['VKORC1']}"]
    if d.dose_mg_per_week is None or d.interval is None or d.dose_mg_per_day is None:
        lines += [f"{WARFARIN_MODEL}: no dose: {why}" for why in d.missing]
    else:
        lines.append(f"{WARFARIN_MODEL}: {d.dose_mg_per_week:.1f} mg/week ({d.dose_mg_per_day:.2f} mg/day), 90% "
                     f"interval {d.interval[0]:.1f}-{d.interval[1]:.1f} mg/week; IWPC algorithm "
                     f"{d.iwpc_algorithm_mg_per_week:.1f} mg/week")
    lines += [f"  flag: {f}" for f in d.flags]
    if d.ledger is not None:
        led = d.ledger
        lines.append(f"baseline: {led.baseline_caption} (model {led.model_baseline_mg_per_week:.1f}, IWPC "
                     f"algorithm {led.iwpc_baseline_mg_per_week:.1f} mg/week); {led.completeness}")
        lines.append("  model   IWPC    mg/week")
        lines += [f"  {r.model_mg_per_week:+6.2f} {r.iwpc_mg_per_week:+6.2f}  {r.factor}" for r in led.rows]
    lines.append(f"{RESEARCH_USE} Trained on real IWPC patients (CC BY-SA 4.0); target INR 2-3.")
    return "\n".join(lines)


def _report(args: argparse.Namespace, patient: PatientGenome, bundles: Sequence[Bundle]) -> str:
    from genolens.present.report import write_report
    from genolens.workflows import installed_dose_bundle, patient_report

    summary = patient_report(patient, bundles, details=_details(args, patient.sample), report_date=_date(args),
                             outside=_outside(args), dose_bundle=installed_dose_bundle(), method=args.method,
                             baseline=args.baseline, pgx_missing=args.pgx_missing).summary
    try:
        out = write_report(summary, args.out, args.format)
    except OSError as exc:
        raise ReportError(f"Cannot write the report to '{args.out}': {exc.strerror}; choose another --out.") from None
    models = ", ".join(f"{b.name} {b.version}" for b in summary.provenance.bundles) or "none (guideline calls only)"
    models += ", warfarin_dose (real IWPC patients)" if summary.warfarin is not None else ""
    notice = RESEARCH_USE_REPORT_LINE if summary.warfarin is not None else RESEARCH_USE_LINE
    return f"wrote {args.format} report {out} (models: {models}). {notice}"


def _train_warfarin(args: argparse.Namespace) -> str:
    from genolens.modeling.warfarin_model import train_warfarin
    from genolens.workflows.warfarin import CONCORDANCE_FACTORS, write_concordance

    card = train_warfarin(Path(args.out), seed=args.seed)
    agreement = write_concordance(Path(args.out))  # needs workflows (IG), which modeling may not import
    held = card["metrics"]["validation"]
    lines = [f"wrote {args.out}; held-out patients: {card['training']['n_validation']}",
             f"{'model':<22}{'MAE mg/week':>12}{'% ideal':>9}{'R2':>7}"]
    for name, groups in held.items():
        m = groups["all"]
        lines.append(f"{name:<22}{m['mae']:>12.2f}{m['pct_ideal']:>9.1f}{m['r2']:>7.3f}")
    lines.append(f"network 90% interval coverage: {card['metrics']['interval_coverage_90']['validation']:.1%}")
    lines.append("concordance with the IWPC algorithm's contributions (Pearson r, held-out): " + ", ".join(
        f"{f} {agreement[f]['pearson_r']:.3f}" for f in CONCORDANCE_FACTORS)
        + f"; max completeness residual {agreement['max_relative_completeness_residual']:.1e}")
    return "\n".join(lines)


def _build_bundle(args: argparse.Namespace) -> str:
    from genolens.modeling.export import train_bundle
    from genolens.modeling.pgs_import import import_pgs

    if args.command == "train":
        out = train_bundle(args.vcf, args.phenotypes, args.panel, args.out, outcomes=_names(args.outcomes),
                           covariates=_names(args.covariates), seed=args.seed, members=args.members,
                           kind=args.kind, select=args.select)
    else:
        out = import_pgs(args.scoring_file, args.out)
    return f"wrote bundle {out}"


def _absolute_reference(args: argparse.Namespace) -> str:
    from genolens.modeling.absolute_reference import write_absolute_reference
    from genolens.modeling.bundle import load_bundle

    started = time.perf_counter()
    path = write_absolute_reference(load_bundle(args.bundle), n=args.n, seed=args.seed)
    return f"wrote {path} ({args.n} reference women) in {time.perf_counter() - started:.1f} s"


def _simulate(args: argparse.Namespace) -> str:
    from genolens.modeling.haplotypes import POOL_SIZE
    from genolens.modeling.simulate import simulate_cohort

    started = time.perf_counter()
    simulate_cohort(n=args.n, seed=args.seed, out_dir=args.out, builds=tuple(args.build or BUILDS),
                    pool=POOL_SIZE if args.pool is None else args.pool)
    return f"wrote {args.n} individuals to {args.out} in {time.perf_counter() - started:.1f} s"


def _check_simulation(args: argparse.Namespace) -> tuple[int, str]:
    """Status 1 when an odds ratio or a sourced frequency misses its source."""
    from genolens.modeling.haplotypes import POOL_SIZE
    from genolens.modeling.simulation_check import check_simulation, summary_lines

    result = check_simulation(n=args.n, seed=args.seed, pool=POOL_SIZE if args.pool is None else args.pool)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    s = result["summary"]
    missed = s["odds_ratios_passed"] < s["odds_ratios"] or s["frequencies_passed"] < s["frequencies_checked"]
    return int(missed), "\n".join(summary_lines(result))


def _validate(args: argparse.Namespace) -> tuple[int, str]:
    """Check each bundle's explanations against the truth; status 1 when a target is missed."""
    from genolens.explain.ground_truth import validate_bundle, validation_summary
    from genolens.modeling.bundle import MODELS_DIR, bundle_paths, load_bundle
    from genolens.modeling.fresh_metrics import fresh_metrics, fresh_summary, write_fresh_validation

    models = str(MODELS_DIR) if args.models is None else args.models
    paths = [q for q in bundle_paths(Path(models)) if not args.bundle or q.parent.name in args.bundle]
    if not paths:
        raise BundleError(f"no bundle {', '.join(args.bundle) or ''} under {models}; run make models.")
    failed = False
    lines = []
    for path in paths:
        try:
            out = validate_bundle(path, args.cohort, n_patients=args.n_patients, seed=args.seed,
                                  write=not args.dry_run, fresh=args.fresh)
            if args.fresh:
                bundle = load_bundle(path)
                table = fresh_metrics(bundle, args.cohort)
                if not args.dry_run:
                    write_fresh_validation(bundle, table)
        except GenoLensError as exc:  # say which bundle
            raise GroundTruthError(f"{path.parent.name}: {exc}") from None
        failed |= not out["passed"] or out["randomisation"] != "pass"
        lines.append(validation_summary(path.parent.name, out))
        if args.fresh:
            failed |= not table["passed"]
            lines.append(fresh_summary(path.parent.name, table, bundle.outputs))
    return (1 if failed else 0), "\n".join(lines)


def _cohort(args: argparse.Namespace) -> str:
    """Run a cohort job (progress on stderr); return where the results are."""
    from genolens.cohort import dask_client, run_cohort_job
    from genolens.datamodel.clinical import details_tables
    from genolens.modeling.bundle import bundle_paths

    paths = bundle_paths()
    wanted = _names(args.models)
    if wanted:
        unknown = sorted(set(wanted) - {p.parent.name for p in paths})
        if unknown:
            names = ", ".join(p.parent.name for p in paths) or "none (run make models)"
            raise OptionError(f"Model(s) {', '.join(unknown)} unknown. Choose from: {names}.")
        paths = [p for p in paths if p.parent.name in wanted]

    details = {}
    if args.details:
        try:
            details = details_tables(Path(args.details).read_text(encoding="utf-8"), Path(args.details).name)
        except (OSError, UnicodeDecodeError) as exc:
            raise OptionError(f"Cannot read the details file {args.details}: {exc}.") from None
        if not details:
            raise OptionError(f"{args.details} holds no table per sample ([SAMPLE] sex = ...); a cohort needs one "
                              "table per sample, as data/demo/details.toml.")

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with dask_client(args.scheduler, args.workers) as client:
        done = run_cohort_job(args.path, args.out, bundles=paths, client=client, chunk_size=args.chunk_size,
                              absent=args.absent, build=args.build, details=details, progress=say,
                              show_progress=True, references=_references(args))
    return (f"{done.samples} samples x {len(paths)} bundles: {len(done.computed)} chunks computed, "
            f"{len(done.skipped)} already complete; results in {done.results} (manifest.json)")


def _names(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def _add_pgx_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pgx-missing", choices=("pharmcat", "strict"), default="pharmcat",
                   help="defining positions missing from the file: call from those present and list the missing "
                        "(pharmcat, the default, as PharmCAT does), or Indeterminate whenever one is missing "
                        "(strict; PharmCAT's result is shown beside it)")


def _pgx_text(report: PgxReport) -> str:
    lines = []
    for g in report.genes:
        score = "" if g.activity_score is None else f", activity score {g.activity_score:g}"
        missing = f"; missing: {', '.join(g.missing_positions)}" if g.missing_positions else ""
        lines.append(f"{g.gene}: {diplotype_words(g) or 'no diplotype'} -> {g.phenotype}{score}"
                     f"{strict_words(g)}{missing}")
    lines.append("Research use only; alleles defined by positions outside the panel are not tested.")
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
