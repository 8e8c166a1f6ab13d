"""The one shape of every estimate table, and the ``by=`` argument every estimator takes.

Every estimating function of :mod:`lozells_analysis.stats` returns a tidy frame: the group
columns first (the ``by`` columns, in the order given), then :data:`SCHEMA_COLUMNS`
(``variable, estimate, se, lower_ci, upper_ci, level, method, n, df``), then whatever the
function adds (``deff``, ``n_eff``, ``p_value``, ``comparison``, ``odds_ratio``, ...).
``estimate`` is always what the row estimates and ``method`` says what that is
(e.g. ``"difference of proportions (design-based, Taylor)"``); ``lower_ci``/``upper_ci``
are on the scale of ``estimate``; a value that does not exist for a method (the ``se`` of
Cronbach's alpha, the ``n`` of two published figures) is NaN. Proportions are 0-1:
percentages are made only in :mod:`lozells_analysis.present`.

(:class:`~lozells_analysis.stats.design.SurveyDesign`'s ``proportion`` and ``mean`` put
``deff`` between ``method`` and ``n`` and ``n_eff`` before ``df``; the schema columns are
still all there and in this order.)

Examples
--------
>>> by_columns("wave"), by_columns(["neighbourhood", "wave"]), by_columns(None)
(['wave'], ['neighbourhood', 'wave'], [])
>>> t = pd.DataFrame({"p_value": [0.5], "estimate": [0.1], "g": ["a"], "variable": ["y"]})
>>> list(tidy(t, ["g"]).columns)  # doctest: +NORMALIZE_WHITESPACE
['g', 'variable', 'estimate', 'se', 'lower_ci', 'upper_ci', 'level', 'method', 'n', 'df',
 'p_value']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import ParameterError

__all__ = ["SCHEMA_COLUMNS", "by_columns", "group_name", "tidy"]

#: The columns every estimate table has, in this order, after its group columns.
SCHEMA_COLUMNS = (
    "variable",
    "estimate",
    "se",
    "lower_ci",
    "upper_ci",
    "level",
    "method",
    "n",
    "df",
)


def by_columns(by: str | Sequence[str] | None) -> list[str]:
    """``by=`` as a list of column names: one name, a list of names, or None (no groups).

    Raises
    ------
    ParameterError
        If ``by`` is neither a string, a sequence of strings nor None.
    """
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, Sequence) and all(isinstance(c, str) for c in by):
        return list(by)
    raise ParameterError(
        f"by must be a column name or a list of column names (or None); got {by!r}."
    )


def group_name(key: object, n_columns: int) -> object:
    """A group's name: its value for one ``by`` column, the tuple of values for several.

    Examples
    --------
    >>> group_name(("a",), 1), group_name(("a", 2), 2), group_name("a", 1)
    ('a', ('a', 2), 'a')
    """
    if n_columns == 1 and isinstance(key, tuple):
        return key[0]
    return key


def tidy(frame: pd.DataFrame, groups: Sequence[str] = ()) -> pd.DataFrame:
    """``frame`` with its columns in schema order: ``groups``, :data:`SCHEMA_COLUMNS` (NaN
    for any the frame lacks), then the frame's other columns in their present order."""
    out = frame.copy()
    for c in SCHEMA_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    groups = list(groups)
    head = groups + [c for c in SCHEMA_COLUMNS if c not in groups]
    rest = [c for c in out.columns if c not in head]
    return out[head + rest].reset_index(drop=True)
