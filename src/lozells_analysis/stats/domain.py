"""Domain (subgroup) estimation on arrays, and the tidy frame estimates are returned in.

What this module holds:

* :func:`group_codes`: the group of each row for ``by=`` columns, and the table of groups;
* :class:`DomainEstimates` and :func:`domain_estimates`: weighted means of every group at
  once, with their linearised variance, design effects and degrees of freedom (what
  :meth:`SurveyDesign.mean` and :meth:`SurveyDesign.proportion` build on);
* :func:`check_deff` and :func:`estimate_frame` with :data:`ESTIMATE_COLUMNS`, the library's
  tidy estimate schema, and :func:`schema_frame` for estimators without design effects;
* :class:`DomainDesign`, what the estimators of totals, ratios, quantiles and the tests of
  association need of a design (:class:`SurveyDesign` provides it).

A subgroup, or the respondents who answered, is a *domain*: influence values are zero
outside it but every PSU and stratum of the full design stays in the variance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.schema import tidy
from lozells_analysis.stats.variance import PsuLayout, domain_df, variance_by_group

__all__ = [
    "ESTIMATE_COLUMNS",
    "DomainDesign",
    "DomainEstimates",
    "answered",
    "check_deff",
    "domain_estimates",
    "estimate_frame",
    "group_codes",
    "schema_frame",
]

#: Columns of an estimate table, after the group columns.
ESTIMATE_COLUMNS = [
    "variable",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "level",
    "method",
    "deff",
    "n",
    "n_eff",
    "df",
]


def group_codes(data: pd.DataFrame, by_cols: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group code of each row (-1 when a ``by`` value is missing) and the table of groups.

    Parameters
    ----------
    data : pandas.DataFrame
        The respondents.
    by_cols : sequence of str
        Grouping columns (present in ``data``); empty for one group holding every row.

    Returns
    -------
    g : numpy.ndarray
        Group code (0 .. G-1) of each row, -1 where a grouping value is missing.
    table : pandas.DataFrame
        One row per observed combination, sorted, with one column per ``by`` column
        (categorical columns keep their dtype).

    Examples
    --------
    >>> g, table = group_codes(pd.DataFrame({"a": ["y", "x", None, "y"]}), ["a"])
    >>> g.tolist(), table["a"].tolist()
    ([1, 0, -1, 1], ['x', 'y'])
    """
    n = len(data)
    if not by_cols:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=[0])
    codes_list, labels_list = [], []
    for c in by_cols:
        codes, labels = pd.factorize(data[c], sort=True)
        codes_list.append(codes.astype(np.int64))
        labels_list.append(labels)
    combined = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    for codes, labels in zip(codes_list, labels_list, strict=True):
        missing |= codes < 0
        combined = combined * len(labels) + np.maximum(codes, 0)
    n_keys = int(np.prod([len(labels) for labels in labels_list], dtype=float))
    if n_keys <= max(4 * n, 1 << 16):  # a lookup table: linear in rows, no sort
        present = np.flatnonzero(np.bincount(combined[~missing], minlength=n_keys))
        lookup = np.full(n_keys, -1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        g = lookup[combined]
    else:
        present = np.unique(combined[~missing])
        g = np.searchsorted(present, combined)
    g[missing] = -1
    keys = {}
    rem = present.copy()
    for c, labels in zip(reversed(by_cols), reversed(labels_list), strict=True):
        keys[c] = np.asarray(labels)[rem % len(labels)]
        rem = rem // len(labels)
    table = pd.DataFrame({c: keys[c] for c in by_cols})
    for c in by_cols:
        if isinstance(data[c].dtype, pd.CategoricalDtype):
            table[c] = pd.Categorical(table[c], dtype=data[c].dtype)
    return g.astype(np.int64), table


def check_deff(deff: str | bool) -> str:
    """The design-effect reference: ``"replace"`` (Kish, default) or ``"true"``.

    Parameters
    ----------
    deff : {"replace", "true", True}
        As given to an estimator.

    Returns
    -------
    str
        ``"replace"`` or ``"true"``.

    Examples
    --------
    >>> check_deff(True)
    'true'
    """
    if deff is True or deff == "true":
        return "true"
    if deff == "replace":
        return "replace"
    raise ParameterError(f"deff must be 'replace' (Kish, default) or 'true'; got {deff!r}.")


@dataclass(frozen=True)
class DomainEstimates:
    """Weighted means of every group, their variance and what the intervals need.

    Attributes
    ----------
    table : pandas.DataFrame
        The groups (one row each).
    est, var, n, deff, df : numpy.ndarray
        Per group: weighted mean, linearised variance, respondents who answered, design
        effect, and the degrees of freedom for the interval.
    design_df, n_rows, W : numpy.ndarray
        Per group: design df (PSUs minus strata with a row in it), rows in the group
        (answered or not), and the sum of weights of those who answered.
    y, w : numpy.ndarray
        Each row's value (NaN when not answered) and weight.
    g, inside, g_all : numpy.ndarray
        Each row's group (0 outside every domain), whether it is in a domain and answered,
        and its group code (-1 when a ``by`` value is missing).
    G : int
        Number of groups.
    """

    table: pd.DataFrame
    est: np.ndarray
    var: np.ndarray
    n: np.ndarray
    deff: np.ndarray
    df: np.ndarray
    design_df: np.ndarray
    n_rows: np.ndarray
    W: np.ndarray
    y: np.ndarray
    w: np.ndarray
    g: np.ndarray
    inside: np.ndarray
    g_all: np.ndarray
    G: int


def domain_estimates(
    layout: PsuLayout,
    y: np.ndarray,
    w: np.ndarray,
    g_all: np.ndarray,
    table: pd.DataFrame,
    deff: str,
    df_override: Any = None,
    variance: Callable[..., np.ndarray] | None = None,
) -> DomainEstimates:
    """Weighted domain means and their linearised variance, for every group at once.

    Parameters
    ----------
    layout : PsuLayout
        The design.
    y, w : numpy.ndarray
        Each row's value (NaN: not answered, outside the domain) and weight.
    g_all : numpy.ndarray
        Group code of each row, -1 when it is in no group (:func:`group_codes`).
    table : pandas.DataFrame
        The groups.
    deff : {"replace", "true"}
        Design-effect reference: with- or without-replacement simple random sampling.
    df_override : float, optional
        Degrees of freedom to use instead of each group's design df.
    variance : callable, optional
        ``variance(z, g, G, present)``, the design's ``variance_by_group`` (a calibrated
        design's removes the calibration residuals); the layout's linearised variance when
        not given.

    Returns
    -------
    DomainEstimates
        The estimates of every group.
    """
    G = len(table)
    inside = (g_all >= 0) & ~np.isnan(y)
    g = np.where(inside, g_all, 0)
    wd = np.where(inside, w, 0.0)
    yd = np.where(inside, y, 0.0)
    n = np.bincount(g, weights=inside, minlength=G)
    W = np.bincount(g, weights=wd, minlength=G)
    WY = np.bincount(g, weights=wd * yd, minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = WY / W
        resid = np.where(inside, yd - est[g], 0.0)
        z = wd * resid / np.where(W[g] > 0, W[g], 1.0)
    if variance is None:
        var = variance_by_group(layout, z, g, G, present=inside)
    else:
        var = variance(z, g, G, inside)
    var = np.where(n > 0, var, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        deff_v = var / _srs_variance(g, wd * resid * resid, W, n, deff)
    design_df = domain_df(layout, g_all, G)
    df = design_df if df_override is None else np.full(G, float(df_override))
    n_rows = np.bincount(g_all[g_all >= 0], minlength=G).astype(float)
    return DomainEstimates(
        table=table,
        est=est,
        var=var,
        n=n,
        deff=deff_v,
        df=df,
        design_df=design_df,
        n_rows=n_rows,
        W=W,
        y=y,
        w=w,
        g=g,
        inside=inside,
        g_all=g_all,
        G=G,
    )


def _srs_variance(
    g: np.ndarray, weighted_squares: np.ndarray, W: np.ndarray, n: np.ndarray, deff: str
) -> np.ndarray:
    """The simple-random-sampling variance of each group's mean, from the weighted
    population variance (R's ``svyvar``): the design effect's denominator, with
    (``deff="replace"``) or without replacement."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.bincount(g, weights=weighted_squares, minlength=len(W)) / W * n / (n - 1)
        if deff == "replace":
            return np.asarray(s2 / n)
        return np.where(W >= n, s2 * (W - n) / (W * n), np.nan)


def estimate_frame(table: pd.DataFrame, variable: str, cols: dict) -> pd.DataFrame:
    """The tidy estimate table: group columns, then :data:`ESTIMATE_COLUMNS`.

    Parameters
    ----------
    table : pandas.DataFrame
        The groups, one row each.
    variable : str
        Name of the estimated variable (the ``variable`` column).
    cols : dict
        Values of every other column of :data:`ESTIMATE_COLUMNS` (arrays, one value per
        group, or scalars).

    Returns
    -------
    pandas.DataFrame
        One row per group; ``n`` as int64.
    """
    out = table.reset_index(drop=True).copy()
    out["variable"] = variable
    for k, v in cols.items():
        out[k] = v
    by_cols = list(table.columns)
    out = out[by_cols + ESTIMATE_COLUMNS]
    out["n"] = out["n"].astype("int64")
    return out


def answered(g_all: np.ndarray, *values: np.ndarray) -> np.ndarray:
    """Whether each row is in a group (``g_all >= 0``) and answered every one of ``values``.

    Parameters
    ----------
    g_all : numpy.ndarray
        Each row's group, -1 outside every group.
    *values : numpy.ndarray
        Variables whose NaN is not answered.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> answered(np.array([0, -1, 1]), np.array([1.0, 2, np.nan])).tolist()
    [True, False, False]
    """
    inside = g_all >= 0
    for v in values:
        inside = inside & ~np.isnan(v)
    return inside


def schema_frame(table: pd.DataFrame, variable: str, cols: dict[str, Any]) -> pd.DataFrame:
    """A tidy table in the library's schema: group columns, the schema columns, then extras.

    Parameters
    ----------
    table : pandas.DataFrame
        The groups, one row each (or one row per group and quantile).
    variable : str
        The ``variable`` column.
    cols : dict
        Values of ``estimate, se, lower_ci, upper_ci, level, method, n, df`` and of any
        extra columns, in the order they should appear after the schema's.

    Returns
    -------
    pandas.DataFrame
        ``n`` as int64.

    Examples
    --------
    >>> out = schema_frame(pd.DataFrame({"g": ["a"]}), "y", {"estimate": [2.0], "n": [3],
    ...                    "denominator": "x"})
    >>> list(out.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['g', 'variable', 'estimate', 'se', 'lower_ci', 'upper_ci', 'level', 'method', 'n', 'df',
     'denominator']
    """
    out = table.reset_index(drop=True).copy()
    out["variable"] = variable
    for k, v in cols.items():
        out[k] = v
    out = tidy(out, list(table.columns))
    out["n"] = out["n"].astype("int64")
    return out


class DomainDesign(Protocol):
    """What the estimators of totals, ratios, quantiles and tests need of a design.

    :class:`~lozells_analysis.stats.design.SurveyDesign` provides it. (A protocol rather
    than the class itself keeps the estimator modules from importing ``design``, which
    imports them.)
    """

    data: pd.DataFrame
    w: np.ndarray
    n_rows: int
    degf: int
    layout: PsuLayout

    def groups(self, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
        """Group code of each row and the table of groups."""
        ...

    def values(self, variable: str, kind: str = "proportion") -> np.ndarray:
        """A variable's values as floats, NaN where not answered."""
        ...

    def variance_by_group(
        self, z: np.ndarray, g: np.ndarray, n_groups: int, present: np.ndarray | None = None
    ) -> np.ndarray:
        """Linearised variance of several domain estimates (a design may override it)."""
        ...
