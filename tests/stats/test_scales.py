"""Scores and scales from the codebook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lozells_analysis.data.codebook import load_codebook
from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.scales import (
    COMPONENTS,
    collective_control,
    cronbach_alpha,
    indicator,
    item_score,
    ons4_band,
)

CB = load_codebook()


def test_top_two_box_indicator_for_agree_items():
    df = pd.DataFrame({"change_area_run": pd.array([1, 2, 3, 4, 5, 8, 9, None], dtype="Int64")})
    assert indicator(df, "change_area_run", CB).tolist()[:5] == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert indicator(df, "change_area_run", CB).iloc[5:].isna().all()


def test_reverse_coded_item_scores_run_from_most_negative_to_most_positive():
    df = pd.DataFrame({"chat_neighbours": pd.array([1, 2, 3, 4, 5, 8], dtype="Int64")})
    assert CB.item("chat_neighbours").reverse
    assert item_score(df, "chat_neighbours", CB).tolist()[:5] == [1.0, 0.75, 0.5, 0.25, 0.0]
    # a 4-point scale: 1 -> 1, 4 -> 0
    df = pd.DataFrame({"belong_neighbourhood": pd.array([1, 2, 3, 4], dtype="Int64")})
    np.testing.assert_allclose(item_score(df, "belong_neighbourhood", CB), [1, 2 / 3, 1 / 3, 0])


def test_components_pro_rate_when_at_least_half_answered():
    items = CB.component_items("social_connectedness")  # five items
    assert len(items) == 5
    base = {i: pd.array([1] * 3, dtype="Int64") for c in COMPONENTS for i in CB.component_items(c)}
    df = pd.DataFrame(base)
    # row 0: all five answered (scores 1, 1, 1, 0.5, 0) -> mean 0.7 -> 70
    df.loc[0, items] = pd.array([1, 1, 1, 3, 5], dtype="Int64")
    # row 1: three of five answered (>= half) -> mean of answered (1, 0.5, 0) -> 50
    df.loc[1, items] = pd.array([8, 9, 1, 3, 5], dtype="Int64")
    # row 2: two of five answered (< half) -> missing
    df.loc[2, items] = pd.array([8, 9, 8, 1, 1], dtype="Int64")
    out = collective_control(df, CB)
    assert out["social_connectedness"].tolist()[:2] == pytest.approx([70.0, 50.0])
    assert np.isnan(out.loc[2, "social_connectedness"])
    # overall index: mean of the five components; row 2 averages the four it has
    assert out.loc[0, "collective_control"] == pytest.approx((70 + 4 * 100) / 5)
    assert out.loc[2, "collective_control"] == pytest.approx(100.0)


def test_alpha_by_hand_and_for_parallel_items():
    d = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    # item variances 2.5, 2.3, 1.5; variance of the sum 17.3 -> 1.5 * (1 - 6.3 / 17.3)
    out = cronbach_alpha(d).iloc[0]
    assert out["estimate"] == pytest.approx(1.5 * (1 - 6.3 / 17.3), rel=1e-12)
    f_hi, f_lo = stats.f.ppf(0.975, 4, 8), stats.f.ppf(0.025, 4, 8)
    assert out["lower_ci"] == pytest.approx(1 - (1 - out["estimate"]) * f_hi)
    assert out["upper_ci"] == pytest.approx(1 - (1 - out["estimate"]) * f_lo)
    # two items with equal variances and correlation r: alpha = 2r / (1 + r)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 2))
    x = (x - x.mean(0)) / x.std(0, ddof=1)
    r = np.corrcoef(x.T)[0, 1]
    two = cronbach_alpha(pd.DataFrame(x, columns=["u", "v"])).iloc[0]
    assert two["estimate"] == pytest.approx(2 * r / (1 + r), rel=1e-10)


def test_weighted_alpha_equals_unweighted_with_replicated_rows():
    d = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    w = np.array([1, 3, 2, 1, 2])
    rep = d.loc[d.index.repeat(w)]
    weighted = cronbach_alpha(d.assign(w=w.astype(float)), items=["a", "b", "c"], weights="w")
    plain = cronbach_alpha(rep)
    # weighted variances use the normalised weights (no n/(n-1)), which cancels in alpha
    assert weighted.loc[0, "estimate"] == pytest.approx(plain.loc[0, "estimate"], rel=1e-12)
    scaled = cronbach_alpha(d.assign(w=w * 7.5), items=["a", "b", "c"], weights="w")
    assert scaled.loc[0, "estimate"] == pytest.approx(weighted.loc[0, "estimate"], rel=1e-12)
    assert weighted.loc[0, "n_eff"] == pytest.approx(81 / 19)


def test_ons4_bands_use_the_published_thresholds():
    assert list(ons4_band(range(11), "happiness", CB)) == (
        ["Low"] * 5 + ["Medium"] * 2 + ["High"] * 2 + ["Very high"] * 2
    )
    assert list(ons4_band(range(11), "anxiety", CB)) == (
        ["Very low"] * 2 + ["Low"] * 2 + ["Medium"] * 2 + ["High"] * 5
    )


def test_alpha_needs_two_items():
    with pytest.raises(ParameterError, match="two items"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
