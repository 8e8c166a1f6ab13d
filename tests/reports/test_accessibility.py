"""Every built report (both views) and the index, checked by axe-core in Chromium.

axe-core (through ``axe-playwright-python``) runs the WCAG 2.0, 2.1 and 2.2 A and AA rules on
each page at 1280 px and at 390 px (a phone), and every page must have zero violations; at
390 px no page may scroll sideways. The pages are those of the catalogue built once per test
session (``browser_support.built_catalogue``); nothing is built here.
"""

from __future__ import annotations

import pytest

from .. import browser_support as support

pytestmark = pytest.mark.slow

#: WCAG 2.2 AA, as axe-core tags its rules.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = support.run_views() + ["index"]


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory):
    return support.built_catalogue(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    with support.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def violations(axe, page) -> list[dict]:
    """axe-core's violations of the WCAG 2.2 AA rules on a loaded page."""
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return axe.run(page, options=options).response["violations"]


def describe(found: list[dict]) -> str:
    """Violations as a reader of a failed test wants them: rule, impact, help, where."""
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} element(s)]")
        for node in v["nodes"][:5]:
            summary = " ".join(str(node.get("failureSummary", "")).split())[:300]
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def page_path(catalogue, name: str):
    if name == "index":
        return catalogue.reports / "index.html"
    return support.view_path(catalogue, name)


@pytest.mark.parametrize("width", support.WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_22_aa_violation(catalogue, browser, axe, name, width):
    path = page_path(catalogue, name)
    page, _ = support.open_page(browser, path.as_uri(), width=width)
    try:
        found = violations(axe, page)
        sizes = page.evaluate(support.OVERFLOW_JS)
    finally:
        page.context.close()
    assert not found, f"{path.name} at {width} px: axe-core found\n{describe(found)}"
    if width == 390:
        assert sizes["scroll"] <= sizes["inner"], (
            f"{path.name} scrolls sideways at 390 px: {sizes['scroll']} px of content; "
            f"wider elements: {sizes['culprits']}"
        )


def test_the_check_catches_violations(browser, axe, tmp_path):
    """axe and the overflow check themselves: a page with faults is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>Bad</title></head><body>"
        '<img src="data:image/gif;base64,'
        'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">'
        '<p style="color:#bbb;background:#fff">faint</p><input type="text">'
        '<div style="width:2000px">wide</div></body></html>'
    )
    page, _ = support.open_page(browser, bad.as_uri(), width=390)
    try:
        found = {v["id"] for v in violations(axe, page)}
        sizes = page.evaluate(support.OVERFLOW_JS)
    finally:
        page.context.close()
    assert {"html-has-lang", "image-alt", "color-contrast", "label"} <= found, found
    assert sizes["scroll"] > sizes["inner"]
