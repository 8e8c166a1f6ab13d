"""The codebook is complete, consistent with the published figures, and strict when wrong."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from lozells_analysis.data.codebook import COMPONENTS, load_codebook, parse_codebook
from lozells_analysis.exceptions import CodebookError

ROOT = Path(__file__).resolve().parents[2]


def _benchmarks():
    return pd.read_csv(ROOT / "data" / "benchmarks" / "benchmarks.csv")


def test_every_published_measure_has_an_indicator_or_a_reason(
    codebook, published_figures, community_life_survey
):
    measures = {r["measure_id"] for r in published_figures}
    measures |= {r["measure_id"] for r in community_life_survey}
    benchmarked = {i.benchmark for i in codebook.indicators.values() if i.benchmark}
    missing = measures - benchmarked - set(codebook.not_survey_items)
    assert not missing, f"published measures with no codebook indicator: {sorted(missing)}"
    # and a measure excused as "not a survey item" really has no indicator
    assert not set(codebook.not_survey_items) & benchmarked


def test_every_indicator_benchmark_exists_in_the_benchmark_file(codebook):
    ids = set(_benchmarks()["measure_id"])
    for item in codebook.items.values():
        for ind in item.indicators:
            if ind.benchmark:
                assert ind.benchmark in ids, f"{ind.id} names unknown benchmark {ind.benchmark}"
        if item.benchmark:
            assert item.benchmark in ids, f"{item.id} names unknown benchmark {item.benchmark}"


def test_benchmark_file_matches_the_reference_with_sources(
    published_figures, community_life_survey
):
    bench = _benchmarks()
    assert bench["source"].notna().all() and (bench["source"].str.len() > 5).all()
    for r in published_figures:
        row = bench[(bench.measure_id == r["measure_id"]) & (bench.population == r["population"])]
        assert len(row) == 1, r
        assert float(row.value.iloc[0]) == float(r["value_pct"])
        assert row.source.iloc[0] == r["source"]
    for r in community_life_survey:
        row = bench[(bench.measure_id == r["measure_id"]) & (bench.period == r["year"])]
        assert len(row) == 1, r
        assert float(row.value.iloc[0]) == float(r["value_pct"])


def test_agree_items_count_definitely_and_tend_to_agree(codebook):
    agree = codebook.agree_indicators()
    assert "change_area_run" in agree and "pull_together" in agree
    for ind_id in agree:
        ind = codebook.indicators[ind_id]
        labels = [codebook.items[ind.item].labels[c] for c in ind.codes]
        assert labels == ["Definitely agree", "Tend to agree"], ind_id


def test_frequency_indicators_use_the_published_thresholds(codebook):
    most_days = codebook.indicator("talk_neighbours_most_days")
    monthly = codebook.indicator("chat_neighbours_monthly")
    labels = codebook.items["chat_neighbours"].labels
    assert [labels[c] for c in most_days.codes] == ["On most days"]
    assert labels[max(monthly.codes)] == "Once or twice a month"


def test_dont_know_and_refused_are_missing_on_every_labelled_scale(codebook):
    for scale in codebook.scales.values():
        for code in scale.missing:
            assert code not in scale.valid_codes
        labels = {scale.labels[c] for c in scale.missing}
        assert labels & {"Don't know", "Refused", "Prefer not to say"}, scale.id


def test_five_components_with_several_items_each(codebook):
    assert tuple(codebook.components) == COMPONENTS
    for component in COMPONENTS:
        assert len(codebook.component_items(component)) >= 3, component


def test_ons4_loneliness_involvement_demographics_and_design_columns(codebook):
    for item in ("life_satisfaction", "worthwhile", "happiness", "anxiety"):
        scale = codebook.items[item].scale
        assert scale.numeric and (scale.min, scale.max) == (0, 10)
    assert codebook.items["anxiety"].polarity == "lower"
    assert codebook.indicator("lonely_often_always").polarity == "lower"
    involvement = codebook.items["lc_involvement"].labels
    assert [involvement[c] for c in (1, 2, 3, 4)] == [
        "Not involved",
        "Attended an event or activity",
        "Volunteer",
        "Member of the steering group",
    ]
    assert "lc_years_involved" in codebook.items
    for item in ("age_band", "gender", "ethnic_group", "disability", "tenure", "years_in_area"):
        assert codebook.items[item].domain == "demographics"
    ethnic = set(codebook.items["ethnic_group"].labels.values())
    assert "Black, Black British, Black Welsh, Caribbean or African" in ethnic
    assert "Asian, Asian British or Asian Welsh" in ethnic
    assert set(codebook.design) == {
        "respondent_id",
        "neighbourhood",
        "nation",
        "wave",
        "interview_date",
        "weight",
    }


def test_thirteen_neighbourhoods_in_three_nations_and_six_waves(codebook):
    assert len(codebook.neighbourhoods) == 13 and "Lozells" in codebook.neighbourhoods
    assert {n.nation for n in codebook.neighbourhoods.values()} == {"England", "Scotland", "Wales"}
    assert sorted(codebook.waves) == [1, 2, 3, 4, 5, 6]
    years = [w.start.year for w in codebook.waves.values()]
    assert min(years) == 2016 and max(w.end.year for w in codebook.waves.values()) <= 2019


@pytest.mark.parametrize(
    ("item", "score", "band"),
    [
        ("life_satisfaction", 4, "Low"),
        ("life_satisfaction", 5, "Medium"),
        ("happiness", 6, "Medium"),
        ("worthwhile", 7, "High"),
        ("worthwhile", 8, "High"),
        ("life_satisfaction", 9, "Very high"),
        ("anxiety", 1, "Very low"),
        ("anxiety", 2, "Low"),
        ("anxiety", 5, "Medium"),
        ("anxiety", 6, "High"),
        ("anxiety", 10, "High"),
    ],
)
def test_ons4_bands_use_the_published_thresholds(codebook, item, score, band):
    assert codebook.band_of(item, [score])[0] == band


def test_indicator_values_read_codes_and_labels(codebook):
    frame = pd.DataFrame(
        {"pull_together": ["Definitely agree", "tend to disagree", "8", None, "2"]}
    )
    got = codebook.indicator_values(frame, "pull_together").tolist()
    assert got[:2] == [1.0, 0.0] and pd.isna(got[2]) and pd.isna(got[3]) and got[4] == 1.0


def test_unknown_names_suggest_the_closest(codebook):
    with pytest.raises(CodebookError, match="Did you mean 'change_area_run'"):
        codebook.indicator("change_area_ran")


def _raw():
    return yaml.safe_load((ROOT / "data" / "codebook.yaml").read_text())


def test_an_indicator_counting_a_missing_code_is_rejected():
    raw = _raw()
    item = next(i for i in raw["items"] if i["id"] == "pull_together")
    item["indicators"][0]["codes"] = [1, 2, 8]
    with pytest.raises(CodebookError, match="pull_together.*not valid answers"):
        parse_codebook(raw, Path("bad.yaml"))


def test_an_item_with_an_unknown_component_is_rejected():
    raw = _raw()
    raw["items"][0]["component"] = "happiness"
    with pytest.raises(CodebookError, match="unknown component 'happiness'"):
        parse_codebook(raw, Path("bad.yaml"))


def test_a_duplicate_item_is_rejected():
    raw = _raw()
    raw["items"].append(dict(raw["items"][0]))
    with pytest.raises(CodebookError, match="defined twice"):
        parse_codebook(raw, Path("bad.yaml"))


def test_a_missing_codebook_file_says_where_it_looked(tmp_path):
    with pytest.raises(CodebookError, match="not found"):
        load_codebook(tmp_path / "nope.yaml")
