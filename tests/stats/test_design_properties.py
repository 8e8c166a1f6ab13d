"""Invariants of SurveyDesign, checked on generated designs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from lozells_analysis.stats.design import SurveyDesign

from ..stats_reference import naive_variance

# The number of examples comes from the Hypothesis profile (tests/conftest.py): 60 in the
# whole suite, fewer in `make test-fast`.
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def survey(draw, clustered: bool = True):
    n_strata = draw(st.integers(1, 4))
    rows = []
    for h in range(n_strata):
        n_psu = draw(st.integers(2, 4)) if clustered else 1
        for c in range(n_psu):
            size = draw(st.integers(2, 6)) if clustered else draw(st.integers(2, 8))
            for _ in range(size):
                rows.append((h, c))
    n = len(rows)
    y = draw(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=n, max_size=n))
    w = draw(st.lists(st.floats(0.2, 20), min_size=n, max_size=n))
    g = draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    df = pd.DataFrame(rows, columns=["s", "c"])
    df["y"], df["w"], df["g"] = y, w, g
    return df


@SETTINGS
@given(survey(), st.floats(0.01, 1000))
def test_scaling_the_weights_changes_nothing(df, k):
    a = SurveyDesign(df, weights="w", strata="s", cluster="c")
    scaled = df.assign(w=df["w"] * k)
    b = SurveyDesign(scaled, weights="w", strata="s", cluster="c")
    cols = ["estimate", "se", "lower_ci", "upper_ci", "deff", "n", "n_eff", "df"]
    for method in ["logit", "beta", "mean", "wilson", "xlogit"]:
        ra = a.proportion("y", by="g", method=method)[cols]
        rb = b.proportion("y", by="g", method=method)[cols]
        pd.testing.assert_frame_equal(ra, rb, rtol=1e-7, atol=1e-12)


@SETTINGS
@given(survey())
def test_variance_equals_the_loop_formula_for_every_group(df):
    design = SurveyDesign(df, weights="w", strata="s", cluster="c")
    out = design.proportion("y", by="g", method="mean").set_index("g")
    psu = (df["s"] * 100 + df["c"]).to_numpy()
    for g in out.index:
        dom = (df["g"] == g).to_numpy()
        if out.loc[g, "n"] == 0:  # nobody in the group answered: nothing to estimate
            assert np.isnan(out.loc[g, "estimate"]) and np.isnan(out.loc[g, "se"])
            continue
        mean, var = naive_variance(
            df["y"].to_numpy(), df["w"].to_numpy(), df["s"].to_numpy(), psu, dom
        )
        assert out.loc[g, "estimate"] == pytest.approx(mean, rel=1e-10, abs=1e-12)
        assert out.loc[g, "se"] == pytest.approx(np.sqrt(var), rel=1e-8, abs=1e-12)
        # the group's df: PSUs with a row in the group minus strata with a row in the group
        rows = df[dom]
        expected_df = rows.groupby(["s", "c"]).ngroups - rows["s"].nunique()
        assert out.loc[g, "df"] == expected_df


@SETTINGS
@given(st.integers(2, 200), st.data())
def test_equal_weights_without_clusters_give_the_textbook_binomial_answer(n, data):
    x = data.draw(st.integers(1, n - 1))
    df = pd.DataFrame({"y": [1.0] * x + [0.0] * (n - x), "w": 3.7})
    out = SurveyDesign(df, weights="w").proportion("y", method="mean").iloc[0]
    p = x / n
    assert out["estimate"] == pytest.approx(p, rel=1e-12)
    # unbiased SRS variance of a proportion: p(1-p)/(n-1)
    assert out["se"] == pytest.approx(np.sqrt(p * (1 - p) / (n - 1)), rel=1e-10)
    assert out["deff"] == pytest.approx(1.0, rel=1e-10)
    assert out["df"] == n - 1
    t = stats.t.ppf(0.975, n - 1)
    assert out["lower_ci"] == pytest.approx(p - t * out["se"], rel=1e-10, abs=1e-14)


@SETTINGS
@given(survey())
def test_intervals_contain_the_estimate_and_stay_in_zero_one(df):
    design = SurveyDesign(df, weights="w", strata="s", cluster="c")
    for method in ["logit", "xlogit", "beta", "wilson", "asin", "likelihood"]:
        out = design.proportion("y", by="g", method=method).dropna(subset=["lower_ci"])
        assert (out["lower_ci"] >= 0).all() and (out["upper_ci"] <= 1).all()
        assert (out["lower_ci"] <= out["estimate"] + 1e-12).all()
        assert (out["upper_ci"] >= out["estimate"] - 1e-12).all()
        # never a collapsed interval, even at an estimate of 0 or 1
        assert (out["upper_ci"] > out["lower_ci"]).all()
