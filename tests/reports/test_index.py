"""The index page: grouped by audience and neighbourhood, failures first, filter, labels."""

from __future__ import annotations

import re
import types
from pathlib import Path

from lozells_analysis.reports.index import render_index, summary_sentence
from lozells_analysis.reports.state import BuildState, RunRecord

SYNTHETIC_READ = [{"path": "data/synthetic/survey.parquet", "synthetic": True}]


def _run(name, audience, area=None, title=None, **kw):
    params = {"neighbourhood": area} if area is not None else {}
    return types.SimpleNamespace(
        name=name, title=title or name.title(), audience=audience, parameters=params, **kw
    )


def _page(tmp_path: Path) -> str:
    for name in (
        "pack-lozells.briefing.html",
        "pack-lozells.research.html",
        "pack-lozells.pdf",
        "pack-lozells.xlsx",
        "trends-all.research.html",
        "trends-all.briefing.html",
        "broken.research.html",
    ):
        (tmp_path / name).write_text("x")
    runs = [
        _run("trends-all", "research", "all", summary=""),
        _run("pack-lozells", "briefing", "Lozells", summary="What {area} residents said."),
        _run("pack-govanhill", "briefing", "Govanhill", summary="What {area} residents said."),
        _run("broken", "research", None),
    ]
    state = BuildState(tmp_path / "state.json")
    state.runs["pack-lozells"] = RunRecord(
        status="succeeded",
        reads=SYNTHETIC_READ,
        outputs={
            "briefing": "pack-lozells.briefing.html",
            "research": "pack-lozells.research.html",
            "pdf": "pack-lozells.pdf",
            "spreadsheet": "pack-lozells.xlsx",
        },
        built_at="2026-01-02T03:04:05+00:00",
    )
    state.runs["trends-all"] = RunRecord(
        status="succeeded",
        reads=SYNTHETIC_READ,
        outputs={"research": "trends-all.research.html", "briefing": "trends-all.briefing.html"},
        built_at="2026-01-02T03:04:05+00:00",
    )
    state.runs["broken"] = RunRecord(
        status="failed",
        error="SurveyDataError: bad",
        outputs={"research": "broken.research.html"},
        built_at="2026-01-01T00:00:00+00:00",
        attempted_at="2026-01-02T00:00:00+00:00",
    )
    return render_index(runs, state, tmp_path)


def _cards(page: str) -> dict[str, str]:
    cards = re.findall(r'<li class="report".*?</li>', page, re.S)
    return {re.search(r"<code>([^<]+)</code>", c).group(1): c for c in cards}


def test_failures_come_first_then_briefing_packs_then_research_reports(tmp_path):
    page = _page(tmp_path)
    order = [m for m in re.findall(r"<code>([^<]+)</code>", page)]
    assert order == ["broken", "pack-lozells", "pack-govanhill", "trends-all"]
    headings = re.findall(r"<h([23])[^>]*>([^<]+)</h\1>", page)
    assert [h for _, h in headings] == [
        "Needs attention: runs that failed",
        "Briefing packs",
        "Lozells",
        "Govanhill",
        "Research reports",
        "All neighbourhoods",
    ]


def test_briefing_packs_link_their_briefing_view_and_pdf_research_reports_their_research_view(
    tmp_path,
):
    cards = _cards(_page(tmp_path))
    pack = re.findall(r'href="([^"]+)"', cards["pack-lozells"])
    assert pack == [
        "pack-lozells.briefing.html",
        "pack-lozells.briefing.html",
        "pack-lozells.pdf",
        "pack-lozells.xlsx",
    ]
    assert "pack-lozells.research.html" not in cards["pack-lozells"]
    research = cards["trends-all"]
    assert re.search(r'<h4><a href="trends-all.research.html">', research)
    assert re.search(r'href="trends-all.briefing.html">Summary', research)


def test_each_report_has_its_sentence_and_synthetic_label(tmp_path):
    cards = _cards(_page(tmp_path))
    assert "<p>What Lozells residents said.</p>" in cards["pack-lozells"]
    assert "Synthetic data" in cards["pack-lozells"] and "Synthetic data" in cards["trends-all"]
    assert "Synthetic data" not in cards["pack-govanhill"]  # never built: nothing read
    assert "Never built" in cards["pack-govanhill"]
    failed = cards["broken"]
    assert "FAILED" in failed and "SurveyDataError: bad" in failed
    assert "the report shown is from 2026-01-01 00:00" in failed


def test_the_page_has_a_main_landmark_a_progressive_filter_and_the_output_check_link(tmp_path):
    page = _page(tmp_path)
    assert page.count("<main>") == 1 and "</main>" in page
    # without JavaScript the filter box is hidden and every report shows
    assert re.search(r'<div class="filter" id="filter-box" role="search" hidden>', page)
    assert '<label for="filter">' in page and '<input id="filter" type="search"' in page
    assert "<table" not in page  # a list, readable on a phone
    assert 'href="output-check.html">Output-checking record</a>' in page
    assert "Every report here is built from made-up data" not in page  # one was never built
    assert "The reports marked Synthetic data" in page


def test_summary_sentence_falls_back_to_the_notebooks_purpose(tmp_path):
    nb = tmp_path / "n.ipynb"
    nb.write_text(
        '{"cells": [{"cell_type": "markdown", "source": ["# Title\\n", "\\n", '
        '"How the *share* of residents changed over the waves. More detail here.\\n"]}]}'
    )
    run = types.SimpleNamespace(summary="", notebook=nb, parameters={})
    assert summary_sentence(run) == "How the share of residents changed over the waves."
