"""Counts of respondents as a reader sees them: suppressed below the floor, rounded in a
briefing pack (issue 13)."""

from __future__ import annotations

import pandas as pd
import pytest

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


# --- every published n is registered with what it counts (issue 13) ----------------------------


@pytest.fixture
def registered(monkeypatch):
    """The count records a build's kernel would leave, captured."""
    from lozells_analysis.stats import published

    seen: list[dict] = []
    monkeypatch.setattr(published, "record", lambda mime, payload: seen.append(payload))
    return seen


def _lozells_by_wave(synthetic_survey):
    from lozells_analysis.data.selection import select_survey
    from lozells_analysis.present import summaries

    survey = select_survey(synthetic_survey, "Lozells", [1, 2, 3])
    design = summaries.design_for(survey)
    return summaries.proportions(design, ["trust_people"], by="wave")


def test_table_n_columns_register_each_rows_selection(registered, synthetic_survey):
    est = _lozells_by_wave(synthetic_survey)
    tables.format_columns(est, counts=["n"])
    assert [(r["area"], r["waves"], r["noun"]) for r in registered] == [
        ("Lozells", [w], "respondents answering trust_people") for w in (1, 2, 3)
    ]
    assert [r["value"] for r in registered] == [int(n) for n in est["n"]]
    registered.clear()
    tables.estimate_table(est, "label", "wave", show_n=True)
    assert sorted(r["waves"][0] for r in registered) == [1, 2, 3]


def test_a_benchmark_table_registers_its_respondents_by_neighbourhood(
    registered, synthetic_survey
):
    from lozells_analysis.data.selection import select_survey
    from lozells_analysis.present import summaries

    survey = select_survey(synthetic_survey, "all", [6])
    comparison = summaries.benchmark_comparison(summaries.design_for(survey), by="neighbourhood")
    tables.comparison_table(comparison, group="neighbourhood")
    areas = {r["area"] for r in registered}
    assert "Lozells" in areas and "all" not in areas and all(r["waves"] == [6] for r in registered)


def test_a_table_that_does_not_say_what_it_counts_registers_nothing(registered):
    tables.format_columns(pd.DataFrame({"n": [40, 50]}), counts=["n"])
    assert registered == []


def test_the_data_checks_table_never_shows_a_small_count(monkeypatch, synthetic_survey):
    survey = selection.select_survey(synthetic_survey, "Lozells", [6]).copy()
    # three respondents answered almost nothing, and two were interviewed out of fieldwork
    from lozells_analysis.data.codebook import load_codebook

    items = [i for i in load_codebook().items if i in survey.columns]
    survey.loc[survey.index[:3], items] = None
    survey.loc[survey.index[3:5], "interview_date"] = pd.Timestamp("2030-01-01")
    table = quality.validation_summary(survey).set_index("Check")["Result"]
    assert table["Respondents who answered fewer than half the items"] == "fewer than 10"
    assert table["Interview dates inside their wave's fieldwork window"].startswith(
        "fewer than 10 outside"
    )
    monkeypatch.setenv("LOZELLS_AUDIENCE", "briefing")
    rounded = quality.validation_summary(survey).set_index("Check")["Result"]
    assert f"about {round(len(survey) / 5) * 5:,} responses" in rounded.iloc[0]
    assert "%" not in rounded.to_string()  # a share of a rounded total gives the count back


def test_a_count_table_by_another_column_registers_the_surveys_own_area(
    registered, synthetic_survey
):
    lozells = selection.select_survey(synthetic_survey, "Lozells", [1, 2, 3, 4, 5, 6])
    counts = quality.response_counts(lozells, rows="disability", columns="neighbourhood")
    quality.count_table(counts, rows="disability", columns="neighbourhood")
    assert len(registered) == 2 and {r["area"] for r in registered} == {"Lozells"}
    assert all(r["waves"] == [1, 2, 3, 4, 5, 6] for r in registered)
    assert all(set(r["filters"]) == {"disability"} for r in registered)


def test_no_figure_beside_a_suppressed_count_gives_it_back(synthetic_survey):
    lozells = selection.select_survey(synthetic_survey, "Lozells", [6])
    tiny = pd.concat([lozells, selection.select_survey(synthetic_survey, "Anfield", [6]).head(4)])
    table = quality.weighting_effect(tiny).set_index("group")
    # n = n_effective * deff: with n suppressed, neither may be shown
    assert table.loc["Anfield", ["deff_weighting", "n_effective", "max_weight"]].isna().all()
    assert table.loc["Lozells", ["deff_weighting", "n_effective"]].notna().all()
    shown = tables.format_columns(table.reset_index(), numbers={"n_effective": 0}, counts=["n"])
    assert shown.set_index("group").loc["Anfield", "n"] == "suppressed"
    # the shares of a selection too small to publish are not given either
    shares = quality.item_nonresponse(tiny.tail(4))
    assert shares[["answered", "dont_know", "refused", "blank"]].isna().all().all()


def test_a_relabelled_wave_column_registers_nothing_rather_than_the_wrong_selection(
    registered, synthetic_survey
):
    est = _lozells_by_wave(synthetic_survey)
    labelled = est.assign(wave=est["wave"].map(selection.wave_labels(short=True)))
    shown = tables.format_columns(labelled, counts=["n"])
    assert registered == [] and list(shown["n"]) == [f"{int(n):,}" for n in est["n"]]
    tables.format_columns(est.drop(columns="wave"), counts=["n"])  # which wave is not said
    assert registered == []
