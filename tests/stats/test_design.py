"""SurveyDesign against R's survey package (tests/reference/r_survey) and hand checks."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.design import SurveyDesign, wilson_score_interval

from ..stats_reference import naive_variance

REL = 1e-8  # estimate, SE, deff
ABS_CI = 1e-6  # interval limits
ABS_LIKELIHOOD = 1e-5  # R interpolates a spline through profile points; we solve exactly


KEYS = ["clus1_fpc", "clus1_nofpc", "strat_fpc", "strat_nofpc", "nhanes"]


@pytest.fixture(scope="session")
def r_designs(reference_dataset) -> dict[str, tuple[SurveyDesign, str]]:
    """The designs of R's reference results, keyed as in r_ref.json."""
    c1, st = reference_dataset("apiclus1.csv"), reference_dataset("apistrat.csv")
    nh = reference_dataset("nhanes.csv")
    return {
        "clus1_fpc": (SurveyDesign(c1, weights="pw", cluster="dnum", fpc="fpc"), "sw"),
        "clus1_nofpc": (SurveyDesign(c1, weights="pw", cluster="dnum"), "sw"),
        "strat_fpc": (SurveyDesign(st, weights="pw", strata="stype", fpc="fpc"), "sw"),
        "strat_nofpc": (SurveyDesign(st, weights="pw", strata="stype"), "sw"),
        "nhanes": (
            SurveyDesign(nh, weights="WTMEC2YR", strata="SDMVSTRA", cluster="SDMVPSU"),
            "HI_CHOL",
        ),
    }


@pytest.mark.parametrize("key", KEYS)
def test_degrees_of_freedom_are_psus_minus_strata(key, r_ref, r_designs):
    design, _ = r_designs[key]
    assert design.degf == r_ref[key]["degf"]


@pytest.mark.parametrize("key", KEYS)
def test_proportion_estimate_se_and_deff_match_r(key, r_ref, r_designs):
    design, var = r_designs[key]
    ref = r_ref[key]
    out = design.proportion(var, method="mean")
    assert out.loc[0, "estimate"] == pytest.approx(ref["est"], rel=REL)
    assert out.loc[0, "se"] == pytest.approx(ref["se"], rel=REL)
    assert out.loc[0, "deff"] == pytest.approx(ref["deff_replace"], rel=REL)
    assert out.loc[0, "df"] == ref["degf"]
    true = design.proportion(var, method="mean", deff="true")
    assert true.loc[0, "deff"] == pytest.approx(ref["deff_true"], rel=REL)


@pytest.mark.parametrize("key", KEYS)
def test_wald_intervals_normal_and_t_match_r(key, r_ref, r_designs):
    design, var = r_designs[key]
    ref = r_ref[key]
    normal = design.proportion(var, method="mean", df=np.inf)
    t = design.proportion(var, method="mean")
    np.testing.assert_allclose(
        normal.loc[0, ["lower_ci", "upper_ci"]].to_numpy(float),
        ref["wald_normal_ci"],
        atol=ABS_CI,
        rtol=0,
    )
    np.testing.assert_allclose(
        t.loc[0, ["lower_ci", "upper_ci"]].to_numpy(float), ref["wald_t_ci"], atol=ABS_CI, rtol=0
    )
    # mean() is the same Wald interval on a numeric column
    m = design.mean(var)
    np.testing.assert_allclose(
        m.loc[0, ["lower_ci", "upper_ci"]].to_numpy(float), ref["wald_t_ci"], atol=ABS_CI, rtol=0
    )


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("method", ["logit", "xlogit", "beta", "mean", "asin", "likelihood"])
def test_svyciprop_intervals_match_r(key, method, r_ref, r_designs):
    design, var = r_designs[key]
    ref = r_ref[key]["ciprop"][method]
    out = design.proportion(var, method=method)
    tol = ABS_LIKELIHOOD if method == "likelihood" else ABS_CI
    assert out.loc[0, "estimate"] == pytest.approx(ref["est"], rel=1e-8)
    assert out.loc[0, "se"] == pytest.approx(ref["se"], rel=REL)
    assert out.loc[0, "lower_ci"] == pytest.approx(ref["lower"], abs=tol)
    assert out.loc[0, "upper_ci"] == pytest.approx(ref["upper"], abs=tol)
    assert out.loc[0, "method"] == method
    assert out.loc[0, "level"] == 0.95


BY = [
    ("clus1_fpc", "stype", "by_stype"),
    ("clus1_nofpc", "stype", "by_stype"),
    ("nhanes", "race", "by_race"),
]


@pytest.mark.parametrize(("key", "by", "block"), BY)
def test_by_group_results_and_group_df_match_svyby(key, by, block, r_ref, r_designs):
    design, var = r_designs[key]
    ref = r_ref[key][block]
    logit = design.proportion(var, by=by, method="logit")
    mean = design.proportion(var, by=by, method="mean")
    assert list(logit[by].astype(str)) == ref["level"]
    np.testing.assert_allclose(logit["estimate"], ref["est"], rtol=REL)
    np.testing.assert_allclose(logit["se"], ref["se"], rtol=REL)
    np.testing.assert_allclose(logit["deff"], ref["deff_replace"], rtol=REL)
    assert list(logit["df"]) == ref["subset_degf"]
    np.testing.assert_allclose(logit[["lower_ci", "upper_ci"]], ref["logit_ci"], atol=ABS_CI)
    np.testing.assert_allclose(mean[["lower_ci", "upper_ci"]], ref["mean_ci"], atol=ABS_CI)
    normal = design.proportion(var, by=by, method="mean", df=np.inf)
    np.testing.assert_allclose(
        normal[["lower_ci", "upper_ci"]], ref["wald_normal_ci"], atol=ABS_CI
    )


def test_by_group_n_counts_respondents_who_answered(reference_dataset, r_designs):
    design, _ = r_designs["nhanes"]
    nh = reference_dataset("nhanes.csv")
    out = design.proportion("HI_CHOL", by="race")
    expected = nh.dropna(subset=["HI_CHOL"]).groupby("race").size().to_numpy()
    assert list(out["n"]) == list(expected)


GLMS = [
    ("clus1_fpc", "api00"),
    ("clus1_fpc", "meals"),
    ("clus1_nofpc", "api00"),
    ("clus1_nofpc", "meals"),
    ("strat_fpc", "api00"),
]


@pytest.mark.parametrize(("key", "x"), GLMS)
def test_glm_matches_svyglm_quasibinomial(key, x, r_ref, r_designs):
    design, _ = r_designs[key]
    ref = r_ref[key][f"glmT_{x}"]
    out = design.glm(f"sw ~ {x}", family="binomial")
    assert list(out["variable"]) == ["Intercept", x]
    np.testing.assert_allclose(out["estimate"], ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(out["se"], ref["se"], rtol=1e-6)
    np.testing.assert_allclose(out["statistic"], ref["t"], rtol=1e-6)
    np.testing.assert_allclose(out["p_value"], ref["p"], rtol=1e-5)
    np.testing.assert_allclose(out[["lower_ci", "upper_ci"]], ref["ci_wald_t"], atol=1e-6)
    assert (out["df"] == ref["df_resid"]).all()
    fit = out.attrs["model"]
    assert fit.params[x] == pytest.approx(ref["coef"][1], rel=1e-6)
    assert copy.deepcopy(fit) is fit  # frames derived from the result share the fit


def test_glm_gaussian_intercept_only_equals_the_design_mean(r_designs):
    design, _ = r_designs["strat_fpc"]
    m = design.mean("api00")
    g = design.glm("api00 ~ 1", family="gaussian")
    assert g.loc[0, "estimate"] == pytest.approx(m.loc[0, "estimate"], rel=1e-10)
    assert g.loc[0, "se"] == pytest.approx(m.loc[0, "se"], rel=1e-8)


def test_glm_with_missing_outcome_uses_domain_df(reference_dataset):
    nh = reference_dataset("nhanes.csv")
    design = SurveyDesign(nh, weights="WTMEC2YR", strata="SDMVSTRA", cluster="SDMVPSU")
    out = design.glm("HI_CHOL ~ 1", family="binomial")
    prop = design.proportion("HI_CHOL", method="logit")
    # intercept-only logistic fit: expit(b0) is the proportion, se(b0) = se(p)/(p(1-p))
    p = prop.loc[0, "estimate"]
    assert 1 / (1 + np.exp(-out.loc[0, "estimate"])) == pytest.approx(p, rel=1e-9)
    assert out.loc[0, "se"] == pytest.approx(prop.loc[0, "se"] / (p * (1 - p)), rel=1e-7)
    assert out.loc[0, "df"] == 16


# -- hand-checked behaviour ----------------------------------------------------------
def test_domain_estimation_keeps_the_full_design_not_a_reweighted_subset():
    rng = np.random.default_rng(3)
    n = 300
    df = pd.DataFrame(
        {
            "s": rng.integers(0, 4, n),
            "c": rng.integers(0, 6, n),
            "w": rng.uniform(0.5, 3, n),
            "y": rng.integers(0, 2, n).astype(float),
        }
    )
    # group "a" only occurs in clusters 0-2, so it has no respondent in half the PSUs
    df["g"] = np.where((df["c"] < 3) & (rng.uniform(size=n) < 0.7), "a", "b")
    df.loc[rng.choice(n, 40, replace=False), "y"] = np.nan
    design = SurveyDesign(df, weights="w", strata="s", cluster="c")
    out = design.proportion("y", by="g", method="mean")
    psu = (df["s"] * 100 + df["c"]).to_numpy()
    for i, g in enumerate(["a", "b"]):
        mean, var = naive_variance(
            df["y"].to_numpy(),
            df["w"].to_numpy(),
            df["s"].to_numpy(),
            psu,
            (df["g"] == g).to_numpy(),
        )
        assert out.loc[i, "estimate"] == pytest.approx(mean, rel=1e-12)
        assert out.loc[i, "se"] == pytest.approx(np.sqrt(var), rel=1e-10)
    # the subset analysed as if it were the whole sample (half the PSUs) gives another answer
    sub = SurveyDesign(df[df["g"] == "a"], weights="w", strata="s", cluster="c")
    assert sub.proportion("y").loc[0, "se"] != pytest.approx(out.loc[0, "se"], rel=1e-6)


def test_fpc_given_as_sampling_fraction_equals_population_size(reference_dataset):
    st = reference_dataset("apistrat.csv")
    n_h = st.groupby("stype")["stype"].transform("size")
    st["frac"] = n_h / st["fpc"]
    a = SurveyDesign(st, weights="pw", strata="stype", fpc="fpc").proportion("sw")
    b = SurveyDesign(st, weights="pw", strata="stype", fpc="frac").proportion("sw")
    assert b.loc[0, "se"] == pytest.approx(a.loc[0, "se"], rel=1e-12)


def lonely_data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "s": ["a"] * 6 + ["b"] * 3,
            "c": [1, 1, 2, 2, 3, 3, 9, 9, 9],
            "w": [1.0, 2, 1, 1, 3, 1, 2, 2, 1],
            "y": [1.0, 0, 1, 1, 0, 1, 1, 0, 0],
        }
    )


def test_lonely_psu_is_an_error_that_names_the_stratum():
    with pytest.raises(DesignError, match=r"Stratum 'b'.*only one PSU.*lonely_psu='adjust'"):
        SurveyDesign(lonely_data(), weights="w", strata="s", cluster="c")


def test_lonely_psu_adjust_centres_at_the_grand_mean():
    df = lonely_data()
    out = SurveyDesign(df, weights="w", strata="s", cluster="c", lonely_psu="adjust")
    res = out.proportion("y", method="mean")
    mean, var = naive_variance(
        df["y"].to_numpy(),
        df["w"].to_numpy(),
        df["s"].to_numpy(),
        df["c"].to_numpy(),
        np.ones(len(df), bool),
        lonely="adjust",
    )
    assert res.loc[0, "se"] == pytest.approx(np.sqrt(var), rel=1e-12)
    # hand check: mean = 6/14; lonely PSU total z = sum w (y - mean) / W over stratum b
    m = 6 / 14
    z_b = (2 * (1 - m) + 2 * (0 - m) + 1 * (0 - m)) / 14  # = -1/98
    removed = SurveyDesign(df, weights="w", strata="s", cluster="c", lonely_psu="remove")
    var_removed = removed.proportion("y", method="mean").loc[0, "se"] ** 2
    assert res.loc[0, "se"] ** 2 - var_removed == pytest.approx(z_b**2, rel=1e-12)


def test_estimate_of_one_gives_a_clopper_pearson_interval_not_a_point():
    df = pd.DataFrame({"y": [1] * 12 + [0, 1, 1, 0], "g": ["all yes"] * 12 + ["mixed"] * 4})
    design = SurveyDesign(df)
    for method in ["logit", "xlogit", "beta", "mean", "wilson", "asin", "likelihood"]:
        out = design.proportion("y", by="g", method=method).set_index("g")
        row = out.loc["all yes"]
        assert row["estimate"] == 1.0
        assert row["se"] == 0.0
        assert row["upper_ci"] == 1.0
        # Clopper-Pearson lower limit with n = 12: (alpha/2)^(1/n)
        assert row["lower_ci"] == pytest.approx(0.025 ** (1 / 12), rel=1e-12)
        assert row["lower_ci"] < row["upper_ci"]
        assert row["method"] == f"{method}+beta_boundary"
        assert row["n_eff"] == 12
        assert out.loc["mixed", "method"] == method


def test_estimate_of_zero_gives_upper_limit_from_clopper_pearson():
    df = pd.DataFrame({"y": [0.0] * 20})
    out = SurveyDesign(df).proportion("y", method="logit")
    assert out.loc[0, "lower_ci"] == 0.0
    assert out.loc[0, "upper_ci"] == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)


def test_unweighted_wilson_matches_hand_values_and_statsmodels():
    # hand: x=10, n=50, z=1.959964: (20 + z^2 -/+ z*sqrt(z^2 + 32)) / (2 (50 + z^2))
    out = wilson_score_interval([10, 0, 50], [50, 50, 50])
    assert out.loc[0, "lower_ci"] == pytest.approx(0.1124375, abs=1e-7)
    assert out.loc[0, "upper_ci"] == pytest.approx(0.3303711, abs=1e-7)
    assert out.loc[1, "lower_ci"] == 0.0
    assert out.loc[2, "upper_ci"] == 1.0
    for i, x in enumerate([10, 0, 50]):
        lo, hi = proportion_confint(x, 50, alpha=0.05, method="wilson")
        assert out.loc[i, "lower_ci"] == pytest.approx(lo, abs=1e-12)
        assert out.loc[i, "upper_ci"] == pytest.approx(hi, abs=1e-12)


def test_proportion_wilson_unweighted_uses_counts_not_weights():
    df = pd.DataFrame({"y": [1, 1, 0, 0, 0, np.nan], "w": [5.0, 5, 1, 1, 1, 1]})
    out = SurveyDesign(df, weights="w").proportion("y", method="wilson_unweighted")
    ref = wilson_score_interval(2, 5)
    assert out.loc[0, "estimate"] == pytest.approx(0.4)
    assert out.loc[0, "lower_ci"] == pytest.approx(ref.loc[0, "lower_ci"], rel=1e-12)
    assert out.loc[0, "n"] == 5
    assert out.loc[0, "method"] == "wilson_unweighted"


def test_design_wilson_is_wilson_with_effective_sample_size_and_t():
    # equal weights, no clusters: var = p(1-p)/(n-1), so n_eff = n - 1 and z = qt(., n-1)
    y = np.array([1] * 7 + [0] * 13, dtype=float)
    out = SurveyDesign(pd.DataFrame({"y": y})).proportion("y", method="wilson")
    p, n_eff, z = 0.35, 19.0, stats.t.ppf(0.975, 19)
    centre = (p + z**2 / (2 * n_eff)) / (1 + z**2 / n_eff)
    half = z * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2)) / (1 + z**2 / n_eff)
    assert out.loc[0, "lower_ci"] == pytest.approx(centre - half, rel=1e-12)
    assert out.loc[0, "upper_ci"] == pytest.approx(centre + half, rel=1e-12)
    # by hand: z = 2.093024, centre 0.378106, half-width 0.208366
    assert out.loc[0, "lower_ci"] == pytest.approx(0.169741, abs=1e-5)
    assert out.loc[0, "upper_ci"] == pytest.approx(0.586472, abs=1e-5)


def test_by_accepts_a_list_and_returns_one_row_per_group():
    df = pd.DataFrame(
        {"y": [1, 0, 1, 1, 1, 0, 0, 1], "a": list("xxyyxxyy"), "b": [1, 2, 1, 2, 1, 2, 1, 2]}
    )
    out = SurveyDesign(df).proportion("y", by=["a", "b"], method="mean")
    assert list(out.columns[:2]) == ["a", "b"]
    assert out[["a", "b"]].values.tolist() == [["x", 1], ["x", 2], ["y", 1], ["y", 2]]
    assert list(out["estimate"]) == [1.0, 0.0, 0.5, 1.0]
    assert list(out["n"]) == [2, 2, 2, 2]


def test_non_binary_column_is_an_error_naming_it_and_its_values():
    df = pd.DataFrame({"q": [1, 2, 3, 1], "w": [1.0] * 4})
    with pytest.raises(DesignError, match=r"'q' is not a 0/1 indicator.*2"):
        SurveyDesign(df, weights="w", codebook=_NoCodebook()).proportion("q")


def test_codebook_indicator_id_uses_the_codebook_coding():
    from lozells_analysis.data.codebook import load_codebook

    cb = load_codebook()
    ind = cb.agree_indicators()[0]
    item = cb.indicator(ind).item
    df = pd.DataFrame({item: pd.array([1, 2, 3, 4, 5, 8, 9, None], dtype="Int64")})
    out = SurveyDesign(df, codebook=cb).proportion(ind, method="mean")
    expected = cb.indicator_values(df, ind)
    assert out.loc[0, "n"] == expected.notna().sum()
    assert out.loc[0, "estimate"] == pytest.approx(expected.mean())


class _NoCodebook:
    def has_indicator(self, name: str) -> bool:
        return False


def test_bad_parameters_raise_parameter_errors():
    df = pd.DataFrame({"y": [0, 1, 1]})
    d = SurveyDesign(df)
    with pytest.raises(ParameterError, match="method"):
        d.proportion("y", method="wald")
    with pytest.raises(ParameterError, match="level"):
        d.proportion("y", level=95)
    with pytest.raises(DesignError, match="weight"):
        SurveyDesign(pd.DataFrame({"y": [1, 0], "w": [1.0, 0.0]}), weights="w")
    with pytest.raises(DesignError, match="not in the data"):
        SurveyDesign(df, strata="nope")


def test_glm_reads_the_surveys_nullable_integer_codes():
    """Survey items load as pandas Int8 codes; glm must give the same fit as on floats."""
    from lozells_analysis.data.synthetic import generate

    survey = generate(n=600, seed=8)
    as_float = survey.assign(
        **{
            c: survey[c].astype("float64")
            for c in ("lc_involvement", "disability", "pull_together")
        }
    )
    formula = "pull_together ~ wave + C(lc_involvement) + C(disability)"
    a = SurveyDesign(survey, weights="weight", strata="neighbourhood").glm(formula)
    b = SurveyDesign(as_float, weights="weight", strata="neighbourhood").glm(formula)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert len(a) == 6
