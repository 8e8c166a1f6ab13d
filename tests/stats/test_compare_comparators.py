"""stats.compare.compare_with_comparators: each estimate against each published figure."""

from __future__ import annotations

import pandas as pd
import pytest

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.compare import compare_with_comparators


def _est(**extra):
    return pd.DataFrame(
        {
            "variable": ["a", "b", "c"],
            "estimate": [0.6, 0.3, 0.5],
            "lower_ci": [0.55, 0.25, 0.4],
            "upper_ci": [0.65, 0.35, 0.6],
            **extra,
        }
    )


def test_categories_follow_polarity_and_the_interval():
    comps = pd.DataFrame(
        {
            "variable": ["a", "a", "b", "c"],
            "comparator": ["X", "Y", "X", "X"],
            "comparator_value": [0.50, 0.66, 0.20, 0.45],
            "period": ["2019", None, "2019", "2019"],
        }
    )
    out = compare_with_comparators(_est(), comps, {"a": "higher", "b": "lower"})
    # a: 0.50 below its interval (better), 0.66 above (worse); b: lower is better, 0.20 below
    # the interval, so b is worse; c has no polarity and 0.45 lies inside: similar
    assert list(out["comparison"]) == ["better", "worse", "worse", "similar"]
    assert out["period"].isna().tolist() == [False, True, False, False]
    assert list(out["polarity"]) == ["higher", "higher", "lower", None]


def test_no_polarity_gives_higher_or_lower_and_suppressed_is_not_compared():
    comps = pd.DataFrame(
        {"variable": ["a", "b"], "comparator": ["X", "X"], "comparator_value": [0.5, 0.1]}
    )
    out = compare_with_comparators(_est(suppressed=[False, True, False]), comps)
    assert list(out["comparison"]) == ["higher", "not compared"]


def test_an_estimate_without_a_comparator_has_no_row():
    comps = pd.DataFrame({"variable": ["a"], "comparator": ["X"], "comparator_value": [0.6]})
    assert list(compare_with_comparators(_est(), comps)["variable"]) == ["a"]


def test_missing_columns_are_named():
    with pytest.raises(ParameterError, match="comparators lacks column"):
        compare_with_comparators(_est(), pd.DataFrame({"variable": ["a"]}))
