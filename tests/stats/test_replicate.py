"""ReplicateDesign and SurveyDesign.to_replicate against R's survey (r_replicate.json).

The sample (``replicate.csv``, 12 strata x 2 PSUs) comes with replicate multipliers of each
type made by R (``brrweights``, ``jk1weights``, ``jknweights``, ``bootweights``), one row per
PSU; the tests spread them over the rows as a data owner would publish them.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.exceptions import DesignError
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.replicate import ReplicateDesign

REL = 1e-8  # estimates and SEs
ABS_CI = 1e-6  # interval limits

TYPES = {  # key in r_replicate.json -> (multipliers, prefix, constructor options)
    "JK1": ("jk1", "jk", {"scale": 23 / 24}),
    "JKn": ("jkn", "jn", {}),
    "BRR": ("brr", "br", {}),
    "Fay": ("fay", "fy", {"rho": 0.3}),
    "bootstrap": ("boot", "bt", {}),
}


def close(actual, expected, rel=REL):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=rel)


def ci_close(frame, lower, upper):
    np.testing.assert_allclose(frame["lower_ci"].to_numpy(float), lower, atol=ABS_CI, rtol=0)
    np.testing.assert_allclose(frame["upper_ci"].to_numpy(float), upper, atol=ABS_CI, rtol=0)


def r_term(name: str) -> str:
    """R's model-matrix name of a patsy column."""
    if name == "Intercept":
        return "(Intercept)"
    m = re.fullmatch(r"(\w+)\[T\.(.+)\]", name)
    return m.group(1) + m.group(2) if m else name


@pytest.fixture(scope="module")
def sample(reference_dataset, r_replicate) -> pd.DataFrame:
    """The sample with every type's replicate multipliers (and combined weights) as columns."""
    df = reference_dataset("replicate.csv")
    unit = df["unit"].to_numpy() - 1
    cols = {}
    for key, prefix, _ in TYPES.values():
        M = np.asarray(r_replicate["multipliers"][key], float)
        for j in range(M.shape[1]):
            cols[f"{prefix}{j + 1}"] = M[unit, j]
            cols[f"c{prefix}{j + 1}"] = M[unit, j] * df["w"].to_numpy()
    return pd.concat([df, pd.DataFrame(cols)], axis=1)


def make(sample, r_replicate, kind, combined=False, **options):
    key, prefix, extra = TYPES[kind]
    extra = dict(extra)
    if kind == "JKn":
        extra["rscales"] = r_replicate["jkn_rscales"]
    extra.update(options)
    pattern = f"^{'c' if combined else ''}{prefix}[0-9]+$"
    return ReplicateDesign(
        sample, weights="w", repweights=pattern, type=kind, combined_weights=combined, **extra
    )


@pytest.fixture(scope="module")
def designs(sample, r_replicate) -> dict[str, ReplicateDesign]:
    return {kind: make(sample, r_replicate, kind) for kind in TYPES}


# --- svrepdesign of each type -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(TYPES))
def test_scale_rscales_and_degrees_of_freedom_are_rs(kind, designs, r_replicate):
    d, ref = designs[kind], r_replicate["replicate"][kind]
    assert d.scale == pytest.approx(ref["scale"], rel=1e-12)
    close(d.rscales, ref["rscales"], rel=1e-12)
    assert d.degf == ref["degf"]


@pytest.mark.parametrize("kind", list(TYPES))
def test_means_and_totals_match_r(kind, designs, r_replicate):
    d, ref = designs[kind], r_replicate["replicate"][kind]
    for out, key in [
        (d.mean("score"), "mean_y"),
        (d.mean("flag"), "mean_b"),
        (d.total("score"), "total_y"),
        (d.total("flag"), "total_b"),
    ]:
        close(out["estimate"], ref[key]["est"])
        close(out["se"], ref[key]["se"])
        ci_close(out, *np.reshape(ref[key]["ci"], (2, 1)))
        assert out.loc[0, "df"] == ref["degf"]
    assert d.mean("score").loc[0, "n"] == d.data["score"].notna().sum()


@pytest.mark.parametrize("kind", list(TYPES))
def test_ratio_and_quantiles_match_r(kind, designs, r_replicate):
    d, ref = designs[kind], r_replicate["replicate"][kind]
    r = d.ratio("score", "size")
    close(r["estimate"], ref["ratio"]["est"])
    close(r["se"], ref["ratio"]["se"])
    q = d.quantile("score", q=[0.25, 0.5, 0.9])
    qr = ref["quantile_y"]
    assert q["quantile"].tolist() == [0.25, 0.5, 0.9]
    np.testing.assert_array_equal(q["estimate"], qr["quantile"])  # qrule="math": exact
    np.testing.assert_array_equal(q["lower_ci"], qr["lower"])
    np.testing.assert_array_equal(q["upper_ci"], qr["upper"])
    close(q["se"], qr["se"])
    assert (q["df"] == ref["degf_y"]).all()


@pytest.mark.parametrize("kind", list(TYPES))
def test_proportion_intervals_match_svyciprop(kind, designs, r_replicate):
    d, ref = designs[kind], r_replicate["replicate"][kind]
    for method, r in ref["ciprop_b"].items():
        out = d.proportion("flag", method=method)
        close(out["estimate"], r["est"])
        ci_close(out, [r["lower"]], [r["upper"]])
        close(out["se"], ref["mean_b"]["se"])


@pytest.mark.parametrize("kind", list(TYPES))
def test_by_group_estimates_match_svyby(kind, designs, r_replicate):
    d, ref = designs[kind], r_replicate["replicate"][kind]
    checks = [
        (d.mean("score", by="grp"), "by_mean_y"),
        (d.total("flag", by="grp"), "by_total_b"),
        (d.ratio("score", "size", by="grp"), "by_ratio"),
        (d.proportion("flag", by="grp"), "by_logit_b"),
        (d.quantile("score", by="grp"), "by_quantile_y"),
    ]
    for out, key in checks:
        assert out["grp"].tolist() == ref[key]["level"], key
        close(out["estimate"], ref[key]["est"])
        close(out["se"], ref[key]["se"])
        assert out["df"].tolist() == ref[key]["degf"], key  # rank of each group's weights - 1
        if "lower" in ref[key]:
            ci_close(out, ref[key]["lower"], ref[key]["upper"])


@pytest.mark.parametrize("kind", list(TYPES))
@pytest.mark.parametrize(
    "key, formula, family, subset",
    [
        ("glm_gauss", "score ~ size + grp", "gaussian", None),
        ("glm_binom", "flag ~ size", "binomial", None),
        ("glm_subset", "score ~ size", "gaussian", "A"),
    ],
)
def test_glm_matches_svyglm(kind, key, formula, family, subset, designs, r_replicate):
    d, ref = designs[kind], r_replicate["replicate"][kind][key]
    mask = None if subset is None else (d.data["grp"] == subset).to_numpy()
    out = d.glm(formula, family=family, subset=mask).set_index("variable")
    out.index = [r_term(t) for t in out.index]
    out = out.loc[ref["terms"]]
    close(out["estimate"], ref["coef"])
    close(out["se"], ref["se"])
    close(out["p_value"], ref["p"], rel=1e-6)
    assert (out["df"] == ref["df"]).all()
    assert out.attrs["model"].vcov.shape == (len(ref["terms"]),) * 2


@pytest.mark.parametrize(
    "key, kind, options",
    [
        ("JKn_nomse", "JKn", {"mse": False}),
        ("bootstrap_nomse", "bootstrap", {"mse": False, "scale": "boot_scale"}),
        ("JK1_combined", "JK1", {"combined": True, "scale": None}),
        ("JKn_combined", "JKn", {"combined": True}),
    ],
)
def test_mse_false_combined_weights_and_scales(key, kind, options, sample, r_replicate):
    options = dict(options)
    if options.get("scale") == "boot_scale":
        options["scale"] = r_replicate["boot_scale"]
    if "scale" in options and options["scale"] is None:  # R's guess: (R - 1) / R, warned
        del options["scale"]
        with pytest.warns(UserWarning, match="JK1 scale not given"):
            d = make(sample, r_replicate, kind, scale=None, **options)
    else:
        d = make(sample, r_replicate, kind, **options)
    ref = r_replicate["replicate"][key]
    assert d.scale == pytest.approx(ref["scale"], rel=1e-12)
    assert d.degf == ref["degf"]
    for out, k in [(d.mean("score"), "mean_y"), (d.total("flag"), "total_b")]:
        close(out["estimate"], ref[k]["est"])
        close(out["se"], ref[k]["se"])
        ci_close(out, *np.reshape(ref[k]["ci"], (2, 1)))
    by = d.mean("score", by="grp")
    close(by["se"], ref["by_mean_y"]["se"])


# --- as.svrepdesign -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(reference_dataset):
    c1, st = reference_dataset("apiclus1.csv"), reference_dataset("apistrat.csv")
    return {
        "clus1": SurveyDesign(c1, weights="pw", cluster="dnum", fpc="fpc"),
        "clus1_nofpc": SurveyDesign(c1, weights="pw", cluster="dnum"),
        "strat": SurveyDesign(st, weights="pw", strata="stype", fpc="fpc"),
    }


def check_as_block(rep, ref, by):
    assert rep.scale == pytest.approx(ref["scale"], rel=1e-12)
    close(np.sort(rep.rscales), np.sort(ref["rscales"]), rel=1e-12)  # R orders strata as met
    assert rep.degf == ref["degf"]
    for out, key in [(rep.mean("api00"), "mean_api00"), (rep.total("enroll"), "total_enroll")]:
        close(out["estimate"], ref[key]["est"])
        close(out["se"], ref[key]["se"])
        ci_close(out, *np.reshape(ref[key]["ci"], (2, 1)))
    r = rep.ratio("api00", "api99")
    close(r["estimate"], ref["ratio"]["est"])
    close(r["se"], ref["ratio"]["se"])
    q = rep.quantile("api00", q=0.5)
    np.testing.assert_array_equal(
        q.loc[0, ["estimate", "lower_ci", "upper_ci"]].to_numpy(float),
        [np.atleast_1d(ref["quantile_api00"][k])[0] for k in ("quantile", "lower", "upper")],
    )
    close(q["se"], ref["quantile_api00"]["se"])
    b = rep.mean("api00", by=by)
    assert b[by].tolist() == ref["by"]["level"]
    close(b["estimate"], ref["by"]["est"])
    close(b["se"], ref["by"]["se"])
    g = rep.glm("sw ~ api00", family="binomial")
    close(g["estimate"], ref["glm"]["coef"])
    close(g["se"], ref["glm"]["se"])
    assert g.loc[0, "df"] == ref["glm"]["df"]


@pytest.mark.parametrize(
    "key, design, kind, mse, by",
    [
        ("clus1_JK1", "clus1", "JK1", True, "stype"),
        ("clus1_JK1_nofpc", "clus1_nofpc", "JK1", True, "stype"),
        ("clus1_JK1_nomse", "clus1", "JK1", False, "stype"),
        ("strat_JKn", "strat", "JKn", True, "sch.wide"),
    ],
)
def test_to_replicate_is_as_svrepdesign(key, design, kind, mse, by, api, r_replicate):
    rep = api[design].to_replicate(kind, mse=mse)
    assert rep.type == kind and rep.mse is mse
    check_as_block(rep, r_replicate["as_rep"][key], by)


def test_to_replicate_of_a_two_stage_design_uses_the_first_stage(reference_dataset, r_replicate):
    c2 = reference_dataset("apiclus2.csv")
    des = SurveyDesign(c2, cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    with pytest.warns(UserWarning, match="after the first stage"):
        rep = des.to_replicate("JK1")
    ref = r_replicate["as_rep"]["clus2_JK1"]
    assert rep.scale == pytest.approx(ref["scale"], rel=1e-12)
    assert rep.degf == ref["degf"]
    for out, key in [(rep.mean("api00"), "mean_api00"), (rep.total("api99"), "total_api99")]:
        close(out["estimate"], ref[key]["est"])
        close(out["se"], ref[key]["se"])
        ci_close(out, *np.reshape(ref[key]["ci"], (2, 1)))
    b = rep.mean("api00", by="stype")
    close(b["estimate"], ref["by"]["est"])
    close(b["se"], ref["by"]["se"])


def test_r_bootstrap_replicates_reproduced_from_its_exported_weights(api, r_replicate):
    """R's bootstrap draws are R's random numbers: given them, the numbers are R's."""
    ref = r_replicate["as_rep"]["clus1_bootstrap"]
    data = api["clus1"].data.copy()
    M = np.asarray(ref["multipliers"], float)
    psu_row = dict(zip(ref["psu"], range(len(ref["psu"])), strict=True))
    rows = data["dnum"].astype(str).map(psu_row).to_numpy()
    reps = pd.DataFrame(M[rows], columns=[f"b{j + 1}" for j in range(M.shape[1])])
    data = pd.concat([data, reps], axis=1)
    rep = ReplicateDesign(
        data,
        weights="pw",
        repweights="^b[0-9]+$",
        type="bootstrap",
        scale=ref["scale"],
        combined_weights=False,
    )
    check_as_block(rep, ref, "stype")


def test_jkn_of_the_stratified_cluster_sample_equals_the_published_jkn(sample, r_replicate):
    des = SurveyDesign(sample, weights="w", strata="stratum", cluster="psu")
    rep = des.to_replicate("JKn")
    ref = r_replicate["as_rep"]["gen_JKn"]
    assert rep.degf == ref["degf"]
    close(rep.mean("score")["se"], ref["mean_y"]["se"])
    close(rep.total("flag")["se"], ref["total_b"]["se"])
    close(rep.mean("score", by="grp")["se"], ref["by_mean_y"]["se"])


@pytest.mark.parametrize("rule", ["adjust", "average", "remove", "certainty"])
def test_lonely_psu_rules_in_the_jackknife_are_rs(rule, sample, r_replicate):
    lonely = sample[~((sample["stratum"] == 1) & (sample["psu"] == 2))].reset_index(drop=True)
    des = SurveyDesign(lonely, weights="w", strata="stratum", cluster="psu", lonely_psu=rule)
    rep = des.to_replicate("JKn")
    ref = r_replicate["as_rep"][f"lonely_{rule}"]
    assert rep.scale == pytest.approx(ref["scale"], rel=1e-12)
    close(rep.rscales, ref["rscales"], rel=1e-12)
    assert rep.degf == ref["degf"]
    out = rep.mean("score")
    close(out["estimate"], ref["mean_y"]["est"])
    close(out["se"], ref["mean_y"]["se"])
    ci_close(out, *np.reshape(ref["mean_y"]["ci"], (2, 1)))


def test_bootstrap_to_replicate_is_seeded_and_close_to_the_linearised_se(api):
    des = api["clus1_nofpc"]
    a = des.to_replicate("bootstrap", replicates=2000, seed=5)
    b = des.to_replicate("bootstrap", replicates=2000, seed=5)
    assert a.mean("api00")["se"].iloc[0] == b.mean("api00")["se"].iloc[0]
    # each replicate draws 15 PSUs from the 15
    assert (a.rw.factors.sum(axis=0) == 15).all()
    taylor = des.mean("api00")["se"].iloc[0]
    assert a.mean("api00")["se"].iloc[0] == pytest.approx(taylor, rel=0.08)
    with_fpc = api["clus1"].to_replicate("bootstrap", replicates=2000, seed=5)
    fpc_taylor = api["clus1"].mean("api00")["se"].iloc[0]
    assert with_fpc.mean("api00")["se"].iloc[0] == pytest.approx(fpc_taylor, rel=0.08)


def test_the_jackknife_of_a_total_is_its_linearised_variance(api):
    # a total is linear: its JK1 variance (mse) is exactly n/(n-1) sum (T_i - mean T)^2
    des = api["clus1_nofpc"]
    z = des.w * des.data["enroll"].to_numpy(float)
    taylor = np.sqrt(des.variance_by_group(z, np.zeros(des.n_rows, dtype=int), 1))
    close(des.to_replicate("JK1").total("enroll")["se"], taylor, rel=1e-12)


def test_replicate_design_pickles(designs):
    d = designs["JKn"]
    back = pickle.loads(pickle.dumps(d))
    close(back.mean("score")["se"], d.mean("score")["se"], rel=0)


# --- what cannot be honoured --------------------------------------------------------------------


def test_designs_the_library_cannot_honour_are_design_errors(sample, r_replicate, api):
    with pytest.raises(DesignError, match="not a replicate type"):
        ReplicateDesign(sample, weights="w", repweights="^jk[0-9]+$", type="JK2")
    with pytest.raises(DesignError, match="needs rscales"):
        ReplicateDesign(sample, weights="w", repweights="^cjn[0-9]+$", type="JKn")
    with pytest.raises(DesignError, match="needs rho"):
        ReplicateDesign(
            sample, weights="w", repweights="^fy[0-9]+$", type="Fay", combined_weights=False
        )
    with pytest.raises(DesignError, match="fixes scale"):
        ReplicateDesign(
            sample,
            weights="w",
            repweights="^br[0-9]+$",
            type="BRR",
            scale=0.1,
            combined_weights=False,
        )
    with pytest.raises(DesignError, match="rho is used only"):
        make(sample, r_replicate, "JKn", rho=0.5)
    with pytest.raises(DesignError, match="matches 0 column"):
        ReplicateDesign(sample, weights="w", repweights="^nothing", type="JK1")
    holes = sample.copy()
    holes.loc[3, "jk1"] = np.nan
    with pytest.raises(DesignError, match="missing or infinite"):
        ReplicateDesign(
            holes,
            weights="w",
            repweights="^jk[0-9]+$",
            type="JK1",
            scale=0.9,
            combined_weights=False,
        )
    with pytest.raises(DesignError, match="likelihood"):
        make(sample, r_replicate, "JKn").proportion("flag", method="likelihood")
    with pytest.raises(DesignError, match="stratified design"):
        api["strat"].to_replicate("JK1")
    with pytest.raises(DesignError, match="needs a stratified design"):
        api["clus1"].to_replicate("JKn")
    with pytest.raises(DesignError, match="BRR and Fay"):
        api["strat"].to_replicate("BRR")
