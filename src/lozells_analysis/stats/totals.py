"""Population totals and ratios of totals, per group, as R's ``svytotal`` and ``svyratio``.

What this module holds: :func:`survey_total` and :func:`survey_ratio`, which
:meth:`SurveyDesign.total` and :meth:`SurveyDesign.ratio` call, and :func:`wald_columns`,
the Wald interval both use.

* **Total** ``Y_D = sum_D w_i y_i`` over the group's respondents who answered; influence
  values ``w_i y_i`` in the group, 0 elsewhere (R's ``svytotal``, not centred at a mean).
* **Ratio** ``R_D = sum_D w y / sum_D w x`` over the rows that answered both; influence
  values ``w_i (y_i - R_D x_i) / sum_D w x`` (R's ``svyratio``).

Their variance is the design's linearised variance (every stratum, PSU and stage of the
full design: domain estimation); intervals are Wald with t on each group's degrees of
freedom (``df=numpy.inf`` gives R's default normal ``confint``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.stats.domain import DomainDesign, answered, schema_frame
from lozells_analysis.stats.intervals import wald_limits
from lozells_analysis.stats.variance import domain_df

__all__ = ["survey_ratio", "survey_total", "wald_columns"]


def wald_columns(
    est: np.ndarray, var: np.ndarray, n: np.ndarray, df: np.ndarray, level: float, method: str
) -> dict[str, Any]:
    """The schema's columns for a Wald interval ``est -/+ t(df) se``.

    Parameters
    ----------
    est, var, n, df : numpy.ndarray
        Per group: estimate, variance, respondents and degrees of freedom.
    level : float
        Confidence level.
    method : str
        The ``method`` column.

    Returns
    -------
    dict
        ``estimate, se, lower_ci, upper_ci, level, method, n, df``.

    Examples
    --------
    >>> cols = wald_columns(np.array([1.0]), np.array([4.0]), np.array([9]), np.array([np.inf]),
    ...                     0.95, "wald_t")
    >>> round(float(cols["upper_ci"][0]), 4)
    4.9199
    """
    se = np.sqrt(var)
    lower, upper = wald_limits(est, se, df, level)
    return {
        "estimate": est,
        "se": se,
        "lower_ci": lower,
        "upper_ci": upper,
        "level": level,
        "method": method,
        "n": n,
        "df": df,
    }


def _groups_df(design: DomainDesign, g_all: np.ndarray, G: int, df: float | None) -> np.ndarray:
    """Each group's design df (PSUs minus strata with a row in it), or the override."""
    if df is not None:
        return np.full(G, float(df))
    return domain_df(design.layout, g_all, G)


def survey_total(
    design: DomainDesign,
    variable: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    """Weighted totals per group, as R's ``svytotal`` / ``svyby(..., svytotal)``.

    See :meth:`SurveyDesign.total`.

    Parameters
    ----------
    design : DomainDesign
        The survey design.
    variable : str
        Numeric (or 0/1) column; NaN is not answered (R's ``na.rm=TRUE``).
    by : str or list of str, optional
        Grouping column(s).
    level : float
        Confidence level.
    df : float, optional
        Degrees of freedom instead of each group's.

    Returns
    -------
    pandas.DataFrame
        Group columns, then ``variable, estimate, se, lower_ci, upper_ci, level, method,
        n, df``; ``method`` is ``"wald_t"``.

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 2, np.nan], "w": [2.0, 3, 4]}), weights="w")
    >>> survey_total(d, "y")[["estimate", "n"]]
       estimate  n
    0       8.0  2
    """
    y = design.values(variable, "mean")
    g_all, table = design.groups(by)
    G = len(table)
    inside = answered(g_all, y)
    g = np.where(inside, g_all, 0)
    z = np.where(inside, design.w * np.where(inside, y, 0.0), 0.0)
    n = np.bincount(g, weights=inside, minlength=G)
    est = np.where(n > 0, np.bincount(g, weights=z, minlength=G), np.nan)
    var = np.where(n > 0, design.variance_by_group(z, g, G, inside), np.nan)
    cols = wald_columns(est, var, n, _groups_df(design, g_all, G, df), level, "wald_t")
    return schema_frame(table, variable, cols)


def survey_ratio(
    design: DomainDesign,
    numerator: str,
    denominator: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    """Ratios of weighted totals per group, as R's ``svyratio`` / ``svyby(..., svyratio)``.

    See :meth:`SurveyDesign.ratio`.

    Parameters
    ----------
    design : DomainDesign
        The survey design.
    numerator, denominator : str
        Numeric columns; rows missing either are left out (R's ``na.rm=TRUE``).
    by : str or list of str, optional
        Grouping column(s).
    level : float
        Confidence level.
    df : float, optional
        Degrees of freedom instead of each group's.

    Returns
    -------
    pandas.DataFrame
        Group columns, then ``variable`` (the numerator), ``estimate, se, lower_ci,
        upper_ci, level, method, n, df, denominator``; ``method`` is ``"ratio"``.

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 2, 6], "x": [1.0, 1, np.nan]}))
    >>> survey_ratio(d, "y", "x")[["estimate", "n", "denominator"]]
       estimate  n denominator
    0       1.5  2           x
    """
    y = design.values(numerator, "mean")
    x = design.values(denominator, "mean")
    g_all, table = design.groups(by)
    G = len(table)
    inside = answered(g_all, y, x)
    g = np.where(inside, g_all, 0)
    wy = np.where(inside, design.w * np.where(inside, y, 0.0), 0.0)
    wx = np.where(inside, design.w * np.where(inside, x, 0.0), 0.0)
    n = np.bincount(g, weights=inside, minlength=G)
    X = np.bincount(g, weights=wx, minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.bincount(g, weights=wy, minlength=G) / X
        z = np.where(inside, (wy - est[g] * wx) / X[g], 0.0)
    var = design.variance_by_group(z, g, G, inside)
    var = np.where((n > 0) & np.isfinite(est), var, np.nan)
    cols = wald_columns(est, var, n, _groups_df(design, g_all, G, df), level, "ratio")
    cols["denominator"] = denominator
    return schema_frame(table, numerator, cols)
