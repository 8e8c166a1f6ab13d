"""Reading a survey design's columns: checked, as numpy arrays, with messages that say why.

What this module holds: :func:`column` (a column that must exist), :func:`numeric_column`
(floats with NaN for missing), :func:`factorize_column` (codes of a column that may have no
missing values: strata, clusters) and :func:`indicator_values` (a 0/1 variable, from a 0/1
or boolean column or from the codebook's coding of an indicator id).
:class:`~lozells_analysis.stats.design.SurveyDesign` reads every column through them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError

__all__ = ["as_python", "column", "factorize_column", "indicator_values", "numeric_column"]


def as_python(value: Any) -> Any:
    """A numpy scalar as the Python value (``5`` rather than ``np.int64(5)`` in messages).

    Examples
    --------
    >>> as_python(np.int64(5)), as_python("a")
    (5, 'a')
    """
    return value.item() if isinstance(value, np.generic) else value


def _present(data: pd.DataFrame) -> str:
    """The first columns of ``data``, for messages."""
    return ", ".join(map(str, list(data.columns)[:25]))


def column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    """The column ``name``, or :class:`DesignError` naming its ``role`` if it is missing.

    Parameters
    ----------
    data : pandas.DataFrame
        The respondents.
    name : str
        Column name.
    role : str
        What the column is for (``"weights"``, ``"strata"``, ``"by"``...), for the message.

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> column(pd.DataFrame({"w": [1.0]}), "w", "weights").tolist()
    [1.0]
    """
    if name not in data.columns:
        raise DesignError(
            f"The {role} column {name!r} is not in the data. Columns present: {_present(data)}."
        )
    return data[name]


def numeric_column(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    """A column as float64 with NaN for missing; :class:`DesignError` if it is not numeric.

    Parameters
    ----------
    data : pandas.DataFrame
        The respondents.
    name : str
        Column name.
    role : str
        What the column is for, for messages.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> numeric_column(pd.DataFrame({"x": pd.array([1, None], "Int8")}), "x", "variable")
    array([ 1., nan])
    """
    col = column(data, name, role)
    try:
        return col.astype("float64").to_numpy(na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DesignError(
            f"The {role} column {name!r} must be numeric; it holds {col.dtype} ({exc})."
        ) from None


def factorize_column(data: pd.DataFrame, name: str, role: str) -> tuple[np.ndarray, pd.Index]:
    """Codes (0 .. k-1, sorted labels) of a column that may have no missing values.

    Parameters
    ----------
    data : pandas.DataFrame
        The respondents.
    name : str
        Column name (strata or clusters).
    role : str
        What the column is for, for messages.

    Returns
    -------
    codes : numpy.ndarray
    labels : pandas.Index

    Examples
    --------
    >>> codes, labels = factorize_column(pd.DataFrame({"s": ["b", "a", "b"]}), "s", "strata")
    >>> codes.tolist(), list(labels)
    ([1, 0, 1], ['a', 'b'])
    """
    col = column(data, name, role)
    codes, labels = pd.factorize(col, sort=True)
    if (codes < 0).any():
        raise DesignError(
            f"The {role} column {name!r} has {int((codes < 0).sum())} missing values. "
            "Every respondent must belong to a stratum and a PSU; fill or drop them."
        )
    return codes.astype(np.int64), pd.Index(labels)


def indicator_values(data: pd.DataFrame, variable: str, codebook: Callable[[], Any]) -> np.ndarray:
    """A 0/1 variable as floats with NaN for missing; the codebook's coding for item ids.

    Parameters
    ----------
    data : pandas.DataFrame
        The respondents.
    variable : str
        A 0/1 or boolean column, or a codebook indicator id.
    codebook : callable
        Returns the codebook, or None when there is none; called only when ``variable`` is
        not a 0/1 column.

    Returns
    -------
    numpy.ndarray
        One value per row: 0, 1 or NaN.

    Examples
    --------
    >>> indicator_values(pd.DataFrame({"y": [1, 0, None]}), "y", lambda: None)
    array([ 1.,  0., nan])
    """
    if variable in data.columns:
        col = data[variable]
        if pd.api.types.is_bool_dtype(col.dtype):
            return col.astype("float64").to_numpy(na_value=np.nan)
        if pd.api.types.is_numeric_dtype(col.dtype):
            y = col.astype("float64").to_numpy(na_value=np.nan)
            ok = np.isnan(y) | (y == 0) | (y == 1)
            if ok.all():
                return y
            offending = pd.unique(y[~ok])[:8]
        else:
            offending = pd.unique(col.dropna())[:8]
        cb = codebook()
        if cb is not None and cb.has_indicator(variable):
            return cb.indicator_values(data, variable).to_numpy(float)
        raise DesignError(
            f"Column {variable!r} is not a 0/1 indicator: it holds {list(offending)}. "
            "Pass a 0/1 (or boolean) column, or a codebook indicator id so the codebook's "
            "coding is used."
        )
    cb = codebook()
    if cb is not None and cb.has_indicator(variable):
        return cb.indicator_values(data, variable).to_numpy(float)
    raise DesignError(
        f"{variable!r} is neither a column of the data nor a codebook indicator. Columns "
        f"present: {_present(data)}."
    )
