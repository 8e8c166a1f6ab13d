"""Shared helpers for the statistics tests: the R reference and a loop-based variance.

The R reference lives beside the repository in ``shared/reference/r_survey/``; if it is
missing the tests fail (they must never silently skip the proof against R).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

REF_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "r_survey"


def ref_dir() -> Path:
    if not (REF_DIR / "r_ref.json").is_file():
        raise FileNotFoundError(
            f"The R reference is missing: expected {REF_DIR}/r_ref.json. Clone 'shared' beside "
            "the repository (see shared/reference/r_survey/README.md); these tests must not skip."
        )
    return REF_DIR


@cache
def r_ref() -> dict:
    return json.loads((ref_dir() / "r_ref.json").read_text())


@cache
def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(ref_dir() / name)


def dataset(name: str) -> pd.DataFrame:
    return _csv(name).copy()


def naive_variance(
    y: np.ndarray,
    w: np.ndarray,
    strata: np.ndarray,
    psu: np.ndarray,
    domain: np.ndarray,
    pop: dict | None = None,
    lonely: str = "fail",
) -> tuple[float, float]:
    """Domain mean and its Taylor variance, written as loops straight from the textbook.

    ``pop`` maps stratum -> population number of PSUs (fpc); ``lonely='adjust'`` centres a
    single-PSU stratum at zero (the grand mean of the PSU totals of influence values).
    """
    d = domain & ~np.isnan(y)
    W = w[d].sum()
    mean = (w[d] * y[d]).sum() / W
    total = 0.0
    for h in pd.unique(strata):
        in_h = strata == h
        psus = pd.unique(psu[in_h])
        n_h = len(psus)
        totals = []
        for c in psus:
            rows = in_h & (psu == c) & d
            totals.append(float((w[rows] * (y[rows] - mean)).sum() / W))
        totals = np.array(totals)
        f = 1.0 if pop is None else (pop[h] - n_h) / pop[h]
        if n_h == 1:
            if lonely == "adjust":
                total += f * totals[0] ** 2
            continue
        total += f * n_h / (n_h - 1) * ((totals - totals.mean()) ** 2).sum()
    return mean, total
