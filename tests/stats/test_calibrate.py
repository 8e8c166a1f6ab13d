"""poststratify, rake and calibrate against R's survey (r_replicate.json, key "calib").

R's examples: the cluster sample apiclus1 (PSU dnum, fpc) and the stratified sample
apistrat, calibrated to population counts of apipop (school type, sch.wide, awards, api99).
Weights, estimates and standard errors are R's to 1e-8 (the SEs from the calibration
residuals, not those of a re-weighted sample), intervals to 1e-6.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.design import SurveyDesign

REL = 1e-8
ABS_CI = 1e-6


def close(actual, expected, rel=REL, atol=0.0):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=rel, atol=atol
    )


def r_term(name: str) -> str:
    if name == "Intercept":
        return "(Intercept)"
    m = re.fullmatch(r"(\w+)\[T\.(.+)\]", name)
    return m.group(1) + m.group(2) if m else name


@pytest.fixture(scope="module")
def pop(r_replicate):
    p = r_replicate["calib"]["pop"]
    rename = {"sch.wide": "sch_wide"}
    return {
        "stype": pd.DataFrame(p["stype"]),
        "sch_wide": pd.DataFrame(p["sch.wide"]).rename(columns=rename),
        "awards": pd.DataFrame(p["awards"]),
        "cross": pd.DataFrame(p["cross"]).rename(columns=rename),
        "totals": p["totals"],  # R's names: (Intercept), stypeH, stypeM
        "api99": p["api99"],
    }


@pytest.fixture(scope="module")
def cases(reference_dataset, pop) -> dict[str, tuple[SurveyDesign, str]]:
    """Each calibrated design of r_replicate.json and the by= column R used for it."""
    c1, st = reference_dataset("apiclus1.csv"), reference_dataset("apistrat.csv")
    for df in (c1, st):
        df["sch_wide"] = df["sch.wide"]
    dc = SurveyDesign(c1, weights="pw", cluster="dnum", fpc="fpc")
    ds = SurveyDesign(st, weights="pw", strata="stype", fpc="fpc")
    lin = {**pop["totals"], "api99": pop["api99"]}
    # the patsy names work as well as R's
    lin_patsy = {"Intercept": 6194, "stype[T.H]": 755, "stype[T.M]": 1018, "api99": pop["api99"]}
    return {
        "clus1_none": (dc, "sch_wide"),
        "clus1_post": (dc.poststratify("stype", pop["stype"]), "sch_wide"),
        "clus1_post_cross": (dc.poststratify(["stype", "sch_wide"], pop["cross"]), "awards"),
        "clus1_rake": (
            dc.rake({"stype": pop["stype"], "sch_wide": pop["sch_wide"]}),
            "awards",
        ),
        "clus1_linear": (dc.calibrate("~ stype", pop["totals"]), "sch_wide"),
        "clus1_linear_api99": (dc.calibrate("~ stype + api99", lin_patsy), "sch_wide"),
        "clus1_linear_bounded": (
            dc.calibrate("~ stype + api99", lin, bounds=(0.7, 1.7)),
            "sch_wide",
        ),
        "clus1_raking": (dc.calibrate("~ stype + api99", lin, calfun="raking"), "sch_wide"),
        "clus1_logit": (
            dc.calibrate("~ stype + api99", lin, calfun="logit", bounds=(0.7, 1.7)),
            "sch_wide",
        ),
        "clus1_post_then_linear": (
            dc.poststratify("stype", pop["stype"]).calibrate(
                "~ api99", {"(Intercept)": 6194, "api99": pop["api99"]}
            ),
            "sch_wide",
        ),
        "strat_rake": (ds.rake({"sch_wide": pop["sch_wide"], "awards": pop["awards"]}), "stype"),
        "strat_post": (ds.poststratify("awards", pop["awards"]), "stype"),
        "strat_linear": (
            ds.calibrate(
                "~ sch_wide + api99",
                {"(Intercept)": 6194, "sch_wideYes": 5122, "api99": pop["api99"]},
            ),
            "stype",
        ),
    }


KEYS = [
    "clus1_none",
    "clus1_post",
    "clus1_post_cross",
    "clus1_rake",
    "clus1_linear",
    "clus1_linear_api99",
    "clus1_linear_bounded",
    "clus1_raking",
    "clus1_logit",
    "clus1_post_then_linear",
    "strat_rake",
    "strat_post",
    "strat_linear",
]


def check_estimate(out, ref):
    close(out["estimate"], ref["est"])
    close(out["se"], ref["se"])
    np.testing.assert_allclose(
        out.loc[0, ["lower_ci", "upper_ci"]].to_numpy(float), ref["ci"], atol=ABS_CI, rtol=0
    )


@pytest.mark.parametrize("key", KEYS)
def test_weights_are_rs(key, cases, r_replicate):
    design, _ = cases[key]
    close(design.w, r_replicate["calib"][key]["weights"], rel=1e-10)


@pytest.mark.parametrize("key", KEYS)
def test_means_and_totals_with_calibrated_standard_errors(key, cases, r_replicate):
    design, _ = cases[key]
    ref = r_replicate["calib"][key]
    assert design.degf == ref["degf"]
    check_estimate(design.mean("api00"), ref["mean_api00"])
    check_estimate(design.total("enroll"), ref["total_enroll"])
    check_estimate(design.mean("avg.ed"), ref["mean_avg_ed"])  # missing values: a domain


@pytest.mark.parametrize("key", KEYS)
def test_proportion_and_its_logit_interval(key, cases, r_replicate):
    design, _ = cases[key]
    ref = r_replicate["calib"][key]["prop_sw"]
    out = design.proportion("sw", method="logit")
    close(out["estimate"], ref["est"])  # R's is expit of glm.fit's coefficient (to ~1e-9)
    # calibrated on sch.wide itself, the SE is (numerically) 0: compare on the absolute scale
    close(out["se"], ref["se"], atol=1e-12)
    if ref["se"] > 1e-10:
        np.testing.assert_allclose(
            out.loc[0, ["lower_ci", "upper_ci"]].to_numpy(float),
            [ref["lower"], ref["upper"]],
            atol=ABS_CI,
            rtol=0,
        )


@pytest.mark.parametrize("key", KEYS)
def test_by_group_means_and_totals_are_domains_of_the_calibrated_design(key, cases, r_replicate):
    design, by = cases[key]
    ref = r_replicate["calib"][key]
    for out, r in [
        (design.mean("api00", by=by), ref["by"]),
        (design.total("enroll", by=by), ref["by_total"]),
    ]:
        assert out[by].tolist() == r["level"]
        close(out["estimate"], r["est"])
        close(out["se"], r["se"])


@pytest.mark.parametrize("key", KEYS)
def test_total_ratio_and_median_with_missing_values_are_rs(key, cases, r_replicate):
    """svytotal, svyratio and svyquantile(ci=TRUE) of avg.ed (missing values, na.rm=TRUE) on
    the calibrated design: the rows that answered are a domain whose calibration residuals
    are computed on the full design (one variance path for every estimator)."""
    design, by = cases[key]
    ref = r_replicate["calib"][key]
    check_estimate(design.total("avg.ed"), ref["total_avg_ed"])
    check_estimate(design.ratio("avg.ed", "api99"), ref["ratio_avg_ed_api99"])
    median = design.quantile("avg.ed", 0.5)
    close(median["estimate"], ref["median_avg_ed"]["est"], rel=0)  # exactly
    close(median[["lower_ci", "upper_ci"]].to_numpy().ravel(), ref["median_avg_ed"]["ci"], rel=0)
    close(median["se"], ref["median_avg_ed"]["se"])
    for out, r in [
        (design.total("avg.ed", by=by), ref["by_total_avg_ed"]),
        (design.ratio("avg.ed", "api99", by=by), ref["by_ratio_avg_ed_api99"]),
    ]:
        assert out[by].tolist() == r["level"]
        close(out["estimate"], r["est"])
        close(out["se"], r["se"])


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    "which, formula, family",
    [("glm", "api00 ~ ell + meals", "gaussian"), ("glm_binom", "sw ~ ell", "binomial")],
)
def test_glm_uses_the_calibration_residuals(key, which, formula, family, cases, r_replicate):
    design, _ = cases[key]
    ref = r_replicate["calib"][key][which]
    out = design.glm(formula, family=family).set_index("variable")
    out.index = [r_term(t) for t in out.index]
    out = out.loc[ref["terms"]]
    close(out["estimate"], ref["coef"])
    close(out["se"], ref["se"])
    close(out["p_value"], ref["p"], rel=1e-6)
    assert (out["df"] == ref["df"]).all()


def test_calibration_changes_the_se_not_just_the_weights(cases):
    """The calibrated SE is not the SE of a design that merely carries the new weights."""
    design, _ = cases["clus1_linear_api99"]
    data = design.data.assign(cal_w=design.w)
    reweighted = SurveyDesign(data, weights="cal_w", cluster="dnum", fpc="fpc")
    a, b = design.mean("api00"), reweighted.mean("api00")
    assert a.loc[0, "estimate"] == pytest.approx(b.loc[0, "estimate"], rel=1e-12)
    assert a.loc[0, "se"] < 0.5 * b.loc[0, "se"]  # api99 explains most of api00


def test_ratio_and_quantile_of_a_calibrated_design(cases):
    """On a design calibrated to a total of x, the ratio of y to x has the SE of the ratio
    estimator of the mean of y times 1 / mean(x); quantile intervals come from the
    calibrated share's variance and stay inside the data."""
    design, _ = cases["clus1_linear_api99"]
    r = design.ratio("api00", "api99")
    assert r.loc[0, "se"] > 0 and np.isfinite(r.loc[0, "lower_ci"])
    q = design.quantile("api00", q=[0.25, 0.5])
    assert ((q["lower_ci"] <= q["estimate"]) & (q["estimate"] <= q["upper_ci"])).all()
    plain = SurveyDesign(
        design.data.assign(cal_w=design.w), weights="cal_w", cluster="dnum", fpc="fpc"
    ).quantile("api00", q=[0.25, 0.5])
    close(q["estimate"], plain["estimate"], rel=0)
    assert (q["se"] <= plain["se"] + 1e-12).all()


def test_calibrations_stack_and_show_in_the_repr(cases):
    design, _ = cases["clus1_post_then_linear"]
    text = repr(design)
    assert text.startswith("CalibratedSurveyDesign(") and "poststratify:stype" in text
    assert "calibrate:linear" in text
    assert len(design.calibration.steps) == 2


def test_a_calibrated_design_pickles(cases):
    design, _ = cases["clus1_rake"]
    back = pickle.loads(pickle.dumps(design))
    close(back.mean("api00")["se"], design.mean("api00")["se"], rel=0)


def test_rake_warns_when_it_does_not_converge(cases, pop):
    dc, _ = cases["clus1_none"]
    with pytest.warns(UserWarning, match="did not converge"):
        dc.rake({"stype": pop["stype"], "sch_wide": pop["sch_wide"]}, maxit=1, epsilon=1e-9)


def test_totals_as_dict_series_or_frame_give_the_same_design(cases):
    dc, _ = cases["clus1_none"]
    counts = {"E": 4421, "H": 755, "M": 1018}
    a = dc.poststratify("stype", counts)
    b = dc.poststratify("stype", pd.Series(counts))
    c = dc.poststratify("stype", pd.DataFrame({"stype": list(counts), "n": counts.values()}))
    close(a.w, b.w, rel=0)
    close(a.w, c.w, rel=0)


def test_what_cannot_be_honoured_is_a_design_error(cases, pop):
    dc, _ = cases["clus1_none"]
    with pytest.raises(DesignError, match=r"\['M'\].*no population total"):
        dc.poststratify("stype", {"E": 4421, "H": 755})
    with pytest.raises(DesignError, match="no respondent"):
        dc.poststratify("stype", {"E": 4421, "H": 755, "M": 1018, "X": 10})
    partial = dc.poststratify("stype", {"E": 4421, "H": 755, "M": 1018, "X": 10}, partial=True)
    assert partial.w.sum() == pytest.approx(6194)
    with pytest.raises(DesignError, match="one column of counts"):
        dc.poststratify("stype", pd.DataFrame({"kind": ["E"], "n": [1], "m": [2]}))
    with pytest.raises(DesignError, match="missing values"):
        dc.poststratify("acs.core", {1.0: 10})
    with pytest.raises(DesignError, match="finite bounds"):
        dc.calibrate("~ stype", pop["totals"], calfun="logit")
    with pytest.raises(DesignError, match="must contain 1"):
        dc.calibrate("~ stype", pop["totals"], bounds=(1.2, 2))
    with pytest.raises(DesignError, match="no entry for model column 'api99'"):
        dc.calibrate("~ stype + api99", pop["totals"])
    with pytest.raises(DesignError, match="match no column"):
        dc.calibrate("~ stype", {**pop["totals"], "api00": 1.0})
    with pytest.raises(DesignError, match="did not converge"):
        dc.calibrate(
            "~ stype + api99", {**pop["totals"], "api99": pop["api99"]}, bounds=(0.99, 1.01)
        )
    with pytest.raises(DesignError, match="missing values"):
        dc.calibrate('~ Q("avg.ed")', [6194, 20000])
    with pytest.raises(ParameterError, match="calfun"):
        dc.calibrate("~ stype", pop["totals"], calfun="probit")
    calibrated = dc.poststratify("stype", pop["stype"])
    with pytest.raises(DesignError, match="calibrated design"):
        calibrated.to_replicate("JK1")
    with pytest.raises(DesignError, match="calibration"):
        calibrated.ttest("api00", "sch_wide")
