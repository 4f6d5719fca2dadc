"""Load benchmark: twenty clinicians at once, each in their own Chromium session (upload, report, PDF).

Run from the repository root: ``.venv/bin/python bench/load.py`` (``--sessions 20``). Not a test. It starts
the app once on a free loopback port (its own process group, stopped at the end), writes one distinct patient
VCF per session (the ``dpyd_2A_heterozygote`` demo's 21,452 records with the genotypes re-drawn from a seeded
generator and the sample renamed, so no two sessions share a file or a computation), warms the server with
one session (models loaded, as on a server that has been up), then starts every session at the same moment in
one headless Chromium (a browser context each: a separate Streamlit session, as for separate people). Each
session:

1. uploads its file on the Patient page and waits for the read (``upload_s``);
2. enters the patient's sex and age (the models that read them need them) and uses them;
3. opens the Report page and waits until it is fully drawn: three risk cards, the drug table, the export
   buttons, the app idle (``report_s``, from the click on "Report");
4. downloads the PDF and checks it is one (``pdf_s``, click to file saved).

Counted: errors (an error box, an exception, a step that did not finish within the timeout), cancelled or
failed downloads, requests off 127.0.0.1 (blocked; must be 0). Sampled every 0.2 s: the server's RSS and that
of the server with its children (the read worker processes). Printed: p50/p95/max of each step, the peak RSS,
the 1-minute load average at the end, the CPU seconds of the server and of the browser, and the server's
queue counters are not visible from here (see components/work_queue.py). The last line is::

    sessions=N errors=E cancelled_downloads=C report_p50_s=X report_p95_s=Y server_peak_rss_mb=Z loadavg_1m=L

Targets (issue 16): 0 errors, 0 cancelled downloads, report p95 <= 15 s on 2 cores, server RSS <= 1.5 GB.
``--smoke`` runs two sessions without the warm-up (CI checks the flow; its timings mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import math
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, Route, async_playwright, expect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_app  # noqa: E402

DEMO = ROOT / "data" / "demo" / "dpyd_2A_heterozygote.vcf.gz"
TIMEOUT_MS = 600_000
CARD_METRIC = re.compile(r"Risk of diagnosis, age \d+ to \d+|Model probability \(no time horizon\)")
CARDS = {"female": 3, "male": 2}
"""Risk cards a patient of each sex gets (breast cancer, CAD, T2D; the breast-cancer model is for women)."""
"""A risk card's headline metric: the breast-cancer risk by age (a woman with an age) or the model probability."""
TARGETS = {"report_p95_s": 15.0, "server_peak_rss_mb": 1500.0}
GENOTYPES = ("0/0", "0/1", "1/1")
MOMENTS: dict[int, float] = {}
"""perf_counter() when the sessions were let go together: 1 the report, 2 the PDF."""


# --- inputs -------------------------------------------------------------------------------------------------
def patient_files(folder: Path, n: int, seed: int = 16) -> list[Path]:
    """``n`` distinct single-sample VCFs: the demo's records, genotypes re-drawn, sample LOAD01..LOADnn."""
    lines = gzip.decompress(DEMO.read_bytes()).decode().splitlines()
    out = []
    for i in range(1, n + 1):
        rng = random.Random(seed * 1000 + i)
        name = f"LOAD{i:02d}"
        text = []
        for line in lines:
            if line.startswith("##"):
                text.append(line)
            elif line.startswith("#"):
                text.append("\t".join([*line.split("\t")[:9], name]))
            else:
                fields = line.split("\t")
                values = fields[9].split(":")
                values[0] = rng.choice(GENOTYPES)
                fields[9] = ":".join(values)
                text.append("\t".join(fields))
        path = folder / f"load_patient_{i:02d}.vcf"
        path.write_text("\n".join(text) + "\n")
        out.append(path)
    return out


# --- server measures ----------------------------------------------------------------------------------------
def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its reaped children so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(fields[k]) for k in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """The server's RSS, alone and with its children, every 0.2 s; the peaks in MB."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.server_peak, self.with_children_peak = pid, 0.0, 0.0
        self.cpu: list[tuple[float, float]] = []
        """(perf_counter, server CPU seconds with reaped children) every 0.2 s."""
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.2):
            server = _status_kb(self.pid, "VmRSS") * 1024 / 1e6
            total = server + sum(_status_kb(c, "VmRSS") for c in _children(self.pid)) * 1024 / 1e6
            self.server_peak = max(self.server_peak, server)
            self.with_children_peak = max(self.with_children_peak, total)
            self.cpu.append((time.perf_counter(), cpu_s(self.pid)))

    def cpu_between(self, start: float, end: float) -> float:
        """Server CPU seconds between two perf_counter moments (the nearest samples)."""
        def at(t: float) -> float:
            return min(self.cpu, key=lambda sample: abs(sample[0] - t))[1] if self.cpu else math.nan
        return at(end) - at(start)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


# --- one session --------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    name: str
    steps: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    """perf_counter() when each timed step ended."""
    error: str = ""
    cancelled: int = 0


async def _idle(page: Page) -> None:
    await page.locator(IDLE).wait_for(timeout=TIMEOUT_MS)
    await expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=TIMEOUT_MS)


async def _no_error_box(page: Page, where: str) -> None:
    for test_id in ("stAlertContentError", "stException"):
        if await page.get_by_test_id(test_id).count():
            text = await page.get_by_test_id(test_id).first.inner_text()
            raise AssertionError(f"{where}: {test_id}: {text[:200]}")


async def _select(page: Page, label: str, option: str) -> None:
    await page.get_by_role("combobox", name=label, exact=True).click()
    await page.get_by_role("option", name=option, exact=True).click()


async def session(browser: Browser, url: str, path: Path, sex: str, age: int, work: Path,
                  start: asyncio.Event, together: asyncio.Barrier, blocked: list[str]) -> Outcome:
    outcome = Outcome(path.stem)
    passed = [0]  # the moments (report, PDF) this session has reached

    async def meet() -> None:
        await together.wait()
        passed[0] += 1
        MOMENTS.setdefault(passed[0], time.perf_counter())

    context = await browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)

    async def outside(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", outside)
    page = await context.new_page()
    try:
        await start.wait()
        t0 = time.perf_counter()
        await page.goto(url)
        await expect(page.get_by_text("Research use only").first).to_be_visible(timeout=TIMEOUT_MS)
        await _idle(page)
        outcome.steps["open_s"] = time.perf_counter() - t0

        t = time.perf_counter()
        await page.get_by_test_id("stRadio").get_by_text("Upload a file").click()
        uploader = (page.get_by_test_id("stFileUploader").filter(has_text="of one patient")
                    .get_by_test_id("stFileUploaderDropzoneInput"))
        await uploader.set_input_files(path)
        await expect(page.get_by_text("Panel coverage", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
        await expect(page.get_by_role("button", name="Use these details")).to_be_visible(timeout=TIMEOUT_MS)
        await _idle(page)
        await _no_error_box(page, "upload")
        outcome.steps["upload_s"] = time.perf_counter() - t

        await _select(page, "Sex", sex)
        box = page.get_by_role("spinbutton", name="Age (years)")
        await box.fill(str(age))
        await expect(box).to_have_value(str(age), timeout=TIMEOUT_MS)
        await page.get_by_role("button", name="Use these details").click()
        await expect(page.get_by_text("Details in use for every page and the report.")).to_be_visible(
            timeout=TIMEOUT_MS)
        await _idle(page)

        await meet()  # every clinician asks for the report in the same moment
        t = time.perf_counter()
        await page.get_by_test_id("stSidebarNavLink").filter(has_text="Report").click()
        await expect(page.get_by_role("button", name="Download PDF")).to_be_visible(timeout=TIMEOUT_MS)
        await expect(page.get_by_test_id("stMetric").filter(has_text=CARD_METRIC)).to_have_count(
            CARDS[sex], timeout=TIMEOUT_MS)
        await expect(page.get_by_text("Inherited variants tested", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
        await _idle(page)
        await _no_error_box(page, "report")
        outcome.steps["report_s"] = time.perf_counter() - t
        outcome.ended["report_s"] = time.perf_counter()

        await meet()  # and for the PDF
        t = time.perf_counter()
        async with page.expect_download(timeout=TIMEOUT_MS) as info:
            await page.get_by_role("button", name="Download PDF").click()
        download = await info.value
        if await download.failure() is not None:
            outcome.cancelled += 1
            raise AssertionError(f"PDF download failed: {await download.failure()}")
        saved = work / f"{path.stem}.pdf"
        await download.save_as(saved)
        if saved.read_bytes()[:5] != b"%PDF-":
            raise AssertionError("the download is not a PDF")
        outcome.steps["pdf_s"] = time.perf_counter() - t
        outcome.ended["pdf_s"] = time.perf_counter()
        outcome.steps["total_s"] = time.perf_counter() - t0
    except Exception as error:  # every failure of a session is counted and reported
        for _ in range(2 - passed[0]):  # keep the others' moments: they do not wait for this one
            await together.wait()
        outcome.error = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
    finally:
        await context.close()
    return outcome


def _nice_chromium(work: Path) -> Path:
    """A launcher running Chromium at the lowest CPU priority (``nice -n 19``).

    The twenty browsers stand for twenty clinicians' own computers; on this one machine they would
    otherwise take the server's CPU. At the lowest priority they use only what the server leaves; the CPU
    they take is still printed, and the report time is measured in the browser (what a clinician sees).
    """
    launcher = work / "chromium-nice"
    launcher.write_text(f'#!/bin/sh\nexec nice -n 19 "{CHROMIUM}" "$@"\n')
    launcher.chmod(0o755)
    return launcher


async def run_sessions(url: str, files: list[Path], work: Path, blocked: list[str]) -> list[Outcome]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(_nice_chromium(work)), args=CHROMIUM_ARGS)
        try:
            start, together = asyncio.Event(), asyncio.Barrier(len(files))
            tasks = [asyncio.create_task(session(browser, url, f, ("female", "male")[i % 2], 40 + i, work, start,
                                                 together, blocked)) for i, f in enumerate(files)]
            await asyncio.sleep(1)  # every context made before any starts: they start together
            start.set()
            return list(await asyncio.gather(*tasks))
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- bare protocol clients (no browser) ---------------------------------------------------------------------
def raw_session(url: str, path: Path, sex: str, age: int, together: threading.Barrier) -> Outcome:
    """One session over Streamlit's own protocol (tests/e2e/raw_session.py), drawing nothing: the file chosen in
    the server folder, sex and age used, then, with every other session in the same moment, the Report page.
    ``report_s`` is then the server's time (and the loopback's), with no browser drawing in it."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from tests.e2e.raw_session import RawSession

    outcome = Outcome(path.stem)
    met = False
    try:
        with RawSession(url, timeout=TIMEOUT_MS / 1000) as raw:
            t0 = time.perf_counter()
            raw.run()
            pages, kept = dict(raw.pages), {}

            def choose(label: str, **value: object) -> Any:
                kept[label] = WidgetState(id=raw.widgets[label], **value)  # type: ignore[arg-type]
                return raw.run(pages["Patient"], kept.values())

            choose("Patient file", string_value="Server folder")
            t = time.perf_counter()
            read = choose("File in the server folder", string_value=path.name)
            outcome.steps["upload_s"] = time.perf_counter() - t  # here: the server's read, no upload
            if not any("Panel coverage" in x for x in read.texts):
                raise AssertionError(f"no patient read: {read.texts[:8]}")
            kept["Sex"] = WidgetState(id=raw.widgets["Sex"], string_value=sex)
            kept["Age (years)"] = WidgetState(id=raw.widgets["Age (years)"], double_value=float(age))
            used = raw.run(pages["Patient"], [*kept.values(),
                                              WidgetState(id=raw.widgets["Use these details"], trigger_value=True)])
            if not any("Details in use" in x for x in used.texts):
                raise AssertionError(f"details not used: {used.texts[:8]}")
            together.wait()
            met = True
            t = time.perf_counter()
            report = raw.run(pages["Report"], kept.values())
            outcome.steps["report_s"] = time.perf_counter() - t
            outcome.ended["report_s"] = time.perf_counter()
            if "Inherited variants tested" not in report.texts or any("No patient" in x for x in report.texts):
                raise AssertionError(f"no report drawn: {report.texts[:8]}")
            outcome.steps["total_s"] = time.perf_counter() - t0
    except Exception as error:  # every failure of a session is counted and reported
        if not met:
            together.abort()
        outcome.error = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
    return outcome


def run_raw_sessions(url: str, files: list[Path]) -> list[Outcome]:
    together = threading.Barrier(len(files), action=lambda: MOMENTS.setdefault(1, time.perf_counter()))
    with ThreadPoolExecutor(len(files)) as pool:
        return list(pool.map(lambda i: raw_session(url, files[i], ("female", "male")[i % 2], 40 + i, together),
                             range(len(files))))


# --- main ---------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--smoke", action="store_true", help="two sessions, no warm-up (CI)")
    ap.add_argument("--client", choices=("browser", "raw"), default="browser",
                    help="browser: Chromium sessions (default); raw: Streamlit's protocol over a bare WebSocket, "
                         "drawing nothing (the server's share of the wait; files from the server folder, no PDF)")
    args = ap.parse_args(argv)
    n = 2 if args.smoke else args.sessions
    print(f"machine: {platform.node()} nproc={os.cpu_count()} python={platform.python_version()} "
          f"chromium={CHROMIUM} loadavg={' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if os.getloadavg()[0] > 0.75 * (os.cpu_count() or 1):
        print(f"WARNING: 1-minute load average {os.getloadavg()[0]:.2f} before the run: timings are noisy")
    work = Path(tempfile.mkdtemp(prefix="genolens_bench_load_"))
    files = patient_files(work, n + 1)
    warm_file, files = files[0], files[1:]
    blocked: list[str] = []
    os.environ["GENOLENS_VCF_DIR"] = str(work)  # the server folder the raw clients choose their files in
    with streamlit_app(work / "server.log") as (url, pid):
        if not args.smoke:
            t = time.perf_counter()
            warm = (asyncio.run(run_sessions(url, [warm_file], work, blocked))[0] if args.client == "browser"
                    else run_raw_sessions(url, [warm_file])[0])
            print(f"warm-up session: {warm.error or 'ok'} in {time.perf_counter() - t:.1f} s "
                  f"(server RSS {_status_kb(pid, 'VmRSS') / 1e3:.0f} MB)")
        MOMENTS.clear()  # the warm-up's moments are not the run's
        rss_start = _status_kb(pid, "VmRSS") * 1024 / 1e6
        sampler = RssSampler(pid)
        sampler.start()
        cpu_before = cpu_s(pid)
        t = time.perf_counter()
        outcomes = (asyncio.run(run_sessions(url, files, work, blocked)) if args.client == "browser"
                    else run_raw_sessions(url, files))
        wall = time.perf_counter() - t
        sampler.stop()
        server_cpu = cpu_s(pid) - cpu_before
        load = os.getloadavg()
    errors = [o for o in outcomes if o.error]
    cancelled = sum(o.cancelled for o in outcomes)
    print(f"{n} {args.client} sessions at once, {wall:.1f} s wall; server CPU {server_cpu:.1f} s (with its reaped "
          "read workers)")
    for step in ("open_s", "upload_s", "report_s", "pdf_s", "total_s"):
        values = [o.steps[step] for o in outcomes if step in o.steps]
        print(f"  {step:<9} n={len(values):>2}  p50 {percentile(values, 0.5):6.1f}  p95 {percentile(values, 0.95):6.1f}"
              f"  max {max(values, default=math.nan):6.1f}")
    for moment, step in ((1, "report_s"), (2, "pdf_s")):
        ends = [o.ended[step] for o in outcomes if step in o.ended]
        if moment in MOMENTS and ends:
            span = max(ends) - MOMENTS[moment]
            used = sampler.cpu_between(MOMENTS[moment], max(ends))
            print(f"  {step} phase (all asked at once until the last done): {span:.1f} s wall, server CPU {used:.1f} s "
                  f"= {used / len(ends):.2f} s a session, {used / span:.2f} cores busy on average")
    for o in errors:
        print(f"  ERROR {o.name}: {o.error}")
    print(f"server RSS at start {rss_start:.0f} MB, peak {sampler.server_peak:.0f} MB (with read workers "
          f"{sampler.with_children_peak:.0f} MB); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if blocked:
        print(f"ERROR: {len(blocked)} request(s) off 127.0.0.1 were blocked: {blocked[:5]}")
    reports = [o.steps["report_s"] for o in outcomes if "report_s" in o.steps]
    figures = {"sessions": n, "errors": len(errors) + (1 if blocked else 0), "cancelled_downloads": cancelled,
               "report_p50_s": round(percentile(reports, 0.5), 2), "report_p95_s": round(percentile(reports, 0.95), 2),
               "server_peak_rss_mb": round(sampler.server_peak), "loadavg_1m": round(load[0], 2)}
    if not args.smoke:
        missed = [k for k, v in TARGETS.items() if not figures[k] <= v]  # type: ignore[operator]
        print("targets: " + ("met" if not missed else "missed: " + ", ".join(
            f"{k} {figures[k]} > {TARGETS[k]}" for k in missed)))
        print(f"server log and PDFs in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    return 0 if not errors and not cancelled and not blocked else 1


if __name__ == "__main__":
    raise SystemExit(main())
