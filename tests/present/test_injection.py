"""Text that comes from data is shown as text, never run as HTML or script.

Ward names, participant groups and quotes come from the listening-event file a researcher
supplies; labels, captions, notes and parameters pass through ``tables``, ``plots``,
``headlines`` and the pipeline's header and index. Each must be HTML-escaped. Unit tests
check the escaping functions; then notebook 07 is built on a listening-event file with a
``<script>`` and an ``<img onerror>`` planted in a quote, a ward name and a participant
group, and both views are opened in Chromium: nothing runs, the markup is visible as
literal text, and the console stays clean.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lozells_analysis.present import headlines, plots, tables
from lozells_analysis.reports.index import render_index
from lozells_analysis.reports.provenance import header_html
from lozells_analysis.reports.state import BuildState, RunRecord

from .. import browser_support as support

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 2">'
PLANTS = (SCRIPT, IMG)


def no_live_markup(fragment: str) -> None:
    for plant in PLANTS:
        assert plant not in fragment, f"unescaped {plant!r} in {fragment[:300]!r}"


# --- unit level ----------------------------------------------------------------------------


def test_tables_escape_cells_headers_index_caption_and_note():
    frame = pd.DataFrame({f"group {SCRIPT}": [IMG], "n": [12]}, index=pd.Index([SCRIPT], name=IMG))
    out = str(tables.to_html(frame, caption=SCRIPT, note=IMG))
    no_live_markup(out)
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=" in out


def test_figure_alt_caption_and_source_are_escaped():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1])
    out = plots.figure_html(fig, alt=f'a "quoted" {IMG}', caption=SCRIPT, source=IMG)
    plt.close(fig)
    no_live_markup(out)
    assert 'aria-label="a &quot;quoted&quot; &lt;img' in out


def test_headlines_escape_their_text():
    no_live_markup(str(headlines.paragraph(f"Ward: {IMG} {SCRIPT}")))
    no_live_markup(str(headlines.as_html([SCRIPT, IMG], intro=IMG)))


def test_report_header_and_index_escape_titles_parameters_and_errors(tmp_path):
    header = header_html(
        SCRIPT, "research", "research", {"ward": IMG}, {"built_at": "2025-01-01T00:00:00+00:00"}
    )
    no_live_markup(header)
    run = type(
        "Run",
        (),
        {"name": "r1", "title": SCRIPT, "audience": "research", "parameters": {"ward": IMG}},
    )()
    state = BuildState(
        tmp_path / "state.json",
        {"r1": RunRecord(status="failed", error=f"SurveyDataError: {IMG}")},
    )
    no_live_markup(render_index([run], state, tmp_path))


# --- notebook 07 in Chromium ---------------------------------------------------------------


def planted_events(path: Path) -> tuple[str, str]:
    """The synthetic listening events with markup planted in the most common ward's name,
    the most common participant group and every quote; returns (ward, group)."""
    from lozells_analysis.data.synthetic import generate_listening_events

    events = generate_listening_events()
    ward = events["ward"].value_counts().index[0]
    group = events["participant_group"].value_counts().index[0]
    planted_ward, planted_group = f"{ward} {IMG}", f"{group} {SCRIPT}"
    events["ward"] = events["ward"].replace({ward: planted_ward})
    events["participant_group"] = events["participant_group"].replace({group: planted_group})
    events["text"] = events["text"] + f" {SCRIPT} {IMG}"
    events.to_csv(path, index=False)
    return planted_ward, planted_group


@pytest.fixture(scope="module")
def injected_reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("injection")
    events = tmp / "listening_events.csv"
    ward, group = planted_events(events)
    views = support.build_report(
        tmp,
        "07_health_service_barriers.ipynb",
        {"events_path": str(events), "ward": "all", "n_quotes": 3},
        run_id="barriers",
    )
    return views, ward, group


@pytest.fixture(scope="module")
def browser():
    with support.chromium() as b:
        yield b


CHECK_JS = """() => ({
  pwned: typeof window.__pwned,
  handlers: Array.from(document.querySelectorAll('[onerror]')).map(e => e.outerHTML),
  scripts: Array.from(document.scripts).filter(s => s.text.includes('__pwned')).length,
  text: document.body.innerText})"""


@pytest.mark.slow
@pytest.mark.parametrize("view", ["research", "briefing"])
def test_planted_markup_in_listening_events_is_shown_as_text(injected_reports, browser, view):
    views, ward, group = injected_reports
    with support.open_page(browser, views[view].as_uri()) as (page, record):
        page.wait_for_load_state("networkidle")
        found = page.evaluate(CHECK_JS)
    assert found["pwned"] == "undefined", "planted markup ran in the report"
    assert found["handlers"] == [] and found["scripts"] == 0, found["handlers"]
    text = found["text"]
    assert SCRIPT in text, "the planted <script> is not shown as text (quotes, groups)"
    assert IMG in text, "the planted <img onerror> is not shown as text (quotes, ward)"
    assert ward in text and group in text
    assert not record.console_errors and not record.page_errors, record
    assert not record.external and not record.failed, record


@pytest.mark.slow
def test_the_browser_check_catches_markup_that_runs(browser, tmp_path):
    page_file = tmp_path / "live.html"
    page_file.write_text(f"<!DOCTYPE html><html><body><p>{SCRIPT}{IMG}</p></body></html>")
    with support.open_page(browser, page_file.as_uri()) as (page, _):
        found = page.evaluate(CHECK_JS)
    assert found["pwned"] == "number" and found["handlers"] and found["scripts"] == 1
    assert SCRIPT not in found["text"]
