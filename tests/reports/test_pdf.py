"""Briefing packs printed to PDF by headless Chromium: A4, page numbers, running header and
footer, bookmarks; made by default, with an opt-out per entry."""

from __future__ import annotations

import importlib.util
import re
import shutil
import zlib
from pathlib import Path

import pytest

from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.pdf import find_chromium, print_copy

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

A4 = (595.0, 842.0)  # points; Chromium writes 594.96 x 841.92


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """Every page's MediaBox size in points (no PDF library needed)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


def page_texts(pdf: bytes) -> list[bytes]:
    """The decompressed content streams (Chromium's text is in them as glyph runs)."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return out


def test_the_print_copy_asks_for_a4_page_numbers_and_the_synthetic_mark():
    page = (
        "<html><head><title>Briefing: Lozells &amp; Aston</title></head><body>"
        '<div class="lozells-banner lozells-synthetic">x</div></body></html>'
    )
    printed = print_copy(page)
    style = printed[printed.index('<style media="print">') : printed.index("</head>")]
    assert "size: A4" in style
    assert 'content: "Page " counter(page) " of " counter(pages)' in style
    assert '@top-left { content: "Briefing: Lozells & Aston"' in style
    assert style.count('content: "Synthetic data"') == 2  # top and bottom of every page
    assert "h1, h2, h3, h4, h5, h6 { break-after: avoid" in style
    assert 'content: "Synthetic data"' not in print_copy(page.replace("lozells-synthetic", ""))


@pytest.mark.slow
def test_pdf_build_prints_each_briefing_pack(tmp_path):
    if not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")):
        pytest.fail("headless Chromium is not installed: run `make browser`, then the tests")
    project = helpers.make_project(
        tmp_path,
        f"""
reports:
  - {{id: pack, notebook: notebooks/tiny.ipynb, audience: briefing,
     parameters: {{greeting: "read {tmp_path}/data/w6.csv"}}}}
  - {{id: study, notebook: notebooks/tiny.ipynb, audience: research}}
""",
        {
            "tiny.ipynb": helpers.tiny_cells(
                "\nfrom IPython.display import HTML, display\ndisplay(HTML(greeting))\n"
                'HTML(\'<a href="pack.xlsx">the spreadsheet</a> and '
                '<a href="../docs/statistics.md">the methods</a>\')'
            )
        },
    )
    summary = build(project, BuildOptions(pdf=True))
    assert summary.ok, [o.error for o in summary.outcomes]
    pdf = project.reports / "pack.pdf"
    data = pdf.read_bytes()
    # the page showed a path in the project: the PDF was printed from the scrubbed page, so
    # it shows the path relative to the project and was published, not held back
    from lozells_analysis.reports.gate import pdf_text

    text = pdf_text(data)
    assert "read data/w6.csv" in text and str(tmp_path) not in text
    # links to the spreadsheet and the methods are relative, not the folder it printed from
    from lozells_analysis.reports.gate import pdf_links

    links = pdf_links(data)
    assert {"pack.xlsx", "../docs/statistics.md"} <= set(links), links
    assert not [u for u in links if u.startswith(("file:", "/"))], links
    assert data.startswith(b"%PDF-") and pdf.stat().st_size > 1000
    sizes = page_sizes(data)
    assert sizes and all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in sizes), sizes
    assert b"/Outlines" in data  # bookmarks from the headings
    assert b"/StructTreeRoot" in data  # tagged
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


@pytest.mark.slow
def test_every_build_prints_briefing_packs_unless_their_entry_opts_out(tmp_path):
    project = helpers.make_project(
        tmp_path,
        """
reports:
  - {id: pack, notebook: notebooks/tiny.ipynb, audience: briefing}
  - {id: quiet, notebook: notebooks/tiny.ipynb, audience: briefing, pdf: false}
""",
        {"tiny.ipynb": helpers.tiny_cells()},
    )
    summary = build(project, BuildOptions(pdf=None))  # the command line's default
    assert summary.ok, [o.error for o in summary.outcomes]
    assert (project.reports / "pack.pdf").is_file()
    assert not (project.reports / "quiet.pdf").exists()
    assert [o.status for o in build(project, BuildOptions(pdf=None)).outcomes] == [
        "skipped",
        "skipped",
    ]


def test_without_chromium_the_default_build_warns_and_pdf_insists(monkeypatch, caplog):
    from lozells_analysis.exceptions import BuildError
    from lozells_analysis.reports.downloads import want_pdf

    monkeypatch.setenv("PATH", "/nonexistent")
    runs = [type("Run", (), {"audience": "briefing", "pdf": True})()]
    assert want_pdf(None, runs) is False
    assert "without the briefing packs' PDFs" in caplog.text
    with pytest.raises(BuildError, match="make browser"):
        want_pdf(True, runs)
    assert want_pdf(False, runs) is False
