"""Comparisons: an estimate against a published benchmark, and estimates against each other.

* :func:`classify_against_benchmark` and :func:`compare_with_benchmark` follow the Fingertips
  (OHID public-health profiles) convention: an estimate is "better" or "worse" than the
  benchmark when the benchmark lies outside its 95% interval (direction by the indicator's
  polarity), "similar" otherwise; whether the benchmark is also outside the 99.8% interval
  is recorded separately. Without a polarity the categories are "higher" / "lower".
* :func:`group_differences` tests differences between groups of one survey design with the
  design-based variance of the difference (the groups share PSUs, so their covariance is
  kept), and :func:`compare_independent` compares two independent estimates.
* :func:`adjust_pvalues` applies Holm (default) or Benjamini-Hochberg across a table.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.design import SurveyDesign, _check_level, _t_quantile

log = logging.getLogger(__name__)

__all__ = [
    "adjust_pvalues",
    "classify_against_benchmark",
    "compare_independent",
    "compare_with_benchmark",
    "group_differences",
]

ADJUST_METHODS = {"holm": "holm", "bh": "fdr_bh", "fdr_bh": "fdr_bh", "none": None}


def classify_against_benchmark(
    lower_95: Any,
    upper_95: Any,
    benchmark: Any,
    polarity: str | None = None,
) -> np.ndarray:
    """Fingertips category of each estimate against its benchmark.

    Parameters
    ----------
    lower_95, upper_95 : array-like
        95% interval limits.
    benchmark : array-like or float
        The published comparator value (same units as the estimate).
    polarity : {"higher", "lower", None}
        "higher": a higher value is better; "lower": a lower value is better; None: no
        judgement, so the categories are "higher" / "lower" / "similar".

    Returns
    -------
    numpy.ndarray of str
        "better", "worse", "similar" (or "higher", "lower", "similar"); "not compared"
        where an interval or the benchmark is missing.

    Examples
    --------
    >>> classify_against_benchmark([0.50, 0.30, 0.35], [0.60, 0.38, 0.49], 0.40, "higher")
    array(['better', 'worse', 'similar'], dtype=object)
    >>> classify_against_benchmark([0.50, 0.30], [0.60, 0.38], 0.40, "lower")
    array(['worse', 'better'], dtype=object)
    >>> classify_against_benchmark([0.50, 0.30], [0.60, 0.38], 0.40, None)
    array(['higher', 'lower'], dtype=object)
    """
    if polarity not in ("higher", "lower", None):
        raise ParameterError(f"polarity must be 'higher', 'lower' or None; got {polarity!r}.")
    lo, hi, bm = np.broadcast_arrays(
        np.atleast_1d(np.asarray(lower_95, float)),
        np.atleast_1d(np.asarray(upper_95, float)),
        np.atleast_1d(np.asarray(benchmark, float)),
    )
    above = lo > bm
    below = hi < bm
    up, down = {
        "higher": ("better", "worse"),
        "lower": ("worse", "better"),
        None: ("higher", "lower"),
    }[polarity]
    out = np.where(above, up, np.where(below, down, "similar")).astype(object)
    out[np.isnan(lo) | np.isnan(hi) | np.isnan(bm)] = "not compared"
    return out


def compare_with_benchmark(
    design: SurveyDesign,
    variable: str,
    benchmark: float | None = None,
    by: str | Sequence[str] | None = None,
    polarity: str | None = "codebook",
    method: str = "logit",
) -> pd.DataFrame:
    """Proportion(s) with 95% and 99.8% intervals, classified against a benchmark.

    Parameters
    ----------
    design : SurveyDesign
    variable : str
        0/1 column or codebook indicator id.
    benchmark : float, optional
        The comparator as a proportion (0-1). Required unless you add it yourself later.
    by : str or list, optional
        Groups (e.g. ``"neighbourhood"``).
    polarity : {"codebook", "higher", "lower", None}
        ``"codebook"`` (default) takes the indicator's polarity from the codebook (None when
        the variable is not a codebook indicator).
    method : str
        Interval method of :meth:`SurveyDesign.proportion`.

    Returns
    -------
    pandas.DataFrame
        The 95% proportion table plus ``lower_ci_998, upper_ci_998, benchmark, polarity,
        outside_95, outside_998, comparison``.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1] * 70 + [0] * 30})
    >>> out = compare_with_benchmark(SurveyDesign(df), "y", benchmark=0.5, polarity="higher")
    >>> out[["estimate", "outside_95", "outside_998", "comparison"]]
       estimate  outside_95  outside_998 comparison
    0       0.7        True         True     better
    """
    if polarity == "codebook":
        try:
            cb = design.codebook
            polarity = cb.indicator(variable).polarity if cb.has_indicator(variable) else None
        except Exception as exc:  # no codebook: no polarity
            log.debug("no codebook polarity for %s: %s", variable, exc)
            polarity = None
    out = design.proportion(variable, by=by, method=method, level=0.95)
    wide = design.proportion(variable, by=by, method=method, level=0.998)
    out["lower_ci_998"] = wide["lower_ci"].to_numpy()
    out["upper_ci_998"] = wide["upper_ci"].to_numpy()
    bm = np.nan if benchmark is None else float(benchmark)
    out["benchmark"] = bm
    out["polarity"] = polarity
    out["outside_95"] = (out["lower_ci"] > bm) | (out["upper_ci"] < bm)
    out["outside_998"] = (out["lower_ci_998"] > bm) | (out["upper_ci_998"] < bm)
    out["comparison"] = classify_against_benchmark(out["lower_ci"], out["upper_ci"], bm, polarity)
    return out


def adjust_pvalues(p_values: Any, method: str = "holm") -> np.ndarray:
    """Adjust a set of p-values for multiple comparisons (statsmodels ``multipletests``).

    ``method``: ``"holm"`` (default, controls the family-wise error), ``"bh"`` (Benjamini-
    Hochberg false discovery rate) or ``"none"``. NaN p-values stay NaN and are not counted.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03]).round(3)
    array([0.03, 0.06, 0.06])
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3)
    array([0.03, 0.04, 0.04])
    """
    if method not in ADJUST_METHODS:
        raise ParameterError(f"adjust must be one of {', '.join(ADJUST_METHODS)}; got {method!r}.")
    p = np.asarray(p_values, dtype=float)
    out = p.copy()
    ok = ~np.isnan(p)
    if ADJUST_METHODS[method] is None or not ok.any():
        return out
    out[ok] = multipletests(p[ok], method=ADJUST_METHODS[method])[1]
    return out


def compare_independent(
    estimate_1: Any,
    se_1: Any,
    estimate_2: Any,
    se_2: Any,
    df: Any = np.inf,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference of two independent estimates (e.g. two neighbourhoods, each its own stratum).

    ``difference = estimate_1 - estimate_2``, ``se = sqrt(se_1^2 + se_2^2)``, two-sided
    p-value from t(df) (normal when ``df`` is infinite).

    Examples
    --------
    >>> compare_independent(0.6, 0.03, 0.5, 0.04).round(4)
       difference    se  statistic  p_value  lower_ci  upper_ci
    0         0.1  0.05        2.0   0.0455     0.002     0.198
    """
    level = _check_level(level)
    e1, s1, e2, s2, d = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, float)) for v in (estimate_1, se_1, estimate_2, se_2, df))
    )
    diff = e1 - e2
    se = np.sqrt(s1**2 + s2**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = diff / se
    p = 2 * np.where(np.isinf(d), stats.norm.sf(np.abs(stat)), stats.t.sf(np.abs(stat), d))
    q = _t_quantile(level, d)
    return pd.DataFrame(
        {
            "difference": diff,
            "se": se,
            "statistic": stat,
            "p_value": p,
            "lower_ci": diff - q * se,
            "upper_ci": diff + q * se,
        }
    )


def group_differences(
    design: SurveyDesign,
    variable: str,
    by: str | Sequence[str],
    pairs: Sequence[tuple] | None = None,
    reference: Any = None,
    kind: str = "proportion",
    level: float = 0.95,
    adjust: str = "holm",
) -> pd.DataFrame:
    """Design-based differences between groups of one survey, with adjusted p-values.

    The difference of two domain estimates has influence values ``z_a - z_b``; its variance
    is linearised over the full design, so PSUs shared by the groups give the covariance.
    df = PSUs minus strata among the rows of the two groups.

    Parameters
    ----------
    design : SurveyDesign
    variable : str
        0/1 column or codebook indicator (``kind="proportion"``), or numeric column
        (``kind="mean"``).
    by : str or list of str
        Grouping columns; a group is named by its value (a tuple for several columns).
    pairs : list of (group, group), optional
        Which differences; default every group against ``reference`` if given, else all pairs.
    reference : optional
        The group every other group is compared with.
    kind : {"proportion", "mean"}
    level : float
    adjust : {"holm", "bh", "none"}
        Multiple-comparison adjustment across the rows of the table.

    Returns
    -------
    pandas.DataFrame
        ``group_1, group_2, estimate_1, estimate_2, difference, se, statistic, df, p_value,
        p_adjusted, adjust, lower_ci, upper_ci, level``.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1, 1, 1, 0, 0, 0, 1, 0], "g": list("aaaabbbb")})
    >>> out = group_differences(SurveyDesign(df), "y", by="g")
    >>> out[["group_1", "group_2", "difference", "df"]]
      group_1 group_2  difference   df
    0       a       b         0.5  7.0
    """
    level = _check_level(level)
    if kind == "proportion":
        y = design._indicator(variable)
    elif kind == "mean":
        y = design._numeric_column(variable, "variable")
    else:
        raise ParameterError(f"kind must be 'proportion' or 'mean'; got {kind!r}.")
    g_all, table = design._groups(by)
    G = len(table)
    names = [tuple(r) if table.shape[1] > 1 else r[0] for r in table.itertuples(index=False)]
    index = {nm: i for i, nm in enumerate(names)}
    inside = (g_all >= 0) & ~np.isnan(y)
    g = np.where(inside, g_all, 0)
    wd = np.where(inside, design.w, 0.0)
    W = np.bincount(g, weights=wd, minlength=G)
    est = np.bincount(g, weights=wd * np.where(inside, y, 0.0), minlength=G) / W
    z = np.where(inside, wd * (np.where(inside, y, 0.0) - est[g]) / W[g], 0.0)
    if pairs is None:
        if reference is not None:
            if reference not in index:
                raise ParameterError(
                    f"reference {reference!r} is not a group of {by!r}: groups are {names}."
                )
            pairs = [(nm, reference) for nm in names if nm != reference]
        else:
            pairs = list(itertools.combinations(names, 2))
    rows = []
    zeros = np.zeros(design.n_rows, dtype=np.int64)
    for a, b in pairs:  # one variance per pair; pairs are few
        for nm in (a, b):
            if nm not in index:
                raise ParameterError(f"{nm!r} is not a group of {by!r}: groups are {names}.")
        ia, ib = index[a], index[b]
        zd = z * (g_all == ia) - z * (g_all == ib)
        var = float(design._variance_groups(zd, zeros, 1)[0])
        df = float(design._domain_df(np.where((g_all == ia) | (g_all == ib), 0, -1), 1)[0])
        rows.append((a, b, est[ia], est[ib], var, df))
    out = pd.DataFrame(
        rows, columns=["group_1", "group_2", "estimate_1", "estimate_2", "var", "df"]
    )
    out["difference"] = out["estimate_1"] - out["estimate_2"]
    out["se"] = np.sqrt(out.pop("var"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["statistic"] = out["difference"] / out["se"]
    out["p_value"] = 2 * stats.t.sf(np.abs(out["statistic"]), out["df"])
    out["p_adjusted"] = adjust_pvalues(out["p_value"], adjust)
    out["adjust"] = adjust
    q = _t_quantile(level, out["df"].to_numpy())
    out["lower_ci"] = out["difference"] - q * out["se"]
    out["upper_ci"] = out["difference"] + q * out["se"]
    out["level"] = level
    return out[
        [
            "group_1",
            "group_2",
            "estimate_1",
            "estimate_2",
            "difference",
            "se",
            "statistic",
            "df",
            "p_value",
            "p_adjusted",
            "adjust",
            "lower_ci",
            "upper_ci",
            "level",
        ]
    ]
