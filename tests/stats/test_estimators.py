"""Totals, quantiles, ratios, Rao-Scott tests and t-tests against R's survey package.

R's answers are ``tests/reference/r_survey/r_design2.json`` (``r_design2.R``, survey 4.1.1),
on two-stage designs (``twostage``, R's ``apiclus2``; fpc as population sizes, as sampling
fractions, with weights, and without fpc) and one-stage designs (``apiclus1``, ``apistrat``,
``nhanes``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.schema import SCHEMA_COLUMNS

from ..design2_reference import VARS, one_stage_designs, r_array, two_stage_designs

REL = 1e-8  # estimates and standard errors
ABS_CI = 1e-6  # interval limits
ABS_P = 1e-6  # statistics and p-values (relative for statistics)

CASES = [("twostage", k) for k in ("pop", "frac", "weighted", "ultimate")]
CASES += [("apiclus2", k) for k in ("pop", "frac", "weighted", "ultimate")]
CASES += [("onestage", k) for k in ("clus1", "strat", "nhanes")]


@pytest.fixture(scope="module")
def built(r_design2):
    """(design, variables, R's answers) for each case."""
    two = two_stage_designs()
    one = one_stage_designs()
    out = {}
    for data, key in CASES:
        if data == "onestage":
            out[data, key] = (one[key], VARS[key], r_design2["onestage"][key])
        else:
            out[data, key] = (two[data, key], VARS[data], r_design2[data][key])
    return out


def close(ours, r, rel=REL):
    np.testing.assert_allclose(np.asarray(ours, float), r_array(r), rtol=rel, atol=0)


@pytest.mark.parametrize("case", CASES)
def test_total_and_its_intervals_match_svytotal(built, case):
    design, v, r = built[case]
    out = design.total(v["y"])
    close(out["estimate"], r["total"]["est"])
    close(out["se"], r["total"]["se"])
    t = out.loc[0, ["lower_ci", "upper_ci"]].to_numpy(float)
    np.testing.assert_allclose(t, r["total"]["ci_t"], atol=ABS_CI * abs(t).max(), rtol=0)
    normal = design.total(v["y"], df=np.inf).loc[0, ["lower_ci", "upper_ci"]].to_numpy(float)
    np.testing.assert_allclose(normal, r["total"]["ci_normal"], rtol=1e-12)
    assert out.loc[0, "method"] == "wald_t"
    assert list(out.columns) == list(SCHEMA_COLUMNS)


@pytest.mark.parametrize("case", CASES)
def test_total_by_group_matches_svyby_svytotal(built, case):
    design, v, r = built[case]
    out = design.total(v["y"], by=v["by"], df=np.inf)
    ref = r["by_total"]
    assert out[v["by"]].astype(str).tolist() == ref["group"]
    close(out["estimate"], ref["est"])
    close(out["se"], ref["se"])
    np.testing.assert_allclose(
        out[["lower_ci", "upper_ci"]].to_numpy(float), np.array(ref["ci_normal"]), rtol=1e-12
    )


@pytest.mark.parametrize("case", CASES)
def test_quantiles_and_their_woodruff_intervals_match_svyquantile_exactly(built, case):
    design, v, r = built[case]
    ref = r["quantile"]
    out = design.quantile(v["y"], q=ref["probs"])
    assert out["quantile"].tolist() == ref["probs"]
    # the estimate and the limits are data values: exactly R's (NaN where R gives NaN)
    np.testing.assert_array_equal(out["estimate"], r_array(ref["all"]["est"]))
    np.testing.assert_array_equal(out["lower_ci"], r_array(ref["all"]["lower"]))
    np.testing.assert_array_equal(out["upper_ci"], r_array(ref["all"]["upper"]))
    np.testing.assert_allclose(out["se"], r_array(ref["all"]["se"]), rtol=1e-12)
    assert (out["method"] == "woodruff").all()


@pytest.mark.parametrize("case", CASES)
def test_quantiles_by_group_match_svyquantile_on_each_subset(built, case):
    design, v, r = built[case]
    ref = r["quantile"]
    out = design.quantile(v["y"], q=ref["probs"], by=v["by"])
    groups = [str(g) for g in ref["by"]["group"]]
    assert out[v["by"]].astype(str).unique().tolist() == groups
    for g, res in zip(groups, ref["by"]["results"], strict=True):
        mine = out[out[v["by"]].astype(str) == g]
        for col, name in [("estimate", "est"), ("lower_ci", "lower"), ("upper_ci", "upper")]:
            np.testing.assert_array_equal(mine[col], r_array(res[name]))
        np.testing.assert_allclose(mine["se"], r_array(res["se"]), rtol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_ratio_matches_svyratio_whole_sample_and_by_group(built, case):
    design, v, r = built[case]
    out = design.ratio(v["y"], v["x"])
    close(out["estimate"], r["ratio"]["est"])
    close(out["se"], r["ratio"]["se"])
    normal = design.ratio(v["y"], v["x"], df=np.inf)
    np.testing.assert_allclose(
        normal.loc[0, ["lower_ci", "upper_ci"]].to_numpy(float),
        r["ratio"]["ci_normal"],
        atol=ABS_CI,
    )
    assert out.loc[0, "denominator"] == v["x"]
    by = design.ratio(v["y"], v["x"], by=v["by"])
    assert by[v["by"]].astype(str).tolist() == r["ratio"]["by"]["group"]
    close(by["estimate"], r["ratio"]["by"]["est"])
    close(by["se"], r["ratio"]["by"]["se"])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("statistic", ["F", "Chisq"])
def test_rao_scott_tests_match_svychisq(built, case, statistic):
    design, v, r = built[case]
    for row, key in [(v["row"], "chisq"), ("b", "chisq_na")]:
        if not r.get(key):  # R's script tests missing values on the twostage data only
            continue
        ref = r[key][statistic]
        out = design.chisq(row, v["col"], statistic=statistic).iloc[0]
        assert out["statistic"] == pytest.approx(ref["statistic"], rel=ABS_P)
        assert out["p_value"] == pytest.approx(ref["p_value"], rel=ABS_P, abs=ABS_P)
        if statistic == "F":
            assert [out["ndf"], out["ddf"]] == pytest.approx(ref["parameter"], rel=ABS_P)
        else:
            assert out["ndf"] == ref["parameter"]
            assert np.isnan(out["ddf"])
        assert out["df"] == design.degf


@pytest.mark.parametrize("case", CASES)
def test_ttest_matches_svyttest(built, case):
    design, v, r = built[case]
    tests = [(v["tgroup"], r["ttest"])]
    if "ttest_binary" in r:
        tests.append(("b", r["ttest_binary"]))
    for group, ref in tests:
        out = design.ttest(v["y"], group).iloc[0]
        assert out["estimate"] == pytest.approx(ref["estimate"], rel=REL)
        assert out["statistic"] == pytest.approx(ref["statistic"], rel=ABS_P)
        assert out["p_value"] == pytest.approx(ref["p_value"], abs=ABS_P)
        assert out["df"] == ref["df"]
        np.testing.assert_allclose([out["lower_ci"], out["upper_ci"]], ref["ci"], atol=ABS_CI)
        assert out["estimate"] == pytest.approx(out["estimate_1"] - out["estimate_2"])


def test_the_results_are_tidy_frames_in_the_schema(built):
    design, v, _ = built["twostage", "pop"]
    head = list(SCHEMA_COLUMNS)
    assert list(design.quantile("y", by="grp").columns) == ["grp", *head, "quantile"]
    assert list(design.ratio("y", "x", by="grp").columns) == ["grp", *head, "denominator"]
    chisq = design.chisq("region", "cat")
    assert list(chisq.columns)[: len(head)] == head
    assert chisq.loc[0, "variable"] == "region x cat"
    assert np.isnan(chisq.loc[0, "estimate"])
    ttest = design.ttest("y", "region")
    assert ttest.loc[0, ["group_1", "group_2"]].tolist() == ["B", "A"]


def test_bad_inputs_name_what_and_why(built):
    design, _, _ = built["twostage", "pop"]
    with pytest.raises(ParameterError, match=r"q must be probabilities"):
        design.quantile("y", q=1.5)
    with pytest.raises(ParameterError, match=r"statistic must be 'F' or 'Chisq'"):
        design.chisq("region", "cat", statistic="Wald")
    with pytest.raises(DesignError, match=r"exactly two groups: 'grp' has 3"):
        design.ttest("y", "grp")
    one_value = SurveyDesign(pd.DataFrame({"a": ["x"] * 4, "b": list("pqpq")}))
    with pytest.raises(DesignError, match=r"at least two values in each column: 'a' has 1"):
        one_value.chisq("a", "b")
    with pytest.raises(DesignError, match=r"must be numeric"):
        design.total("grp")


def test_empty_groups_are_nan_not_zero():
    df = pd.DataFrame({"y": [1.0, 2, np.nan, np.nan], "g": list("aabb")})
    d = SurveyDesign(df)
    assert np.isnan(d.total("y", by="g").loc[1, "estimate"])
    assert np.isnan(d.quantile("y", by="g").loc[1, "estimate"])
    assert d.quantile("y", by="g").loc[1, "n"] == 0
