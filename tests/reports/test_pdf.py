"""``--pdf``: briefing packs printed to PDF by headless Chromium."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.pdf import find_chromium

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

pytestmark = pytest.mark.slow


def test_pdf_build_prints_each_briefing_pack(tmp_path):
    if not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")):
        pytest.fail("headless Chromium is not installed: run `make browser`, then the tests")
    project = helpers.make_project(
        tmp_path,
        """
reports:
  - {id: pack, notebook: notebooks/tiny.ipynb, audience: briefing}
  - {id: study, notebook: notebooks/tiny.ipynb, audience: research}
""",
        {"tiny.ipynb": helpers.tiny_cells()},
    )
    summary = build(project, BuildOptions(pdf=True))
    assert summary.ok, [o.error for o in summary.outcomes]
    pdf = project.reports / "pack.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 1000
    assert not (project.reports / "study.pdf").exists()  # research reports get no PDF
    assert 'href="pack.pdf"' in (project.reports / "index.html").read_text()
    # a later --pdf build has nothing to do; deleting the PDF makes it print again
    assert [o.status for o in build(project, BuildOptions(pdf=True)).outcomes] == [
        "skipped",
        "skipped",
    ]
    pdf.unlink()
    again = build(project, BuildOptions(pdf=True))
    assert [(o.name, o.reason) for o in again.outcomes if o.status == "built"] == [
        ("pack", "outputs missing")
    ]


def test_missing_chromium_says_to_run_make_browser(monkeypatch):
    from lozells_analysis.exceptions import BuildError

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BuildError, match="make browser"):
        find_chromium()
