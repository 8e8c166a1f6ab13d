"""Rendering the two views, offline checks, the index and publishing (no kernels)."""

from __future__ import annotations

import types
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lozells_analysis.reports.index import render_index
from lozells_analysis.reports.render import external_references, render_html
from lozells_analysis.reports.state import BuildState, RunRecord


@pytest.fixture
def executed():
    nb = new_notebook()
    cells = [
        new_markdown_cell("# Title\n\nSome <em>markdown</em>."),
        new_code_cell("x = 1", outputs=[new_output("stream", name="stdout", text="STDOUT-X\n")]),
        new_code_cell("warn()", outputs=[new_output("stream", name="stderr", text="STDERR-Y\n")]),
        new_code_cell(
            "boom()",
            outputs=[
                new_output("error", ename="ValueError", evalue="BOOM-Z", traceback=["TB-LINE"])
            ],
        ),
        new_code_cell(
            "secret()", outputs=[new_output("stream", name="stdout", text="HIDDEN-IN\n")]
        ),
        new_code_cell(
            "table()",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/html": "<table><tr>" + "<td>wide</td>" * 40 + "</tr></table>",
                        "text/plain": "t",
                    },
                )
            ],
        ),
    ]
    cells[4].metadata["tags"] = ["remove_input"]
    nb.cells = cells
    return nb


def test_research_view_shows_outputs_and_folds_code(executed):
    html = render_html(executed, "research", title="T <1>")
    assert html.count('<details class="lozells-code">') == 4  # remove_input cell has none
    assert "STDOUT-X" in html and "STDERR-Y" in html and "TB-LINE" in html
    assert "secret()" not in html and "HIDDEN-IN" in html
    assert "<title>T &lt;1&gt;</title>" in html
    assert external_references(html) == []


def test_briefing_view_has_no_code_prompts_errors_or_stderr(executed):
    html = render_html(executed, "briefing", title="T")
    for absent in (
        "x = 1",
        "warn()",
        "STDERR-Y",
        "BOOM-Z",
        "TB-LINE",
        "<details",
        'class="jp-InputPrompt',
    ):
        assert absent not in html, absent
    assert "STDOUT-X" in html and "HIDDEN-IN" in html and "<em>markdown</em>" in html
    assert external_references(html) == []


def test_wide_tables_scroll_in_their_own_container(executed):
    html = render_html(executed, "briefing", title="T")
    at = html.index("<td>wide</td>")
    assert html.rfind('<div class="lozells-scroll">', 0, at) > html.rfind("</div>", 0, at) - 400
    assert ".lozells-scroll { max-width: 100%; overflow-x: auto; }" in html


def test_external_references_catches_every_kind_of_fetch():
    page = (
        '<script src="https://cdn.example/require.js"></script>'
        '<link rel="stylesheet" href="https://fonts.example/css">'
        '<img src="figure.png"><iframe src="http://x"></iframe>'
        "<style>body { background: url(https://x/bg.png) }</style>"
        "<div style=\"background:url('http://y/z.png')\"></div>"
        '<img src="data:image/png;base64,AAAA"><a href="https://ok.example">a link</a>'
    )
    found = external_references(page)
    assert len(found) == 6
    assert found[0] == "<script src='https://cdn.example/require.js'>"


def test_index_escapes_data_and_tells_failures_apart(tmp_path):
    (tmp_path / "ok.research.html").write_text("x")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "bad.log").write_text("trace")
    runs = [
        types.SimpleNamespace(name="ok", title="Good", audience="research", parameters={}),
        types.SimpleNamespace(
            name="bad",
            title="Bad <b>",
            audience="briefing",
            parameters={"neighbourhood": "<Aston>"},
        ),
        types.SimpleNamespace(name="new", title="New", audience="research", parameters={}),
    ]
    state = BuildState(tmp_path / "state.json")
    state.runs["ok"] = RunRecord(
        status="succeeded",
        outputs={"research": "ok.research.html"},
        built_at="2025-03-04T05:06:07+00:00",
    )
    state.runs["bad"] = RunRecord(
        status="failed",
        error="KeyError: '<x>'",
        log="logs/bad.log",
        attempted_at="2025-03-04T05:06:07+00:00",
    )
    page = render_index(runs, state, tmp_path)
    cards = page.split('<li class="report"')[1:]
    # failures first, then the rest in catalogue order
    assert "FAILED" in cards[0] and "KeyError: &#x27;&lt;x&gt;&#x27;" in cards[0]
    assert 'href="logs/bad.log">Log' in cards[0] and "no report yet" in cards[0]
    assert "Bad &lt;b&gt;" in cards[0] and "&lt;Aston&gt;" in cards[0]
    assert 'href="ok.research.html">Good</a>' in cards[1] and "2025-03-04 05:06" in cards[1]
    assert "Never built" in cards[2]
    assert "1 failed" in page


def test_briefing_render_keeps_the_notebook_untouched(executed):
    before = nbformat.writes(executed)
    render_html(executed, "briefing", title="T")
    assert nbformat.writes(executed) == before


def test_unknown_view_is_refused(executed):
    with pytest.raises(ValueError, match="view must be one of"):
        render_html(executed, "slides", title="T")


def test_views_file_names():
    from lozells_analysis.reports.render import view_file

    assert view_file("pack-lozells", "research") == "pack-lozells.research.html"
    assert Path(view_file("a", "briefing")).suffix == ".html"


def test_research_details_are_in_the_research_view_only():
    """p-values and settings marked for researchers (``headlines.research_detail``) show in
    the research view and are left out of the briefing view, in outputs and in markdown."""
    from lozells_analysis.present.headlines import Headline, as_html

    headline = Headline(
        "Trust: no clear rise or fall.", "trend:trust", 0.5, 0.4, 0.6, detail="p = 0.72"
    )
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell(
            "# T\n\nToo few respondents"
            '<span class="lozells-research"> (fewer than <code>min_n</code>)</span> are hidden.'
        ),
        new_code_cell(
            "h()",
            outputs=[new_output("display_data", data={"text/html": str(as_html([headline]))})],
        ),
    ]
    research = render_html(nb, "research", title="T")
    briefing = render_html(nb, "briefing", title="T")
    assert "p = 0.72" in research and "min_n" in research
    assert "p = 0.72" not in briefing and "min_n" not in briefing
    assert "Trust: no clear rise or fall." in briefing and "are hidden." in briefing
