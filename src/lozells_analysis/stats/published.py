"""What a report publishes: the rules for counts of respondents, and the records it leaves.

A count of respondents shown anywhere (a selection total, a table's ``n`` column) follows the
small-cell rule of :mod:`lozells_analysis.stats.disclosure`: below the floor it is suppressed;
in a briefing pack it is also rounded (ONS practice). The build tells the kernel which rules
apply through the environment (:data:`AUDIENCE_ENV`, :data:`MIN_N_ENV`, :data:`ROUNDING_ENV`),
so a notebook passes nothing; outside a build the rules are the research defaults (floor 10,
exact counts).

:func:`record_count` registers each published count with what it counts, as a hidden record
in the executed notebook (:mod:`lozells_analysis.stats.records`), for the build's
differencing check (``reports/differencing.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.stats.disclosure import DEFAULT_MIN_N, is_small, round_counts
from lozells_analysis.stats.records import COUNT_MIME, record

__all__ = [
    "AUDIENCE_ENV",
    "COUNTED_BY",
    "COUNTED_NOUN",
    "COUNTED_SELECTION",
    "DEFAULT_COUNT_ROUNDING",
    "MIN_N_ENV",
    "OVERALL",
    "ROUNDING_ENV",
    "CountRules",
    "ShownCount",
    "count_context",
    "counted",
    "record_count",
]

#: Default base a briefing pack rounds counts of respondents to (``[tool.lozells]
#: count_rounding``).
DEFAULT_COUNT_ROUNDING = 5
AUDIENCE_ENV = "LOZELLS_AUDIENCE"
MIN_N_ENV = "LOZELLS_MIN_N_FLOOR"
ROUNDING_ENV = "LOZELLS_COUNT_ROUNDING"


@dataclass(frozen=True)
class CountRules:
    """How a count of respondents may be shown: the floor below which it is suppressed, and
    the base it is rounded to (``None``: shown exactly; research reports).

    Examples
    --------
    >>> CountRules(min_n=10, rounding=5).shown(157)
    ShownCount(value=155, suppressed=False, rounded=True)
    >>> CountRules(min_n=10).shown(3)
    ShownCount(value=None, suppressed=True, rounded=False)
    """

    min_n: int = DEFAULT_MIN_N
    rounding: int | None = None
    audience: str = "research"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> CountRules:
        """The rules the build set for this run (see the module's comment); defaults outside
        a build. A briefing pack rounds to ``LOZELLS_COUNT_ROUNDING`` (default 5).

        Examples
        --------
        >>> CountRules.from_environment({"LOZELLS_AUDIENCE": "briefing",
        ...                              "LOZELLS_MIN_N_FLOOR": "20"})
        CountRules(min_n=20, rounding=5, audience='briefing')
        >>> CountRules.from_environment({})
        CountRules(min_n=10, rounding=None, audience='research')
        """
        env = os.environ if environ is None else environ
        audience = env.get(AUDIENCE_ENV, "research") or "research"
        floor = _positive(env.get(MIN_N_ENV), DEFAULT_MIN_N)
        base = _positive(env.get(ROUNDING_ENV), DEFAULT_COUNT_ROUNDING)
        return cls(floor, base if audience == "briefing" else None, audience)

    def with_min_n(self, min_n: int | None) -> CountRules:
        """These rules with a notebook's ``min_n`` (never below the floor)."""
        if min_n is None or min_n <= self.min_n:
            return self
        return CountRules(int(min_n), self.rounding, self.audience)

    def words(self, shown: ShownCount) -> str:
        """How a shown count reads: "fewer than 10" (suppressed), "about 160" (rounded) or
        "157".

        Examples
        --------
        >>> rules = CountRules(min_n=10, rounding=5)
        >>> rules.words(rules.shown(3)), rules.words(rules.shown(1157))
        ('fewer than 10', 'about 1,155')
        """
        if shown.value is None:
            return f"fewer than {self.min_n:,}"
        return f"{'about ' if shown.rounded else ''}{shown.value:,}"

    def shown(self, n: float | None) -> ShownCount:
        """The count as it may be published."""
        if n is None or (isinstance(n, float) and np.isnan(n)) or n is pd.NA:
            return ShownCount(None, True, False)
        if is_small(float(n), self.min_n):
            return ShownCount(None, True, False)
        if self.rounding and self.rounding > 1:
            return ShownCount(int(round_counts(float(n), self.rounding)), False, True)
        return ShownCount(int(n), False, False)


@dataclass(frozen=True)
class ShownCount:
    """A count as published: ``value`` (None when suppressed), and whether it was rounded."""

    value: int | None
    suppressed: bool
    rounded: bool


def _positive(text: str | None, default: int) -> int:
    try:
        value = int(str(text))
    except ValueError:
        return default
    return value if value >= 1 else default


def record_count(
    shown: ShownCount,
    noun: str,
    *,
    area: str | None,
    waves: Sequence[int] | None,
    filters: Mapping[str, Any] | None = None,
    rules: CountRules | None = None,
) -> dict[str, Any]:
    """Register a published count with what it counts (area, waves, filters, what is
    counted): the build checks no two published counts of one build give a small count away
    by subtraction (``reports/differencing.py``). Returns the record. The record carries only
    what is published (the shown value, ``None`` when suppressed)."""
    rules = rules or CountRules.from_environment()
    payload: dict[str, Any] = {
        "noun": noun,
        "area": area,
        "waves": sorted(int(w) for w in waves) if waves is not None else None,
        "filters": {str(k): v for k, v in sorted((filters or {}).items())},
        "value": shown.value,
        "suppressed": shown.suppressed,
        "rounding": rules.rounding if shown.rounded else None,
        "min_n": rules.min_n,
    }
    record(COUNT_MIME, payload)
    return payload


# --- what a table's counts count -------------------------------------------------------------
#: ``frame.attrs`` keys of an estimates table that say what its ``n`` column counts (set by
#: :func:`counted`): the selection (``{"neighbourhood", "waves"}``, as
#: :func:`~lozells_analysis.data.selection.select_survey` leaves it), the grouping columns
#: (``{column: what it narrows}``, a row's value ``"Overall"`` narrowing nothing) and the
#: thing counted (``{variable}`` is replaced by each row's).
COUNTED_SELECTION, COUNTED_BY, COUNTED_NOUN = "selection", "counted_by", "counted_noun"
OVERALL = "Overall"


def counted(
    table: pd.DataFrame,
    data: pd.DataFrame,
    by: str | Sequence[str] | Mapping[str, str] | None = None,
    noun: str = "respondents answering {variable}",
) -> pd.DataFrame:
    """``table`` (changed in place, and returned) marked with what its ``n`` column counts:
    the selection ``data`` was drawn by, narrowed per row by the ``by`` columns (a column
    name, a list of them, or ``{column: "wave" | "neighbourhood" | filter name}``), and the
    ``noun``. The table formatters register each published ``n`` with it for the build's
    differencing check (:func:`count_context`)."""
    selection = data.attrs.get("selection")
    if not isinstance(selection, Mapping):
        return table
    if by is None:
        dims: dict[str, str] = {}
    elif isinstance(by, str):
        dims = {by: by}
    elif isinstance(by, Mapping):
        dims = {str(k): str(v) for k, v in by.items()}
    else:
        dims = {str(c): str(c) for c in by}
    table.attrs[COUNTED_SELECTION] = dict(selection)
    table.attrs[COUNTED_BY] = dims
    table.attrs[COUNTED_NOUN] = noun
    return table


def count_context(frame: pd.DataFrame, row: Mapping[str, Any]) -> dict[str, Any]:
    """What one row's count of respondents counts, for the build's differencing check: the
    area and waves of the frame's selection, narrowed by the row's grouping values (a
    ``wave`` column gives its wave, ``neighbourhood`` its area, any other column a filter),
    and the thing counted. Empty when the frame does not say, or a row no longer does (its
    grouping column dropped or missing, its wave relabelled): a count whose selection is not
    known is not registered.

    Examples
    --------
    >>> est = pd.DataFrame({"variable": ["trust_people"], "wave": [3], "n": [41]})
    >>> data = pd.DataFrame()
    >>> data.attrs["selection"] = {"neighbourhood": "Lozells", "waves": [1, 2, 3]}
    >>> count_context(counted(est, data, by="wave"), est.iloc[0])  # doctest: +NORMALIZE_WHITESPACE
    {'area': 'Lozells', 'waves': [3], 'filters': {},
     'noun': 'respondents answering trust_people'}
    """
    selection = frame.attrs.get(COUNTED_SELECTION)
    if not isinstance(selection, Mapping) or "neighbourhood" not in selection:
        return {}
    area = str(selection["neighbourhood"])
    waves = [int(w) for w in selection.get("waves") or []] or None
    filters: dict[str, Any] = dict(selection.get("filters") or {})
    for col, dim in dict(frame.attrs.get(COUNTED_BY) or {}).items():
        if col not in row:  # the column that narrows it was dropped: what it counts is unknown
            return {}
        value = row[col]
        if isinstance(value, str) and value == OVERALL:
            continue
        if value is None or _is_missing(value):
            return {}
        if dim == "wave":
            try:
                waves = [int(value)]
            except (TypeError, ValueError):  # relabelled ("Wave 1 (spring 2016)"): unknown
                return {}
        elif dim == "neighbourhood":
            area = str(value)
        else:
            filters[str(dim)] = str(value)
    noun = str(frame.attrs.get(COUNTED_NOUN) or "survey response")
    if "{variable}" in noun:
        noun = noun.replace("{variable}", str(row.get("variable", "")))
    return {"area": area, "waves": waves, "filters": filters, "noun": noun}


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
