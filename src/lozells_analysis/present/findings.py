"""Chart titles that state the finding, worded from the statistics (ONS practice).

An ONS chart title says what the chart shows ("Belonging has not changed clearly since
2016"), not what was asked; the subtitle says what is measured, where, when and in what
unit. The words come from the test results the statistics modules return, so a title never
claims more than the interval or the test supports:

* :func:`trend_title` from a trend test (:func:`lozells_analysis.stats.trends.linear_trend`
  or :func:`~lozells_analysis.present.summaries.trend_tests`): "rose", "fell" or "has not
  changed clearly";
* :func:`comparison_title` from a benchmark comparison (better / similar / worse, or higher
  / similar / lower when the measure has no polarity);
* :func:`spread_title` from estimates by group: whether the intervals of the highest and the
  lowest group overlap;
* :func:`subtitle`: measure, area, period and unit in one line.

Examples
--------
>>> import pandas as pd
>>> trend = pd.DataFrame({"variable": ["belong"], "direction": ["no significant trend"]})
>>> trend_title("Belonging", trend, 2016)
'Belonging has not changed clearly since 2016'
>>> trend_title("Belonging", trend.assign(direction="increasing"), 2016, 2019)
'Belonging rose between 2016 and 2019'
>>> subtitle("Residents who feel they belong", "Lozells", "2016 to 2019", "%")
'Residents who feel they belong, Lozells, 2016 to 2019, %'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["comparison_title", "spread_title", "subtitle", "trend_title"]

_RISE = {"increasing", "rise", "rising", "up"}
_FALL = {"decreasing", "fall", "falling", "down"}


def _first_row(result: pd.DataFrame | Mapping[str, Any], variable: str | None) -> Mapping:
    if isinstance(result, pd.DataFrame):
        rows = result
        if variable is not None and "variable" in rows.columns:
            rows = rows[rows["variable"] == variable]
        if rows.empty:
            raise ValueError(
                f"no row for {variable!r} in the trend result; pass the variable the chart "
                "shows (one of its 'variable' values)"
            )
        return rows.iloc[0].to_dict()
    return result


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def trend_title(
    label: str,
    trend_result: pd.DataFrame | Mapping[str, Any],
    first_year: int | str,
    last_year: int | str | None = None,
    *,
    variable: str | None = None,
) -> str:
    """A title stating what a trend test found, in words a resident reads.

    Parameters
    ----------
    label : str
        What is measured, short ("Belonging", "Trust in neighbours").
    trend_result : DataFrame or mapping
        A trend test with a ``direction`` column ("increasing", "decreasing", "no
        significant trend" or "cannot be calculated"); the row of ``variable`` when given.
    first_year, last_year
        The period the test covers; without ``last_year`` the title says "since".

    Examples
    --------
    >>> trend_title("Trust", {"direction": "decreasing"}, 2016, 2019)
    'Trust fell between 2016 and 2019'
    >>> trend_title("Trust", {"direction": "increasing"}, 2016)
    'Trust has risen since 2016'
    >>> trend_title("trust", {"direction": "cannot be calculated"}, 2016, 2019)
    'Trust: too few survey rounds to tell whether it changed between 2016 and 2019'
    """
    row = _first_row(trend_result, variable)
    direction = str(row.get("direction", "")).strip().lower()
    label = _capital(label.strip())
    since = f"since {first_year}"
    between = f"between {first_year} and {last_year}"
    period = since if last_year is None else between
    if direction.startswith(tuple(_RISE)):
        return f"{label} has risen {since}" if last_year is None else f"{label} rose {between}"
    if direction.startswith(tuple(_FALL)):
        return f"{label} has fallen {since}" if last_year is None else f"{label} fell {between}"
    if direction.startswith("cannot"):
        return f"{label}: too few survey rounds to tell whether it changed {period}"
    return f"{label} has not changed clearly {period}"


_VERDICTS = {
    "better": "better than",
    "worse": "worse than",
    "higher": "higher than",
    "lower": "lower than",
    "similar": "similar to",
}


def comparison_title(
    label: str,
    area: str,
    comparison: pd.DataFrame | Mapping[str, Any] | str,
    comparator: str = "England",
    *,
    variable: str | None = None,
) -> str:
    """A title stating how an area compares with a benchmark.

    ``comparison`` is a verdict ("better", "similar", "worse", "higher", "lower", "not
    compared") or a benchmark comparison table with a ``comparison`` column (the row of
    ``variable`` and ``comparator`` is used).

    Examples
    --------
    >>> comparison_title("Belonging", "Lozells", "better")
    'Belonging in Lozells is better than England'
    >>> comparison_title("Life satisfaction", "Govanhill", "similar", "Scotland")
    'Life satisfaction in Govanhill is similar to Scotland'
    >>> comparison_title("Belonging", "Lozells", "not compared")
    'Belonging in Lozells: no comparable figure for England'
    """
    if isinstance(comparison, str):
        verdict = comparison
    else:
        if isinstance(comparison, pd.DataFrame) and "comparator" in comparison.columns:
            chosen = comparison[comparison["comparator"] == comparator]
            comparison = chosen if not chosen.empty else comparison
        verdict = str(_first_row(comparison, variable).get("comparison", ""))
    verdict = verdict.strip().lower()
    where = f"{_capital(label.strip())} in {area}"
    if verdict in _VERDICTS:
        return f"{where} is {_VERDICTS[verdict]} {comparator}"
    return f"{where}: no comparable figure for {comparator}"


def spread_title(
    label: str,
    estimates: pd.DataFrame,
    group: str,
    *,
    percent: bool = True,
) -> str:
    """A title stating whether groups differ: the highest and lowest group and whether
    their intervals overlap (suppressed rows are left out).

    Examples
    --------
    >>> est = pd.DataFrame({"area": ["A", "B", "C"], "estimate": [0.3, 0.5, 0.7],
    ...                     "lower_ci": [0.25, 0.45, 0.65], "upper_ci": [0.35, 0.55, 0.75]})
    >>> spread_title("Belonging", est, "area")
    'Belonging is highest in C (70%) and lowest in A (30%)'
    >>> spread_title("Belonging", est.assign(lower_ci=0.1, upper_ci=0.9), "area")
    'Belonging is similar across area: the intervals overlap'
    """
    rows = estimates
    if "suppressed" in rows.columns:
        rows = rows[~rows["suppressed"].fillna(False).astype(bool)]
    rows = rows.dropna(subset=["estimate"])
    label = _capital(label.strip())
    group_words = group.replace("_", " ")
    if len(rows) < 2:
        return f"{label} by {group_words}"
    top = rows.loc[rows["estimate"].idxmax()]
    bottom = rows.loc[rows["estimate"].idxmin()]
    if float(top["lower_ci"]) <= float(bottom["upper_ci"]):
        return f"{label} is similar across {group_words}: the intervals overlap"

    def fmt(v: float) -> str:
        return f"{v * 100:.0f}%" if percent else f"{v:.1f}"

    return (
        f"{label} is highest in {top[group]} ({fmt(float(top['estimate']))}) and lowest in "
        f"{bottom[group]} ({fmt(float(bottom['estimate']))})"
    )


def subtitle(measure: str, area: str, period: str, unit: str) -> str:
    """The line under a chart title: what is measured, where, when, in what unit.

    Examples
    --------
    >>> subtitle("Life satisfaction", "All 13 neighbourhoods", "2016 to 2019", "score 0-10")
    'Life satisfaction, All 13 neighbourhoods, 2016 to 2019, score 0-10'
    """
    return ", ".join(part.strip() for part in (measure, area, period, unit) if part.strip())
