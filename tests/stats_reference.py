"""A loop-based Taylor variance, written straight from the textbook, for the statistics tests.

The R reference answers are fixtures in ``conftest.py`` (``r_ref``, ``reference_dataset``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
