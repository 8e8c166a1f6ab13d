"""Change over the survey's waves.

* :func:`linear_trend` — design-based logistic regression of an indicator on wave (as a
  number): the slope is the change in log-odds per wave, tested with t(df) (``svyglm``).
* :func:`wave_change` — each wave against the one before, with the design-based interval
  of the difference (waves share PSUs, so the covariance is kept).
* :func:`fingertips_trend` — the Fingertips recent-trend marker: chi-squared test for trend
  in proportions over the latest five points, significant at 99.8%.

:func:`linear_trend` and :func:`wave_change` return estimate tables in the library's schema
(:mod:`lozells_analysis.stats.schema`). :func:`fingertips_trend` is a test on a handful of
published counts, not an estimator: it has no estimate, interval or standard error to put in
that schema, so it returns a plain ``dict`` (``statistic, p_value, direction, marker,
periods``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.compare import group_differences
from lozells_analysis.stats.design import SurveyDesign
from lozells_analysis.stats.schema import by_columns, tidy

log = logging.getLogger(__name__)

__all__ = ["as_years", "fingertips_trend", "linear_trend", "wave_change"]


def _trend_groups(data: pd.DataFrame, keys: list[str]) -> list[tuple[tuple, np.ndarray | None]]:
    """Each group's key (a tuple) and row mask; one group of every row (no mask) without keys."""
    if not keys:
        return [((), None)]
    index = data.groupby(keys, observed=True, sort=True, dropna=True).indices
    groups: list[tuple[tuple, np.ndarray | None]] = []
    for key, rows in index.items():
        in_group = np.zeros(len(data), dtype=bool)
        in_group[rows] = True
        groups.append((key if isinstance(key, tuple) else (key,), in_group))
    return groups


def _trend_record(fit: pd.DataFrame, variable: str, level: float) -> dict[str, Any]:
    """The wave slope of a fitted trend model as a schema row, with its odds ratio and test."""
    term = fit.iloc[1]
    return {
        "variable": variable,
        "estimate": term["estimate"],
        "se": term["se"],
        "lower_ci": term["lower_ci"],
        "upper_ci": term["upper_ci"],
        "level": level,
        "method": "svyglm logistic trend",
        "n": fit.attrs["model"].n,
        "df": term["df"],
        "odds_ratio": np.exp(term["estimate"]),
        "odds_ratio_lower_ci": np.exp(term["lower_ci"]),
        "odds_ratio_upper_ci": np.exp(term["upper_ci"]),
        "statistic": term["statistic"],
        "p_value": term["p_value"],
    }


def as_years(values: Any) -> np.ndarray:
    """Times as numbers: dates become years since the earliest (days / 365.25).

    Parameters
    ----------
    values : array-like
        Dates (datetimes, ``datetime.date`` or ISO strings) or numbers.

    Returns
    -------
    numpy.ndarray
        Numbers as they are; dates as ``(date - earliest date) / 365.25 days``; NaN missing.

    Examples
    --------
    >>> as_years(["2016-03-01", "2017-03-01", "2019-03-01"]).round(4).tolist()
    [0.0, 0.9993, 2.9979]
    >>> as_years([1, 2.5, 4]).tolist()
    [1.0, 2.5, 4.0]
    """
    col = pd.Series(values)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype(float).to_numpy()
    try:
        when = pd.to_datetime(col)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"times must be dates or numbers; got {list(col[:3])}.") from exc
    return ((when - when.min()) / pd.Timedelta(days=365.25)).to_numpy(dtype=float)


def _timed(design: SurveyDesign, wave: str, times: Any) -> tuple[SurveyDesign, str]:
    """The design (with a time column when ``times`` is given) and the column to regress on."""
    if times is None:
        return design, wave
    data = design.data
    if isinstance(times, str):
        if times not in data.columns:
            raise ParameterError(f"times column {times!r} is not in the data.")
        t = as_years(data[times])
    else:  # {wave: date or number}
        mapped = data[wave].map(dict(times))
        unknown = sorted(set(data[wave].dropna()) - set(dict(times)), key=str)
        if unknown:
            raise ParameterError(f"times gives no date for wave(s) {unknown[:10]}.")
        t = as_years(mapped)
    timed = copy.copy(design)  # same design, one more column: the real time of each row
    timed.data = data.assign(_trend_time=t)
    timed._group_cache = {}
    return timed, "_trend_time"


def linear_trend(
    design: SurveyDesign,
    variable: str,
    wave: str = "wave",
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    times: str | Mapping[Any, Any] | None = None,
    min_points: int | None = None,
) -> pd.DataFrame:
    """Design-based logistic test for a linear trend over waves.

    Fits ``variable ~ wave`` (wave as a number) with :meth:`SurveyDesign.glm`, in each
    group of ``by`` as a domain of the full design.

    Parameters
    ----------
    by : str or list of str, optional
        Grouping column(s): one fit per observed combination (rows with a missing group
        value are left out).
    times : str or mapping, optional
        The real spacing of the waves, instead of the wave numbers: a column of interview
        dates (or numeric times), or ``{wave: date}``. Dates become years since the first,
        so the slope is per year.
    min_points : int, optional
        Fingertips' rule that a trend needs five points (``min_points=5``; off by default):
        a group with fewer distinct time points among its answers is not fitted (NaN
        estimate, interval, statistic, p-value and df; ``direction`` "cannot be
        calculated"), and the table gains ``points`` and ``reason`` (e.g. "4 time points;
        a trend needs at least 5"; empty where the trend was fitted).

    Returns
    -------
    pandas.DataFrame
        One row per group: the group columns, then ``variable, estimate, se, lower_ci,
        upper_ci, level, method, n, df`` with ``estimate`` the slope in log-odds per wave
        (``lower_ci``/``upper_ci`` on that scale) and ``method`` ``"svyglm logistic
        trend"``; then ``odds_ratio`` per wave with ``odds_ratio_lower_ci`` /
        ``odds_ratio_upper_ci``, ``statistic`` (t), ``p_value`` and ``direction``
        ("increasing", "decreasing" or "no significant trend" at 1 - level; "cannot be
        calculated" with too few points), and with ``min_points`` ``points, reason``.

    Examples
    --------
    >>> df = pd.DataFrame({"wave": np.repeat([1, 2, 3, 4], 50),
    ...                    "y": np.r_[[1] * 10 + [0] * 40, [1] * 20 + [0] * 30,
    ...                               [1] * 30 + [0] * 20, [1] * 40 + [0] * 10]})
    >>> linear_trend(SurveyDesign(df), "y")[["direction", "df", "n"]]
        direction   df    n
    0  increasing  198  200

    With Fingertips' rule, four waves are not enough:

    >>> row = linear_trend(SurveyDesign(df), "y", min_points=5).iloc[0]
    >>> row["direction"], int(row["points"]), row["reason"]
    ('cannot be calculated', 4, '4 time points; a trend needs at least 5')
    >>> bool(np.isnan(row["estimate"]) and np.isnan(row["p_value"]))
    True
    """
    data = design.data
    keys = by_columns(by)
    _check_trend_arguments(data, wave, keys, min_points)
    records = []
    design, time = _timed(design, wave, times)
    formula = f"{variable} ~ {time}"
    for key, mask in _trend_groups(data, keys):  # one model per group: a few neighbourhoods
        record: dict[str, Any] = dict(zip(keys, key, strict=True))
        if min_points is None:
            fit = design.glm(formula, family="binomial", level=level, subset=mask)
            records.append({**record, **_trend_record(fit, variable, level)})
            continue
        points, n = _points(design, variable, time, mask)
        if points < min_points:
            record.update(_no_trend_record(variable, level, n))
            reason = f"{points} time points; a trend needs at least {min_points}"
        else:
            fit = design.glm(formula, family="binomial", level=level, subset=mask)
            record.update(_trend_record(fit, variable, level))
            reason = ""
        records.append({**record, "points": points, "reason": reason})
    return tidy(_with_directions(pd.DataFrame(records), level, min_points), keys)


def _check_trend_arguments(
    data: pd.DataFrame, wave: str, keys: list[str], min_points: int | None
) -> None:
    """:class:`ParameterError` for a wave or group column not in the data, or a bad
    ``min_points``."""
    if wave not in data.columns:
        raise ParameterError(f"wave column {wave!r} is not in the data.")
    missing = [c for c in keys if c not in data.columns]
    if missing:
        raise ParameterError(f"by column(s) {missing} not in the data.")
    if min_points is not None and (int(min_points) != min_points or min_points < 2):
        raise ParameterError(
            f"min_points={min_points!r}: give a whole number of at least 2 (Fingertips: 5)."
        )


def _with_directions(out: pd.DataFrame, level: float, min_points: int | None) -> pd.DataFrame:
    """``direction`` of each trend at ``1 - level``; with ``min_points``, "cannot be
    calculated" where a group had too few points, and ``points, reason`` last."""
    sig = out["p_value"] < 1 - level
    out["direction"] = np.where(
        sig & (out["estimate"] > 0),
        "increasing",
        np.where(sig & (out["estimate"] < 0), "decreasing", "no significant trend"),
    )
    if min_points is not None:
        out.loc[out["reason"] != "", "direction"] = "cannot be calculated"
        out = out[[c for c in out.columns if c not in ("points", "reason")] + ["points", "reason"]]
    return out


def _no_trend_record(variable: str, level: float, n: int) -> dict[str, Any]:
    """The row of a group whose trend is not estimated (too few time points)."""
    nan = np.nan
    return {
        "variable": variable,
        "estimate": nan,
        "se": nan,
        "lower_ci": nan,
        "upper_ci": nan,
        "level": level,
        "method": "svyglm logistic trend",
        "n": n,
        "df": nan,
        "odds_ratio": nan,
        "odds_ratio_lower_ci": nan,
        "odds_ratio_upper_ci": nan,
        "statistic": nan,
        "p_value": nan,
    }


def _points(
    design: SurveyDesign, variable: str, time: str, mask: np.ndarray | None
) -> tuple[int, int]:
    """Distinct time points, and rows, among the rows of a group that answered ``variable``
    and have a time."""
    answered = ~np.isnan(design.values(variable, "proportion"))
    answered &= design.data[time].notna().to_numpy()
    if mask is not None:
        answered &= mask
    return int(design.data.loc[answered, time].nunique()), int(answered.sum())


def wave_change(
    design: SurveyDesign,
    variable: str,
    wave: str = "wave",
    kind: str = "proportion",
    level: float = 0.95,
    adjust: str = "none",
) -> pd.DataFrame:
    """Wave-on-wave change: each wave minus the previous one, with its design-based interval.

    Returns the table of :func:`~lozells_analysis.stats.compare.group_differences`
    (``estimate`` the change, ``method`` ``"difference of proportions (design-based,
    Taylor)"``) with ``group_1`` the later wave and ``group_2`` the earlier one.

    Examples
    --------
    >>> df = pd.DataFrame({"wave": [1] * 4 + [2] * 4 + [3] * 4,
    ...                    "y": [0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0]})
    >>> wave_change(SurveyDesign(df), "y")[["group_1", "group_2", "estimate"]]
       group_1  group_2  estimate
    0        2        1      0.25
    1        3        2      0.25
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
    times: Sequence[Any] | None = None,
) -> dict:
    """Fingertips recent-trend marker: chi-squared test for trend over the latest points.

    Uses the latest ``points`` periods (5, as Fingertips; never fewer: Fingertips' rule is
    that a trend needs at least five points). With ``t`` the period number (or, given
    ``times``, the real time of each period: dates become years since the first),
    ``p = sum(x) / sum(n)``: ``X^2 = [sum x_i (t_i - tbar)]^2 / (p (1 - p) sum n_i (t_i -
    tbar)^2)`` with ``tbar = sum n_i t_i / sum n_i``, on 1 df. Significant when
    ``p_value < 1 - level`` (99.8% by default). For a weighted survey pass ``x = estimate *
    n_eff`` and ``n = n_eff``.

    A test on published counts rather than an estimator, so it returns a ``dict``, not an
    estimate table in the library's schema.

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
    if points < 5:
        raise ParameterError(f"points={points}: Fingertips' rule: a trend needs at least 5.")
    when = None if times is None else as_years(times)
    if when is not None and when.shape != xs.shape:
        raise ParameterError("times must have one value per period.")
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
    t = np.arange(1, points + 1, dtype=float) if when is None else when[-points:]
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
