"""Prediction benchmark: every shipped bundle for one patient, in-process and as a whole command; the warfarin dose.

Run from the repository root: ``.venv/bin/python bench/predict.py``. Three comparisons, each like with like,
interleaved run by run, medians, with the 1-minute load average beside every figure:

1. **Whole process** (CPU seconds of the child, ``getrusage(RUSAGE_CHILDREN)``, and wall seconds):
   ``python -m genolens predict PATIENT --details data/demo/details.toml --json`` (read the VCF, load every
   bundle, predict, print JSON) beside ``python -c "import torch"`` (what any torch-based predict pays before it
   does anything) and ``python -c "import numpy, cyvcf2"`` (the floor: the interpreter and the two libraries
   predict needs). Target (issue 13): median <= 1.5 s CPU.
2. **In-process**, bundles loaded and the patient read once (not timed): ``predict`` for every bundle
   (intervals, percentiles, bands, flags; the forward pass in numpy) beside a naive baseline that runs each
   ensemble member separately in torch without ``torch.inference_mode`` and summarises the member logits in
   numpy (probability, interval, percentile, band; it computes no flags, so it does less than ``predict``).
   Target: median <= 50 ms.
3. The warfarin dose model trained on the real IWPC patients: ``warfarin_dose(..., explain=False)`` (genotypes
   from the VCF, the network's median and 90% interval, the IWPC algorithm beside it) beside the IWPC
   pharmacogenetic algorithm written in plain numpy from the same genotypes and details.

Torch runs with one intra-op thread, as the CLI and the dashboard do (``--threads 0``: torch's own choice).
``--smoke`` runs every step a few times only (CI checks that the script still works; its timings mean nothing).
See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from genolens.datamodel import Features, PatientGenome, Prediction  # noqa: E402
from genolens.datamodel.clinical import PatientDetails, read_details  # noqa: E402
from genolens.errors import GenoLensError  # noqa: E402
from genolens.genome.patient import read_patient  # noqa: E402
from genolens.modeling.bundle import Bundle, load_bundles  # noqa: E402
from genolens.modeling.iwpc import DESIGN_NAMES  # noqa: E402
from genolens.modeling.logistic import sigmoid  # noqa: E402
from genolens.modeling.predict import PredictOptions, band, features_for, predict  # noqa: E402
from genolens.modeling.warfarin_baselines import INTERCEPT, IWPC_PHARMACOGENETIC  # noqa: E402
from genolens.workflows.warfarin import (  # noqa: E402
    WarfarinDose,
    design_row,
    installed_dose_bundle,
    patient_genotypes,
    warfarin_dose,
)

DEFAULT_PATIENT = ROOT / "data" / "demo" / "brca1_185delAG_carrier.vcf.gz"
DEMO_DETAILS = ROOT / "data" / "demo" / "details.toml"
TARGET_MS = 50.0
TARGET_CLI_CPU_S = 1.5
"""Issue 13: ``predict`` as a whole process, CPU seconds (median)."""


@dataclass(frozen=True)
class WarfarinCase:
    """The warfarin dose bundle and the patient's details (age, height, weight, race) it needs."""

    bundle_dir: Path
    details: PatientDetails


def warfarin_case(patient: PatientGenome, details_file: Path = DEMO_DETAILS) -> tuple[WarfarinCase | None, str]:
    """The warfarin case for ``patient`` (details from the demo file by sample), or ``None`` and why not."""
    bundle_dir = installed_dose_bundle()
    if bundle_dir is None:
        return None, "no warfarin dose bundle installed (make models)"
    details = read_details(details_file, patient.sample) if details_file.is_file() else PatientDetails()
    dose = warfarin_dose(patient, details, on=None, bundle_dir=bundle_dir, explain=False)
    if dose.missing:
        return None, f"no dose for {patient.sample}: {'; '.join(dose.missing)}"
    return WarfarinCase(bundle_dir, details), (
        f"warfarin_dose/{bundle_dir.name}: {patient.sample}, {dict(dose.genotypes)}, "
        f"{len(dose.flags)} flag(s); dose {dose.dose_mg_per_week:.1f} mg/week")


def warfarin_predict(case: WarfarinCase, patient: PatientGenome) -> WarfarinDose:
    """The product's call: the dose, its interval and the IWPC algorithm's dose, no ledger."""
    return warfarin_dose(patient, case.details, on=None, bundle_dir=case.bundle_dir, explain=False)


def naive_iwpc_dose(case: WarfarinCase, patient: PatientGenome) -> float:
    """The same job done plainly: the IWPC pharmacogenetic algorithm in numpy on the same genotypes and details,
    ``max(intercept + x . beta, 0) ** 2`` mg/week (no network, no interval)."""
    genotypes, _ = patient_genotypes(patient)
    v = case.details.values
    x = design_row(age_years=v["age"], height_cm=v["height"], weight_kg=v["weight"],
                   race=str(case.details.race), cyp2c9=genotypes["CYP2C9"], vkorc1=genotypes["VKORC1"],
                   enzyme_inducer=bool(v.get("enzyme_inducer", 0.0)), amiodarone=bool(v.get("amiodarone", 0.0)))
    beta = np.array([IWPC_PHARMACOGENETIC.get(n, 0.0) for n in DESIGN_NAMES])
    return float(max(IWPC_PHARMACOGENETIC[INTERCEPT] + float(x @ beta), 0.0) ** 2)


def machine(threads: int = 0) -> str:
    """Set torch's intra-op threads (1: the product's own ``use_one_thread``; 0: leave torch's default) and
    describe the machine and its load."""
    if threads == 1:
        from genolens.explain import use_one_thread  # the call the CLI and the dashboard make

        use_one_thread()
    elif threads > 0:
        torch.set_num_threads(threads)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"machine: nproc={cores} python {platform.python_version()} ({platform.machine()}) "
            f"torch {torch.__version__} torch_threads={torch.get_num_threads()}"
            f"{' (set by --threads)' if threads > 0 else ' (default)'} "
            f"interop_threads={torch.get_num_interop_threads()}; {load()}")


def load() -> str:
    """The 1/5/15-minute load average: other processes on these cores skew every number."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def load1() -> float:
    """The 1-minute load average now."""
    return os.getloadavg()[0]


@dataclass(frozen=True)
class ProcessTimes:
    """One command's runs as a whole process: CPU seconds (user + system of the child), wall seconds, and the
    1-minute load average when each run started."""

    cpu_s: np.ndarray
    wall_s: np.ndarray
    load: np.ndarray

    def line(self, label: str) -> str:
        return (f"  {label:<58} CPU median {np.median(self.cpu_s):5.2f} s (min {self.cpu_s.min():5.2f})  wall "
                f"median {np.median(self.wall_s):5.2f} s  [load {np.median(self.load):.2f}]")


def whole_processes(commands: Sequence[Sequence[str]], repeats: int) -> list[ProcessTimes]:
    """Run each command ``repeats`` times as a child process, alternating between them (stdout discarded; a
    failing command stops the bench), after one untimed run each (the page cache).

    GenoLens's bytecode is compiled first, as pip does for an installed package and as Python does on a
    package's first import, unless ``PYTHONDONTWRITEBYTECODE`` is set (it is in this sandbox, and it would
    make every run recompile genolens from source, 0.2-0.3 s CPU, while torch's bytecode is cached)."""
    compileall.compile_dir(ROOT / "genolens", quiet=1)
    for cmd in commands:
        done = subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    cpu, wall, loads = (np.empty((len(commands), repeats)) for _ in range(3))
    for i in range(repeats):
        for j, cmd in enumerate(commands):
            loads[j, i] = load1()
            before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            wall[j, i] = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[j, i] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return [ProcessTimes(cpu[j], wall[j], loads[j]) for j in range(len(commands))]


Summary = tuple[str, str, float, float, float, float, str]  # bundle, output, p, low, high, percentile, band


def naive_predict(bundle: Bundle, features: Features) -> list[Summary]:
    """What ``predict`` reports per output, written plainly from the bundle's public fields: missing inputs take
    the reference mean, covariates their population mean (no clinical values given, as in the timed call); the
    ensemble runs member by member, each with autograd dispatch (no inference_mode); no flags."""
    ref = bundle.reference
    values = np.asarray(features.values, dtype=np.float64)
    genetic = np.where(np.isnan(values), ref.feature_mean, values)
    x = np.concatenate([genetic, bundle.covariate_mean]).astype(np.float32)
    model = bundle.model
    rows = []
    for member in model.members:  # one Python forward per member, grad mode on
        rows.append(member(torch.from_numpy(x)[None, :])[0] * model.cal_slope + model.cal_bias)
    member_logits = torch.stack(rows).detach().double().numpy()  # (members, n_outputs)
    lo_pct, hi_pct = PredictOptions().interval
    out: list[Summary] = []
    for k, name in enumerate(bundle.outputs):
        z = float(member_logits[:, k].mean())
        p = sigmoid(z)
        probs = sigmoid(member_logits[:, k])
        lo, hi = float(np.percentile(probs, lo_pct)), float(np.percentile(probs, hi_pct))
        scores = np.sort(ref.logits[k])
        pct = 100.0 * (np.searchsorted(scores, z, "left") + np.searchsorted(scores, z, "right")) / 2.0 / len(scores)
        rr = p / float(bundle.mean_probability[k])
        out.append((bundle.name, name, p, min(lo, p), max(hi, p), float(pct), band(rr, bundle.bands)))
    return out


def summarise(pred: Prediction) -> list[Summary]:
    return [(pred.bundle, o.output, o.probability, *o.interval, o.percentile, o.band) for o in pred.outputs]


def genolens_all(bundles: Sequence[Bundle], patient: PatientGenome) -> list[Prediction]:
    return [predict(b, features_for(patient, b)) for b in bundles]


def naive_all(bundles: Sequence[Bundle], patient: PatientGenome) -> list[list[Summary]]:
    return [naive_predict(b, features_for(patient, b)) for b in bundles]


def same(a: Sequence[Prediction], b: Sequence[list[Summary]]) -> bool:
    """Both give the same probabilities, intervals, percentiles and bands (float32 noise allowed)."""
    for pa, sb in zip(a, b, strict=True):
        for oa, ob in zip(summarise(pa), sb, strict=True):
            close = np.allclose(oa[2:6], ob[2:6], rtol=1e-5, atol=1e-6)
            if not close or oa[:2] != ob[:2] or oa[6] != ob[6]:
                print(f"  MISMATCH {pa.bundle}: {oa} vs {ob}")
                return False
    return True


def interleaved(fns: Sequence[Callable[[], object]], repeats: int, warmup: int) -> list[np.ndarray]:
    """Time each function ``repeats`` times, alternating between them, after ``warmup`` calls each."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times = [np.empty(repeats) for _ in fns]
    for i in range(repeats):
        for fn, t in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            t[i] = time.perf_counter() - t0
    return [t * 1e3 for t in times]


def summary(label: str, ms: np.ndarray) -> str:
    return (f"  {label:<44} median {np.median(ms):7.2f} ms  p95 {np.percentile(ms, 95):7.2f} ms  "
            f"min {ms.min():7.2f} ms  [load {load1():.2f}]")


def cli_timing(patient: Path, sample: str | None, repeats: int) -> float:
    """``python -m genolens predict`` as a whole process beside torch's import and the floor; its median CPU s."""
    py = sys.executable
    cmd = [py, "-m", "genolens", "predict", str(patient), "--details", str(DEMO_DETAILS), "--json",
           *(["--sample", sample] if sample else [])]
    ours, torch_only, floor = whole_processes([cmd, [py, "-c", "import torch"], [py, "-c", "import numpy, cyvcf2"]],
                                              repeats)
    print(f"whole process, {repeats} interleaved runs after one untimed run each:")
    print(ours.line("a. python -m genolens predict FILE --details D --json"))
    print(torch_only.line('b. python -c "import torch" (any torch-based predict)'))
    print(floor.line('c. python -c "import numpy, cyvcf2" (the floor)'))
    med = float(np.median(ours.cpu_s))
    print(f"ratio CPU predict/import torch: {med / np.median(torch_only.cpu_s):.2f}x; predict/floor: "
          f"{med / np.median(floor.cpu_s):.2f}x; target median <= {TARGET_CLI_CPU_S:g} s CPU "
          f"({'met' if med <= TARGET_CLI_CPU_S else 'MISSED'})")
    return med


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patient", default=str(DEFAULT_PATIENT), help="VCF of the patient (default: a demo)")
    ap.add_argument("--sample", help="sample of the patient's VCF (needed when it has several)")
    ap.add_argument("--repeats", type=int, default=300, help="timed runs of each contender (>= 200)")
    ap.add_argument("--process-repeats", type=int, default=7, help="whole-process runs of each command (>= 5)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed runs of each contender first")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (default 1, as the CLI and dashboard; 0: torch's choice)")
    ap.add_argument("--smoke", action="store_true", help="3 runs, 1 warm-up: checks the script works (CI)")
    args = ap.parse_args()
    if args.smoke:
        args.repeats, args.warmup, args.process_repeats = 5, 1, 1
    print(machine(args.threads))
    cli_cpu = cli_timing(Path(args.patient), args.sample, args.process_repeats)
    t0 = time.perf_counter()
    bundles = load_bundles()
    t_load = time.perf_counter() - t0
    if not bundles:
        raise SystemExit("No bundles under models/; run make models first.")
    t0 = time.perf_counter()
    try:
        patient = read_patient(args.patient, sample=args.sample, qc_records=0)
    except GenoLensError as exc:
        raise SystemExit(f"error: {exc}") from None
    t_read = time.perf_counter() - t0
    print(f"setup (not timed): {len(bundles)} bundles loaded in {t_load:.2f} s; {Path(args.patient).name} read in "
          f"{t_read:.2f} s")
    for b in bundles:
        f = features_for(patient, b)
        print(f"  {b.name}/{b.version}: {b.network.kind}, {b.network.members} members, {len(f.names)} genetic + "
              f"{len(b.covariates)} covariates, outputs {', '.join(b.outputs)}; {int(f.missing.sum())} missing")

    ok = same(genolens_all(bundles, patient), naive_all(bundles, patient))
    print(f"cross-check: predict vs naive per-member loop -> {'OK' if ok else 'MISMATCH'}")
    ours, naive = interleaved([lambda: genolens_all(bundles, patient), lambda: naive_all(bundles, patient)],
                              args.repeats, args.warmup)
    print(f"all {len(bundles)} bundles for one patient, {args.repeats} interleaved runs after {args.warmup} "
          "warm-up runs each, wall clock:")
    print(summary("a. GenoLens predict (numpy forward pass)", ours))
    print(summary("b. naive per-member loop (grad mode)", naive))
    per_bundle = []
    for b in bundles:
        f = features_for(patient, b)
        (ms,) = interleaved([lambda b=b, f=f: predict(b, f)], max(args.repeats // 2, 3 if args.smoke else 50),
                            1 if args.smoke else 5)
        per_bundle.append(f"{b.name} {np.median(ms):.2f}")
    print(f"  per bundle (median ms): {'; '.join(per_bundle)}")
    med = float(np.median(ours))
    print(f"ratio naive/GenoLens: median {np.median(naive) / med:.2f}x, p95 "
          f"{np.percentile(naive, 95) / np.percentile(ours, 95):.2f}x")
    w_med, w_ok = warfarin_timing(patient, args.repeats, args.warmup)
    print(f"after the runs: {load()}")
    print(f"target: median <= {TARGET_MS:g} ms ({'met' if med <= TARGET_MS else 'MISSED'}); p95 "
          f"{np.percentile(ours, 95):.2f} ms; cross-check {'OK' if ok else 'MISMATCH'}")
    print(f"predict_ms={med:.2f}" + ("" if w_med is None else f" warfarin_predict_ms={w_med:.2f}")
          + f" predict_cli_cpu_s={cli_cpu:.2f}")
    return 0 if ok and w_ok else 1


def warfarin_timing(patient: PatientGenome, repeats: int, warmup: int) -> tuple[float | None, bool]:
    """Time the warfarin dose model beside the IWPC algorithm in numpy; its median ms (``None`` when there is no
    case) and whether the two agree on the algorithm's dose."""
    case, words = warfarin_case(patient)
    print(f"warfarin dose model: {words}")
    if case is None:
        return None, True
    dose = warfarin_predict(case, patient)
    naive = naive_iwpc_dose(case, patient)
    ok = bool(np.isclose(dose.iwpc_algorithm_mg_per_week or np.nan, naive, rtol=1e-12, atol=0))
    print(f"cross-check: IWPC algorithm in warfarin_dose {dose.iwpc_algorithm_mg_per_week:.4f} vs plain numpy "
          f"{naive:.4f} mg/week -> {'OK' if ok else 'MISMATCH'}")
    ours, base = interleaved([lambda: warfarin_predict(case, patient), lambda: naive_iwpc_dose(case, patient)],
                             repeats, warmup)
    print(f"warfarin dose for one patient, {repeats} interleaved runs after {warmup} warm-up runs each:")
    print(summary("c. warfarin_dose(explain=False): network + IWPC", ours))
    print(summary("d. IWPC algorithm in plain numpy", base))
    w_med = float(np.median(ours))
    print(f"ratio warfarin_dose/plain IWPC: median {w_med / np.median(base):.1f}x; target median <= {TARGET_MS:g} "
          f"ms ({'met' if w_med <= TARGET_MS else 'MISSED'})")
    return w_med, ok


if __name__ == "__main__":
    raise SystemExit(main())
