"""Disclosure control over the built catalogue, and a report on a deliberately tiny subgroup.

Every rendered report of the catalogue (built once per session, see ``browser_support``) is
scanned with :func:`lozells_analysis.reports.scan.scan_report` at its own ``min_n``: no
respondent id,
email, UK phone number, postcode or planted name; no count of respondents under ``min_n``; no
table of respondents. Then notebook 06 (who benefits) is built on a survey where only three
Lozells respondents describe their gender "in another way": that row must read "suppressed",
and its estimate must appear nowhere on the page, in a table, a chart's alt text or a sentence.
"""

from __future__ import annotations

import re

import pytest

from lozells_analysis.present import summaries, tables
from lozells_analysis.reports.scan import _Collector, scan_html, scan_report

from .. import browser_support as support

pytestmark = pytest.mark.slow

# No aggregate table in these reports comes near this many rows; the smallest selection a
# report covers (one neighbourhood, all waves) has over 200 respondents.
MAX_ROWS = 100
TINY = "In another way"


def test_the_scan_finds_what_the_raw_quotes_carry():
    """The planted personal details really are in the unredacted synthetic quotes, so a
    clean scan of the reports means redaction removed them (not that the scan is blind)."""
    from lozells_analysis.data.synthetic import PLANTED_NAMES, generate_listening_events

    events = generate_listening_events()
    page = str(tables.to_html(events[["ward", "text"]], index=False))
    found = {f.kind for f in scan_html(page, names=PLANTED_NAMES)}
    assert {"name", "phone", "email", "postcode"} <= found


@pytest.mark.catalogue
@pytest.mark.parametrize("name_view", support.run_views())
def test_no_report_discloses_a_respondent(tmp_path_factory, name_view):
    path = support.published_view(tmp_path_factory, name_view)
    run = next(r for r in support.catalogue_runs() if path.name.startswith(f"{r.name}."))
    min_n = int(run.parameters.get("min_n", 10))
    findings = scan_report(path, min_n=min_n, max_rows=MAX_ROWS)
    assert not findings, "\n".join(map(str, findings))


# --- a tiny subgroup -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_subgroup(tmp_path_factory):
    """A survey with exactly 3 Lozells respondents of gender "In another way" (and none
    elsewhere), notebook 06 built on it, and that group's real (unsuppressed) estimate."""
    from lozells_analysis.data.codebook import load_codebook
    from lozells_analysis.data.synthetic import generate

    tmp = tmp_path_factory.mktemp("tiny")
    survey = generate()
    code = next(k for k, v in load_codebook().item("gender").labels.items() if v == TINY)
    survey["gender"] = survey["gender"].mask(survey["gender"] == code, 1)
    lozells = survey.index[
        (survey["neighbourhood"] == "Lozells") & survey["change_area_run"].notna()
    ]
    survey.loc[lozells[:3], "gender"] = code
    path = tmp / "survey.parquet"
    survey.to_parquet(path)

    selected = survey[survey["neighbourhood"] == "Lozells"]
    grouped = summaries.model_frame(selected, ["gender"])
    estimates, _ = summaries.breakdown(
        summaries.design_for(grouped), "change_area_run", "gender", level=0.95, min_n=1
    )
    row = estimates[estimates["gender"] == TINY].iloc[0]
    assert row["n"] == 3, estimates[["gender", "n"]]
    hidden = tables.format_interval(row["estimate"], row["lower_ci"], row["upper_ci"])
    views = support.build_report(
        tmp,
        "06_who_benefits.ipynb",
        {
            "data_path": str(path),
            "neighbourhood": "Lozells",
            "min_n": 10,
            "indicator": "change_area_run",
            "groups": ["gender"],
        },
        run_id="who-benefits-tiny",
    )
    return views, hidden


@pytest.mark.parametrize("view", ["research", "briefing"])
def test_a_tiny_subgroup_is_shown_as_suppressed(tiny_subgroup, view):
    views, hidden = tiny_subgroup
    page = views[view].read_text(encoding="utf-8")
    collector = _Collector()
    collector.feed(page)
    rows = [
        [text for text, _ in row]
        for table in collector.tables
        for row in table.rows
        if row and row[0][0] == TINY
    ]
    assert rows, f"the gender table has no row for {TINY!r}"
    for row in rows:
        assert set(row[1:]) <= {"suppressed", "-", ""}, f"a figure for {TINY!r}: {row}"
    assert any("suppressed" in row for row in rows)
    text = " ".join(t.text for t in collector.texts)
    assert hidden not in text, f"the suppressed estimate {hidden} is on the page"
    alt = " ".join(t.text for t in collector.texts if t.where == "<img alt>")
    assert not re.search(re.escape(TINY) + r"\W{0,3}\d", alt), "the chart's alt text gives it"
    assert scan_report(views[view], min_n=10, max_rows=MAX_ROWS) == []
