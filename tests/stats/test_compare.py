"""Fingertips comparisons, group differences and multiple-comparison adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.compare import (
    adjust_pvalues,
    classify_against_benchmark,
    compare_independent,
    compare_with_benchmark,
    group_differences,
)
from lozells_analysis.stats.design import SurveyDesign

from ..stats_reference import naive_variance


def test_fingertips_categories_follow_polarity():
    lo = [0.50, 0.30, 0.35, np.nan]
    hi = [0.60, 0.38, 0.49, 0.5]
    assert list(classify_against_benchmark(lo, hi, 0.40, "higher")) == [
        "better",
        "worse",
        "similar",
        "not compared",
    ]
    assert list(classify_against_benchmark(lo, hi, 0.40, "lower")) == [
        "worse",
        "better",
        "similar",
        "not compared",
    ]
    assert list(classify_against_benchmark(lo, hi, 0.40, None)) == [
        "higher",
        "lower",
        "similar",
        "not compared",
    ]
    # a benchmark exactly on the limit is inside the interval: similar
    assert classify_against_benchmark(0.40, 0.5, 0.40, "higher")[0] == "similar"
    with pytest.raises(ParameterError):
        classify_against_benchmark(0.1, 0.2, 0.3, "up")


def test_benchmark_outside_95_but_inside_998_is_recorded_separately():
    # 60 of 100, SRS: se = sqrt(.6*.4/99) = 0.04924; Wald t(99) 95% [0.5023, 0.6977],
    # 99.8% half-width 3.17 * 0.04924 = 0.156, so a benchmark of 0.50 is outside 95% only.
    df = pd.DataFrame({"y": [1] * 60 + [0] * 40})
    out = compare_with_benchmark(
        SurveyDesign(df), "y", benchmark=0.50, polarity="higher", method="mean"
    ).iloc[0]
    assert out["lower_ci"] == pytest.approx(0.6 - 1.984217 * 0.0492366, abs=1e-5)
    assert bool(out["outside_95"]) and not bool(out["outside_998"])
    assert out["comparison"] == "better"
    low = compare_with_benchmark(
        SurveyDesign(df), "y", benchmark=0.80, polarity="lower", method="mean"
    ).iloc[0]
    assert bool(low["outside_998"]) and low["comparison"] == "better"


def test_polarity_comes_from_the_codebook_for_an_indicator():
    from lozells_analysis.data.codebook import load_codebook

    cb = load_codebook()
    ind = next(i for i in cb.agree_indicators() if cb.indicator(i).polarity == "higher")
    item = cb.indicator(ind).item
    df = pd.DataFrame({item: pd.array([1] * 40 + [5] * 10, dtype="Int64")})
    out = compare_with_benchmark(SurveyDesign(df, codebook=cb), ind, benchmark=0.5).iloc[0]
    assert out["polarity"] == "higher"
    assert out["estimate"] == pytest.approx(0.8)
    assert out["comparison"] == "better"


def test_holm_and_bh_match_hand_values():
    p = [0.01, 0.04, 0.03, np.nan]
    # Holm: sorted .01,.03,.04 -> .03, max(.06,.03)=.06, max(.04,.06)=.06
    np.testing.assert_allclose(adjust_pvalues(p), [0.03, 0.06, 0.06, np.nan])
    # BH: .01*3/1=.03, .03*3/2=.045 -> min(.045,.04)=.04, .04*3/3=.04
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), [0.03, 0.04, 0.04, np.nan])
    np.testing.assert_allclose(adjust_pvalues(p, "none"), p)


def test_independent_difference_by_hand():
    out = compare_independent([0.6, 0.5], [0.03, 0.02], [0.5, 0.5], [0.04, 0.02])
    assert out.loc[0, "se"] == pytest.approx(0.05)
    assert out.loc[0, "p_value"] == pytest.approx(0.0455003, abs=1e-6)  # 2 * (1 - Phi(2))
    assert out.loc[1, "p_value"] == pytest.approx(1.0)


def test_group_difference_keeps_the_covariance_of_shared_psus(reference_dataset):
    c1 = reference_dataset("apiclus1.csv")
    design = SurveyDesign(c1, weights="pw", cluster="dnum", fpc="fpc")
    out = group_differences(design, "sw", by="stype", reference="E").set_index("group_1")
    # loop-formula variance of the difference: influence z_E - z_H on the full design
    y, w = c1["sw"].to_numpy(float), c1["pw"].to_numpy(float)
    s, psu = np.zeros(len(c1)), c1["dnum"].to_numpy()
    dom_h, dom_e = (c1["stype"] == "H").to_numpy(), (c1["stype"] == "E").to_numpy()
    m_h, v_h = naive_variance(y, w, s, psu, dom_h, pop={0: 757})
    m_e, v_e = naive_variance(y, w, s, psu, dom_e, pop={0: 757})
    assert out.loc["H", "estimate"] == pytest.approx(m_h - m_e)
    # with covariance the variance differs from v_h + v_e, but stays close
    assert out.loc["H", "se"] ** 2 != pytest.approx(v_h + v_e, rel=1e-6)
    z = np.zeros(len(c1))
    z[dom_h] = w[dom_h] * (y[dom_h] - m_h) / w[dom_h].sum()
    z[dom_e] = -w[dom_e] * (y[dom_e] - m_e) / w[dom_e].sum()
    totals = pd.Series(z).groupby(psu).sum().to_numpy()
    n_h = 15
    var = (757 - n_h) / 757 * n_h / (n_h - 1) * ((totals - totals.mean()) ** 2).sum()
    assert out.loc["H", "se"] == pytest.approx(np.sqrt(var), rel=1e-10)
    assert (out["adjust"] == "holm").all()
    np.testing.assert_allclose(out["p_adjusted"], adjust_pvalues(out["p_value"], "holm"))
