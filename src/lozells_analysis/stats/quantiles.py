"""Weighted quantiles with Woodruff intervals, per group, as R's ``svyquantile`` (survey 4.x).

What this module holds: :func:`survey_quantile` (what :meth:`SurveyDesign.quantile` calls)
and :func:`math_rule`, R's default quantile rule on sorted data.

R's defaults are followed exactly (``qrule="math"``, ``interval.type="mean"``):

* **estimate**: the smallest value whose weighted cumulative share reaches ``q``
  (``qrule_math``: with ``cumw`` the cumulative weights of the sorted values, the last
  position with ``cumw <= q W``, or the next one unless the share there is exactly ``q``).
  Sums are accumulated in extended precision, as R's ``cumsum`` and ``sum`` are, so that
  exact ties at ``q`` are decided the same way;
* **interval** (Woodruff): the share of the group at or below the estimate, ``p``, is a
  domain mean; its Wald interval ``p -/+ t(df) se`` on the design is mapped back through
  the same rule. A limit below 0 or above 1 on the share scale gives NaN, as in R;
* **se** = ``(upper - lower) / (2 t)``, as R derives it from the interval;
* **df**: the group's design df among the rows that answered (R drops missing values
  before ``degf``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.domain import DomainDesign, schema_frame
from lozells_analysis.stats.intervals import t_quantile
from lozells_analysis.stats.variance import domain_df

__all__ = ["math_rule", "survey_quantile"]


def math_rule(xs: np.ndarray, cumw: np.ndarray, total: float, p: np.ndarray) -> np.ndarray:
    """R's ``qrule_math`` on sorted values: the quantiles of probabilities ``p``.

    Parameters
    ----------
    xs : numpy.ndarray
        The values, sorted (stably).
    cumw : numpy.ndarray
        Cumulative weights in that order (accumulated in extended precision, then rounded).
    total : float
        The sum of the weights (extended precision, in the data's order, then rounded).
    p : numpy.ndarray
        Probabilities; NaN gives NaN.

    Returns
    -------
    numpy.ndarray
        One value of ``xs`` per probability.

    Examples
    --------
    >>> xs, cw = np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 3, 4])
    >>> math_rule(xs, cw, 4.0, np.array([0.5, 0.6, 1.0])).tolist()
    [2.0, 3.0, 4.0]
    >>> math_rule(xs, cw, 4.0, np.array([0.0])).tolist()  # R's rule: q = 0 is the second value
    [2.0]
    """
    p = np.asarray(p, dtype=float)
    ok = ~np.isnan(p)
    pp = np.where(ok, p, 0.0)
    pos = np.searchsorted(cumw, pp * total, side="right") - 1
    pos = np.maximum(pos, 0)  # R's last(): position 1 when no cumulative share is <= p
    nxt = np.minimum(pos + 1, len(xs) - 1)
    exact = pp - cumw[pos] / total == 0
    return np.where(ok, np.where(exact, xs[pos], xs[nxt]), np.nan)


def _check_probabilities(q: float | Sequence[float]) -> np.ndarray:
    """``q`` as an array of probabilities in [0, 1]."""
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    if qs.ndim != 1 or len(qs) == 0 or not np.all((qs >= 0) & (qs <= 1)):
        raise ParameterError(f"q must be probabilities in [0, 1]; got {q!r}.")
    return qs


def _sorted_groups(
    y: np.ndarray, w: np.ndarray, g_all: np.ndarray, rows: np.ndarray, G: int
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Per group: its values sorted (stably), their cumulative weights and the weight sum.

    As R, the sums are accumulated in extended precision and then rounded, the sum of the
    weights in the data's order.
    """
    n = np.bincount(g_all[rows], minlength=G)
    bounds = np.concatenate([[0], np.cumsum(n)])
    gr = g_all[rows]
    if G < np.iinfo(np.int16).max:  # small integer keys sort stably by radix, in linear time
        gr = gr.astype(np.int16)
    in_order = rows[np.argsort(gr, kind="stable")]
    by_y = np.argsort(y[rows], kind="stable")  # by group, then value, ties in data order
    by_value = rows[by_y[np.argsort(gr[by_y], kind="stable")]]
    out = []
    for k in range(G):  # one cumulative sum per group
        part = by_value[bounds[k] : bounds[k + 1]]
        cumw = np.cumsum(w[part].astype(np.longdouble)).astype(float)
        total = float(np.sum(w[in_order[bounds[k] : bounds[k + 1]]].astype(np.longdouble)))
        out.append((y[part], cumw, total))
    return out


def _share_limits(
    design: DomainDesign,
    y: np.ndarray,
    inside: np.ndarray,
    g: np.ndarray,
    qhat: np.ndarray,
    crit: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Wald limits of each group's share at or below its quantile estimate (R's svymean)."""
    G = len(qhat)
    w = design.w
    below = np.where(inside, (y <= qhat[g]).astype(float), 0.0)
    W = np.bincount(g, weights=np.where(inside, w, 0.0), minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.bincount(g, weights=w * below, minlength=G) / W
        z = np.where(inside, w * (below - share[g]) / W[g], 0.0)
    se = np.sqrt(design.variance_by_group(z, g, G, inside))
    return share + se * crit[0], share + se * crit[1]


def survey_quantile(
    design: DomainDesign,
    variable: str,
    q: float | Sequence[float] = 0.5,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    """Weighted quantiles per group with Woodruff intervals; see :meth:`SurveyDesign.quantile`.

    Parameters
    ----------
    design : DomainDesign
        The survey design.
    variable : str
        Numeric column; NaN is not answered.
    q : float or sequence of float
        Probabilities in [0, 1].
    by : str or list of str, optional
        Grouping column(s).
    level : float
        Confidence level.
    df : float, optional
        Degrees of freedom instead of each group's (``numpy.inf``: normal quantiles).

    Returns
    -------
    pandas.DataFrame
        One row per group and probability: group columns, then ``variable, estimate, se,
        lower_ci, upper_ci, level, method, n, df, quantile``; ``method`` is ``"woodruff"``.

    Examples
    --------
    >>> from lozells_analysis.stats.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"y": [5.0, 1, 4, 2, 3], "w": [1.0, 1, 1, 1, 4]}),
    ...                  weights="w")
    >>> survey_quantile(d, "y", q=[0.5, 0.9])[["quantile", "estimate"]]
       quantile  estimate
    0       0.5       3.0
    1       0.9       5.0
    """
    qs = _check_probabilities(q)
    y = design.values(variable, "mean")
    g_all, table = design.groups(by)
    G, Q = len(table), len(qs)
    inside = (g_all >= 0) & ~np.isnan(y)
    g = np.where(inside, g_all, 0)
    parts = _sorted_groups(y, design.w, g_all, np.flatnonzero(inside), G)
    none = np.full(Q, np.nan)
    qhat = np.array([math_rule(xs, cw, tot, qs) if len(xs) else none for xs, cw, tot in parts])
    dfs = domain_df(design.layout, np.where(inside, g_all, -1), G)
    dfs = dfs if df is None else np.full(G, float(df))
    a = (1 - level) / 2
    crit = tuple(
        np.where(np.isinf(dfs), stats.norm.ppf(c), stats.t.ppf(c, np.where(dfs > 0, dfs, 1)))
        for c in (a, 1 - a)
    )
    crit = tuple(np.where(dfs > 0, c, np.nan) for c in crit)
    lims = np.full((G, Q, 2), np.nan)
    for j in range(Q):  # a handful of probabilities; the groups are vectorised
        lims[:, j, 0], lims[:, j, 1] = _share_limits(design, y, inside, g, qhat[:, j], crit)
    lims[~((lims >= 0) & (lims <= 1))] = np.nan  # R: no limit past a share of 0 or 1
    ci = np.full((G, Q, 2), np.nan)
    for k, (xs, cw, tot) in enumerate(parts):
        if len(xs):
            ci[k] = math_rule(xs, cw, tot, lims[k].ravel()).reshape(Q, 2)
    k_idx = np.repeat(np.arange(G), Q)
    n = np.bincount(g, weights=inside, minlength=G)
    cols = {
        "estimate": qhat.ravel(),
        "se": (ci[..., 1] - ci[..., 0]).ravel() / (2 * t_quantile(level, dfs[k_idx])),
        "lower_ci": ci[..., 0].ravel(),
        "upper_ci": ci[..., 1].ravel(),
        "level": level,
        "method": "woodruff",
        "n": n[k_idx],
        "df": dfs[k_idx],
        "quantile": np.tile(qs, G),
    }
    return schema_frame(table.iloc[k_idx], variable, cols)
