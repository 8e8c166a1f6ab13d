"""Problems found in a survey file, and how they are reported.

A :class:`Problem` is one fault: the column, what is wrong, how to fix it, the rows (as the
file numbers them) and the offending values. :func:`raise_problems` raises one
:class:`~lozells_analysis.exceptions.SurveyDataError` listing them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import SurveyDataError

__all__ = ["Problem", "Rows", "isna", "plain", "raise_problems"]

_SHOW = 5  # rows and values quoted per problem


@dataclass
class Problem:
    """One fault in a survey file."""

    column: str | None
    message: str
    fix: str
    rows: list[int] = field(default_factory=list)
    values: list = field(default_factory=list)
    n_rows: int = 0

    def render(self, row_word: str = "row") -> str:
        col = f"Column {self.column!r}: " if self.column else ""
        text = f"{col}{self.message}"
        if self.n_rows:
            shown = ", ".join(str(r) for r in self.rows[:_SHOW])
            more = f" and {self.n_rows - _SHOW} more" if self.n_rows > _SHOW else ""
            plural = "s" if self.n_rows != 1 else ""
            text += f" ({self.n_rows} {row_word}{plural}: {shown}{more}"
            if self.values:
                vals = ", ".join(repr(v) for v in self.values[:_SHOW])
                text += f"; values: {vals}"
                if len(self.values) > _SHOW:
                    text += f" and {len(self.values) - _SHOW} more"
            text += ")"
        elif self.values:
            text += f" (values: {', '.join(repr(v) for v in self.values[:_SHOW])})"
        return f"{text}.\n     Fix: {self.fix}"


def raise_problems(problems: list[Problem], source: str, row_word: str = "row") -> None:
    """Raise one :class:`SurveyDataError` listing ``problems`` (no-op when empty)."""
    if not problems:
        return
    n = len(problems)
    lines = [f"Survey file {source} has {n} problem{'s' if n != 1 else ''}:"]
    for i, p in enumerate(problems, 1):
        lines.append(f"  {i}. {p.render(row_word)}")
    lines.append("The file was not changed. Nothing already published was touched.")
    # "from None": the message is the whole story; no chained pandas traceback under it
    raise SurveyDataError("\n".join(lines), problems=problems, path=source) from None


class Rows:
    """Turns a boolean mask over the frame into the row numbers a researcher sees.

    ``row_numbers`` may be a function: a CSV's line numbers are worked out (by reading the
    file again) only when a problem has to name them.
    """

    def __init__(self, row_numbers: np.ndarray | Callable[[], np.ndarray], word: str = "row"):
        self._numbers = row_numbers
        self.word = word

    @property
    def numbers(self) -> np.ndarray:
        if callable(self._numbers):
            self._numbers = np.asarray(self._numbers())
        return self._numbers

    def problem(
        self,
        mask: np.ndarray,
        column: str | None,
        message: str,
        fix: str,
        raw: pd.Series | None = None,
    ) -> Problem:
        idx = np.flatnonzero(mask)
        values: list = []
        if raw is not None:
            seen: dict = {}
            for v in raw.iloc[idx[:200]].to_numpy(dtype=object):
                key = "" if isna(v) else v
                if key not in seen:
                    seen[key] = None
            values = [plain(v) for v in seen]
        return Problem(
            column=column,
            message=message,
            fix=fix,
            rows=[int(r) for r in self.numbers[idx[:_SHOW]]],
            values=values,
            n_rows=int(len(idx)),
        )


def isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def plain(v: object) -> object:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
