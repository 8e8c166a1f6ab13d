"""Scores and scales from the codebook: indicators, collective control, alpha, ONS4 bands.

* :func:`indicator` — an item's binary indicator as the codebook codes it (top-two-box for
  agree scales, frequency thresholds for frequency scales; don't know / refused are NaN).
* :func:`item_score` — an item on a 0-1 scale where 1 is the most positive answer
  (``reverse`` items, whose code 1 is the most positive, are turned round).
* :func:`collective_control` — the five component scores of collective control (0-100) and
  the overall index, each pro-rated when at least half its items are answered.
* :func:`cronbach_alpha` — Cronbach's alpha, unweighted or weighted, with Feldt's interval,
  as a one-row estimate table in the library's schema (:mod:`lozells_analysis.stats.schema`).
* :func:`ons4_band` — ONS4 personal well-being bands with the published thresholds
  (life satisfaction, worthwhile, happiness: Low 0-4, Medium 5-6, High 7-8, Very high 9-10;
  anxiety: Very low 0-1, Low 2-3, Medium 4-5, High 6-10).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lozells_analysis.data.codebook import COMPONENTS  # the five NEF components, in order
from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.design import _check_level
from lozells_analysis.stats.schema import tidy

log = logging.getLogger(__name__)

__all__ = [
    "COMPONENTS",
    "collective_control",
    "cronbach_alpha",
    "indicator",
    "item_score",
    "ons4_band",
]


def _cb(codebook: Any) -> Any:
    """The codebook given, or the project's own when none is."""
    if codebook is not None:
        return codebook
    from lozells_analysis.data.codebook import load_codebook

    return load_codebook()


def indicator(data: pd.DataFrame, indicator_id: str, codebook: Any = None) -> pd.Series:
    """The codebook's 0/1 coding of an indicator (NaN for missing answers).

    Examples
    --------
    >>> df = pd.DataFrame({"change_area_run": pd.array([1, 2, 3, 5, 8, None], dtype="Int64")})
    >>> indicator(df, "change_area_run").tolist()
    [1.0, 1.0, 0.0, 0.0, nan, nan]
    """
    return _cb(codebook).indicator_values(data, indicator_id)


def item_score(data: pd.DataFrame, item_id: str, codebook: Any = None) -> pd.Series:
    """An item's answers on 0-1, 1 the most positive; missing codes are NaN.

    Categorical items map their valid codes linearly: ``(code - lowest) / (highest -
    lowest)``, turned round (``1 - ...``) for ``reverse`` items whose code 1 is the most
    positive. Numeric items map ``(x - min) / (max - min)`` (higher is better unless the
    item's polarity is "lower").

    Examples
    --------
    >>> df = pd.DataFrame({"change_area_run": pd.array([1, 2, 3, 4, 5, 9], dtype="Int64")})
    >>> item_score(df, "change_area_run").tolist()
    [1.0, 0.75, 0.5, 0.25, 0.0, nan]
    """
    cb = _cb(codebook)
    item = cb.item(item_id)
    if item_id not in data.columns:
        raise ParameterError(f"Item {item_id!r} is not a column of the data.")
    codes = cb.codes_of(data[item_id], item)
    scale = item.scale
    if scale.numeric:
        lo, hi = float(scale.min), float(scale.max)
        x = np.where((codes >= lo) & (codes <= hi), codes, np.nan)
        s = (x - lo) / (hi - lo)
        if item.polarity == "lower":
            s = 1 - s
    else:
        valid = np.array(sorted(scale.valid_codes), dtype=float)
        lo, hi = valid.min(), valid.max()
        x = np.where(np.isin(codes, valid), codes, np.nan)
        s = (x - lo) / (hi - lo)
        if item.reverse:
            s = 1 - s
    return pd.Series(s, index=data.index, name=item_id)


def collective_control(
    data: pd.DataFrame, codebook: Any = None, min_share: float = 0.5
) -> pd.DataFrame:
    """The five collective-control component scores and the overall index (0-100).

    A component score is the mean of its items' :func:`item_score` x 100 over the items the
    respondent answered, provided they answered at least ``min_share`` (half) of its items;
    otherwise NaN. The overall index is the mean of the available component scores, given
    when at least ``min_share`` of all the component items are answered.

    Returns
    -------
    pandas.DataFrame
        One column per component plus ``collective_control``, indexed like ``data``.

    Examples
    --------
    >>> cb = __import__("lozells_analysis.data.codebook", fromlist=["x"]).load_codebook()
    >>> items = [i for c in COMPONENTS for i in cb.component_items(c)]
    >>> df = pd.DataFrame({i: pd.array([1, 8, 1], dtype="Int64") for i in items})
    >>> df.loc[2, cb.component_items("influence")] = pd.array([5, 5, 9], dtype="Int64")
    >>> out = collective_control(df, cb)
    >>> out["influence"].tolist(), out["collective_control"].tolist()
    ([100.0, nan, 0.0], [100.0, nan, 80.0])
    """
    cb = _cb(codebook)
    if not 0 < min_share <= 1:
        raise ParameterError(f"min_share must be in (0, 1]; got {min_share}.")
    out = pd.DataFrame(index=data.index)
    answered_all = np.zeros(len(data))
    n_all = 0
    for comp in COMPONENTS:
        items = cb.component_items(comp)
        missing = [i for i in items if i not in data.columns]
        if missing:
            raise ParameterError(
                f"Component {comp!r} needs items {missing} that are not columns of the data."
            )
        scores = np.column_stack([item_score(data, i, cb).to_numpy() for i in items])
        answered = (~np.isnan(scores)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(np.where(answered[:, None] > 0, scores, 0.0), axis=1)
        out[comp] = np.where(answered >= min_share * len(items), 100 * mean, np.nan)
        answered_all += answered
        n_all += len(items)
    comp_mean = out[list(COMPONENTS)].mean(axis=1, skipna=True)
    out["collective_control"] = np.where(answered_all >= min_share * n_all, comp_mean, np.nan)
    return out


def _weighted_cov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The weighted covariance matrix of the columns of ``x`` (weights normalised)."""
    w = w / w.sum()
    mu = w @ x
    d = x - mu
    return (d * w[:, None]).T @ d


def _complete_cases(
    data: pd.DataFrame, cols: list, weights: str | Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The items and weights of the respondents who answered every item (weight > 0)."""
    x = data[cols].astype("float64").to_numpy(na_value=np.nan)
    if weights is None:
        w = np.ones(len(data))
    elif isinstance(weights, str):
        w = data[weights].to_numpy(float)
    else:
        w = np.asarray(weights, dtype=float)
    ok = ~np.isnan(x).any(axis=1) & np.isfinite(w) & (w > 0)
    return x[ok], w[ok]


def _item_covariance(x: np.ndarray, w: np.ndarray, weighted: bool) -> tuple[np.ndarray, float]:
    """The items' covariance matrix and the sample size behind it (Kish's when weighted)."""
    if not weighted:
        return np.cov(x, rowvar=False, ddof=1), float(len(x))
    return _weighted_cov(x, w), w.sum() ** 2 / (w**2).sum()


def _feldt_interval(alpha: float, n_eff: float, k: int, level: float) -> tuple[float, float]:
    """Feldt's (1965) interval for alpha: F on ``n_eff - 1`` and ``(n_eff - 1)(k - 1)`` df."""
    a = 1 - level
    d1, d2 = n_eff - 1, (n_eff - 1) * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.ppf(1 - a / 2, d1, d2)
    upper = 1 - (1 - alpha) * stats.f.ppf(a / 2, d1, d2)
    return lower, upper


def cronbach_alpha(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    weights: str | Sequence[float] | None = None,
    level: float = 0.95,
    variable: str | None = None,
) -> pd.DataFrame:
    """Cronbach's alpha of a set of items, unweighted or survey-weighted, with an interval.

    ``alpha = k / (k - 1) * (1 - sum(var_i) / var(sum))`` over respondents who answered
    every item (listwise). Weighted: the variances are weighted (weights normalised; the
    result is unchanged by scaling the weights). Interval: Feldt (1965),
    ``1 - (1 - alpha) * F(1 - a/2; n - 1, (n - 1)(k - 1))`` and ``1 - (1 - alpha) *
    F(a/2; ...)``, with ``n`` the Kish effective sample size when weighted.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str, optional
        The scale's items (default every column but ``weights``).
    weights : str or array-like, optional
        Column (or values) of survey weights.
    level : float
        Confidence level of the Feldt interval.
    variable : str, optional
        The scale's name, for the ``variable`` column (default the items joined by "+").

    Returns
    -------
    pandas.DataFrame
        One row: ``variable, estimate, se, lower_ci, upper_ci, level, method, n, df, n_eff,
        k, weighted``. ``estimate`` is alpha; ``method`` is ``"Cronbach's alpha
        (weighted)"`` or ``"Cronbach's alpha (unweighted)"`` (the interval is Feldt's in
        both); ``se`` and ``df`` are NaN (Feldt's interval uses an F distribution on
        ``n_eff - 1`` and ``(n_eff - 1)(k - 1)`` df, not a standard error); ``n`` is the
        respondents who answered every item.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> cronbach_alpha(d, variable="abc")[["variable", "estimate", "n", "k"]].round(4)
      variable  estimate  n  k
    0      abc    0.9538  5  3
    """
    level = _check_level(level)
    cols = list(items) if items is not None else [c for c in data.columns if c != weights]
    if len(cols) < 2:
        raise ParameterError("Cronbach's alpha needs at least two items.")
    x, w = _complete_cases(data, cols, weights)
    n, k = len(x), len(cols)
    if n < 2:
        raise ParameterError("Cronbach's alpha needs at least two complete respondents.")
    weighted = weights is not None
    cov, n_eff = _item_covariance(x, w, weighted)
    alpha = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    lower, upper = _feldt_interval(alpha, n_eff, k, level)
    return tidy(
        pd.DataFrame(
            {
                "variable": [variable if variable is not None else "+".join(map(str, cols))],
                "estimate": [alpha],
                "se": [np.nan],
                "lower_ci": [lower],
                "upper_ci": [upper],
                "level": [level],
                "method": [f"Cronbach's alpha ({'weighted' if weighted else 'unweighted'})"],
                "n": [n],
                "df": [np.nan],
                "n_eff": [n_eff],
                "k": [k],
                "weighted": [weighted],
            }
        )
    )


def ons4_band(values: Any, item_id: str = "life_satisfaction", codebook: Any = None) -> Any:
    """ONS4 band of each score (0-10), with the published thresholds from the codebook.

    Examples
    --------
    >>> list(ons4_band([0, 4, 5, 6, 7, 8, 9, 10], "life_satisfaction"))
    ['Low', 'Low', 'Medium', 'Medium', 'High', 'High', 'Very high', 'Very high']
    >>> list(ons4_band([0, 1, 2, 3, 4, 5, 6, 10], "anxiety"))
    ['Very low', 'Very low', 'Low', 'Low', 'Medium', 'Medium', 'High', 'High']
    """
    return _cb(codebook).band_of(item_id, values)
