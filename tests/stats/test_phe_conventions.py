"""PHE (Fingertips) conventions: the 99.8% comparison, trends on the real spacing of the
waves, and the rule that a trend needs five points. R's answers: ``r_design2.json``'s
``trend`` (``prop.trend.test`` with ``score=``, ``svyglm(y ~ years)``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.compare import compare_with_benchmark
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.trends import as_years, fingertips_trend, linear_trend

from ..design2_reference import load_exact


@pytest.fixture(scope="module")
def trend_design():
    return SurveyDesign(load_exact("trend.csv"), weights="w", strata="s", cluster="psu")


def test_years_between_wave_dates_are_rs(r_design2):
    np.testing.assert_allclose(as_years(r_design2["trend"]["dates"]), r_design2["trend"]["years"])


@pytest.mark.parametrize("times", ["mapping", "column"])
def test_linear_trend_on_the_real_spacing_of_the_waves_matches_svyglm(
    trend_design, r_design2, times
):
    ref = r_design2["trend"]["linear"]
    dates = dict(zip(range(1, 7), r_design2["trend"]["dates"], strict=True))
    if times == "column":  # a column of dates, e.g. each respondent's interview date
        data = trend_design.data.assign(when=pd.to_datetime(trend_design.data["wave"].map(dates)))
        trend_design = SurveyDesign(data, weights="w", strata="s", cluster="psu")
        spec: object = "when"
    else:
        spec = dates
    overall = linear_trend(trend_design, "y", times=spec).iloc[0]
    assert overall["estimate"] == pytest.approx(ref["all"]["coef"][1], rel=1e-8)
    assert overall["se"] == pytest.approx(ref["all"]["se"][1], rel=1e-8)
    assert overall["p_value"] == pytest.approx(ref["all"]["p"][1], abs=1e-6)
    assert overall["df"] == ref["all"]["df"]
    by_area = linear_trend(trend_design, "y", by="area", times=spec).set_index("area")
    for area in ("A", "B", "C"):
        assert by_area.loc[area, "estimate"] == pytest.approx(ref[area]["coef"][1], rel=1e-8)
        assert by_area.loc[area, "se"] == pytest.approx(ref[area]["se"][1], rel=1e-8)
        assert by_area.loc[area, "p_value"] == pytest.approx(ref[area]["p"][1], abs=1e-6)
    # the slope is per year, not per wave: it differs from the equally spaced one
    per_wave = linear_trend(trend_design, "y").iloc[0]
    assert per_wave["estimate"] != pytest.approx(overall["estimate"], rel=1e-3)


def test_linear_trend_times_must_cover_every_wave(trend_design):
    with pytest.raises(ParameterError, match=r"no date for wave\(s\) \[6\]"):
        linear_trend(trend_design, "y", times={w: f"2020-0{w}-01" for w in range(1, 6)})


def test_linear_trend_five_point_rule(trend_design):
    data = trend_design.data
    few = SurveyDesign(data[data["wave"] <= 4], weights="w", strata="s", cluster="psu")
    assert linear_trend(few, "y", min_points=5).loc[0, "direction"] == "cannot be calculated"
    out = linear_trend(trend_design, "y", min_points=5)
    assert out.loc[0, "direction"] != "cannot be calculated"


@pytest.mark.parametrize("case", [0, 1])
def test_fingertips_trend_on_real_spacing_is_prop_trend_test_with_scores(r_design2, case):
    ref = r_design2["trend"]["prop_trend"][case]
    times = r_design2["trend"]["dates"][1:]  # the five latest waves
    r = fingertips_trend(ref["x"], ref["n"], times=times, level=0.95)
    assert r["statistic"] == pytest.approx(ref["statistic"], rel=1e-9)
    assert r["p_value"] == pytest.approx(ref["p_value"], rel=1e-8)
    # scores shifted by a constant give the same test: only the spacing matters
    same = fingertips_trend(ref["x"], ref["n"], times=ref["score"], level=0.95)
    assert same["statistic"] == pytest.approx(ref["statistic"], rel=1e-9)


def test_fingertips_trend_needs_at_least_five_points():
    assert fingertips_trend([1, 2, 3, 4], [10] * 4)["direction"] == "cannot be calculated"
    with pytest.raises(ParameterError, match=r"at least 5"):
        fingertips_trend([1, 2, 3], [10] * 3, points=3)
    with pytest.raises(ParameterError, match=r"times must have one value per period"):
        fingertips_trend([1, 2, 3, 4, 5], [10] * 5, times=[1, 2, 3])


def test_comparison_at_998_is_an_option_and_95_stays_the_default():
    design = SurveyDesign(pd.DataFrame({"y": [1] * 70 + [0] * 30}))
    default = compare_with_benchmark(design, "y", benchmark=0.58, polarity="higher")
    strict = compare_with_benchmark(
        design, "y", benchmark=0.58, polarity="higher", comparison_level=0.998
    )
    assert default.loc[0, "comparison"] == "better"  # outside the 95% interval
    assert strict.loc[0, "comparison"] == "similar"  # inside the 99.8% interval
    assert default.loc[0, "outside_95"] and not default.loc[0, "outside_998"]
    with pytest.raises(ParameterError, match="comparison_level"):
        compare_with_benchmark(design, "y", benchmark=0.58, comparison_level=0.99)
