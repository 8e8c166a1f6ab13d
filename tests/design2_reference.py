"""The designs of ``tests/reference/r_survey/r_design2.json``, built as R built them.

``r_design2.R`` says how each was made; the keys here are the JSON's. Every design names its
variables as R's script did (``VARS``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lozells_analysis.stats.design import SurveyDesign

Loader = Callable[[str], pd.DataFrame]

R_SURVEY = Path(__file__).resolve().parent / "reference" / "r_survey"


def load_exact(name: str) -> pd.DataFrame:
    """A CSV of ``tests/reference/r_survey``: the same doubles R's ``read.csv`` gives.

    ``r_design2.R`` computes on the files it wrote, read back (15 significant digits), not
    on the data in memory: a weighted quantile at an exact tie depends on the last bit.
    """
    path = R_SURVEY / name
    if not path.is_file():
        pytest.fail(
            f"reference file missing: tests/reference/r_survey/{name} "
            "(tests/reference/README.md says how to regenerate it)",
            pytrace=False,
        )
    return pd.read_csv(path)  # pandas >= 3 parses floats exactly (correctly rounded)


#: Variables of each data set: outcome, 0/1 outcome, ratio denominator, group, the two
#: columns of the test of association, the t-test's group.
VARS = {
    "twostage": {"y": "y", "b": "b", "x": "x", "by": "grp", "row": "region", "col": "cat",
                 "tgroup": "region"},
    "apiclus2": {"y": "api00", "b": "sw", "x": "api99", "by": "stype", "row": "stype",
                 "col": "awards", "tgroup": "awards"},
    "clus1": {"y": "api00", "b": "sw", "x": "api99", "by": "stype", "row": "stype",
              "col": "awards", "tgroup": "awards"},
    "strat": {"y": "api00", "b": "sw", "x": "api99", "by": "stype", "row": "stype",
              "col": "awards", "tgroup": "awards"},
    "nhanes": {"y": "HI_CHOL", "b": "HI_CHOL", "x": "RIAGENDR", "by": "race", "row": "race",
               "col": "agecat", "tgroup": "RIAGENDR"},
}  # fmt: skip


def two_stage_designs(load: Loader = load_exact) -> dict[tuple[str, str], SurveyDesign]:
    """``r_design2.json``'s ``twostage`` and ``apiclus2`` designs, keyed (data, design)."""
    ts, a2 = load("twostage.csv"), load("apiclus2.csv")
    two = {"strata": "stratum", "cluster": ["psu", "ssu"]}
    api = {"cluster": ["dnum", "snum"]}
    return {
        ("twostage", "pop"): SurveyDesign(ts, fpc=["N1", "N2"], **two),
        ("twostage", "frac"): SurveyDesign(ts, fpc=["f1", "f2"], **two),
        ("twostage", "weighted"): SurveyDesign(ts, weights="w", fpc=["N1", "N2"], **two),
        ("twostage", "ultimate"): SurveyDesign(ts, weights="w", **two),
        ("apiclus2", "pop"): SurveyDesign(a2, fpc=["fpc1", "fpc2"], **api),
        ("apiclus2", "frac"): SurveyDesign(a2, fpc=["f1", "f2"], **api),
        ("apiclus2", "weighted"): SurveyDesign(a2, weights="pw", fpc=["fpc1", "fpc2"], **api),
        ("apiclus2", "ultimate"): SurveyDesign(a2, weights="pw", **api),
    }


def one_stage_designs(load: Loader = load_exact) -> dict[str, SurveyDesign]:
    """``r_design2.json``'s ``onestage`` designs (the data of ``r_ref.R``)."""
    c1, st, nh = load("apiclus1.csv"), load("apistrat.csv"), load("nhanes.csv")
    return {
        "clus1": SurveyDesign(c1, weights="pw", cluster="dnum", fpc="fpc"),
        "strat": SurveyDesign(st, weights="pw", strata="stype", fpc="fpc"),
        "nhanes": SurveyDesign(nh, weights="WTMEC2YR", strata="SDMVSTRA", cluster="SDMVPSU"),
    }


#: The three designs of ``lonely.csv`` (``r_design2.json``'s ``lonely``).
LONELY_DESIGNS = {
    "nofpc": {"weights": "w", "strata": "stratum", "cluster": "psu"},
    "fpc": {"weights": "w", "strata": "stratum", "cluster": "psu", "fpc": "N1"},
    "twostage": {"weights": "w", "strata": "stratum", "cluster": ["psu", "ssu"],
                 "fpc": ["N1", "N2"]},
}  # fmt: skip


def r_array(values: object) -> np.ndarray:
    """An R vector from the JSON as floats (null -> NaN; a scalar -> length 1)."""
    return np.atleast_1d(np.asarray(values, dtype=float))
