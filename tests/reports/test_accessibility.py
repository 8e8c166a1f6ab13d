"""axe-core in Chromium: the accessibility check itself.

Every built report (both views) and the index is checked by axe-core (through
``axe-playwright-python``) with the WCAG 2.0, 2.1 and 2.2 A and AA rules, at 1280 px and at
390 px, in ``test_browser.py``: one page load per view serves the browser checks and axe at
both widths (the page is narrowed after the first), which keeps the suite quick. Here the
check is shown to catch a page with faults, so that a clean result there means something.
"""

from __future__ import annotations

import pytest

from .. import browser_support as support

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    with support.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


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
    with support.open_page(browser, bad.as_uri(), width=390) as (page, _):
        found = support.axe_violations(axe, page)
        sizes = page.evaluate(support.OVERFLOW_JS)
    ids = {v["id"] for v in found}
    assert {"html-has-lang", "image-alt", "color-contrast", "label"} <= ids, ids
    assert "color-contrast" in support.describe_violations(found)
    assert sizes["scroll"] > sizes["inner"]


def test_narrowing_a_loaded_page_checks_it_at_the_new_width(browser, axe, tmp_path):
    """The second width is checked on the narrowed page, not on the layout of the first: a
    page that is clean at 1280 px but, below 500 px, turns its text faint and keeps an 800 px
    box is caught at 390 px by both the overflow check and axe."""
    page_file = tmp_path / "narrow.html"
    page_file.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Narrow</title><style>'
        "@media (max-width: 500px) { p { color: #bbb; background: #fff; } }"
        '</style></head><body><main><h1>Narrow</h1><p>Text</p><div style="width: 800px">'
        "box</div></main></body></html>"
    )
    with support.open_page(browser, page_file.as_uri(), width=1280) as (page, _):
        wide = support.axe_violations(axe, page), page.evaluate(support.OVERFLOW_JS)
        support.set_width(page, 390)
        narrow = support.axe_violations(axe, page), page.evaluate(support.OVERFLOW_JS)
    assert wide[0] == [] and wide[1]["scroll"] <= wide[1]["inner"], wide
    assert {v["id"] for v in narrow[0]} == {"color-contrast"}, narrow[0]
    assert narrow[1]["scroll"] > narrow[1]["inner"], narrow[1]
