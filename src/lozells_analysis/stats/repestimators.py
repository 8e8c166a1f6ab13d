"""Estimators of a replicate-weight design, as functions of the design.

:class:`~lozells_analysis.stats.replicate.ReplicateDesign` keeps its public methods thin and
calls these: :func:`replicate_domain_means` (means and proportions of every group with their
replicate variance), :func:`replicate_total`, :func:`replicate_ratio`,
:func:`replicate_quantile` (Woodruff intervals, R's ``svyquantile`` defaults) and
:func:`replicate_glm`, plus :func:`glm_table` (the coefficient table shared with calibrated
designs). Each estimate is recomputed with every replicate's weights and R's ``svrVar``
(:func:`~lozells_analysis.stats.repweights.replicate_variance`) turns the spread into a
variance. The functions take a :class:`RepDesign` (the protocol the class satisfies) so this
module does not import the class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError
from lozells_analysis.stats.columns import numeric_column
from lozells_analysis.stats.domain import (
    DomainEstimates,
    answered,
    estimate_frame,
    schema_frame,
)
from lozells_analysis.stats.intervals import (
    expit,
    interval_method,
    mean_columns,
    t_quantile,
    with_boundary_fallback,
)
from lozells_analysis.stats.repweights import (
    RepWeights,
    qrule_math,
    replicate_variance,
)
from lozells_analysis.stats.totals import wald_columns

__all__ = [
    "TOTAL_COLUMNS",
    "RepDesign",
    "replicate_domain_means",
    "replicate_mean",
    "replicate_proportion",
    "replicate_quantile",
    "replicate_ratio",
    "replicate_total",
]

#: Columns of a total, ratio or quantile table after the group columns (quantiles add
#: ``quantile``, ratios ``denominator``).
TOTAL_COLUMNS = [
    "variable",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "level",
    "method",
    "n",
    "df",
]


class RepDesign(Protocol):
    """What these estimators need of a replicate design (``ReplicateDesign`` provides it)."""

    data: pd.DataFrame
    w: np.ndarray
    n_rows: int
    rw: RepWeights
    scale: float
    rscales: np.ndarray
    mse: bool

    @property
    def degf(self) -> int:
        """Degrees of freedom of the whole design."""
        ...

    def groups(self, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
        """Group of each row and the table of groups."""
        ...

    def domain_df(self, g: np.ndarray, n_groups: int) -> np.ndarray:
        """Degrees of freedom of each group."""
        ...


def _variance(design: RepDesign, thetas: np.ndarray, coef: np.ndarray) -> np.ndarray:
    return replicate_variance(thetas, coef, design.scale, design.rscales, design.mse)


def _df(design: RepDesign, g: np.ndarray, G: int, df: float | None) -> np.ndarray:
    """Degrees of freedom of each group (the design's when every row is in the one group)."""
    if df is not None:
        return np.full(G, float(df))
    if G == 1 and (g == 0).all():
        return np.array([float(design.degf)])
    return design.domain_df(g, G)


def _domain(
    design: RepDesign, by: str | Sequence[str] | None, *values: np.ndarray
) -> tuple[pd.DataFrame, int, np.ndarray, np.ndarray, np.ndarray]:
    """Table of groups, G, each row's group, its group if every value is present (else -1),
    and whether it is."""
    g_all, table = design.groups(by)
    inside = answered(g_all, *values)
    return table, len(table), g_all, np.where(inside, g_all, -1), inside


def replicate_domain_means(
    design: RepDesign, y: np.ndarray, by: str | Sequence[str] | None, deff: str, df: Any
) -> tuple[DomainEstimates, np.ndarray]:
    """Weighted means of every group, their replicate variance, and the replicate means.

    Parameters
    ----------
    design : RepDesign
        The replicate design.
    y : numpy.ndarray
        Each row's value (NaN: not answered).
    by : str, list of str or None
        Grouping column(s).
    deff : {"replace", "true"}
        Design-effect reference.
    df : float or None
        Degrees of freedom instead of each group's.

    Returns
    -------
    estimates : DomainEstimates
    thetas : numpy.ndarray
        Replicate means, R x G (NaN where a replicate leaves a group empty).

    Examples
    --------
    >>> from lozells_analysis.stats.replicate import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [1.0, 1, 2, 2], "r1": [0.0, 2, 1, 1],
    ...                    "r2": [2.0, 0, 1, 1], "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
    >>> st, thetas = replicate_domain_means(d, df["y"].to_numpy(), None, "replace", None)
    >>> float(st.est[0]), thetas.shape
    (3.0, (4, 1))
    """
    table, G, g_all, g_in, inside = _domain(design, by, y)
    yd = np.where(inside, y, 0.0)
    w = design.w
    n = np.bincount(g_in[inside], minlength=G).astype(float)
    W = np.bincount(g_in[inside], weights=w[inside], minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.bincount(g_in[inside], weights=(w * yd)[inside], minlength=G) / W
        thetas = design.rw.sums(yd, g_in, G) / design.rw.sums(np.ones(design.n_rows), g_in, G)
    var = np.where(n > 0, _variance(design, thetas, est), np.nan)
    g0 = np.where(inside, g_all, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = np.where(inside, yd - est[g0], 0.0)
        s2 = np.bincount(g0, weights=w * resid * resid, minlength=G) / W * n / (n - 1)
        vsrs = s2 / n if deff == "replace" else np.where(W >= n, s2 * (W - n) / (W * n), np.nan)
    design_df = _df(design, g_all, G, None)
    st = DomainEstimates(
        table=table,
        est=est,
        var=var,
        n=n,
        deff=var / vsrs,
        df=design_df if df is None else np.full(G, float(df)),
        design_df=design_df,
        n_rows=np.bincount(g_all[g_all >= 0], minlength=G).astype(float),
        W=W,
        y=y,
        w=w,
        g=g0,
        inside=inside,
        g_all=g_all,
        G=G,
    )
    return st, thetas


def replicate_mean(
    design: RepDesign,
    y: np.ndarray,
    variable: str,
    by: str | Sequence[str] | None,
    settings: tuple[float, str, Any],
) -> pd.DataFrame:
    """The table of ``ReplicateDesign.mean``: domain means with t(df) Wald intervals.

    Parameters
    ----------
    design : RepDesign
        The replicate design.
    y : numpy.ndarray
        Each row's value.
    variable : str
        Its name.
    by : str, list of str or None
        Grouping column(s).
    settings : tuple
        ``(level, deff, df)``.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.replicate import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [1.0, 1, 2, 2], "r1": [0.0, 2, 1, 1],
    ...                    "r2": [2.0, 0, 1, 1], "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
    >>> replicate_mean(d, df["y"].to_numpy(), "y", None, (0.95, "replace", None))["estimate"]
    0    3.0
    Name: estimate, dtype: float64
    """
    level, deff, df = settings
    st, _ = replicate_domain_means(design, y, by, deff, df)
    return estimate_frame(st.table, variable, mean_columns(st, level))


def replicate_proportion(
    design: RepDesign,
    y: np.ndarray,
    variable: str,
    by: str | Sequence[str] | None,
    method: str,
    settings: tuple[float, str, Any],
) -> pd.DataFrame:
    """The table of ``ReplicateDesign.proportion``.

    ``"logit"`` uses the replicate variance of the log-odds (R's ``svyciprop`` refits
    ``svyglm(y ~ 1)`` in each replicate); the other methods use the replicate variance of
    the proportion in :data:`~lozells_analysis.stats.intervals.INTERVALS`.

    Parameters
    ----------
    design : RepDesign
        The replicate design.
    y : numpy.ndarray
        Each row's 0/1 value.
    variable : str
        Its name.
    by : str, list of str or None
        Grouping column(s).
    method : str
        Interval method.
    settings : tuple
        ``(level, deff, df)``.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.replicate import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [1.0, 1, 2, 2], "r1": [0.0, 2, 1, 1],
    ...                    "r2": [2.0, 0, 1, 1], "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
    >>> y = (df["y"] > 2).astype(float).to_numpy()
    >>> replicate_proportion(d, y, "y", None, "mean", (0.95, "replace", None))["estimate"]
    0    0.5
    Name: estimate, dtype: float64
    """
    level, deff, df = settings
    if method == "likelihood":
        raise DesignError(
            "method='likelihood' is not available for replicate designs (it profiles a "
            "replicate-weight GLM); use 'logit', 'beta', 'xlogit', 'asin', 'mean' or 'wilson'."
        )
    interval = interval_method(method)
    st, thetas = replicate_domain_means(design, y, by, deff, df)
    if method != "logit":
        return estimate_frame(st.table, variable, interval(st, level).columns(st.n, level))
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.log(st.est / (1 - st.est))
        se_eta = np.sqrt(_variance(design, np.log(thetas / (1 - thetas)), eta))
    t = t_quantile(level, st.df)
    ci = with_boundary_fallback(
        st, level, "logit", expit(eta - t * se_eta), expit(eta + t * se_eta)
    )
    return estimate_frame(st.table, variable, ci.columns(st.n, level))


def _table(
    table: pd.DataFrame, variable: str, cols: tuple[Any, ...], level: float, method: str
) -> pd.DataFrame:
    """The tidy frame of :data:`TOTAL_COLUMNS` from (estimate, variance, n, df)."""
    est, var, n, df = cols
    return schema_frame(table, variable, wald_columns(est, var, n, df, level, method))


def replicate_total(
    design: RepDesign, variable: str, by: str | Sequence[str] | None, level: float, df: Any
) -> pd.DataFrame:
    """Weighted totals per group with replicate SEs (see ``ReplicateDesign.total``).

    Parameters
    ----------
    design : RepDesign
        The replicate design.
    variable : str
        Numeric column.
    by : str, list of str or None
        Grouping column(s).
    level : float
        Confidence level.
    df : float or None
        Degrees of freedom instead of each group's.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.replicate import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [1.0, 1, 2, 2], "r1": [0.0, 2, 1, 1],
    ...                    "r2": [2.0, 0, 1, 1], "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
    >>> replicate_total(d, "y", None, 0.95, None)[["estimate", "n"]]
       estimate  n
    0      12.0  4
    """
    y = numeric_column(design.data, variable, "variable")
    table, G, g_all, g_in, inside = _domain(design, by, y)
    yd = np.where(inside, y, 0.0)
    est = np.bincount(g_in[inside], weights=(design.w * yd)[inside], minlength=G)
    var = _variance(design, design.rw.sums(yd, g_in, G), est)
    n = np.bincount(g_in[inside], minlength=G).astype(float)
    return _table(table, variable, (est, var, n, _df(design, g_all, G, df)), level, "wald_t")


def replicate_ratio(
    design: RepDesign,
    numerator: str,
    denominator: str,
    by: str | Sequence[str] | None,
    level: float,
    df: Any,
) -> pd.DataFrame:
    """Ratios of weighted totals per group with replicate SEs (see ``ReplicateDesign.ratio``).

    Parameters
    ----------
    design : RepDesign
        The replicate design.
    numerator, denominator : str
        Numeric columns.
    by : str, list of str or None
        Grouping column(s).
    level : float
        Confidence level.
    df : float or None
        Degrees of freedom instead of each group's.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.replicate import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [1.0, 1, 2, 2], "r1": [0.0, 2, 1, 1],
    ...                    "r2": [2.0, 0, 1, 1], "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
    >>> replicate_ratio(d, "y", "x", None, 0.95, None)[["estimate", "denominator"]]
       estimate denominator
    0       2.0           x
    """
    y = numeric_column(design.data, numerator, "numerator")
    x = numeric_column(design.data, denominator, "denominator")
    table, G, g_all, g_in, inside = _domain(design, by, y, x)
    yd, xd = np.where(inside, y, 0.0), np.where(inside, x, 0.0)
    w = design.w
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.bincount(g_in[inside], weights=(w * yd)[inside], minlength=G) / (
            np.bincount(g_in[inside], weights=(w * xd)[inside], minlength=G)
        )
        thetas = design.rw.sums(yd, g_in, G) / design.rw.sums(xd, g_in, G)
    n = np.bincount(g_in[inside], minlength=G).astype(float)
    cols = (est, _variance(design, thetas, est), n, _df(design, g_all, G, df))
    out = _table(table, numerator, cols, level, "ratio")
    out["denominator"] = denominator
    return out


def _woodruff_limits(
    y: np.ndarray, w: np.ndarray, members: list[np.ndarray], lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles at the interval's limits on the share scale (NaN outside [0, 1], as R)."""
    lower = [
        qrule_math(y[m], w[m], a) if a >= 0 else np.nan for m, a in zip(members, lo, strict=True)
    ]
    upper = [
        qrule_math(y[m], w[m], b) if b <= 1 else np.nan for m, b in zip(members, hi, strict=True)
    ]
    return np.array(lower, dtype=float), np.array(upper, dtype=float)


def replicate_quantile(
    design: RepDesign,
    variable: str,
    qs: np.ndarray,
    by: str | Sequence[str] | None,
    level: float,
    df: Any,
) -> pd.DataFrame:
    """Weighted quantiles with Woodruff intervals (see ``ReplicateDesign.quantile``).

    Parameters
    ----------
    design : RepDesign
        The replicate design.
    variable : str
        Numeric column.
    qs : numpy.ndarray
        Probabilities.
    by : str, list of str or None
        Grouping column(s).
    level : float
        Confidence level.
    df : float or None
        Degrees of freedom instead of each group's (those of the rows that answered).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from lozells_analysis.stats.replicate import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 3, 2, 6], "x": [1.0, 1, 2, 2], "r1": [0.0, 2, 1, 1],
    ...                    "r2": [2.0, 0, 1, 1], "r3": [1.0, 1, 0, 2], "r4": [1.0, 1, 2, 0]})
    >>> d = ReplicateDesign(df, repweights="^r", type="JKn", rscales=0.5)
    >>> replicate_quantile(d, "y", np.array([0.5]), None, 0.95, None)[["quantile", "estimate"]]
       quantile  estimate
    0       0.5       2.0
    """
    y = numeric_column(design.data, variable, "variable")
    table, G, _, g_in, inside = _domain(design, by, y)
    w = design.w
    dfs = _df(design, g_in, G, df)
    t = t_quantile(level, dfs)
    n = np.bincount(g_in[inside], minlength=G).astype(float)
    members = [np.flatnonzero(g_in == k) for k in range(G)]
    W = np.bincount(g_in[inside], weights=w[inside], minlength=G)
    Wr = design.rw.sums(np.ones(design.n_rows), g_in, G)
    frames = []
    for p in qs:
        qhat = np.array([qrule_math(y[m], w[m], p) for m in members])
        below = (inside & (y <= qhat[np.maximum(g_in, 0)])).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.bincount(g_in[inside], weights=(w * below)[inside], minlength=G) / W
            se_share = np.sqrt(_variance(design, design.rw.sums(below, g_in, G) / Wr, share))
        lower, upper = _woodruff_limits(y, w, members, share - t * se_share, share + t * se_share)
        se = (upper - lower) / (2 * t)
        out = _table(table, variable, (qhat, se * se, n, dfs), level, "woodruff")
        out["lower_ci"], out["upper_ci"], out["quantile"] = lower, upper, float(p)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)
