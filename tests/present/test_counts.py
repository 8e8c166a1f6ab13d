"""Counts of respondents as a reader sees them: suppressed below the floor, rounded in a
briefing pack (issue 13)."""

from __future__ import annotations

import pandas as pd

from lozells_analysis.data import selection
from lozells_analysis.present import quality, tables
from lozells_analysis.present.headlines import count_phrase


def test_count_phrase_suppresses_and_rounds(monkeypatch):
    from lozells_analysis.present.headlines import count_phrase

    assert count_phrase(3, "survey response") == "fewer than 10 survey responses"
    assert count_phrase(2852, "survey response") == "2,852 survey responses"
    monkeypatch.setenv("LOZELLS_AUDIENCE", "briefing")
    assert count_phrase(157, "survey response") == "about 155 survey responses"
    assert count_phrase(3, "survey response") == "fewer than 10 survey responses"
    assert count_phrase(160, "survey response", min_n=200) == "fewer than 200 survey responses"


def test_count_phrase_uses_the_notebook_min_n_but_never_less_than_the_floor():
    selection.check_parameters("Anfield", [6], 0.95, 20)
    try:
        assert count_phrase(15, "survey response") == "fewer than 20 survey responses"
        selection.check_parameters("Anfield", [6], 0.95, 1)
        assert count_phrase(3, "survey response") == "fewer than 10 survey responses"
    finally:
        selection.check_parameters("Lozells", [1, 2, 3, 4, 5, 6], 0.95, 10)


def test_table_n_columns_are_suppressed_and_rounded_in_briefings(monkeypatch):
    frame = pd.DataFrame({"group": ["a", "b"], "n": [157, 4]})
    assert tables.format_columns(frame, counts=["n"])["n"].tolist() == ["157", "suppressed"]
    monkeypatch.setenv("LOZELLS_AUDIENCE", "briefing")
    assert tables.format_columns(frame, counts=["n"])["n"].tolist() == ["155", "suppressed"]


def test_response_count_table_protects_columns_and_rounds(monkeypatch):
    cells = {("A", 1): 3, ("A", 2): 30, ("A", 3): 35, ("B", 1): 40, ("B", 2): 41}
    cells |= {("B", 3): 42, ("C", 1): 52, ("C", 2): 33, ("C", 3): 61}
    survey = pd.DataFrame(
        [{"neighbourhood": a, "wave": w} for (a, w), n in cells.items() for _ in range(n)]
    )
    counts = quality.response_counts(survey)
    # A wave 1 (3) is suppressed; its row and its column each hide a second cell
    assert not (counts.groupby("neighbourhood")["suppressed"].sum() == 1).any()
    assert not (counts.groupby("wave")["suppressed"].sum() == 1).any()
    monkeypatch.setenv("LOZELLS_AUDIENCE", "briefing")
    wide = quality.count_table(counts)
    shown = [v for v in wide.to_numpy().ravel() if v != "suppressed"]
    assert sorted(shown) == ["35", "40", "60"]  # 35, 42, 61 to the nearest 5


def test_counts_of_things_that_are_not_people_are_shown_as_they_are(monkeypatch):
    monkeypatch.setenv("LOZELLS_AUDIENCE", "briefing")
    assert count_phrase(1, "listening event") == "1 listening event"
    assert count_phrase(48, "excerpt") == "48 excerpts"
    assert count_phrase(8, "interview") == "fewer than 10 interviews"  # people


def test_a_build_refuses_min_n_below_the_floor_however_it_is_passed(monkeypatch):
    import pytest

    from lozells_analysis.exceptions import ParameterError
    from lozells_analysis.stats.published import MIN_N_ENV

    assert selection.MIN_N_FLOOR_ENV == MIN_N_ENV
    monkeypatch.setenv(MIN_N_ENV, "10")
    with pytest.raises(ParameterError, match="below the project floor of 10"):
        selection.check_parameters("Anfield", [6], 0.95, 1)
    assert selection.check_parameters("Anfield", [6], 0.95, 10).min_n == 10
