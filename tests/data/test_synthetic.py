"""The synthetic survey: calibrated, deterministic, and shaped like the real evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from scipy import stats

from lozells_analysis.data.synthetic import (
    PLANTED_NAMES,
    generate,
    generate_listening_events,
    generate_stakeholder_interviews,
    write_synthetic,
)
from lozells_analysis.data.validate import validate_survey
from lozells_analysis.stats.disclosure import load_redaction_list

ROOT = Path(__file__).resolve().parents[2]


def _weighted_pct(survey, codebook, indicator, mask=None):
    v = codebook.indicator_values(survey, indicator)
    keep = v.notna() if mask is None else v.notna() & mask
    return 100 * np.average(v[keep], weights=survey.loc[keep, "weight"])


def _local_conversations_figures(published_figures):
    rows = [r for r in published_figures if r["population"] == "Local Conversations residents"]
    assert len(rows) == 6, "expected the six Local Conversations headline figures"
    return {r["measure_id"]: float(r["value_pct"]) for r in rows}


@pytest.mark.parametrize("seed", [2016, 1, 77])
def test_pooled_weighted_estimates_are_within_two_points_of_the_published_figures(
    codebook, seed, published_figures
):
    survey = generate(seed=seed)
    for measure, published in _local_conversations_figures(published_figures).items():
        indicator = next(i.id for i in codebook.indicators.values() if i.benchmark == measure)
        got = _weighted_pct(survey, codebook, indicator)
        assert abs(got - published) <= 2.0, f"{measure}: {got:.1f}% vs published {published}%"


def test_same_seed_same_data_and_another_seed_other_data():
    a, b, c = generate(n=800, seed=5), generate(n=800, seed=5), generate(n=800, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["change_area_run"].equals(c["change_area_run"])


def test_design_columns_follow_the_codebook(synthetic_survey, codebook):
    s = synthetic_survey
    assert len(s) == 2852 and s["respondent_id"].is_unique
    assert set(s["neighbourhood"].unique()) == set(codebook.neighbourhoods)
    assert set(s["nation"].unique()) == {"England", "Scotland", "Wales"}
    assert sorted(s["wave"].unique()) == [1, 2, 3, 4, 5, 6]
    assert (s["weight"] > 0).all() and s["weight"].mean() == pytest.approx(1.0)
    for wave, rows in s.groupby("wave"):
        w = codebook.waves[wave]
        assert rows["interview_date"].between(w.start, w.end).all()
    nations = (
        s["neighbourhood"]
        .astype(str)
        .map({k: v.nation for k, v in codebook.neighbourhoods.items()})
    )
    assert (nations == s["nation"].astype(str)).all()


def test_the_synthetic_survey_passes_validation(synthetic_survey):
    checked = validate_survey(synthetic_survey, source="synthetic")
    assert len(checked) == len(synthetic_survey)


def test_item_non_response_and_dont_know_are_present(synthetic_survey):
    s = synthetic_survey
    assert 0.01 < s["change_area_run"].isna().mean() < 0.06
    assert 0.01 < (s["change_area_run"] == 8).mean() < 0.06
    assert (s["change_area_run"] == 9).any()
    assert 0.02 < s["life_satisfaction"].isna().mean() < 0.1
    # asked only of people involved in the Local Conversation
    not_involved = s["lc_involvement"] == 1
    assert s.loc[not_involved, "making_new_connections"].isna().all()


def test_answers_are_correlated_as_in_the_real_survey(synthetic_survey, codebook):
    s = synthetic_survey
    talk = codebook.indicator_values(s, "talk_neighbours_most_days")
    for other in ("belong_neighbourhood", "influence_decisions", "change_area_run"):
        v = codebook.indicator_values(s, other)
        both = talk.notna() & v.notna()
        table = pd.crosstab(talk[both], v[both])
        odds_ratio = (table.loc[1, 1] * table.loc[0, 0]) / (table.loc[1, 0] * table.loc[0, 1])
        assert odds_ratio > 1.5, f"talking to neighbours and {other}: OR {odds_ratio:.2f}"


def test_a_modest_upward_trend_over_waves(synthetic_survey, codebook):
    s = synthetic_survey
    for ind in ("change_area_run", "pull_together", "belong_neighbourhood"):
        first = _weighted_pct(s, codebook, ind, s["wave"] == 1)
        last = _weighted_pct(s, codebook, ind, s["wave"] == 6)
        assert 1 < last - first < 20, f"{ind}: wave 1 {first:.1f}%, wave 6 {last:.1f}%"


def test_participants_are_more_positive_than_non_participants(synthetic_survey, codebook):
    s = synthetic_survey
    for ind in ("change_area_run", "influence_decisions", "confident_to_speak_up"):
        none = _weighted_pct(s, codebook, ind, s["lc_involvement"] == 1)
        involved = _weighted_pct(s, codebook, ind, s["lc_involvement"] > 1)
        assert involved > none + 3, f"{ind}: involved {involved:.1f}% vs {none:.1f}%"


def test_neighbourhoods_really_differ(synthetic_survey, codebook):
    s = synthetic_survey
    v = codebook.indicator_values(s, "influence_decisions")
    keep = v.notna()
    table = pd.crosstab(s.loc[keep, "neighbourhood"], v[keep])
    chi2, p, *_ = stats.chi2_contingency(table)
    assert p < 0.001


def test_subgroups_differ(synthetic_survey):
    s = synthetic_survey
    disabled = s.loc[s["disability"] == 1, "life_satisfaction"].mean()
    not_disabled = s.loc[s["disability"] == 2, "life_satisfaction"].mean()
    assert not_disabled - disabled > 0.3
    lozells = s.loc[s["neighbourhood"] == "Lozells", "ethnic_group"]
    assert (lozells == 1).mean() > 0.3  # Lozells is largely Asian and Black British


def test_a_million_rows_is_generated_with_the_same_columns():
    big = generate(n=20_000, seed=3)
    assert list(big.columns) == list(generate(n=10, seed=3).columns)
    assert big["respondent_id"].is_unique


def test_qualitative_excerpts_are_coded_with_the_codebook_frames():
    frames = yaml.safe_load((ROOT / "data" / "qualitative_codes.yaml").read_text())
    events = generate_listening_events()
    codes = set(events["codes"].str.split(";").explode())
    assert codes == set(frames["barriers"])
    assert set(events["area"]) == {"East Birmingham", "West Birmingham"}
    interviews = generate_stakeholder_interviews()
    assert set(interviews["themes"].str.split(";").explode()) == set(frames["themes"])
    assert set(frames["themes"]) == {
        "connected",
        "welcomed",
        "belonging",
        "celebrated",
        "supported",
    }


def test_some_excerpts_carry_planted_personal_data_for_redaction_to_remove():
    text = " ".join(generate_listening_events()["text"]) + " ".join(
        generate_stakeholder_interviews()["text"]
    )
    assert sum(name in text for name in PLANTED_NAMES) >= 4
    assert "@example.org" in text and "07700 " in text
    pd.testing.assert_frame_equal(
        generate_listening_events(seed=4), generate_listening_events(seed=4)
    )


def test_written_files_are_marked_synthetic(tmp_path):
    paths = write_synthetic(tmp_path, n=300, seed=9)
    meta = json.loads(paths["metadata"].read_text())
    assert meta["synthetic"] is True and meta["n"] == 300 and "SYNTHETIC" in meta["notice"]
    schema = pq.read_schema(paths["survey"])
    assert schema.metadata[b"lozells.synthetic"] == b"true"
    assert len(pd.read_csv(paths["survey_csv"])) == 300
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_planted_names_are_written_as_the_synthetic_datas_redaction_list(tmp_path):
    paths = write_synthetic(tmp_path, n=200, seed=4)
    assert paths["redaction_list"] == tmp_path / "redaction_list.txt"
    assert load_redaction_list([paths["redaction_list"]]) == list(PLANTED_NAMES)
    assert paths["redaction_list"].read_text(encoding="utf-8").startswith("# ")
    files = json.loads(paths["metadata"].read_text())["files"]
    assert files["redaction_list"] == "redaction_list.txt"


def test_writing_twice_gives_the_same_bytes(tmp_path):
    """Reports skip rebuilding when their data bytes are unchanged, so regenerating the
    synthetic data must not change a byte."""
    a = write_synthetic(tmp_path / "a", n=200, seed=4)
    b = write_synthetic(tmp_path / "b", n=200, seed=4)
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes(), key
