"""Tests of lozells_analysis.data.selection: notebook parameters and row selection."""

from __future__ import annotations

import pandas as pd
import pytest

from lozells_analysis.data.selection import (
    check_indicators,
    check_level,
    check_min_n,
    check_neighbourhood,
    check_parameters,
    check_waves,
    select_survey,
    wave_range_text,
)
from lozells_analysis.exceptions import LozellsError, ParameterError


@pytest.fixture(scope="module")
def survey():
    from lozells_analysis.data.load import load_survey

    return load_survey()


def test_unknown_neighbourhood_suggests_the_closest_and_lists_all(codebook):
    with pytest.raises(ParameterError) as err:
        check_neighbourhood("Lozels", codebook)
    msg = str(err.value)
    assert "Unknown neighbourhood 'Lozels'" in msg
    assert "Did you mean 'Lozells'?" in msg
    for name in codebook.neighbourhoods:
        assert name in msg
    assert '"all"' in msg


def test_neighbourhood_case_and_spacing_forgiven(codebook):
    assert check_neighbourhood("  rhyl   west", codebook) == "Rhyl West"
    assert check_neighbourhood("All", codebook) == "all"


def test_neighbourhood_not_text_is_a_parameter_error(codebook):
    with pytest.raises(ParameterError, match="name in quotes"):
        check_neighbourhood(3, codebook)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([3, 1, 2, 2], (1, 2, 3)),
        ("2-4", (2, 3, 4)),
        ("[5, 6]", (5, 6)),
        (4, (4,)),
        ("1 to 3", (1, 2, 3)),
        ("1, 3 - 4", (1, 3, 4)),
        (range(2, 4), (2, 3)),
        ([1.0, 2], (1, 2)),
    ],
)
def test_waves_accept_lists_ranges_and_text(codebook, given, expected):
    assert check_waves(given, codebook) == expected


@pytest.mark.parametrize("bad", [[], "abc", [1.5], ["x"], None])
def test_bad_waves_raise_parameter_error(codebook, bad):
    with pytest.raises(ParameterError, match="wave"):
        check_waves(bad, codebook)


def test_wave_outside_the_survey_names_the_valid_waves(codebook):
    with pytest.raises(ParameterError) as err:
        check_waves([5, 6, 7], codebook)
    assert "wave 7" in str(err.value)
    assert "waves 1-6" in str(err.value)


@pytest.mark.parametrize("bad", [0, 1, -0.5, 1.5, 95, "0.95", True, None])
def test_level_outside_zero_one_raises(bad):
    with pytest.raises(ParameterError, match="between 0 and 1"):
        check_level(bad)


def test_level_given_as_percent_gets_a_hint():
    with pytest.raises(ParameterError, match=r"Did you mean 0\.9\?"):
        check_level(90)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", None, False])
def test_min_n_below_one_or_not_whole_raises(bad):
    with pytest.raises(ParameterError, match="min_n must be a whole number"):
        check_min_n(bad)


def test_check_parameters_returns_the_checked_values(codebook):
    s = check_parameters("govanhill", "3-6", 0.9, 5.0, codebook)
    assert (s.neighbourhood, s.waves, s.level, s.min_n) == ("Govanhill", (3, 4, 5, 6), 0.9, 5)
    assert isinstance(s.min_n, int)
    assert s.label == "Govanhill, waves 3-6"
    assert not s.is_programme


def test_unknown_indicator_lists_valid_ones(codebook):
    with pytest.raises(ParameterError) as err:
        check_indicators(["belong_neighbourhood", "pull_togther"], codebook)
    assert "Did you mean 'pull_together'" in str(err.value)
    assert "change_area_run" in str(err.value)
    assert check_indicators("chat_neighbours, trust_people", codebook) == [
        "talk_neighbours_most_days",
        "trust_people",
    ]


def test_select_survey_picks_the_neighbourhood_and_waves(survey, codebook):
    out = select_survey(survey, "Anfield", [2, 3], codebook)
    expected = survey[(survey["neighbourhood"] == "Anfield") & survey["wave"].isin([2, 3])]
    assert len(out) == len(expected) > 0
    assert set(out["neighbourhood"].astype(str)) == {"Anfield"}
    assert set(out["wave"]) == {2, 3}
    assert out.attrs["synthetic"] is True
    assert out.attrs["selection"]["label"] == "Anfield, waves 2-3"


def test_select_all_keeps_every_neighbourhood(survey, codebook):
    out = select_survey(survey, "all", [1, 2, 3, 4, 5, 6], codebook)
    assert len(out) == len(survey)
    assert out.attrs["selection"]["label"].startswith("All 13 neighbourhoods")


def test_select_does_not_change_the_survey(survey, codebook):
    before = survey.copy()
    select_survey(survey, "Lozells", [1], codebook)
    pd.testing.assert_frame_equal(survey, before)


def test_wave_range_with_no_data_says_which_waves_exist(survey, codebook):
    only_early = survey[survey["wave"] <= 3].copy()
    only_early.attrs = dict(survey.attrs)
    with pytest.raises(ParameterError) as err:
        select_survey(only_early, "Lozells", [5, 6], codebook)
    assert str(err.value).startswith("No responses for Lozells in waves 5-6")
    assert "waves 1-3" in str(err.value)


def test_waves_the_survey_lacks_are_refused(survey, codebook):
    with pytest.raises(
        ParameterError, match="No responses for Lozells in waves 7-8: the survey has waves 1-6"
    ):
        select_survey(survey, "Lozells", [7, 8], codebook)


def test_neighbourhood_absent_from_the_data_is_an_empty_selection(survey, codebook):
    no_anfield = survey[survey["neighbourhood"] != "Anfield"].copy()
    with pytest.raises(ParameterError, match="No responses for Anfield in the data") as err:
        select_survey(no_anfield, "Anfield", [1, 2], codebook)
    assert "Lozells" in str(err.value)


def test_partly_empty_wave_range_is_recorded(survey, codebook):
    some = survey[~((survey["neighbourhood"] == "Lozells") & (survey["wave"] == 2))].copy()
    out = select_survey(some, "Lozells", [1, 2, 3], codebook)
    assert out.attrs["waves_without_data"] == [2]


def test_selection_errors_show_without_traceback_in_jupyter(codebook):
    with pytest.raises(LozellsError) as err:
        check_neighbourhood("Nowhere", codebook)
    rendered = err.value._render_traceback_()
    assert rendered == [f"ParameterError: {err.value}"]


def test_wave_range_text():
    assert wave_range_text([]) == "no waves"
    assert wave_range_text([2, 4, 5, 6]) == "waves 2 and 4-6"
