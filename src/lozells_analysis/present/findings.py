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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = [
    "area_name",
    "comparison_title",
    "comparisons_title",
    "effects_title",
    "most_often_title",
    "pair_title",
    "period_text",
    "period_years",
    "spread_title",
    "subtitle",
    "trend_title",
    "trends_title",
]

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
    'Belonging is highest where area is C (70%) and lowest where it is A (30%)'
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
        f"{label} is highest where {group_words} is {top[group]} "
        f"({fmt(float(top['estimate']))}) and lowest where it is {bottom[group]} "
        f"({fmt(float(bottom['estimate']))})"
    )


def subtitle(measure: str, area: str, period: str, unit: str) -> str:
    """The line under a chart title: what is measured, where, when, in what unit.

    Examples
    --------
    >>> subtitle("Life satisfaction", "All 13 neighbourhoods", "2016 to 2019", "score 0-10")
    'Life satisfaction, All 13 neighbourhoods, 2016 to 2019, score 0-10'
    """
    return ", ".join(part.strip() for part in (measure, area, period, unit) if part.strip())


# --- several results in one title --------------------------------------------------------------
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _count(n: int) -> str:
    return _NUMBERS.get(n, str(n))


def trends_title(
    trend_result: pd.DataFrame, first_year: int | str, last_year: int | str, label: str = "label"
) -> str:
    """One title for several trend tests (a chart of small multiples): which measures rose or
    fell, or that none changed clearly.

    Examples
    --------
    >>> t = pd.DataFrame({"label": ["Belonging", "Trust", "Chat"],
    ...                   "direction": ["increasing", "no significant trend",
    ...                                 "no significant trend"]})
    >>> trends_title(t, 2016, 2019)
    'Belonging rose between 2016 and 2019; the other two measures did not change clearly'
    >>> trends_title(t.assign(direction="no significant trend"), 2016, 2019)
    'None of the three measures changed clearly between 2016 and 2019'
    >>> trends_title(t.iloc[:2].assign(direction="no significant trend"), 2016, 2019)
    'Neither measure changed clearly between 2016 and 2019'
    """
    if len(trend_result) == 1:
        return trend_title(str(trend_result[label].iloc[0]), trend_result, first_year, last_year)
    between = f"between {first_year} and {last_year}"
    moved = []
    for _, row in trend_result.iterrows():
        direction = str(row["direction"]).lower()
        if direction.startswith(tuple(_RISE)):
            moved.append(f"{row[label]} rose")
        elif direction.startswith(tuple(_FALL)):
            moved.append(f"{row[label]} fell")
    if not moved:
        if len(trend_result) == 2:
            return f"Neither measure changed clearly {between}"
        return f"None of the {_count(len(trend_result))} measures changed clearly {between}"
    rest = len(trend_result) - len(moved)
    text = _capital("; ".join(moved[:3])) + f" {between}"
    if rest:
        noun = "measure" if rest == 1 else "measures"
        verb = "did" if rest else ""
        text += f"; the other {_count(rest)} {noun} {verb} not change clearly"
    return text


def comparisons_title(
    area: str, comparison: pd.DataFrame, comparator: str | None = None, noun: str = "measures"
) -> str:
    """One title for an area's comparison on several measures: how many are better,
    similar, worse (or higher, lower) than the comparator.

    ``comparison`` has a ``comparison`` column (and ``comparator``, to pick one by name).

    Examples
    --------
    >>> c = pd.DataFrame({"variable": ["a", "b", "c"], "comparator": ["England"] * 3,
    ...                   "comparison": ["better", "better", "similar"]})
    >>> comparisons_title("Lozells", c, "England")
    'Lozells is better than England on two of three measures and similar on one'
    >>> comparisons_title("Lozells", c.assign(comparison="similar"), "England")
    'Lozells is similar to England on all three measures'
    """
    rows = comparison
    if comparator is not None and "comparator" in rows.columns:
        chosen = rows[rows["comparator"] == comparator]
        rows = chosen if not chosen.empty else rows
    if "variable" in rows.columns:
        rows = rows.drop_duplicates("variable")
    comparator = comparator or (
        str(rows["comparator"].iloc[0]) if "comparator" in rows.columns else "the comparator"
    )
    verdicts = [str(v).lower() for v in rows["comparison"] if str(v).lower() in _VERDICTS]
    total = len(verdicts)
    if not total:
        return f"{area}: no comparable figures for {comparator}"
    counts = pd.Series(verdicts).value_counts()
    fixed = ("better", "higher", "similar", "worse", "lower")
    # the most common verdict first (ties: better before similar before worse)
    order = sorted((v for v in fixed if v in counts), key=lambda v: (-counts[v], fixed.index(v)))
    first = order[0]
    if counts[first] == total:
        return f"{area} is {_VERDICTS[first]} {comparator} on all {_count(total)} {noun}"
    text = f"{area} is {_VERDICTS[first]} {comparator} on {_count(int(counts[first]))} of " + (
        f"{_count(total)} {noun}"
    )
    others = [f"{v} on {_count(int(counts[v]))}" for v in order[1:]]
    if others:
        text += (
            " and " + ", ".join(others)
            if len(others) == 1
            else (", " + ", ".join(others[:-1]) + " and " + others[-1])
        )
    return text


def effects_title(
    outcome: str, model: pd.DataFrame, labels: Mapping[str, str] | None = None, null: float = 0.0
) -> str:
    """A title for a regression chart: the terms whose interval leaves out no difference
    (at most three named), or that none does. The intercept is left out.

    Examples
    --------
    >>> m = pd.DataFrame({"variable": ["Intercept", "involved", "age"],
    ...                   "lower_ci": [1, 0.5, -1], "upper_ci": [2, 2.0, 1]})
    >>> print(effects_title("Control", m, {"involved": "Being involved"}))
    Control differs clearly with Being involved; no clear difference with the other term
    >>> effects_title("Life satisfaction", m.iloc[[0, 2]])
    'Life satisfaction shows no clear difference with any of the terms in the model'
    """
    labels = labels or {}
    terms = model[model["variable"] != "Intercept"]
    clear = terms[(terms["lower_ci"] > null) | (terms["upper_ci"] < null)]
    outcome = _capital(outcome.strip().replace("_", " "))
    if clear.empty:
        return f"{outcome} shows no clear difference with any of the terms in the model"
    names = [str(labels.get(v, v)) for v in clear["variable"]]
    named = names[0]
    if len(names) > 1:
        shown = names[:3]
        named = ", ".join(shown[:-1]) + " and " + shown[-1]
        if len(names) > 3:
            named = ", ".join(shown) + f" and {len(names) - 3} more"
    rest = len(terms) - len(clear)
    text = f"{outcome} differs clearly with {named}"
    if rest:
        text += f"; no clear difference with the other {'term' if rest == 1 else 'terms'}"
    return text


def most_often_title(
    table: pd.DataFrame, category: str, noun: str, value: str = "estimate"
) -> str:
    """A title naming what was raised most often (suppressed rows left out).

    Examples
    --------
    >>> f = pd.DataFrame({"label": ["Waiting times", "Digital exclusion"],
    ...                   "estimate": [0.21, 0.27]})
    >>> most_often_title(f, "label", "barrier")
    'Digital exclusion was the barrier raised most often (27% of excerpts)'
    """
    rows = table
    if "suppressed" in rows.columns:
        rows = rows[~rows["suppressed"].fillna(False).astype(bool)]
    rows = rows.dropna(subset=[value])
    if rows.empty:
        return f"How often each {noun} was raised"
    top = rows.loc[rows[value].astype(float).idxmax()]
    share = f"{float(top[value]) * 100:.0f}%"
    return f"{top[category]} was the {noun} raised most often ({share} of excerpts)"


def pair_title(matrix: pd.DataFrame, noun: str) -> str:
    """A title naming the two things raised together most often (a co-occurrence matrix).

    Examples
    --------
    >>> m = pd.DataFrame([[5, 3, 1], [3, 4, 0], [1, 0, 2]], index=list("abc"), columns=list("abc"))
    >>> pair_title(m, "barriers")
    'a and b were the barriers raised together most often'
    """
    import numpy as np

    upper = matrix.where(np.triu(np.ones(matrix.shape, bool), 1)).stack().dropna()
    if upper.empty or float(upper.max()) <= 0:
        return f"No two {noun} were raised together"
    a, b = upper.astype(float).idxmax()
    return f"{a} and {b} were the {noun} raised together most often"


# --- where and when --------------------------------------------------------------------------
def area_name(neighbourhood: str, codebook: Any = None) -> str:
    """The area a report covers, for a subtitle: the neighbourhood, or the whole programme.

    Examples
    --------
    >>> area_name("Lozells"), area_name("all")
    ('Lozells', 'All 13 neighbourhoods')
    """
    from lozells_analysis.data.selection import selection_label

    return selection_label(neighbourhood, [1], codebook).rsplit(", wave", 1)[0]


def period_years(waves: Iterable[int], codebook: Any = None) -> tuple[int, int]:
    """The first and last calendar year of the survey ``waves`` (from the codebook).

    Examples
    --------
    >>> period_years([1, 2, 3, 4, 5, 6])
    (2016, 2019)
    """
    from lozells_analysis.data.codebook import load_codebook

    cb = codebook or load_codebook()
    years = [cb.waves[int(w)].start.year for w in waves]
    return min(years), max(years)


def period_text(waves: Sequence[int] | Iterable[int], codebook: Any = None) -> str:
    """The survey period in years, as a reader writes it.

    Examples
    --------
    >>> period_text([1, 2, 3, 4, 5, 6]), period_text([6])
    ('2016 to 2019', '2019')
    """
    first, last = period_years(waves, codebook)
    return str(first) if first == last else f"{first} to {last}"
