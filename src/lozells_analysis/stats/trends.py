"""Change over the survey's waves.

* :func:`linear_trend` — design-based logistic regression of an indicator on wave (as a
  number): the slope is the change in log-odds per wave, tested with t(df) (``svyglm``).
* :func:`wave_change` — each wave against the one before, with the design-based interval
  of the difference (waves share PSUs, so the covariance is kept).
* :func:`fingertips_trend` — the Fingertips recent-trend marker: chi-squared test for trend
  in proportions over the latest five points, significant at 99.8%.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.compare import group_differences
from lozells_analysis.stats.design import SurveyDesign

log = logging.getLogger(__name__)

__all__ = ["fingertips_trend", "linear_trend", "wave_change"]


def linear_trend(
    design: SurveyDesign,
    variable: str,
    wave: str = "wave",
    by: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Design-based logistic test for a linear trend over waves.

    Fits ``variable ~ wave`` (wave as a number) with :meth:`SurveyDesign.glm`, in each
    group of ``by`` as a domain of the full design.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``slope`` (log-odds per wave), ``se``, ``odds_ratio`` per wave
        with ``lower_ci``/``upper_ci`` (odds-ratio scale), ``p_value``, ``df``, ``n``,
        ``direction`` ("increasing", "decreasing" or "no significant trend" at 1 - level).

    Examples
    --------
    >>> df = pd.DataFrame({"wave": np.repeat([1, 2, 3, 4], 50),
    ...                    "y": np.r_[[1] * 10 + [0] * 40, [1] * 20 + [0] * 30,
    ...                               [1] * 30 + [0] * 20, [1] * 40 + [0] * 10]})
    >>> linear_trend(SurveyDesign(df), "y")[["direction", "df", "n"]]
        direction   df    n
    0  increasing  198  200
    """
    data = design.data
    if wave not in data.columns:
        raise ParameterError(f"wave column {wave!r} is not in the data.")
    groups: list[tuple[Any, np.ndarray | None]]
    if by is None:
        groups = [(None, None)]
    else:
        keys = data[by]
        groups = [(k, (keys == k).to_numpy()) for k in pd.unique(keys.dropna())]
        groups.sort(key=lambda kv: kv[0])
    rows = []
    formula = f"{variable} ~ {wave}"
    for key, mask in groups:  # one model per group: a handful of neighbourhoods
        fit = design.glm(formula, family="binomial", level=level, subset=mask)
        term = fit.iloc[1]
        rows.append(
            {
                **({by: key} if by is not None else {}),
                "variable": variable,
                "slope": term["estimate"],
                "se": term["se"],
                "odds_ratio": np.exp(term["estimate"]),
                "lower_ci": np.exp(term["lower_ci"]),
                "upper_ci": np.exp(term["upper_ci"]),
                "p_value": term["p_value"],
                "df": term["df"],
                "n": fit.attrs["model"].n,
                "level": level,
            }
        )
    out = pd.DataFrame(rows)
    sig = out["p_value"] < 1 - level
    out["direction"] = np.where(
        sig & (out["slope"] > 0),
        "increasing",
        np.where(sig & (out["slope"] < 0), "decreasing", "no significant trend"),
    )
    return out


def wave_change(
    design: SurveyDesign,
    variable: str,
    wave: str = "wave",
    kind: str = "proportion",
    level: float = 0.95,
    adjust: str = "none",
) -> pd.DataFrame:
    """Wave-on-wave change: each wave minus the previous one, with its design-based interval.

    Returns the table of :func:`~lozells_analysis.stats.compare.group_differences` with
    ``group_1`` the later wave and ``group_2`` the earlier one.

    Examples
    --------
    >>> df = pd.DataFrame({"wave": [1] * 4 + [2] * 4 + [3] * 4,
    ...                    "y": [0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0]})
    >>> wave_change(SurveyDesign(df), "y")[["group_1", "group_2", "difference"]]
       group_1  group_2  difference
    0        2        1        0.25
    1        3        2        0.25
    """
    waves = sorted(pd.unique(design.data[wave].dropna()))
    pairs = list(zip(waves[1:], waves[:-1], strict=True))
    return group_differences(
        design, variable, by=wave, pairs=pairs, kind=kind, level=level, adjust=adjust
    )


def fingertips_trend(
    x: Sequence[float],
    n: Sequence[float],
    periods: Sequence[Any] | None = None,
    polarity: str | None = None,
    points: int = 5,
    level: float = 0.998,
) -> dict:
    """Fingertips recent-trend marker: chi-squared test for trend over the latest points.

    Uses the latest ``points`` periods (5, as Fingertips). With ``t`` the period number,
    ``p = sum(x) / sum(n)``: ``X^2 = [sum x_i (t_i - tbar)]^2 / (p (1 - p) sum n_i (t_i -
    tbar)^2)`` with ``tbar = sum n_i t_i / sum n_i``, on 1 df. Significant when
    ``p_value < 1 - level`` (99.8% by default). For a weighted survey pass ``x = estimate *
    n_eff`` and ``n = n_eff``.

    Returns
    -------
    dict
        ``statistic, p_value, direction`` ("increasing", "decreasing", "no significant
        change" or "cannot be calculated" with fewer than ``points`` periods), ``marker``
        (direction plus "and getting better"/"and getting worse" when ``polarity`` is
        given), ``periods`` used.

    Examples
    --------
    >>> r = fingertips_trend([10, 15, 20, 25, 30], [100] * 5, polarity="higher")
    >>> round(r["statistic"], 3), r["marker"]
    (15.625, 'increasing and getting better')
    """
    xs = np.asarray(x, dtype=float)
    ns = np.asarray(n, dtype=float)
    if xs.shape != ns.shape:
        raise ParameterError("x and n must have one value per period.")
    labels = list(periods) if periods is not None else list(range(1, len(xs) + 1))
    if len(xs) < points:
        return {
            "statistic": np.nan,
            "p_value": np.nan,
            "direction": "cannot be calculated",
            "marker": "cannot be calculated",
            "periods": labels,
        }
    xs, ns, labels = xs[-points:], ns[-points:], labels[-points:]
    t = np.arange(1, points + 1, dtype=float)
    p = xs.sum() / ns.sum()
    tbar = (ns * t).sum() / ns.sum()
    num = ((xs - ns * p) * (t - tbar)).sum()  # = sum x_i (t_i - tbar)
    den = p * (1 - p) * (ns * (t - tbar) ** 2).sum()
    stat = num**2 / den if den > 0 else np.nan
    pval = float(stats.chi2.sf(stat, 1)) if np.isfinite(stat) else np.nan
    if np.isfinite(pval) and pval < 1 - level:
        direction = "increasing" if num > 0 else "decreasing"
    elif np.isfinite(pval):
        direction = "no significant change"
    else:
        direction = "cannot be calculated"
    marker = direction
    if polarity in ("higher", "lower") and direction in ("increasing", "decreasing"):
        good = (direction == "increasing") == (polarity == "higher")
        marker = f"{direction} and getting {'better' if good else 'worse'}"
    return {
        "statistic": float(stat),
        "p_value": pval,
        "direction": direction,
        "marker": marker,
        "periods": labels,
    }
