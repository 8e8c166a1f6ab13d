"""Trend tests over waves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.trends import fingertips_trend, linear_trend, wave_change


def test_fingertips_trend_by_hand():
    # t = 1..5, tbar = 3, sum x (t - tbar) = -20 - 15 + 0 + 25 + 60 = 50,
    # p = 100/500 = 0.2, sum n (t - tbar)^2 = 1000 -> X2 = 2500 / 160 = 15.625
    r = fingertips_trend([10, 15, 20, 25, 30], [100] * 5, polarity="lower")
    assert r["statistic"] == pytest.approx(15.625)
    assert r["p_value"] == pytest.approx(stats.chi2.sf(15.625, 1))
    assert r["direction"] == "increasing"
    assert r["marker"] == "increasing and getting worse"


def test_fingertips_trend_needs_five_points_and_uses_the_latest_five():
    assert fingertips_trend([1, 2, 3, 4], [10] * 4)["direction"] == "cannot be calculated"
    r = fingertips_trend([90, 10, 15, 20, 25, 30], [100] * 6, periods=list("abcdef"))
    assert r["periods"] == list("bcdef")
    assert r["statistic"] == pytest.approx(15.625)


def test_fingertips_trend_not_significant_at_998_is_no_change():
    # sum x (t - tbar) = 33, p = 0.254, X2 = 33^2 / (0.254 * 0.746 * 1000) = 5.747:
    # significant at 95% but not at 99.8%
    x, n = [20, 21, 25, 28, 33], [100] * 5
    r = fingertips_trend(x, n)
    assert r["statistic"] == pytest.approx(33**2 / (0.254 * 0.746 * 1000))
    assert 0.002 < r["p_value"] < 0.05
    assert r["direction"] == "no significant change"


def test_linear_trend_is_the_svyglm_slope(r_ref, reference_dataset):
    c1 = reference_dataset("apiclus1.csv")
    design = SurveyDesign(c1, weights="pw", cluster="dnum", fpc="fpc")
    ref = r_ref["clus1_fpc"]["glmT_api00"]
    out = linear_trend(design, "sw", wave="api00").iloc[0]
    assert out["estimate"] == pytest.approx(ref["coef"][1], rel=1e-6)
    assert out["se"] == pytest.approx(ref["se"][1], rel=1e-6)
    assert out["p_value"] == pytest.approx(ref["p"][1], rel=1e-5)
    assert out["direction"] == "increasing"


@pytest.mark.parametrize("case", range(4))
def test_fingertips_trend_is_rs_prop_trend_test(r_trend, case):
    ref = r_trend["prop_trend"][case]
    r = fingertips_trend(ref["x"], ref["n"], level=0.95)
    assert r["statistic"] == pytest.approx(ref["statistic"], rel=1e-9)
    assert r["p_value"] == pytest.approx(ref["p_value"], rel=1e-8)


@pytest.fixture(scope="module")
def trend_design(reference_dataset):
    data = reference_dataset("trend.csv")
    # PSU numbers repeat across strata (R: nest = TRUE): make them unique per stratum
    data["psu_id"] = data["s"].astype(str) + "-" + data["psu"].astype(str)
    return SurveyDesign(data, weights="w", strata="s", cluster="psu_id")


def test_linear_trend_matches_svyglm_overall_and_in_each_domain(trend_design, r_trend):
    ref = r_trend["linear_trend"]
    overall = linear_trend(trend_design, "y").iloc[0]
    assert overall["estimate"] == pytest.approx(ref["all"]["coef"][1], rel=1e-8)
    assert overall["se"] == pytest.approx(ref["all"]["se"][1], rel=1e-8)
    assert overall["p_value"] == pytest.approx(ref["all"]["p"][1], rel=1e-6)
    assert overall["df"] == ref["all"]["df"]
    by_area = linear_trend(trend_design, "y", by="area").set_index("area")
    for area in ("A", "B", "C"):
        got, want = by_area.loc[area], ref[area]
        assert got["estimate"] == pytest.approx(want["coef"][1], rel=1e-8), area
        assert got["se"] == pytest.approx(want["se"][1], rel=1e-8), area
        assert got["p_value"] == pytest.approx(want["p"][1], rel=1e-6), area
        assert got["df"] == want["df"], area
    assert by_area.loc["A", "direction"] == "increasing"


def test_five_point_rule_leaves_a_short_group_unfitted_and_the_others_are_rs(
    trend_design, r_trend
):
    """Fingertips' rule (min_points=5): area A answered in waves 1-4 only (its answers in
    waves 5 and 6 are missing) gets no trend and says why; areas B and C, domains of the
    same full design, are still R's svyglm slopes."""
    data = trend_design.data.copy()
    data.loc[(data["area"] == "A") & (data["wave"] >= 5), "y"] = np.nan
    design = SurveyDesign(data, weights="w", strata="s", cluster="psu_id")
    out = linear_trend(design, "y", by="area", min_points=5).set_index("area")
    assert list(out.columns[-2:]) == ["points", "reason"]
    a = out.loc["A"]
    assert a["direction"] == "cannot be calculated"
    assert a["points"] == 4 and a["reason"] == "4 time points; a trend needs at least 5"
    assert a[["estimate", "se", "lower_ci", "upper_ci", "statistic", "p_value", "df"]].isna().all()
    assert a["n"] == ((data["area"] == "A") & data["y"].notna()).sum()
    assert a["method"] == "svyglm logistic trend"
    ref = r_trend["linear_trend"]
    for area in ("B", "C"):
        got, want = out.loc[area], ref[area]
        assert got["points"] == 6 and got["reason"] == ""
        assert got["estimate"] == pytest.approx(want["coef"][1], rel=1e-8), area
        assert got["se"] == pytest.approx(want["se"][1], rel=1e-8), area
        assert got["p_value"] == pytest.approx(want["p"][1], rel=1e-6), area
        assert got["df"] == want["df"], area
    # without the rule the short area is fitted as before (four points make a slope)
    assert linear_trend(design, "y", by="area").set_index("area").loc["A", "estimate"] > 0


def test_five_point_rule_changes_nothing_where_there_are_enough_points(trend_design):
    plain = linear_trend(trend_design, "y", by="area")
    ruled = linear_trend(trend_design, "y", by="area", min_points=5)
    pd.testing.assert_frame_equal(ruled.drop(columns=["points", "reason"]), plain)
    assert (ruled["points"] == 6).all() and (ruled["reason"] == "").all()


@pytest.mark.parametrize("bad", [0, 1, 2.5])
def test_min_points_must_be_a_whole_number_of_at_least_two(trend_design, bad):
    with pytest.raises(ParameterError, match="min_points"):
        linear_trend(trend_design, "y", min_points=bad)


def test_wave_change_matches_svycontrast_of_svyby(trend_design, r_trend):
    ref = r_trend["wave_change"]
    out = wave_change(trend_design, "y")
    assert list(out["group_1"]) == [2, 3, 4, 5, 6]
    np.testing.assert_allclose(out["estimate"], ref["difference"], rtol=1e-9)
    np.testing.assert_allclose(out["se"], ref["se"], rtol=1e-8)


def test_linear_trend_by_group_is_a_domain_of_the_full_design():
    rng = np.random.default_rng(1)
    n = 600
    df = pd.DataFrame(
        {
            "wave": rng.integers(1, 7, n),
            "area": rng.choice(["A", "B"], n),
            "s": rng.integers(0, 3, n),
        }
    )
    df["y"] = (rng.uniform(size=n) < 0.2 + 0.08 * df["wave"]).astype(float)
    design = SurveyDesign(df, strata="s")
    out = linear_trend(design, "y", by="area").set_index("area")
    for a in ["A", "B"]:
        g = design.glm("y ~ wave", subset=(df["area"] == a).to_numpy())
        assert out.loc[a, "estimate"] == pytest.approx(g.loc[1, "estimate"])
        assert out.loc[a, "n"] == (df["area"] == a).sum()
        # df: rows of the group (each its own PSU) minus strata, + 1 - 2 coefficients
        assert out.loc[a, "df"] == (df["area"] == a).sum() - 3 - 1


def test_wave_change_is_the_difference_of_wave_estimates():
    df = pd.DataFrame(
        {
            "wave": np.repeat([1, 2, 3], 20),
            "y": np.r_[[1] * 5 + [0] * 15, [1] * 10 + [0] * 10, [1] * 12 + [0] * 8],
        }
    )
    design = SurveyDesign(df)
    out = wave_change(design, "y")
    assert list(out["group_1"]) == [2, 3]
    np.testing.assert_allclose(out["estimate"], [0.25, 0.10])
    # no clusters, independent rows: the variance is the sum of the two wave variances
    m = design.proportion("y", by="wave", method="mean")
    # each wave variance within the full design: n/(n-1) scaling uses the whole stratum
    se = np.sqrt(m["se"].to_numpy()[1:] ** 2 + m["se"].to_numpy()[:-1] ** 2)
    np.testing.assert_allclose(out["se"], se, rtol=1e-10)
    assert (out["lower_ci"] < out["estimate"]).all()
