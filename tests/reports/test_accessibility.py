"""axe-core in Chromium: the accessibility check itself.

Every built report (both views) and the index is checked by axe-core (through
``axe-playwright-python``) with the WCAG 2.0, 2.1 and 2.2 A and AA rules, at 1280 px and at
390 px, in ``test_browser.py``: one page load per view and width serves the browser checks,
the screenshot and axe, which keeps the suite quick. Here the check is shown to catch a page
with faults, so that a clean result there means something.
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
    page, _ = support.open_page(browser, bad.as_uri(), width=390)
    try:
        found = support.axe_violations(axe, page)
        sizes = page.evaluate(support.OVERFLOW_JS)
    finally:
        page.context.close()
    ids = {v["id"] for v in found}
    assert {"html-has-lang", "image-alt", "color-contrast", "label"} <= ids, ids
    assert "color-contrast" in support.describe_violations(found)
    assert sizes["scroll"] > sizes["inner"]
