"""Every report of the catalogue, in a real browser engine (Debian's Chromium: its headless shell
when installed, see ``browser_support.CHROMIUM_CANDIDATES``; driven by Playwright).

The catalogue is built once per session into a temporary folder (``browser_support``). Each
report view (research and briefing) and the index is opened from ``file://`` and must:
request nothing outside the file (every other request is recorded and aborted), log no
console error and raise no script error; show every image (loaded, with alt text); keep its
headings in order (h1 first, no level skipped going down); fit the window with no
horizontal scrolling at 1280 px and at 390 px (a phone); and have no violation of the WCAG 2.2
A and AA rules that axe-core checks, at both widths. The page is loaded once, at 1280 px, and
then narrowed to 390 px, as a reader narrowing the window would: the page's CSS answers to the
new width, and one load and one injection of axe-core serve both widths, which keeps the suite
quick. With ``LOZELLS_SCREENSHOTS`` naming a folder, a full-page screenshot of each view at
each width is kept there for a person to look at; nothing is ever written under ``reports/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .. import browser_support as support

pytestmark = [pytest.mark.slow, pytest.mark.catalogue]

VIEWS = support.run_views() + ["index"]


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory):
    return support.built_catalogue(tmp_path_factory)


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """The folder named by ``LOZELLS_SCREENSHOTS``, or None: no screenshots."""
    chosen = os.environ.get("LOZELLS_SCREENSHOTS")
    return Path(chosen) if chosen else None


@pytest.fixture(scope="module")
def browser():
    with support.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def test_every_catalogue_run_builds(catalogue):
    assert catalogue.runs, "the catalogue lists no reports"
    assert catalogue.error is None, f"runs failed: {catalogue.error}"
    for run in catalogue.runs:
        for view in ("research", "briefing"):
            assert (catalogue.reports / f"{run.name}.{view}.html").is_file()


def test_the_index_links_every_report(catalogue):
    page = (catalogue.reports / "index.html").read_text(encoding="utf-8")
    for run in catalogue.runs:
        assert f'href="{run.name}.{run.audience}.html"' in page, run.name


def browser_problems(page, record) -> dict[str, object]:
    """Every check at once on a loaded page (one load per view and width keeps the suite
    quick): the name of each failed check and what failed."""
    problems: dict[str, object] = {}
    if record.external:
        problems["requests outside the file"] = record.external
    if record.console_errors:
        problems["console errors"] = record.console_errors
    if record.page_errors:
        problems["script errors"] = record.page_errors
    if record.failed:
        problems["requests that failed"] = record.failed
    if not page.title().strip():
        problems["no <title>"] = page.title()
    images = page.evaluate(support.IMAGES_JS)
    broken = [img for img in images if not img["complete"] or img["width"] == 0]
    if broken:
        problems["images that did not load"] = broken
    no_alt = [img for img in images if not img["alt"]]
    if no_alt:
        problems["images without alt text"] = no_alt
    levels = [tuple(h) for h in page.evaluate(support.HEADINGS_JS)]
    if not levels:
        problems["no heading"] = levels
    elif skips := support.heading_skips(levels):
        problems["headings out of order"] = skips
    sizes = page.evaluate(support.OVERFLOW_JS)
    if sizes["scroll"] > sizes["inner"]:
        problems["horizontal overflow"] = (
            f"{sizes['scroll']} px of content in a {sizes['inner']} px window; wider "
            f"elements: {sizes['culprits']}"
        )
    return problems


@pytest.mark.parametrize("name_view", VIEWS)
def test_report_in_chromium(tmp_path_factory, browser, axe, screenshots, name_view):
    """Offline, no console or script errors, images loaded with alt text, headings in
    order, no horizontal scrolling and no WCAG 2.2 AA violation, at each width (checked as
    soon as the report is published, while the rest of the catalogue builds)."""
    path = support.published_view(tmp_path_factory, name_view)
    failures = []
    with support.open_page(browser, path.as_uri(), width=support.WIDTHS[0]) as (page, record):
        for width in support.WIDTHS:
            support.set_width(page, width)
            if problems := browser_problems(page, record):
                failures.append(f"{path.name} at {width} px: {problems}")
            if found := support.axe_violations(axe, page):
                failures.append(
                    f"{path.name} at {width} px: axe-core found\n"
                    + support.describe_violations(found)
                )
            if screenshots is not None:
                shot = support.screenshot_path(screenshots, name_view, width)
                page.screenshot(path=str(shot), full_page=True)
    assert not failures, "\n".join(failures)


def test_the_checks_catch_a_bad_page(browser, tmp_path):
    """The checks themselves: a page with every fault is caught on every count."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>Bad</title>"
        '<link rel="stylesheet" href="https://cdn.example.org/x.css"></head><body>'
        "<h1>T</h1><h3>skipped a level</h3>"
        '<img src="missing.png" alt="gone"><img src="data:image/gif;base64,'
        'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">'
        '<div style="width: 2000px">wide</div>'
        "<script>console.error('oops'); undefined_function();</script></body></html>"
    )
    with support.open_page(browser, bad.as_uri(), width=390) as (page, record):
        problems = browser_problems(page, record)
    assert set(problems) == {
        "requests outside the file",
        "console errors",
        "script errors",
        "requests that failed",
        "images that did not load",
        "images without alt text",
        "headings out of order",
        "horizontal overflow",
    }, problems
    assert record.external == ["https://cdn.example.org/x.css"]
