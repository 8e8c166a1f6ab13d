"""Tests of lozells_analysis.present.findings: chart titles that state what was found."""

from __future__ import annotations

import pandas as pd
import pytest

from lozells_analysis.present import findings


@pytest.mark.parametrize(
    ("direction", "last", "title"),
    [
        ("no significant trend", None, "Belonging has not changed clearly since 2016"),
        ("no significant trend", 2019, "Belonging has not changed clearly between 2016 and 2019"),
        ("increasing", 2019, "Belonging rose between 2016 and 2019"),
        ("decreasing", None, "Belonging has fallen since 2016"),
    ],
)
def test_trend_title_says_what_the_test_found(direction, last, title):
    result = pd.DataFrame({"variable": ["belong"], "direction": [direction]})
    assert findings.trend_title("Belonging", result, 2016, last) == title


def test_trend_title_picks_the_row_of_its_variable():
    result = pd.DataFrame(
        {"variable": ["a", "b"], "direction": ["increasing", "no significant trend"]}
    )
    assert findings.trend_title("B", result, 2016, 2019, variable="b").endswith(
        "has not changed clearly between 2016 and 2019"
    )
    with pytest.raises(ValueError, match="no row for 'c'"):
        findings.trend_title("C", result, 2016, variable="c")


def test_trend_title_from_a_real_trend_test():
    from lozells_analysis.data import synthetic
    from lozells_analysis.stats.design import SurveyDesign
    from lozells_analysis.stats.trends import linear_trend

    survey = synthetic.generate(n=600, seed=3)
    result = linear_trend(SurveyDesign(survey, weights="weight"), "belong_neighbourhood")
    title = findings.trend_title("Belonging", result, 2016, 2019)
    expected = {
        "increasing": "rose",
        "decreasing": "fell",
        "no significant trend": "has not changed clearly",
    }[result["direction"].iloc[0]]
    assert expected in title


def test_comparison_title_uses_the_verdict_and_the_right_comparator():
    table = pd.DataFrame(
        {
            "variable": ["belong", "belong"],
            "comparator": ["Similar areas", "England"],
            "comparison": ["similar", "worse"],
        }
    )
    assert findings.comparison_title("Belonging", "Lozells", table) == (
        "Belonging in Lozells is worse than England"
    )
    assert findings.comparison_title("Belonging", "Lozells", table, "Similar areas") == (
        "Belonging in Lozells is similar to Similar areas"
    )
    assert findings.comparison_title("Trust", "Govanhill", "higher", "Scotland") == (
        "Trust in Govanhill is higher than Scotland"
    )


def test_spread_title_only_names_a_gap_the_intervals_support():
    est = pd.DataFrame(
        {
            "age": ["16-34", "35-64", "65+"],
            "estimate": [0.30, 0.50, 0.72],
            "lower_ci": [0.25, 0.45, 0.66],
            "upper_ci": [0.35, 0.55, 0.78],
            "suppressed": [False, False, True],
        }
    )
    assert findings.spread_title("Belonging", est, "age") == (
        "Belonging is highest where age is 35-64 (50%) and lowest where it is 16-34 (30%)"
    )
    wide = est.assign(lower_ci=0.2, upper_ci=0.6)
    assert "similar across age" in findings.spread_title("Belonging", wide, "age")


def test_counts_are_words_and_the_outcome_has_no_code_name():
    c = pd.DataFrame({"variable": ["a", "b", "c"], "comparison": ["similar", "worse", "worse"]})
    assert findings.comparisons_title("Lozells", c, "England") == (
        "Lozells is worse than England on two of three measures and similar on one"
    )
    m = pd.DataFrame({"variable": ["Intercept", "x"], "lower_ci": [1, -1], "upper_ci": [2, 1]})
    assert findings.effects_title("collective_control", m).startswith("Collective control ")
