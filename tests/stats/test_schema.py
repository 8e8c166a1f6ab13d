"""Every estimating function returns the one tidy schema, and takes ``by=`` as a name or a list.

The schema: the group columns first, then ``variable, estimate, se, lower_ci, upper_ci, level,
method, n, df`` (in that order; a function may put its own columns between them, as
``SurveyDesign.proportion`` puts ``deff``), then what the function adds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.stats import schema
from lozells_analysis.stats.compare import (
    compare_independent,
    compare_with_benchmark,
    group_differences,
)
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.qualitative import code_frequencies
from lozells_analysis.stats.scales import cronbach_alpha
from lozells_analysis.stats.trends import linear_trend, wave_change

SCHEMA = ["variable", "estimate", "se", "lower_ci", "upper_ci", "level", "method", "n", "df"]


def assert_schema(frame: pd.DataFrame, groups: list[str] | tuple[str, ...] = ()) -> None:
    """Group columns first, then ``variable``, then the rest of the schema in order."""
    cols = list(frame.columns)
    groups = list(groups)
    assert cols[: len(groups)] == groups, cols
    rest = cols[len(groups) :]
    assert rest[:1] == ["variable"], cols
    missing = [c for c in SCHEMA if c not in rest]
    assert not missing, f"schema columns missing: {missing} in {cols}"
    positions = [rest.index(c) for c in SCHEMA]
    assert positions == sorted(positions), f"schema columns out of order: {cols}"
    assert len(frame) > 0
    assert frame["level"].between(0, 1, inclusive="neither").all()
    assert frame["method"].map(lambda m: isinstance(m, str) and m != "").all()
    # the interval is on the scale of the estimate
    ok = frame[["estimate", "lower_ci", "upper_ci"]].notna().all(axis=1)
    assert (frame.loc[ok, "lower_ci"] <= frame.loc[ok, "estimate"] + 1e-12).all()
    assert (frame.loc[ok, "estimate"] <= frame.loc[ok, "upper_ci"] + 1e-12).all()


def test_the_schema_constant_is_the_documented_one():
    assert list(schema.SCHEMA_COLUMNS) == SCHEMA


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 480
    df = pd.DataFrame(
        {
            "wave": np.tile([1, 2, 3], n // 3),
            "g": rng.choice(["a", "b"], n),
            "h": rng.choice(["u", "v"], n),
            "s": rng.integers(0, 4, n),
            "w": rng.uniform(0.5, 2.0, n),
            "x": rng.normal(size=n),
        }
    )
    df["y"] = (rng.uniform(size=n) < 0.25 + 0.1 * df["wave"] + 0.05 * df["x"]).astype(float)
    df.loc[::37, "y"] = np.nan  # some did not answer
    for item in ("i1", "i2", "i3"):
        df[item] = df["x"] + rng.normal(scale=0.8, size=n)
    return df


@pytest.fixture(scope="module")
def design(survey: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(survey, weights="w", strata="s")


BYS = [None, "g", ["g", "h"]]


def _groups(by: str | list[str] | None) -> list[str]:
    return [] if by is None else [by] if isinstance(by, str) else list(by)


# --- the design ----------------------------------------------------------------------------------
@pytest.mark.parametrize("by", BYS)
def test_design_proportion_and_mean(design, by):
    assert_schema(design.proportion("y", by=by), _groups(by))
    assert_schema(design.mean("x", by=by), _groups(by))


def test_design_glm(design):
    out = design.glm("y ~ x", family="binomial")
    assert_schema(out)
    assert list(out["variable"]) == ["Intercept", "x"]


# --- comparisons ---------------------------------------------------------------------------------
@pytest.mark.parametrize("by", BYS)
def test_compare_with_benchmark(design, by):
    out = compare_with_benchmark(design, "y", benchmark=0.4, by=by, polarity="higher")
    assert_schema(out, _groups(by))
    assert {"benchmark", "comparison", "outside_95", "outside_998"} <= set(out.columns)


def test_compare_independent():
    out = compare_independent([0.6, 0.5], [0.03, np.nan], 0.5, 0.04, variable="y")
    assert_schema(out)
    assert out["estimate"].tolist() == pytest.approx([0.1, 0.0])
    assert out["variable"].tolist() == ["y", "y"]
    # a published comparator has no standard error: the difference has none either
    assert np.isnan(out.loc[1, "se"]) and np.isnan(out.loc[1, "lower_ci"])
    assert out["n"].isna().all()
    assert "difference" in out.loc[0, "method"]


@pytest.mark.parametrize("by", ["g", ["g"], ["g", "h"]])
def test_group_differences(design, survey, by):
    out = group_differences(design, "y", by=by)
    assert_schema(out)
    assert {"group_1", "group_2", "estimate_1", "estimate_2", "p_value", "p_adjusted"} <= set(
        out.columns
    )
    np.testing.assert_allclose(out["estimate"], out["estimate_1"] - out["estimate_2"])
    assert (out["method"] == "difference of proportions (design-based, Taylor)").all()
    assert (out["variable"] == "y").all()
    # n: respondents of the two groups who answered
    keys = _groups(by)
    answered = survey[survey["y"].notna()].groupby(keys).size()
    first = out.iloc[0]
    g1 = first["group_1"] if isinstance(first["group_1"], tuple) else (first["group_1"],)
    g2 = first["group_2"] if isinstance(first["group_2"], tuple) else (first["group_2"],)
    size = {k if isinstance(k, tuple) else (k,): v for k, v in answered.items()}
    assert first["n"] == size[g1] + size[g2]


def test_group_differences_of_means_say_so(design):
    out = group_differences(design, "x", by="g", kind="mean")
    assert_schema(out)
    assert (out["method"] == "difference of means (design-based, Taylor)").all()


def test_by_as_a_name_or_a_one_element_list_is_the_same(design):
    a = group_differences(design, "y", by="g")
    b = group_differences(design, "y", by=["g"])
    pd.testing.assert_frame_equal(a, b)


# --- trends --------------------------------------------------------------------------------------
@pytest.mark.parametrize("by", BYS)
def test_linear_trend(design, by):
    out = linear_trend(design, "y", by=by)
    assert_schema(out, _groups(by))
    assert (out["method"] == "svyglm logistic trend").all()
    np.testing.assert_allclose(out["odds_ratio"], np.exp(out["estimate"]))
    np.testing.assert_allclose(out["odds_ratio_lower_ci"], np.exp(out["lower_ci"]))
    np.testing.assert_allclose(out["odds_ratio_upper_ci"], np.exp(out["upper_ci"]))
    assert set(out["direction"]) <= {"increasing", "decreasing", "no significant trend"}


def test_linear_trend_by_list_matches_one_fit_per_group(design, survey):
    out = linear_trend(design, "y", by=["g", "h"]).set_index(["g", "h"])
    assert len(out) == 4
    mask = ((survey["g"] == "b") & (survey["h"] == "u")).to_numpy()
    fit = design.glm("y ~ wave", subset=mask)
    assert out.loc[("b", "u"), "estimate"] == pytest.approx(fit["estimate"].iloc[1])
    assert out.loc[("b", "u"), "n"] == fit.attrs["model"].n
    single = linear_trend(design, "y", by="g")
    pd.testing.assert_frame_equal(single, linear_trend(design, "y", by=["g"]))


def test_wave_change(design):
    out = wave_change(design, "y")
    assert_schema(out)
    assert list(out["group_1"]) == [2, 3] and list(out["group_2"]) == [1, 2]


# --- scales --------------------------------------------------------------------------------------
@pytest.mark.parametrize("weights", [None, "w"])
def test_cronbach_alpha(survey, weights):
    out = cronbach_alpha(survey, ["i1", "i2", "i3"], weights=weights, variable="scale")
    assert_schema(out)
    assert out.loc[0, "variable"] == "scale"
    weighted = "weighted" if weights else "unweighted"
    assert out.loc[0, "method"] == f"Cronbach's alpha ({weighted})"
    assert np.isnan(out.loc[0, "se"])
    assert cronbach_alpha(survey, ["i1", "i2"]).loc[0, "variable"] == "i1+i2"


# --- qualitative ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def excerpts() -> pd.DataFrame:
    codes = ["trust;waiting_times", "trust", "gp_appointment", "waiting_times", "trust"] * 4
    return pd.DataFrame(
        {
            "excerpt_id": [f"e{i}" for i in range(len(codes))],
            "codes": codes,
            "ward": ["Lozells", "Aston"] * (len(codes) // 2),
            "group": ["carers"] * 10 + ["young people"] * 10,
        }
    )


@pytest.mark.parametrize("by", [None, "ward", ["ward", "group"]])
def test_code_frequencies(excerpts, by):
    out = code_frequencies(excerpts, by=by)
    assert_schema(out, _groups(by))
    shown = out["estimate"].dropna()
    assert shown.between(0, 1).all()  # proportions, never percentages
    assert "percent" not in out.columns
    assert (out["estimate"] * out["n"]).round(9).tolist() == (
        out["n_excerpts"].astype(float).round(9).tolist()
    )


def test_code_frequencies_by_list(excerpts):
    out = code_frequencies(excerpts, by=["ward", "group"])
    row = out[
        (out["ward"] == "Lozells") & (out["group"] == "carers") & (out["variable"] == "trust")
    ].iloc[0]
    sub = excerpts[(excerpts["ward"] == "Lozells") & (excerpts["group"] == "carers")]
    hand = sub["codes"].str.split(";").map(lambda c: "trust" in c).sum()
    assert row["n"] == len(sub)
    assert row["n_excerpts"] == hand
    assert row["estimate"] == pytest.approx(hand / len(sub))
    pd.testing.assert_frame_equal(
        code_frequencies(excerpts, by="ward"), code_frequencies(excerpts, by=["ward"])
    )


def test_a_by_that_is_not_a_name_is_refused():
    from lozells_analysis.exceptions import ParameterError

    with pytest.raises(ParameterError, match="by must be"):
        schema.by_columns(3)  # type: ignore[arg-type]
