"""Shared by the browser, JupyterLab, injection and disclosure tests (loaded by path, not a
test module): Chromium driven by Playwright, and the catalogue built once per test session.

Chromium is Debian's (``make browser`` installs it; ``make test`` runs that first); no browser
is ever downloaded. When it is missing the tests that need it fail saying so, never skip.

The catalogue (``reports.yaml``, or the file named by ``LOZELLS_TEST_CATALOGUE``) is built
once per session, with ``--force``, into a temporary reports folder, so the tests see every
report freshly built from the current code and never touch the repository's ``reports/``.
The build runs in a process of its own, started as the session begins when any selected test
is marked ``catalogue`` (``conftest.py``), so that it overlaps the rest of the suite: under
pytest-xdist the workers share that one build in the session's common temporary folder. A
test that reads one report waits only until that report is published (:func:`published_view`);
one that needs the whole build waits for its result (:func:`built_catalogue`, memoised within
a process).
"""

from __future__ import annotations

import functools
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Where the page checks look for a browser, in order. Debian's chromium-headless-shell comes
#: first when it is installed: the same Blink (from the same source package and version) as
#: chromium, without the browser around it, as Playwright itself runs headless tests; the
#: suite's page checks take half the CPU in it (144 s against 298 in one whole run).
#: ``make browser`` installs it where it can; without it the checks run in chromium.
CHROMIUM_CANDIDATES = (
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium-browser",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
WIDTHS = (1280, 390)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


# --- Chromium ------------------------------------------------------------------------------


def chromium_path() -> str:
    """``LOZELLS_CHROMIUM``, else the first of :data:`CHROMIUM_CANDIDATES` installed, else
    chromium on ``PATH``; or a test failure that says how to install it."""
    env = os.environ.get("LOZELLS_CHROMIUM")
    for candidate in ([env] if env else []) + list(CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    pytest.fail(
        "Chromium is not installed: run `make browser` (or `make test`, which "
        "installs it) to install Debian's chromium package.",
        pytrace=False,
    )


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``), closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra is missing
        pytest.fail("the playwright package is missing: run `make install`", pytrace=False)
    path = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageRecord:
    """What a page did while loading: its requests outside the file, console errors and
    uncaught exceptions."""

    external: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@contextmanager
def open_page(
    browser: Any, url: str, width: int = 1280, height: int = 900
) -> Iterator[tuple[Any, PageRecord]]:
    """Open ``url`` in a fresh context of ``width`` px, closed on leaving the ``with``; every
    request that is not ``file:``/``data:``/``about:``/``blob:`` is recorded and aborted,
    never sent."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, service_workers="block"
    )
    try:
        yield _load(context.new_page(), url)
    finally:
        context.close()


def _load(page: Any, url: str) -> tuple[Any, PageRecord]:
    """Load ``url`` in ``page``, recording what it does (:class:`PageRecord`) and aborting
    every request outside the file."""
    record = PageRecord()

    def route(r: Any) -> None:
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            record.external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and record.console_errors.append(m.text))
    page.on("pageerror", lambda e: record.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: record.failed.append(r.url))
    page.goto(url, wait_until="load")
    return page, record


def process_gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie counts: it is already dead)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return bool(re.search(r"^State:\s+[ZX]", status, re.M))


IMAGES_JS = """() => Array.from(document.images).map((img, i) => ({
  i, src: (img.currentSrc || img.src || '').slice(0, 60), complete: img.complete,
  width: img.naturalWidth, alt: (img.getAttribute('alt') || '').trim()}))"""

HEADINGS_JS = """() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'))
  .filter(h => h.offsetParent !== null || getComputedStyle(h).position === 'fixed')
  .map(h => [Number(h.tagName[1]), h.textContent.trim().slice(0, 60)])"""

OVERFLOW_JS = """() => ({scroll: document.documentElement.scrollWidth,
  inner: window.innerWidth,
  culprits: Array.from(document.querySelectorAll('body *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.right > window.innerWidth + 1 && getComputedStyle(e).position !== 'fixed';
  }).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' +
    String(e.className).split(' ')[0] : ''))})"""


#: WCAG 2.2 AA, as axe-core tags its rules.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def set_width(page: Any, width: int, height: int = 900) -> None:
    """Resize a loaded page's window to ``width`` px (the page is not reloaded: its CSS
    answers to the new width, as when a reader narrows the window)."""
    if page.viewport_size != {"width": width, "height": height}:
        page.set_viewport_size({"width": width, "height": height})


def axe_violations(axe: Any, page: Any) -> list[dict]:
    """axe-core's violations of the WCAG 2.2 AA rules on a loaded page, as laid out now
    (``axe`` is an ``axe_playwright_python`` ``Axe``, which brings axe-core's script). The
    script is injected once per page load: checking again after a resize reuses it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe.axe_script)
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = page.evaluate("options => window.axe.run(document, options)", options)
    return list(results["violations"])


def describe_violations(found: list[dict]) -> str:
    """Violations as a reader of a failed test wants them: rule, impact, help, where."""
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} element(s)]")
        for node in v["nodes"][:5]:
            summary = " ".join(str(node.get("failureSummary", "")).split())[:300]
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def heading_skips(levels: list[tuple[int, str]]) -> list[str]:
    """Where headings skip a level going down (h2 then h4); the first must be h1.

    Examples
    --------
    >>> heading_skips([(1, "T"), (2, "A"), (3, "a"), (2, "B")])
    []
    >>> heading_skips([(1, "T"), (3, "x")])
    ["h3 'x' follows h1"]
    >>> heading_skips([(2, "x")])
    ["the first heading is h2 'x', not h1"]
    """
    problems = []
    previous = 0
    for level, text in levels:
        if previous == 0 and level != 1:
            problems.append(f"the first heading is h{level} {text!r}, not h1")
        elif level > previous + 1 and previous:
            problems.append(f"h{level} {text!r} follows h{previous}")
        previous = level
    return problems


# --- the catalogue, built once -------------------------------------------------------------


@dataclass
class BuiltCatalogue:
    """The catalogue's runs and where they were built."""

    catalogue: Path
    reports: Path
    runs: list[Any]
    summary: Any
    error: str | None = None

    def html_files(self) -> list[Path]:
        """Every published report view (not the index), sorted."""
        out = []
        for run in self.runs:
            for view in ("research", "briefing"):
                path = self.reports / f"{run.name}.{view}.html"
                if path.is_file():
                    out.append(path)
        return out


def catalogue_path() -> Path:
    return Path(os.environ.get("LOZELLS_TEST_CATALOGUE") or ROOT / "reports.yaml").resolve()


def catalogue_runs() -> list[Any]:
    """The runs the catalogue lists (read at collection time; [] if it cannot be read).
    Read once per process: several test modules parametrize over it, and reading it
    inspects every notebook's parameters."""
    return list(_catalogue_runs(str(catalogue_path())))


#: The catalogue's parameter checks, remembered per notebook digest between test sessions in
#: pytest's own cache folder (an unchanged notebook is not inspected again: papermill alone
#: takes seconds to import, in every xdist worker's collection).
PARAMETERS_CACHE = ROOT / ".pytest_cache" / "d" / "lozells" / "parameters.json"


@functools.cache
def _catalogue_runs(path: str) -> tuple[Any, ...]:
    from lozells_analysis.reports.catalogue import load_catalogue

    try:
        return tuple(load_catalogue(Path(path), cache=PARAMETERS_CACHE).runs)
    except Exception:  # noqa: BLE001 - the build fixture reports the error properly
        return ()


def run_views() -> list[str]:
    """``name.view`` for every report view the catalogue will produce, for parametrize; a
    single ``<empty catalogue>`` when it lists none (which then fails, never passes)."""
    names = [f"{run.name}.{view}" for run in catalogue_runs() for view in ("research", "briefing")]
    return names or ["<empty catalogue>"]


_BUILT: dict[str, BuiltCatalogue] = {}
#: How often a test waiting for the catalogue looks again, in seconds.
POLL = 0.2
#: The catalogue builders this process started (reaped when it ends).
_BUILDERS: list[subprocess.Popen] = []


def _session_folder(tmp_path_factory: Any) -> Path:
    """A temporary folder common to every xdist worker of this session (the workers'
    base folders share a parent made for this session alone)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def catalogue_folder(tmp_path_factory: Any) -> Path:
    """Where this session's catalogue is built: ``reports/``, ``.lozells/``, the builder's
    pid and log, and its result (``built.pickle``, or ``error.txt``)."""
    return _session_folder(tmp_path_factory) / "catalogue"


def start_catalogue_build(base: Path) -> None:
    """Start building the catalogue into ``base`` in a process of its own, unless this
    session has started it already (the first caller creates ``builder.pid`` exclusively).
    The tests go on meanwhile; each waits only for what it reads (:func:`published_view`,
    :func:`built_catalogue`)."""
    base.mkdir(parents=True, exist_ok=True)
    try:
        marker = os.open(base / "builder.pid", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    with (base / "builder.log").open("wb") as log:
        builder = subprocess.Popen(  # noqa: S603 - this file, run by this Python
            [sys.executable, str(Path(__file__).resolve()), str(base)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    _BUILDERS.append(builder)
    os.write(marker, str(builder.pid).encode())
    os.close(marker)


def _builder_gone(base: Path) -> bool:
    """Whether the builder process has ended."""
    try:
        pid = int((base / "builder.pid").read_text() or "0")
    except (FileNotFoundError, ValueError):
        return False  # not started yet, or its pid not written yet
    return bool(pid) and process_gone(pid)


def _finished(base: Path) -> bool:
    return (base / "built.pickle").is_file() or (base / "error.txt").is_file()


def _wait(base: Path, ready: Any) -> None:
    """Wait until ``ready()``, or the build has a result, or its process is gone."""
    while not (ready() or _finished(base) or _builder_gone(base)):
        time.sleep(POLL)


def built_catalogue(tmp_path_factory: Any) -> BuiltCatalogue:
    """The catalogue built once per test session (forced, two parallel kernels) into a
    temporary reports folder shared by every worker: started now unless it was started
    already, then waited for; later calls return the same build."""
    key = str(catalogue_path())
    if key in _BUILT:
        return _BUILT[key]
    base = catalogue_folder(tmp_path_factory)
    start_catalogue_build(base)
    _wait(base, lambda: False)
    if (base / "error.txt").is_file():
        pytest.fail(
            "the catalogue build failed:\n" + (base / "error.txt").read_text(encoding="utf-8"),
            pytrace=False,
        )
    if not (base / "built.pickle").is_file():
        log = base / "builder.log"
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.is_file() else ""
        pytest.fail(f"the catalogue build stopped without a result; its log ends:\n{tail}")
    built = BuiltCatalogue(**pickle.loads((base / "built.pickle").read_bytes()))
    _BUILT[key] = built
    return built


def published_view(tmp_path_factory: Any, name_view: str) -> Path:
    """The published file of ``name.view`` (or ``index``) as soon as the catalogue build
    has published it, without waiting for the rest of the build; when the build ends
    without it, the test fails with the run's error (:func:`view_path`)."""
    if name_view == "<empty catalogue>":
        return view_path(built_catalogue(tmp_path_factory), name_view)
    base = catalogue_folder(tmp_path_factory)
    start_catalogue_build(base)
    path = base / "reports" / f"{name_view}.html"
    _wait(base, path.is_file)
    if path.is_file():
        return path
    built = built_catalogue(tmp_path_factory)
    return built.reports / "index.html" if name_view == "index" else view_path(built, name_view)


def stop_catalogue_build(base: Path) -> None:
    """End a catalogue build still running when the session ends (a test run stopped
    early): it stops its kernels and publishes nothing more (SIGTERM)."""
    if _finished(base) or _builder_gone(base):
        return
    try:
        os.kill(int((base / "builder.pid").read_text()), signal.SIGTERM)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        pass


def _build_catalogue(base: Path) -> BuiltCatalogue:
    from lozells_analysis.reports import BuildOptions, Project, build, load_catalogue

    catalogue = catalogue_path()
    project = Project(
        root=ROOT,
        catalogue=catalogue,
        reports=base / "reports",
        state_dir=base / ".lozells",
        lock_file=ROOT / "requirements.lock",
    )
    runs = load_catalogue(catalogue).runs
    if not runs:
        pytest.fail(
            f"the catalogue {catalogue} lists no reports: nothing to test. Add the "
            "notebooks' entries to reports.yaml.",
            pytrace=False,
        )
    summary = build(project, BuildOptions(force=True, jobs=2))
    error = None
    if not summary.ok:
        error = "; ".join(f"{o.name}: {o.error}" for o in summary.failed)
    return BuiltCatalogue(catalogue, project.reports, runs, summary, error)


def view_path(built: BuiltCatalogue, name_view: str) -> Path:
    """The built file of ``name.view``; fails the test (with the run's error) when the run
    did not build, or when the catalogue is empty."""
    if name_view == "<empty catalogue>":
        pytest.fail(
            f"the catalogue {catalogue_path()} lists no reports: nothing to test", pytrace=False
        )
    path = built.reports / f"{name_view}.html"
    if not path.is_file():
        name = name_view.rsplit(".", 1)[0]
        failure = next((o for o in built.summary.failed if o.name == name), None)
        why = f"its run failed: {failure.error} (log {failure.log})" if failure else "missing"
        pytest.fail(f"{path.name} was not built: {why}", pytrace=False)
    return path


def screenshot_path(folder: Path, name_view: str, width: int) -> Path:
    """Where a screenshot goes: a temporary folder of the session, never ``reports/``."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name_view}-{width}.png"


# --- one report, built through the pipeline -----------------------------------------------


def build_report(
    tmp: Path,
    notebook: str,
    parameters: dict[str, Any],
    *,
    run_id: str = "report",
    audience: str = "research",
) -> dict[str, Path]:
    """Build one notebook of ``notebooks/`` with ``parameters`` through the pipeline (a
    one-entry catalogue in ``tmp``); return ``{"research": path, "briefing": path}``. A
    failed run fails the test with its error and the end of its log."""
    import json as _json

    from lozells_analysis.reports import BuildOptions, Project, build

    tmp.mkdir(parents=True, exist_ok=True)
    catalogue = tmp / "reports.yaml"
    catalogue.write_text(
        "reports:\n"
        f"  - id: {run_id}\n"
        f"    notebook: {ROOT / 'notebooks' / notebook}\n"
        f"    audience: {audience}\n"
        f"    parameters: {_json.dumps(parameters)}\n",
        encoding="utf-8",
    )
    project = Project(
        root=ROOT,
        catalogue=catalogue,
        reports=tmp / "reports",
        state_dir=tmp / ".lozells",
        lock_file=ROOT / "requirements.lock",
    )
    summary = build(project, BuildOptions(force=True, jobs=1))
    if not summary.ok:
        failure = summary.failed[0]
        log = failure.log.read_text(encoding="utf-8")[-3000:] if failure.log else ""
        pytest.fail(f"building {notebook} failed: {failure.error}\n{log}", pytrace=False)
    return {view: project.reports / f"{run_id}.{view}.html" for view in ("research", "briefing")}


def _build_in_this_process(base: Path) -> None:
    """The builder's work (``python tests/browser_support.py BASE``): build, then leave the
    result in ``built.pickle`` (or the error in ``error.txt``), each written whole."""
    try:
        built = _build_catalogue(base)
    except BaseException as exc:  # pytest.fail in _build_catalogue is a BaseException
        import traceback

        text = str(exc) if isinstance(exc, pytest.fail.Exception) else traceback.format_exc()
        (base / "error.tmp").write_text(text, encoding="utf-8")
        (base / "error.tmp").replace(base / "error.txt")
        raise SystemExit(1) from None
    # the fields, not the dataclass: this process knows it as __main__.BuiltCatalogue
    (base / "built.tmp").write_bytes(pickle.dumps(vars(built)))
    (base / "built.tmp").replace(base / "built.pickle")


if __name__ == "__main__":
    _build_in_this_process(Path(sys.argv[1]))
