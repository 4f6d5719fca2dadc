"""Dashboard latency benchmark: a warm `streamlit run serve.py` driven by Debian Chromium through Playwright.

Run from the repository root: ``.venv/bin/python bench/ui.py`` (``--repeats 5``, at least 5; ``--demo NAME``;
``--no-wgs`` skips the whole-genome upload).
Not a test. It starts the app once on a free loopback port (its own process group, stopped at the end),
warms it in a first browser context (a demo patient read, its report, the explorer and one PDF: torch,
captum, WeasyPrint and every bundle are loaded), then, for each repeat, opens a *fresh* browser context
(a new Streamlit session: the patient-derived ``st.cache_data(scope="session")`` entries start empty,
as for a new user, while the models in ``st.cache_resource`` stay warm) and times:

* ``report_s``: demo patient chosen in the selectbox -> Patient page read -> Report link clicked ->
  report fully rendered (three risk cards, drug table, findings, export buttons; app idle, no skeleton);
* ``method_switch_s``: on the Explorer (already rendered with Integrated Gradients), choosing another
  method -> completeness, reliability, charts and table re-rendered (app idle);
* ``pdf_s``: "Download PDF" clicked -> download complete (the PDF is rendered server-side on click);
* ``models_s``: the Models page link clicked -> the first model card drawn (its ROC and calibration charts; app idle);
* ``cohort_s``: the Cohort page link clicked -> the page drawn on a results folder of 50,000 samples (``--cohort-
  samples``) in the server's results root: histogram, gene matrix (200 rows) and top-decile drivers charts, the
  drill-down heading; app idle. Warm: the warm-up context opened it once, so the folder's aggregates are cached in
  the server (per folder and manifest time) and each repeat measures what a new user waits for. The folder is
  made once into ``bench/work/cohort/`` (``tests.factories.tiled_cohort_results``: a real cohort job on 120
  samples made from the demo trio's records, tiled and perturbed to 50,000 rows per output, same schema) and
  reused while its stamp matches;
* ``rss_mb``: VmRSS of the streamlit server process (``/proc/<pid>/status``) after every repeat;
* ``wgs_report_s`` (unless ``--no-wgs``): in another fresh context each time, the 4.5-million-record whole-genome
  VCF.gz that ``bench/ingest.py`` generates (``bench/work/unindexed.vcf.gz``, built by its generator when missing)
  uploaded through the Patient page's file input -> Patient page read -> Report link clicked -> report drawn
  (export buttons, inherited variants; app idle). The server's CPU seconds for it (the server and its worker
  processes) are printed beside it.

Each figure is the median over the repeats, and the 1-minute load average read right after each run is printed
beside every figure (a 2-core machine shared with other work makes wall-clock figures move with the load).
Every request off 127.0.0.1 is blocked and counted (must be 0). Then, unless ``--no-phases``, the server-side
steps are timed in this process, without Streamlit, to say where the time goes. The last line is::

    report_s=X method_switch_s=Y pdf_s=Z models_s=M cohort_s=C rss_mb=W wgs_report_s=V

(``wgs_report_s`` left out with ``--no-wgs``, ``cohort_s`` with ``--no-cohort``.) Targets (issue 13): report_s
<= 3, method_switch_s <= 1, pdf_s <= 5, models_s <= 2, rss_mb <= 700, wgs_report_s <= 10 (machine idle); issue
14: cohort_s <= 3. ``--smoke`` skips the warm-up and the phases, makes one (cold) repeat, uploads a 20,000-record
file of the same generator instead of the whole genome and opens a 2,000-sample results folder tiled from a
20-sample job (in a temporary folder): CI checks that the flows still work, a minute or two; its timings mean
nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# the e2e tests' Chromium flags, server, network block and idle wait
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, block_outside, streamlit_app, wait_idle  # noqa: E402

TIMEOUT_MS = 180_000
CARD_METRIC = re.compile(r"Risk of diagnosis, age \d+ to \d+|Model probability \(no time horizon\)")
CARDS = {"DEMO_BRCA1": 3, "DEMO_PRS_HIGH": 3, "DEMO_DPYD": 2, "DEMO_CYP2C19": 2}
"""Risk cards each demo gets (breast cancer, CAD, T2D; the breast-cancer model is for women: data/demo/details.toml)."""
"""A risk card's headline metric: the breast-cancer risk by age (a woman with an age) or the model probability."""
TARGETS = {"report_s": 3.0, "method_switch_s": 1.0, "pdf_s": 5.0, "models_s": 2.0, "cohort_s": 3.0,
           "rss_mb": 700.0, "wgs_report_s": 10.0}
MIN_REPEATS = 5  # the issue: median of >= 5
DEMOS = {  # selectbox label -> sample name
    "dpyd 2A heterozygote": "DEMO_DPYD", "brca1 185delAG carrier": "DEMO_BRCA1",
    "cyp2c19 2 2": "DEMO_CYP2C19", "high polygenic breast risk": "DEMO_PRS_HIGH",
}
SWITCH_TO = "DeepLift"  # from the default Integrated Gradients
WGS_SAMPLE = "BENCH001"  # the one sample of bench/ingest.py's file
T = TypeVar("T")


# --- server -------------------------------------------------------------------------------------------------
def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB (10^6 bytes)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) * 1024 / 1e6 for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (all its threads) so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid``, of its children it has waited for, and of its live descendants (worker processes)."""
    def own(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    return own(pid) + sum(own(p) for p in descendants(pid))


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int(Path(d, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def load1() -> float:
    """The 1-minute load average now."""
    return os.getloadavg()[0]


def browser_pids(server_pid: int) -> list[int]:
    """This process's descendants other than the server: the Playwright driver and its Chromium processes."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int(Path(d, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    mine = []
    for pid in parent:
        p = pid
        while p > 1 and p not in (os.getpid(), server_pid):
            p = parent.get(p, 0)
        if p == os.getpid() and pid != os.getpid():
            mine.append(pid)
    return mine


@contextmanager
def cpu_split(server_pid: int, into: dict[str, float]) -> Iterator[None]:
    """Add the CPU seconds the server and the browser spend inside the block to ``into``."""
    before_server, before_browser = cpu_s(server_pid), {p: cpu_s(p) for p in browser_pids(server_pid)}
    yield
    into["server"] = into.get("server", 0.0) + cpu_s(server_pid) - before_server
    into["browser"] = into.get("browser", 0.0) + sum(cpu_s(p) - before_browser.get(p, 0.0)
                                                        for p in browser_pids(server_pid))


def busy_neighbours() -> list[str]:
    """Other processes that make timings noisy on a 2-core machine (model training, test runs)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if any(k in cmd for k in ("make models", "genolens train", "pytest", "bench/")) and "bench/ui.py" not in cmd:
            out.append(f"{d.name}: {cmd[:100]}")
    return out


# --- browser steps ------------------------------------------------------------------------------------------


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=60_000)
    wait_idle(page, TIMEOUT_MS)


def select(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def nav(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()


def report_flow(page: Page, demo: str, sample: str) -> tuple[float, float, float]:
    """Choose ``demo`` on the Patient page, open the Report.

    Returns (total s, of which the Patient page s, of which the server's own read as its status label says).
    """
    t0 = time.perf_counter()
    select(page, "Demo patient (simulated)", demo)
    expect(page.get_by_test_id("stMain").get_by_text(sample, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Panel coverage", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    t_read = time.perf_counter() - t0
    status = page.get_by_text(re.compile(r"^Read .+ in [0-9.]+ s$"))  # absent on a cache hit
    server_read = math.nan
    if status.count():
        server_read = float(status.first.inner_text().rsplit(" in ", 1)[1].removesuffix(" s"))
    nav(page, "Report")
    expect(page.get_by_role("button", name="Download PDF")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stMetric").filter(has_text=CARD_METRIC)).to_have_count(CARDS[sample])
    expect(page.get_by_test_id("stTable").first).to_be_visible()
    expect(page.get_by_text("Inherited variants tested", exact=True)).to_be_visible()
    wait_idle(page, TIMEOUT_MS)
    total = time.perf_counter() - t0
    assert page.get_by_test_id("stAlertContentError").count() == 0, "the report shows an error"
    return total, t_read, server_read


def pdf_flow(page: Page, out: Path) -> float:
    t0 = time.perf_counter()
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download PDF").click()
    dl.value.save_as(out)  # waits for the download to complete
    took = time.perf_counter() - t0
    assert out.read_bytes()[:5] == b"%PDF-", "the download is not a PDF"
    return took


def open_explorer(page: Page) -> None:
    nav(page, "Explorer")
    expect(page.get_by_text("Completeness", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2, timeout=TIMEOUT_MS)
    expect(page.get_by_text("Download the attribution table (CSV)")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def switch_method(page: Page, method: str) -> float:
    """Choose ``method``; return seconds until the explorer is re-rendered with it and idle."""
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="Parameters:")
    before = caption.inner_text()
    t0 = time.perf_counter()
    select(page, "Method", method)
    expect(caption).not_to_have_text(before, timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2, timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    took = time.perf_counter() - t0
    assert page.get_by_test_id("stAlertContentError").count() == 0, "the explorer shows an error"
    return took


def models_flow(page: Page) -> float:
    """Open the Models page; return seconds until the first model card (its two charts) is drawn and idle."""
    t0 = time.perf_counter()
    nav(page, "Models")
    expect(page.get_by_role("tab").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Explanations checked against the simulated truth").first).to_be_visible(
        timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    took = time.perf_counter() - t0
    assert page.get_by_test_id("stAlertContentError").count() == 0, "the Models page shows an error"
    return took


def cohort_flow(page: Page) -> float:
    """Open the Cohort page (the results root's one folder is chosen by default); return seconds until its three
    charts and the drill-down are drawn and the app is idle."""
    t0 = time.perf_counter()
    nav(page, "Cohort")
    expect(page.get_by_text("Drill down", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3, timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    took = time.perf_counter() - t0
    assert page.get_by_test_id("stAlertContentError").count() == 0, "the Cohort page shows an error"
    return took


def cohort_root(smoke: bool, samples: int) -> Path:
    """A results root holding one folder of ``samples`` samples in the cohort job's schema (made when missing or
    stale; a temporary root with ``smoke``)."""
    import json

    from genolens.cohort import run_cohort_job
    from genolens.modeling.bundle import bundle_paths
    from tests.factories import cohort_details, tiled_cohort_results, trio_cohort_vcf

    small_n = 20 if smoke else 120
    work = Path(tempfile.mkdtemp(prefix="genolens_bench_ui_cohort_")) if smoke else ROOT / "bench" / "work" / "cohort"
    root = work / "results"
    folder = root / f"tiled{samples}"
    bundles = bundle_paths()
    stamp = json.dumps({"samples": samples, "small": small_n, "seed": 3,
                        "bundles": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in bundles]})
    if (folder / "manifest.json").is_file() and (work / "stamp.json").is_file() \
            and (work / "stamp.json").read_text() == stamp:
        return root
    print(f"making a {samples:,}-sample results folder in {folder}: a real job on {small_n} samples, tiled ...",
          flush=True)
    t0 = time.perf_counter()
    shutil.rmtree(work / "small", ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    vcf = trio_cohort_vcf(work / f"trio{small_n}.vcf.gz", small_n, seed=1)
    names = [f"C{i:04d}" for i in range(small_n)]
    details = {s: d for s, d in cohort_details(names, seed=2).items() if s not in names[5:7]}  # 2 without details
    run_cohort_job(vcf, work / "small", bundles=bundles, details=details, chunk_size=50)  # type: ignore[arg-type]
    tiled_cohort_results(work / "small", folder, samples, seed=3)
    (work / "stamp.json").write_text(stamp)
    print(f"  made in {time.perf_counter() - t0:.0f} s", flush=True)
    return root


def wgs_flow(page: Page, vcf: Path) -> tuple[float, float]:
    """Upload ``vcf`` on the Patient page, open the Report; return (total s, of which the Patient page s)."""
    page.get_by_test_id("stRadio").get_by_text("Upload a file").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(uploader).to_have_count(1, timeout=60_000)
    wait_idle(page, TIMEOUT_MS)
    t0 = time.perf_counter()
    uploader.set_input_files(vcf)
    expect(page.get_by_test_id("stMain").get_by_text(WGS_SAMPLE, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Panel coverage", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    t_read = time.perf_counter() - t0
    assert page.get_by_test_id("stAlertContentError").count() == 0, "the Patient page shows an error"
    nav(page, "Report")
    expect(page.get_by_role("button", name="Download PDF")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Inherited variants tested", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    total = time.perf_counter() - t0
    assert page.get_by_test_id("stAlertContentError").count() == 0, "the report shows an error"
    return total, t_read


def wgs_file(smoke: bool) -> Path:
    """The whole-genome VCF.gz of ``bench/ingest.py`` (its generator, its cache in bench/work; a 20,000-record file
    in a temporary folder with ``smoke``), generated when missing or stale."""
    sys.path.insert(0, str(ROOT / "bench"))
    import ingest  # bench/ingest.py: the generator and its cache stamp

    if smoke:
        ingest.use_workdir(Path(tempfile.mkdtemp(prefix="genolens_bench_ui_wgs_")), ingest.SMOKE_RECORDS)
    ingest.ensure_tools()
    sites = ingest.panel_sites()
    stamp = ingest.fingerprint(sites)
    if not (ingest.UNINDEXED.exists() and ingest.STAMP.exists() and ingest.STAMP.read_text() == stamp):
        print(f"generating {ingest.N_RECORDS:,} records into {ingest.WORK} (bench/ingest.py's generator) ...",
              flush=True)
        ingest.generate(sites)
        ingest.STAMP.write_text(stamp)
    return Path(ingest.UNINDEXED)


def new_context(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    blocked = block_outside(context)
    return context, context.new_page(), blocked


# --- server-side phases (this process, no Streamlit) --------------------------------------------------------
def phases(demo_path: Path) -> list[tuple[str, float]]:
    """Time each server-side step once cold and once warm, in this process, to say where UI time goes."""
    out: list[tuple[str, float]] = []

    def timed(name: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        value = fn()
        out.append((name, time.perf_counter() - t0))
        return value

    timed("import torch + captum", lambda: (__import__("torch"), __import__("captum.attr")))
    from genolens.explain import Method
    from genolens.genome import read_patient
    from genolens.modeling import load_bundles
    from genolens.present import render_pdf
    from genolens.present.figures import deletion_curve_figure, method_agreement_figure
    from genolens.workflows import compare_methods, patient_report

    bundles = timed("load_bundles (every bundle)", load_bundles)
    patient = timed(f"read_patient {demo_path.name}", lambda: read_patient(demo_path, absent="reference"))
    timed("read_patient again", lambda: read_patient(demo_path, absent="reference"))
    summary = timed("patient_report (first)", lambda: patient_report(patient, bundles).summary)
    timed("patient_report (again)", lambda: patient_report(patient, bundles).summary)
    timed("render_pdf (first, imports WeasyPrint)", lambda: render_pdf(summary))
    timed("render_pdf (again)", lambda: render_pdf(summary))
    b = bundles[0]
    chosen: tuple[Method, ...] = ("ig", "deeplift")
    for method in chosen:
        methods: tuple[Method, ...] = (method, *(m for m in ("ig", "feature_ablation", "gradient_shap")
                                                 if m != method))
        compared = timed(f"compare_methods {b.name} {method}+3", functools.partial(
            compare_methods, patient, b, output=b.outputs[0], methods=methods, baseline="population"))
        attrs, curve = compared.attributions, compared.deletion
    # what the explorer draws after attributing: two Plotly figures, built and serialised as st.plotly_chart does
    timed("explorer figures: build + to_json (first)", lambda: [
        f.to_json() for f in (method_agreement_figure(attrs), deletion_curve_figure(curve))])
    timed("explorer figures: build + to_json (again)", lambda: [
        f.to_json() for f in (method_agreement_figure(attrs), deletion_curve_figure(curve))])
    return out


# --- main ---------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=MIN_REPEATS, help=f"timed runs per figure (at least {MIN_REPEATS})")
    ap.add_argument("--demo", default="dpyd 2A heterozygote", choices=sorted(DEMOS))
    ap.add_argument("--no-phases", action="store_true", help="skip the in-process server-side breakdown")
    ap.add_argument("--no-wgs", action="store_true", help="skip the whole-genome upload (wgs_report_s)")
    ap.add_argument("--no-cohort", action="store_true", help="skip the Cohort page (cohort_s)")
    ap.add_argument("--cohort-samples", type=int, default=50_000, help="samples of the results folder (cohort_s)")
    ap.add_argument("--smoke", action="store_true", help="no warm-up, one cold repeat, a small upload, no phases (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.repeats, args.no_phases = 1, True
    elif args.repeats < MIN_REPEATS:
        ap.error(f"--repeats {args.repeats}: every figure is a median of at least {MIN_REPEATS} runs")
    sample = DEMOS[args.demo]
    warm_demo = "brca1 185delAG carrier" if args.demo != "brca1 185delAG carrier" else "cyp2c19 2 2"

    print(f"machine: {platform.node()} nproc={os.cpu_count()} python={platform.python_version()} "
          f"chromium={CHROMIUM} loadavg={' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.smoke and not args.no_wgs and not shutil.which("bgzip") and os.geteuid() != 0:
        print("no bgzip and not root (apt-get install tabix): the upload is skipped")
        args.no_wgs = True
    wgs = None if args.no_wgs else wgs_file(args.smoke)
    if args.smoke:
        args.cohort_samples = 2_000
    cohort = None if args.no_cohort else cohort_root(args.smoke, args.cohort_samples)
    if cohort is not None:
        os.environ["GENOLENS_RESULTS_DIR"] = str(cohort)  # the server started below offers its one folder
        print(f"cohort results root: {cohort} ({args.cohort_samples:,} samples)")
    if wgs is not None:
        print(f"whole-genome upload: {wgs} ({wgs.stat().st_size / 2**20:.1f} MiB)")
    busy = busy_neighbours()
    if load1() > 0.75 * (os.cpu_count() or 1):
        busy.append(f"1-minute load average {load1():.2f} on {os.cpu_count()} cores")
    if busy:
        print("WARNING: other busy processes, timings are noisy:\n  " + "\n  ".join(busy))

    work = Path(tempfile.mkdtemp(prefix="genolens_bench_ui_"))
    times: dict[str, list[float]] = {k: [] for k in ("report_s", "read_s", "method_switch_s", "pdf_s", "models_s",
                                                     "cohort_s", "rss_mb", "wgs_report_s", "wgs_read_s",
                                                     "wgs_server_cpu_s")}
    loads: dict[str, list[float]] = {k: [] for k in times}  # the 1-minute load average right after each run
    blocked_total: list[str] = []

    def record(name: str, value: float) -> None:
        times[name].append(value)
        loads[name].append(load1())

    with streamlit_app(work / "server.log") as (url, pid), sync_playwright() as pw:
        print(f"server pid {pid} at {url}: RSS after start {rss_mb(pid)[0]:.0f} MB")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if not args.smoke:
                # warm-up: another demo patient, so the timed one is not in any cache (and nothing is shared)
                context, page, blocked = new_context(browser)
                t0 = time.perf_counter()
                open_app(page, url)
                cold_report, cold_read, _ = report_flow(page, warm_demo, DEMOS[warm_demo])
                cold_pdf = pdf_flow(page, work / "warm.pdf")
                open_explorer(page)
                cold_switch = switch_method(page, SWITCH_TO)
                cold_models = models_flow(page)
                cold_cohort = math.nan if cohort is None else cohort_flow(page)
                context.close()
                blocked_total += blocked
                print(f"warm-up ({warm_demo}, cold server): report {cold_report:.2f} s (read {cold_read:.2f} s), "
                      f"pdf {cold_pdf:.2f} s, method switch {cold_switch:.2f} s, models {cold_models:.2f} s, "
                      f"cohort {cold_cohort:.2f} s; total "
                      f"{time.perf_counter() - t0:.1f} s; RSS {rss_mb(pid)[0]:.0f} MB; load {load1():.2f}")

            for i in range(args.repeats):
                context, page, blocked = new_context(browser)
                open_app(page, url)
                cpu_report: dict[str, float] = {}
                cpu_switch: dict[str, float] = {}
                cpu_models: dict[str, float] = {}
                with cpu_split(pid, cpu_report):
                    report, read, server_read = report_flow(page, args.demo, sample)
                record("report_s", report)
                record("read_s", read)
                record("pdf_s", pdf_flow(page, work / f"report_{i}.pdf"))
                open_explorer(page)
                with cpu_split(pid, cpu_switch):
                    record("method_switch_s", switch_method(page, SWITCH_TO))
                with cpu_split(pid, cpu_models):
                    record("models_s", models_flow(page))
                cpu_cohort: dict[str, float] = {"server": math.nan, "browser": math.nan}
                if cohort is not None:
                    cpu_cohort.clear()
                    with cpu_split(pid, cpu_cohort):
                        record("cohort_s", cohort_flow(page))
                context.close()
                blocked_total += blocked
                record("rss_mb", rss_mb(pid)[0])
                print(f"repeat {i + 1}/{args.repeats} ({args.demo}, fresh context): report {report:.2f} s "
                      f"(patient page {read:.2f} s, of which the server's read {server_read:.1f} s; + report page "
                      f"{report - read:.2f} s; load {loads['report_s'][-1]:.2f}), method switch "
                      f"IG->{SWITCH_TO} {times['method_switch_s'][-1]:.2f} s (load {loads['method_switch_s'][-1]:.2f})"
                      f", pdf {times['pdf_s'][-1]:.2f} s (load {loads['pdf_s'][-1]:.2f}), models "
                      f"{times['models_s'][-1]:.2f} s (load {loads['models_s'][-1]:.2f}), cohort "
                      + (f"{times['cohort_s'][-1]:.2f} s (load {loads['cohort_s'][-1]:.2f})" if cohort else "skipped")
                      + ", RSS "
                      f"{times['rss_mb'][-1]:.0f} MB\n"
                      f"    CPU seconds: report server {cpu_report['server']:.2f} / browser {cpu_report['browser']:.2f}"
                      f"; method switch server {cpu_switch['server']:.2f} / browser {cpu_switch['browser']:.2f}"
                      f"; models server {cpu_models['server']:.2f} / browser {cpu_models['browser']:.2f}"
                      f"; cohort server {cpu_cohort['server']:.2f} / browser {cpu_cohort['browser']:.2f}")

            for i in range(0 if wgs is None else args.repeats):
                context, page, blocked = new_context(browser)
                open_app(page, url)
                cpu_before = tree_cpu_s(pid)
                total, read = wgs_flow(page, wgs)  # type: ignore[arg-type]
                record("wgs_server_cpu_s", tree_cpu_s(pid) - cpu_before)
                record("wgs_report_s", total)
                record("wgs_read_s", read)
                context.close()
                blocked_total += blocked
                print(f"wgs {i + 1}/{args.repeats} ({wgs.name}, fresh context): upload -> report "  # type: ignore[union-attr]
                      f"{total:.2f} s (patient page {read:.2f} s; + report page {total - read:.2f} s), server CPU "
                      f"{times['wgs_server_cpu_s'][-1]:.2f} s (with its workers); load {loads['wgs_report_s'][-1]:.2f}"
                      f"; RSS {rss_mb(pid)[0]:.0f} MB")
        finally:
            browser.close()
        rss_now, hwm = rss_mb(pid)
        print(f"server RSS {rss_now:.0f} MB, peak (VmHWM) {hwm:.0f} MB; server log and PDFs in {work}")

    if blocked_total:
        print(f"ERROR: {len(blocked_total)} request(s) off 127.0.0.1 were blocked: {blocked_total[:5]}")

    if not args.no_phases:
        print(f"server-side phases (this process, no Streamlit; load {load1():.2f}):")
        demo_path = ROOT / "data" / "demo" / f"{args.demo.replace(' ', '_')}.vcf.gz"
        for name, took in phases(demo_path):
            print(f"  {name:<48} {took:7.3f} s")

    if args.smoke:
        shutil.rmtree(work, ignore_errors=True)
        if wgs is not None:
            shutil.rmtree(wgs.parent, ignore_errors=True)
        if cohort is not None:
            shutil.rmtree(cohort.parent, ignore_errors=True)
    med = {k: statistics.median(v) if v else math.nan for k, v in times.items()}
    for k in ("read_s", "wgs_read_s", "wgs_server_cpu_s", *TARGETS):
        if not times[k]:
            print(f"{k}: not measured")
            continue
        target = TARGETS.get(k)
        verdict = "" if target is None else f" {'meets' if med[k] <= target else 'MISSES'} target {target:g}"
        print(f"{k}: median {med[k]:.2f} (runs {', '.join(f'{v:.2f}' for v in times[k])}; 1-minute load "
              f"{', '.join(f'{v:.2f}' for v in loads[k])}, median {statistics.median(loads[k]):.2f}){verdict}")
    print(f"report_s={med['report_s']:.2f} method_switch_s={med['method_switch_s']:.2f} "
          f"pdf_s={med['pdf_s']:.2f} models_s={med['models_s']:.2f}"
          + ("" if cohort is None else f" cohort_s={med['cohort_s']:.2f}") + f" rss_mb={med['rss_mb']:.0f}"
          + ("" if wgs is None else f" wgs_report_s={med['wgs_report_s']:.2f}"))
    return 1 if blocked_total else 0


if __name__ == "__main__":
    sys.exit(main())
