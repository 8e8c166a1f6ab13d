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

Every table is in the library's schema (:mod:`lozells_analysis.stats.schema`): a
difference is the ``estimate`` of its row, and ``method`` says what it is a difference of.
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
from lozells_analysis.stats.schema import tidy

log = logging.getLogger(__name__)

__all__ = [
    "adjust_pvalues",
    "classify_against_benchmark",
    "compare_independent",
    "compare_with_benchmark",
    "compare_with_comparators",
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
    comparison_level: float = 0.95,
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
    comparison_level : {0.95, 0.998}
        Which interval ``comparison`` (better / similar / worse) is judged on: the 95%
        interval (default, as Fingertips' usual marker) or the 99.8% interval (Fingertips'
        stricter one). Both intervals and both ``outside_*`` flags are always returned.

    Returns
    -------
    pandas.DataFrame
        The 95% table of :meth:`SurveyDesign.proportion` (group columns, then ``variable,
        estimate, se, lower_ci, upper_ci, level, method, deff, n, n_eff, df``) plus
        ``lower_ci_998, upper_ci_998, benchmark, polarity, outside_95, outside_998,
        comparison``.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1] * 70 + [0] * 30})
    >>> out = compare_with_benchmark(SurveyDesign(df), "y", benchmark=0.5, polarity="higher")
    >>> out[["estimate", "outside_95", "outside_998", "comparison"]]
       estimate  outside_95  outside_998 comparison
    0       0.7        True         True     better
    >>> strict = compare_with_benchmark(SurveyDesign(df), "y", benchmark=0.58, polarity="higher",
    ...                                 comparison_level=0.998)
    >>> strict[["outside_95", "outside_998", "comparison"]]
       outside_95  outside_998 comparison
    0        True        False    similar
    """
    if comparison_level not in (0.95, 0.998):
        raise ParameterError(f"comparison_level must be 0.95 or 0.998; got {comparison_level!r}.")
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
    lo, hi = ("lower_ci", "upper_ci")
    if comparison_level == 0.998:
        lo, hi = ("lower_ci_998", "upper_ci_998")
    out["comparison"] = classify_against_benchmark(out[lo], out[hi], bm, polarity)
    return out


def compare_with_comparators(
    estimates: pd.DataFrame,
    comparators: pd.DataFrame,
    polarity: dict[str, str | None] | None = None,
) -> pd.DataFrame:
    """Each estimate against each of its published comparators (Fingertips categories).

    Parameters
    ----------
    estimates : DataFrame
        Tidy estimates: ``variable, estimate, lower_ci, upper_ci`` (95% limits) and any other
        columns (kept); a ``suppressed`` column, when present, makes the row "not compared".
    comparators : DataFrame
        ``variable, comparator, comparator_value`` (same scale as the estimate) and any other
        columns (``period``, ``source``... kept). An estimate may have none, one or several.
    polarity : dict, optional
        ``variable -> "higher" | "lower" | None`` (see :func:`classify_against_benchmark`);
        a variable not in it has no polarity (categories "higher" / "lower").

    Returns
    -------
    DataFrame
        One row per estimate and comparator: the estimate's columns, the comparator's, and
        ``polarity, comparison``. Estimates without a comparator are left out.

    Examples
    --------
    >>> est = pd.DataFrame({"variable": ["a", "b"], "estimate": [0.6, 0.3],
    ...                     "lower_ci": [0.55, 0.25], "upper_ci": [0.65, 0.35]})
    >>> comps = pd.DataFrame({"variable": ["a", "a", "b"], "comparator": ["X", "Y", "X"],
    ...                       "comparator_value": [0.5, 0.62, 0.2]})
    >>> out = compare_with_comparators(est, comps, {"a": "higher", "b": "lower"})
    >>> out[["variable", "comparator", "comparison"]]
      variable comparator comparison
    0        a          X     better
    1        a          Y    similar
    2        b          X      worse
    """
    for frame, need, what in (
        (estimates, ("variable", "estimate", "lower_ci", "upper_ci"), "estimates"),
        (comparators, ("variable", "comparator", "comparator_value"), "comparators"),
    ):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise ParameterError(f"{what} lacks column(s) {', '.join(missing)}.")
    polarity = polarity or {}
    out = estimates.merge(comparators, on="variable", how="inner", suffixes=("", "_comparator"))
    pol = out["variable"].map(lambda v: polarity.get(v))
    cats = np.empty(len(out), dtype=object)
    for p in pol.drop_duplicates():
        none = p is None or (isinstance(p, float) and np.isnan(p))
        rows = pol.isna().to_numpy() if none else (pol == p).to_numpy()
        p = None if none else p
        cats[rows] = classify_against_benchmark(
            out.loc[rows, "lower_ci"],
            out.loc[rows, "upper_ci"],
            out.loc[rows, "comparator_value"],
            p,
        )
    if "suppressed" in out.columns:
        cats[out["suppressed"].fillna(False).astype(bool).to_numpy()] = "not compared"
    out["polarity"] = pol.astype(object).where(pol.notna(), None)
    out["comparison"] = cats
    return out.reset_index(drop=True)


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
    variable: str | None = None,
) -> pd.DataFrame:
    """Difference of two independent estimates (e.g. two neighbourhoods, each its own stratum).

    ``estimate = estimate_1 - estimate_2``, ``se = sqrt(se_1^2 + se_2^2)``, two-sided
    p-value from t(df) (normal when ``df`` is infinite). A published figure without a
    standard error gives NaN ``se`` (and so no interval or p-value).

    Parameters
    ----------
    estimate_1, se_1, estimate_2, se_2 : array-like
        The two estimates and their standard errors (broadcast against each other).
    df : array-like
        Degrees of freedom of the t reference (``numpy.inf``: normal).
    level : float
        Confidence level of the interval.
    variable : str, optional
        What the estimates are of, for the ``variable`` column.

    Returns
    -------
    pandas.DataFrame
        ``variable, estimate, se, lower_ci, upper_ci, level, method, n, df, estimate_1,
        estimate_2, statistic, p_value``; ``method`` is ``"difference of independent
        estimates (Wald)"``, ``n`` is NaN (the inputs carry no counts).

    Examples
    --------
    >>> out = compare_independent(0.6, 0.03, 0.5, 0.04)
    >>> out[["estimate", "se", "lower_ci", "upper_ci", "statistic", "p_value"]].round(4)
       estimate    se  lower_ci  upper_ci  statistic  p_value
    0       0.1  0.05     0.002     0.198        2.0   0.0455
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
    return tidy(
        pd.DataFrame(
            {
                "variable": variable,
                "estimate": diff,
                "se": se,
                "lower_ci": diff - q * se,
                "upper_ci": diff + q * se,
                "level": level,
                "method": "difference of independent estimates (Wald)",
                "n": np.nan,
                "df": d,
                "estimate_1": e1,
                "estimate_2": e2,
                "statistic": stat,
                "p_value": p,
            }
        )
    )


#: The columns of a :func:`group_differences` table, in order.
_DIFFERENCE_COLUMNS = [
    "variable",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "level",
    "method",
    "n",
    "df",
    "group_1",
    "group_2",
    "estimate_1",
    "estimate_2",
    "statistic",
    "p_value",
    "p_adjusted",
    "adjust",
]


def _group_values(design: SurveyDesign, variable: str, kind: str) -> np.ndarray:
    """The values compared: the 0/1 indicator (``kind="proportion"``) or the numeric column."""
    if kind == "proportion":
        return design.values(variable, "proportion")
    if kind == "mean":
        return design.values(variable, "mean")
    raise ParameterError(f"kind must be 'proportion' or 'mean'; got {kind!r}.")


def _group_names(table: pd.DataFrame) -> list:
    """Each group's name: its value, or the tuple of its values when grouped by several columns."""
    return [tuple(r) if table.shape[1] > 1 else r[0] for r in table.itertuples(index=False)]


def _domain_estimates(
    design: SurveyDesign, y: np.ndarray, g_all: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's weighted estimate, each row's influence value, and each group's answers."""
    inside = (g_all >= 0) & ~np.isnan(y)
    g = np.where(inside, g_all, 0)
    wd = np.where(inside, design.w, 0.0)
    W = np.bincount(g, weights=wd, minlength=n_groups)
    est = np.bincount(g, weights=wd * np.where(inside, y, 0.0), minlength=n_groups) / W
    z = np.where(inside, wd * (np.where(inside, y, 0.0) - est[g]) / W[g], 0.0)
    answered = np.bincount(g, weights=inside, minlength=n_groups)
    return est, z, answered


def _resolve_pairs(
    pairs: Sequence[tuple] | None,
    reference: Any,
    names: list,
    index: dict,
    by: str | Sequence[str],
) -> Sequence[tuple]:
    """The pairs to compare: as given, else each group against ``reference``, else all pairs."""
    if pairs is not None:
        return pairs
    if reference is not None:
        if reference not in index:
            raise ParameterError(
                f"reference {reference!r} is not a group of {by!r}: groups are {names}."
            )
        return [(nm, reference) for nm in names if nm != reference]
    return list(itertools.combinations(names, 2))


def _pair_rows(
    design: SurveyDesign,
    g_all: np.ndarray,
    est: np.ndarray,
    z: np.ndarray,
    pairs: Sequence[tuple],
    names: list,
    index: dict,
    by: str | Sequence[str],
) -> list[tuple]:
    """Each pair's groups, their estimates, and the design-based variance and df of the gap."""
    rows = []
    zeros = np.zeros(design.n_rows, dtype=np.int64)
    for a, b in pairs:  # one variance per pair; pairs are few
        for nm in (a, b):
            if nm not in index:
                raise ParameterError(f"{nm!r} is not a group of {by!r}: groups are {names}.")
        ia, ib = index[a], index[b]
        zd = z * (g_all == ia) - z * (g_all == ib)
        var = float(design.variance_by_group(zd, zeros, 1)[0])
        df = float(design.domain_df(np.where((g_all == ia) | (g_all == ib), 0, -1), 1)[0])
        rows.append((a, b, est[ia], est[ib], var, df))
    return rows


def _difference_table(
    rows: list[tuple], variable: str, kind: str, level: float, adjust: str, n: np.ndarray
) -> pd.DataFrame:
    """The pairs' differences with t intervals and raw and adjusted p-values, in the schema."""
    out = pd.DataFrame(
        rows, columns=["group_1", "group_2", "estimate_1", "estimate_2", "var", "df"]
    )
    out["variable"] = variable
    out["estimate"] = out["estimate_1"] - out["estimate_2"]
    out["se"] = np.sqrt(out.pop("var"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["statistic"] = out["estimate"] / out["se"]
    out["p_value"] = 2 * stats.t.sf(np.abs(out["statistic"]), out["df"])
    out["p_adjusted"] = adjust_pvalues(out["p_value"], adjust)
    out["adjust"] = adjust
    q = _t_quantile(level, out["df"].to_numpy())
    out["lower_ci"] = out["estimate"] - q * out["se"]
    out["upper_ci"] = out["estimate"] + q * out["se"]
    out["level"] = level
    out["method"] = f"difference of {kind}s (design-based, Taylor)"
    out["n"] = n
    return tidy(out[_DIFFERENCE_COLUMNS])


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
        One row per pair: ``variable, estimate, se, lower_ci, upper_ci, level, method, n,
        df, group_1, group_2, estimate_1, estimate_2, statistic, p_value, p_adjusted,
        adjust``. ``estimate`` is ``estimate_1 - estimate_2``; ``method`` is ``"difference
        of proportions (design-based, Taylor)"`` (or ``"... of means ..."``); ``n`` is the
        number of respondents in the two groups who answered.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1, 1, 1, 0, 0, 0, 1, 0], "g": list("aaaabbbb")})
    >>> out = group_differences(SurveyDesign(df), "y", by="g")
    >>> out[["group_1", "group_2", "estimate", "n", "df"]]
      group_1 group_2  estimate  n   df
    0       a       b       0.5  8  7.0
    """
    level = _check_level(level)
    y = _group_values(design, variable, kind)
    g_all, table = design.groups(by)
    names = _group_names(table)
    index = {nm: i for i, nm in enumerate(names)}
    est, z, answered = _domain_estimates(design, y, g_all, len(table))
    pairs = _resolve_pairs(pairs, reference, names, index, by)
    rows = _pair_rows(design, g_all, est, z, pairs, names, index, by)
    n = np.array([int(answered[index[a]] + answered[index[b]]) for a, b in pairs], dtype="int64")
    return _difference_table(rows, variable, kind, level, adjust, n)
