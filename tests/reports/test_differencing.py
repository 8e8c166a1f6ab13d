"""The differencing check and the output-checking record (issue 13): two published counts
of nested selections may not give a suppressed count away by subtraction."""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path

import pytest

from lozells_analysis.reports.build import BuildOptions, build
from lozells_analysis.reports.differencing import check, collect, conflicts, nested, possible
from lozells_analysis.reports.output_check import render_output_check, run_checks
from lozells_analysis.reports.state import BuildState
from lozells_analysis.stats.records import COUNT_MIME

_spec = importlib.util.spec_from_file_location(
    "reports_helpers", Path(__file__).parents[1] / "reports_helpers.py"
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def count(area: str, waves: list[int], value: int | None, **extra) -> dict:
    return {
        "noun": "survey response",
        "area": area,
        "waves": waves,
        "filters": {},
        "value": value,
        "suppressed": value is None,
        "rounding": None,
        **extra,
    }


ANFIELD_1_6 = count("Anfield", [1, 2, 3, 4, 5, 6], 160)
ANFIELD_1_5 = count("Anfield", [1, 2, 3, 4, 5], 157)


# --- the rule -----------------------------------------------------------------------------------


def test_the_issues_case_is_refused_naming_both_reports():
    reason = check("dq-1-5", [ANFIELD_1_5], {"dq-1-6": [ANFIELD_1_6]}, floor=10)
    assert reason is not None
    assert "'dq-1-5'" in reason and "'dq-1-6'" in reason and "differencing" in reason
    assert "160" not in reason and "157" not in reason and "3" not in reason  # no value


def test_a_difference_at_the_floor_or_of_zero_is_allowed():
    at_floor = count("Anfield", [1, 2, 3, 4, 5], 150)
    same = count("Anfield", [1, 2, 3, 4, 5], 160)  # wave 6 had no responses: nothing given away
    assert check("a", [at_floor], {"b": [ANFIELD_1_6]}, floor=10) is None
    assert check("a", [same], {"b": [ANFIELD_1_6]}, floor=10) is None


def test_an_area_is_nested_in_all_and_other_areas_are_not():
    everyone = count("all", [1, 2, 3, 4, 5, 6], 165)
    lozells = count("Lozells", [1, 2, 3, 4, 5, 6], 158)
    assert nested(ANFIELD_1_6, everyone) and not nested(lozells, ANFIELD_1_6)
    assert conflicts([ANFIELD_1_6], {"programme": [everyone]}, floor=10) == ["programme"]
    assert conflicts([lozells], {"anfield": [ANFIELD_1_6]}, floor=10) == []


def test_different_things_or_filters_are_not_compared():
    other = dict(ANFIELD_1_5, noun="excerpt")
    filtered = dict(ANFIELD_1_5, filters={"age": "65+"})
    assert check("a", [other, filtered], {"b": [ANFIELD_1_6]}, floor=10) is None


def test_suppressed_counts_give_nothing_away():
    assert check("a", [count("Anfield", [6], None)], {"b": [ANFIELD_1_6]}, floor=10) is None


def test_rounded_counts_are_compared_as_ranges():
    assert possible(count("A", [1], 155, rounding=5)) == (153, 157)
    # exact 160 against "about 155" (153-157): the difference is 3 to 7, all small
    about = count("Anfield", [1, 2, 3, 4, 5], 155, rounding=5)
    assert check("brief", [about], {"dq": [ANFIELD_1_6]}, floor=10) is not None
    # both rounded: 1 to 9, no more than a suppressed cell's "fewer than 10" says
    about_160 = count("Anfield", [1, 2, 3, 4, 5, 6], 160, rounding=5)
    assert check("brief", [about], {"dq": [about_160]}, floor=10) is None


def test_a_total_minus_the_parts_shown_beside_it_gives_the_suppressed_part_away():
    # a by-wave table (wave 4 suppressed) and the selection's total, in one report or two
    parts = [count("Anfield", [w], v) for w, v in [(1, 30), (2, 25), (3, 28), (5, 27), (6, 26)]]
    hidden = count("Anfield", [4], None)
    total = count("Anfield", [1, 2, 3, 4, 5, 6], 140)  # wave 4 had 4
    assert conflicts([*parts, hidden, total], {}, floor=10) == ["(this report itself)"]
    assert conflicts([*parts, hidden], {"totals": [total]}, floor=10) == ["totals"]
    # two parts summed first (waves 1-3 in one report, 5-6 in another) give it away too
    early = count("Anfield", [1, 2, 3], 83)
    assert conflicts([early], {"late": [count("Anfield", [5, 6], 53)], "all": [total]}, 10) == [
        "late",
        "all",
    ]
    # when the part left over is at least the floor, or rounding hides it, nothing is given away
    assert conflicts(parts, {"totals": [dict(total, value=150)]}, floor=10) == []
    rounded = [dict(p, rounding=5) for p in parts]
    assert conflicts(rounded, {"totals": [dict(total, rounding=5)]}, floor=10) == []


def test_the_programme_minus_every_area_shown_gives_the_last_area_away():
    areas = [count(a, [6], 30) for a in ("Anfield", "Lozells", "Benchill")]
    programme = count("all", [6], 95)  # a fourth area, suppressed, had 5
    assert conflicts(areas, {"programme": [programme]}, floor=10) == ["programme"]
    assert conflicts(areas, {"programme": [dict(programme, value=120)]}, floor=10) == []
    # other things counted, or other filters, are not added up with these
    other = [dict(a, noun="respondents answering trust_people") for a in areas]
    assert conflicts(other, {"programme": [programme]}, floor=10) == []


def test_counts_are_collected_from_the_notebooks_hidden_outputs():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "x"},
            {
                "cell_type": "code",
                "outputs": [
                    {"output_type": "display_data", "data": {COUNT_MIME: ANFIELD_1_6}},
                    {"output_type": "stream", "text": "hello"},
                ],
            },
        ]
    }
    assert collect(nb) == ([ANFIELD_1_6], [])


def test_the_output_check_page_holds_no_data_value_and_is_escaped():
    entry = run_checks(
        name="dq",
        title="<Data quality>",
        audience="briefing",
        notebook={
            "cells": [
                {
                    "cell_type": "code",
                    "outputs": [
                        {
                            "data": {
                                "text/html": "<table><caption>Responses</caption><tr>"
                                "<td>suppressed</td><td>1,204</td></tr></table>"
                            }
                        }
                    ],
                }
            ]
        },
        counts=[ANFIELD_1_6],
        records=[
            {"check": "suppression", "primary": 1, "secondary": 2},
            {"check": "quotes", "shown": 2, "held_back": 1},
        ],
        min_n=10,
        rounding=5,
        scan=None,
        differencing=None,
    )
    assert entry["status"] == "published"
    assert entry["checks"]["secondary_suppression"]["suppressed"] == 2
    assert entry["checks"]["quotes"]["held_back"] == 1
    assert entry["items"] == [
        {
            "kind": "table",
            "number": 1,
            "cell": 1,
            "caption": "Responses",
            "suppressed_cells": 1,
            "checks": ["threshold", "secondary_suppression", "scan", "rounding"],
            "result": "passed",
        }
    ]
    page = render_output_check({"build": {}, "reports": [entry]})
    assert "&lt;Data quality&gt;" in page and "<Data quality>" not in page
    assert "1,204" not in page and "160" not in page


# --- in a build ---------------------------------------------------------------------------------

COUNTING = [
    helpers.markdown("# Counting report"),
    helpers.code(
        'neighbourhood: str = "Anfield"  # where\n'
        'waves: str = "1-6"  # which waves\n'
        "n: int = 160  # how many responses the selection has\n"
        "min_n: int = 10  # smallest count shown\n",
        ["parameters"],
    ),
    helpers.code(
        "import pandas as pd\n"
        "from lozells_analysis.data import selection\n"
        "from lozells_analysis.present import headlines, tables\n"
        "from lozells_analysis.stats import qualitative\n"
        "sel = selection.check_parameters(neighbourhood, waves, 0.95, min_n)\n"
        "print(f'COVERS {sel.label}: {headlines.count_phrase(n, \"survey response\")}.')\n"
        "ex = pd.DataFrame({'excerpt_id': ['1', '2'], 'codes': ['trust', 'trust'],\n"
        "    'text': ['Bernadette Okafor at the desk was rude.', 'I do not trust them.']})\n"
        "tables.to_html(qualitative.quotes(ex, 'trust', n=2), caption='What people said')"
    ),
]


def _catalogue(early_n: int) -> str:
    return (
        "reports:\n"
        "  - id: dq-all\n    notebook: notebooks/count.ipynb\n    audience: research\n"
        "    parameters: {waves: '1-6', n: 160}\n"
        "  - id: dq-early\n    notebook: notebooks/count.ipynb\n    audience: research\n"
        f"    parameters: {{waves: '1-5', n: {early_n}}}\n"
        "  - id: pack\n    notebook: notebooks/count.ipynb\n    audience: briefing\n"
        "    parameters: {neighbourhood: Lozells, waves: '6', n: 158}\n"
        "  - id: tiny\n    notebook: notebooks/count.ipynb\n    audience: briefing\n"
        "    parameters: {neighbourhood: Benchill, waves: '6', n: 3}\n"
    )


@pytest.mark.slow
def test_a_build_refuses_the_later_of_two_counts_that_give_a_small_one_away(tmp_path):
    project = helpers.make_project(tmp_path, _catalogue(140), {"count.ipynb": COUNTING})
    first = build(project, BuildOptions(jobs=1))
    assert first.ok, [o.error for o in first.failed]
    reports = project.reports
    good = (reports / "dq-early.research.html").read_bytes()
    # the briefing rounds, the small count is suppressed, no hidden record is shown
    pack = (reports / "pack.briefing.html").read_text(encoding="utf-8")
    assert "COVERS Lozells, wave 6: about 160 survey responses." in pack
    assert "vnd.lozells" not in pack
    tiny = (reports / "tiny.briefing.html").read_text(encoding="utf-8")
    assert "fewer than 10 survey responses" in tiny and "3 survey responses" not in tiny
    assert "Okafor" not in pack and "I do not trust them." in pack

    # the issue's case: waves 1-6 shows 160 Anfield responses, waves 1-5 157
    (tmp_path / "reports.yaml").write_text(_catalogue(157), encoding="utf-8")
    second = build(project, BuildOptions(jobs=1))
    assert [o.name for o in second.failed] == ["dq-early"]
    error = second.failed[0].error
    assert "'dq-early'" in error and "'dq-all'" in error and "differencing" in error
    assert "157" not in error and "160" not in error
    assert (reports / "dq-early.research.html").read_bytes() == good  # last good report stays
    index = html.unescape((reports / "index.html").read_text(encoding="utf-8"))
    assert "differencing check" in index and "'dq-all'" in index
    assert 'href="output-check.html"' in index
    record = BuildState.load(project.state_file).runs["dq-early"]
    assert record.status == "failed" and record.counts[0]["value"] == 140

    checks = json.loads((reports / "output-check.json").read_text(encoding="utf-8"))
    by_name = {e["report"]: e for e in checks["reports"]}
    assert set(by_name) == {"dq-all", "dq-early", "pack", "tiny"}
    assert by_name["dq-early"]["status"] == "held back"
    assert by_name["dq-early"]["checks"]["differencing"]["result"] == "refused"
    assert by_name["pack"]["checks"]["rounding"]["result"] == "applied"
    assert by_name["pack"]["checks"]["quotes"]["held_back"] == 1
    assert by_name["tiny"]["checks"]["threshold"]["suppressed"] >= 1
    assert [i["kind"] for i in by_name["pack"]["items"]] == ["table"]
    page = (reports / "output-check.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "157" not in page and "Okafor" not in page
