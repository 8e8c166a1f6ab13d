"""Design-based tests: Rao-Scott tests of association and the t-test of two means.

What this module holds: :func:`survey_chisq` (R's ``svychisq`` with ``statistic="F"`` or
``"Chisq"``) and :func:`survey_ttest` (R's ``svyttest(y ~ group)``), which
:meth:`SurveyDesign.chisq` and :meth:`SurveyDesign.ttest` call. Both return one-row tables
in the library's schema.

**Rao-Scott** (``svychisq``). The Pearson ``X^2`` of the weighted table scaled to the number
of rows ``N``; the cell proportions' design covariance ``V``; ``C`` the interaction columns of
the saturated model on the row x column grid, orthogonalised to the main effects;
``Delta = (C' D^-1 C / N)^-1 (C' D^-1 V D^-1 C)`` with ``D = diag(cell proportions)``.
``"F"``: ``F = X^2 / tr(Delta)`` on ``d0 = tr(Delta)^2 / tr(Delta^2)`` and ``d0 nu`` degrees
of freedom (``nu`` = the design df); ``"Chisq"``: ``X^2`` referred to ``chi^2`` with
``(r-1)(c-1)`` df after dividing by the mean eigenvalue of ``Delta``.

**t-test** (``svyttest``). The difference of the two groups' means, from the gaussian
``svyglm(y ~ group)`` on the rows that answered both; its design SE; t with that model's
residual df (design df of those rows minus 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lozells_analysis.exceptions import DesignError, ParameterError
from lozells_analysis.stats.columns import column
from lozells_analysis.stats.domain import DomainDesign, schema_frame
from lozells_analysis.stats.intervals import check_level, t_quantile
from lozells_analysis.stats.variance import domain_df, vcov_matrix

__all__ = ["CHISQ_STATISTICS", "survey_chisq", "survey_ttest"]

#: ``statistic=`` of :func:`survey_chisq` and the ``method`` each writes.
CHISQ_STATISTICS = {
    "F": "Rao-Scott F (design-based Pearson X^2)",
    "Chisq": "Rao-Scott chi-squared (design-based Pearson X^2)",
}


def _codes(data: pd.DataFrame, name: str) -> tuple[np.ndarray, pd.Index]:
    """Codes of a column's values (sorted; -1 where missing) and the values."""
    codes, levels = pd.factorize(column(data, name, "variable"), sort=True)
    return codes.astype(np.int64), pd.Index(levels)


def _interaction_contrasts(nr: int, nc: int) -> np.ndarray:
    """R's ``Cmat``: the row x column interaction columns orthogonal to the main effects.

    Cells are in R's order (rows vary fastest); the columns are the products of the row
    and column dummies (levels 2 ..), residualised on the intercept and main effects.
    """
    rows = np.tile(np.arange(nr), nc)
    cols = np.repeat(np.arange(nc), nr)
    R = (rows[:, None] == np.arange(1, nr)[None, :]).astype(float)
    Cc = (cols[:, None] == np.arange(1, nc)[None, :]).astype(float)
    X1 = np.column_stack([np.ones(nr * nc), R, Cc])
    X12 = np.column_stack([R[:, i] * Cc[:, j] for j in range(nc - 1) for i in range(nr - 1)])
    coef, *_ = np.linalg.lstsq(X1, X12, rcond=None)
    return X12 - X1 @ coef


def _cell_proportions(
    design: DomainDesign, cell: np.ndarray, inside: np.ndarray, K: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted cell proportions among the rows in ``inside``, their covariance and weight."""
    w = np.where(inside, design.w, 0.0)
    W = float(w.sum())
    c = np.where(inside, cell, 0)
    p = np.bincount(c, weights=w, minlength=K) / W
    ind = np.zeros((design.n_rows, K))
    ind[np.flatnonzero(inside), c[inside]] = 1.0
    Z = np.where(inside[:, None], w[:, None] * (ind - p[None, :]) / W, 0.0)
    return p, vcov_matrix(design.layout, Z, inside), W


def survey_chisq(design: DomainDesign, row: str, col: str, statistic: str = "F") -> pd.DataFrame:
    """Rao-Scott test of association of two categorical columns; see :meth:`SurveyDesign.chisq`.

    Parameters
    ----------
    design : DomainDesign
        The survey design.
    row, col : str
        Categorical columns (rows missing either are left out of the proportions).
    statistic : {"F", "Chisq"}
        R's ``svychisq`` statistic.

    Returns
    -------
    pandas.DataFrame
        One row: ``variable`` (``"row x col"``), ``estimate, se, lower_ci, upper_ci, level``
        (NaN: a test estimates nothing), ``method, n, df`` (rows used, design df), then
        ``statistic, ndf, ddf, p_value, pearson, design_effect`` (``ddf`` NaN for
        ``"Chisq"``; ``design_effect`` the mean eigenvalue of ``Delta``).

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"a": list("xxyy") * 5, "b": list("pqqq") * 5}))
    >>> survey_chisq(d, "a", "b", "Chisq")[["statistic", "ndf", "n"]].round(3)
       statistic  ndf   n
    0      6.667  1.0  20
    """
    if statistic not in CHISQ_STATISTICS:
        raise ParameterError(f"statistic must be 'F' or 'Chisq'; got {statistic!r}.")
    rc, r_levels = _codes(design.data, row)
    cc, c_levels = _codes(design.data, col)
    nr, nc = len(r_levels), len(c_levels)
    if nr < 2 or nc < 2:
        raise DesignError(
            f"A test of association needs at least two values in each column: {row!r} has "
            f"{nr} ({list(r_levels)}), {col!r} has {nc} ({list(c_levels)})."
        )
    inside = (rc >= 0) & (cc >= 0)
    K = nr * nc
    p, V, W = _cell_proportions(design, rc + nr * cc, inside, K)
    N = design.n_rows  # R scales the weighted table to the number of rows of the design
    table = (p * N).reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = float(((table - expected) ** 2 / expected).sum())
        inv = np.where(p == 0, 0.0, 1 / p)
    C = _interaction_contrasts(nr, nc)
    denom = C.T @ (inv[:, None] / N * C)
    numr = C.T @ (inv[:, None] * V * inv[None, :]) @ C
    delta = np.linalg.solve(denom, numr)
    tr, tr2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    nu = float(design.degf)
    if statistic == "F":
        d0 = tr * tr / tr2
        stat, ndf, ddf = pearson / tr, d0, d0 * nu
        pval = float(stats.f.sf(stat, ndf, ddf))
    else:
        stat, ndf, ddf = pearson, float(delta.shape[1]), np.nan
        pval = float(stats.chi2.sf(pearson / (tr / delta.shape[1]), ndf))
    cols: dict[str, Any] = {
        "method": CHISQ_STATISTICS[statistic],
        "n": [int(inside.sum())],
        "df": nu,
        "statistic": stat,
        "ndf": ndf,
        "ddf": ddf,
        "p_value": pval,
        "pearson": pearson,
        "design_effect": tr / delta.shape[1],
    }
    return schema_frame(pd.DataFrame(index=[0]), f"{row} x {col}", cols)


def survey_ttest(
    design: DomainDesign, variable: str, group: str, level: float = 0.95
) -> pd.DataFrame:
    """Design-based t-test of the difference of two groups' means; see :meth:`SurveyDesign.ttest`.

    Parameters
    ----------
    design : DomainDesign
        The survey design.
    variable : str
        Numeric column.
    group : str
        A column with exactly two values among the rows that answered ``variable``.
    level : float
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``variable, estimate, se, lower_ci, upper_ci, level, method, n, df``, then
        ``statistic, p_value, group, group_1, group_2, estimate_1, estimate_2``; ``estimate``
        is ``estimate_1 - estimate_2``, the mean of the second value of ``group`` (sorted)
        minus that of the first, as R's ``svyttest``.

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 3, 2, 6], "g": [0, 0, 1, 1]}))
    >>> survey_ttest(d, "y", "g")[["estimate", "group_1", "group_2", "df"]]
       estimate  group_1  group_2   df
    0       2.0        1        0  2.0
    """
    level = check_level(level)
    y = design.values(variable, "mean")
    gc, levels = _codes(design.data, group)
    used = (gc >= 0) & ~np.isnan(y)
    present = np.unique(gc[used])
    if len(present) != 2:
        raise DesignError(
            f"A t-test needs exactly two groups: {group!r} has {len(present)} value(s) "
            f"among the rows that answered {variable!r} ({list(levels[present])[:10]})."
        )
    second = used & (gc == present[1])
    first = used & (gc == present[0])
    w = design.w
    means, z = [], np.zeros(design.n_rows)
    for rows, sign in ((second, 1.0), (first, -1.0)):
        W = w[rows].sum()
        m = float((w[rows] * y[rows]).sum() / W)
        z[rows] = sign * w[rows] * (y[rows] - m) / W
        means.append(m)
    zeros = np.zeros(design.n_rows, dtype=np.int64)
    se = float(np.sqrt(design.variance_by_group(z, zeros, 1, used)[0]))
    df = float(domain_df(design.layout, np.where(used, 0, -1), 1)[0]) - 1
    est = means[0] - means[1]
    tq = float(t_quantile(level, df))
    tstat = est / se if se > 0 else np.nan
    cols: dict[str, Any] = {
        "estimate": [est],
        "se": se,
        "lower_ci": est - tq * se,
        "upper_ci": est + tq * se,
        "level": level,
        "method": "design-based t-test (difference of means)",
        "n": int(used.sum()),
        "df": df,
        "statistic": tstat,
        "p_value": 2 * stats.t.sf(abs(tstat), df) if df > 0 else np.nan,
        "group": group,
        "group_1": levels[present[1]],
        "group_2": levels[present[0]],
        "estimate_1": means[0],
        "estimate_2": means[1],
    }
    return schema_frame(pd.DataFrame(index=[0]), variable, cols)
