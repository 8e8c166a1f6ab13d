"""Suppression, rounding and reliability flags; the small-cell rule; personal data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.disclosure import (
    DEFAULT_MIN_N,
    PERSONAL_DATA,
    flag_reliability,
    is_small,
    load_redaction_list,
    redact,
    round_counts,
    suppress,
)


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": ["A", "A", "A", "B", "B", "C", "C"],
            "wave": [1, 2, 3, 1, 2, 1, 2],
            "estimate": [0.5, 0.4, 0.3, 0.2, 0.6, 0.1, 0.9],
            "lower_ci": [0.3, 0.3, 0.2, 0.1, 0.5, 0.0, 0.8],
            "upper_ci": [0.7, 0.5, 0.4, 0.3, 0.7, 0.2, 1.0],
            "n": [8, 40, 25, 50, 9, 3, 4],
        }
    )


def test_primary_suppression_blanks_rows_under_min_n_with_a_reason():
    out = suppress(table())
    assert list(out["suppressed"]) == [True, False, False, False, True, True, True]
    assert out.loc[0, "suppression_reason"] == "fewer than 10 respondents"
    assert out.loc[1, "suppression_reason"] == ""
    assert out.loc[[0, 4], ["estimate", "lower_ci", "upper_ci"]].isna().all().all()
    assert out["n"].isna().tolist() == [True, False, False, False, True, True, True]
    assert out.loc[1, "estimate"] == 0.4  # published rows untouched


def test_min_n_is_a_parameter():
    out = suppress(table(), min_n=5)
    assert list(out["suppressed"]) == [False, False, False, False, False, True, True]


def test_secondary_suppression_protects_a_lone_suppressed_cell():
    out = suppress(table(), secondary_by="area")
    # A: one primary (wave 1) -> smallest other (wave 3, n=25) also suppressed
    # B: one primary (wave 2) -> the only other (wave 1) suppressed
    # C: two primaries already: nothing more
    assert list(out["suppressed"]) == [True, False, True, True, True, True, True]
    assert out.loc[2, "suppression_reason"] == "secondary: protects a suppressed cell"
    assert out.loc[3, "suppression_reason"] == "secondary: protects a suppressed cell"
    # no slice is left with exactly one suppressed cell
    assert (out.groupby("area")["suppressed"].sum() != 1).all()


def test_round_counts_to_nearest_five():
    np.testing.assert_array_equal(
        round_counts([0, 1, 2, 2.5, 3, 7, 7.5, 8, 1048]), [0, 0, 0, 5, 5, 5, 10, 10, 1050]
    )
    assert round_counts(pd.Series([12, 13])).tolist() == [10, 15]
    with pytest.raises(ParameterError):
        round_counts([1], base=0)


def test_reliability_flag_for_small_effective_samples_and_wide_intervals():
    t = pd.DataFrame(
        {
            "estimate": [0.5, 0.5, 0.5, 0.5, np.nan],
            "lower_ci": [0.45, 0.39, 0.38, 0.30, np.nan],
            "upper_ci": [0.55, 0.59, 0.62, 0.70, np.nan],
            "n_eff": [400, 400, 400, 12, np.nan],
        }
    )
    out = flag_reliability(t)
    assert list(out["interpret_with_caution"]) == [False, False, True, True, False]
    assert out.loc[3, "reliability_note"] == (
        "effective sample size under 30; interval wider than 20 points"
    )
    assert out.loc[1, "reliability_note"] == ""  # exactly 20 points is not wider


def test_pipeline_on_design_output():
    df = pd.DataFrame({"y": [1, 0] * 30 + [1] * 5, "g": ["big"] * 60 + ["small"] * 5})
    est = SurveyDesign(df).proportion("y", by="g", method="beta")
    out = flag_reliability(suppress(est))
    assert list(out["suppressed"]) == [False, True]
    # p = 0.5 from 60 respondents: Korn-Graubard interval about 0.37-0.63, wider than 20 points
    assert out.loc[0, "interpret_with_caution"]
    assert out.loc[0, "reliability_note"] == "interval wider than 20 points"
    assert not out.loc[1, "interpret_with_caution"]  # suppressed rows are not flagged
    assert np.isnan(out.loc[1, "estimate"])


def test_the_small_cell_rule_is_one_named_threshold():
    assert DEFAULT_MIN_N == 10
    assert is_small(DEFAULT_MIN_N - 1) and not is_small(DEFAULT_MIN_N)
    assert is_small(11, min_n=12) and not is_small(12, min_n=12)
    assert is_small(np.array([0.0, 9.0, 10.0])).tolist() == [True, True, False]
    out = suppress(table().assign(n=[9, 10, 11, 50, 50, 50, 50]))
    assert out["suppressed"].tolist()[:3] == [True, False, False]


@pytest.mark.parametrize(
    "text",
    [
        "ring 07700 900123 after six",
        "ring 07700900123, or +44 7700 900123",
        "Leeds (0113) 496 0000 or +44 (0)121 496 0000",
        "write to amira.k+lc@example.org.uk today",
        "mail j.o'neil+lc@example.org.uk today",
        "I live at B19 4AB, near SW1A 1AA and b6 7nx",
    ],
)
def test_what_redaction_leaves_has_no_personal_data_left_for_a_scan_to_find(text):
    """One set of patterns: whatever the report scan would flag, redaction removes."""
    assert any(pattern.search(text) for pattern in PERSONAL_DATA.values())
    redacted = redact(text)
    assert not any(pattern.search(redacted) for pattern in PERSONAL_DATA.values()), redacted


def test_a_redaction_list_is_one_name_a_line_with_comments(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text(
        "\ufeff# names planted in the synthetic quotes\n\nAmira Khatun\n  Dr  Halloran  # GP\n",
        encoding="utf-8",
    )
    b = tmp_path / "b.txt"
    b.write_text("Amira Khatun\nGrace Okafor\n", encoding="utf-8")
    assert load_redaction_list([a, b]) == ["Amira Khatun", "Dr Halloran", "Grace Okafor"]
    with pytest.raises(ParameterError, match="not found"):
        load_redaction_list([tmp_path / "missing.txt"])


def test_the_default_redaction_lists_are_read_when_present(tmp_path, monkeypatch):
    from lozells_analysis import paths

    monkeypatch.setattr(paths, "project_root", lambda: tmp_path)
    assert paths.redaction_list_paths() == [
        tmp_path / "data" / "raw" / "redaction_list.txt",
        tmp_path / "data" / "synthetic" / "redaction_list.txt",
    ]
    assert load_redaction_list() == []
    owner = tmp_path / "data" / "raw" / "redaction_list.txt"
    owner.parent.mkdir(parents=True)
    owner.write_text("Joan Rivers-Smith\n", encoding="utf-8")
    assert load_redaction_list() == ["Joan Rivers-Smith"]


def test_secondary_suppression_protects_columns_as_well_as_rows():
    """A 3x3 table with one small cell: neither a row total nor a column total may give it
    back (issue 13)."""
    from lozells_analysis.stats.disclosure import suppress as _suppress

    table = pd.DataFrame(
        {
            "area": ["A"] * 3 + ["B"] * 3 + ["C"] * 3,
            "wave": [1, 2, 3] * 3,
            "estimate": [0.5] * 9,
            "n": [3, 40, 50, 60, 70, 80, 90, 100, 110],
        }
    )
    out = _suppress(table, secondary_by="area", secondary_across="wave")
    for key in ("area", "wave"):
        hidden = out.groupby(key)["suppressed"].sum()
        assert not (hidden == 1).any(), (key, hidden.to_dict())
    assert out["suppressed"].iloc[0]
    # rows only, as before: a column can still give the small cell back
    rows_only = _suppress(table, secondary_by="area")
    assert (rows_only.groupby("wave")["suppressed"].sum() == 1).any()
