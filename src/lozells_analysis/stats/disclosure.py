"""Disclosure control and reliability flags for published tables.

* :func:`suppress` — primary suppression of any row based on fewer than ``min_n``
  respondents, and secondary suppression so a suppressed cell cannot be worked back from a
  published total (within each slice of ``secondary_by``, if exactly one cell is suppressed
  the next smallest is suppressed too).
* :func:`round_counts` — counts to the nearest 5 (halves away from zero).
* :func:`flag_reliability` — "interpret with caution" when the effective sample size is
  under 30 or the interval is wider than 20 percentage points.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import ParameterError

log = logging.getLogger(__name__)

__all__ = ["flag_reliability", "round_counts", "suppress"]

DEFAULT_VALUE_COLUMNS = ("estimate", "se", "lower_ci", "upper_ci", "deff", "n_eff")


def suppress(
    table: pd.DataFrame,
    min_n: int = 10,
    n_col: str = "n",
    value_columns: Sequence[str] | None = None,
    secondary_by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Blank every estimate (and count) based on fewer than ``min_n`` respondents.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimates table (e.g. from :meth:`SurveyDesign.proportion`).
    min_n : int
        Smallest number of respondents that may be published (default 10).
    n_col : str
        Column with the unweighted number of respondents.
    value_columns : list of str, optional
        Columns blanked (set to NaN) in suppressed rows; default the estimate columns
        present plus ``n_col``.
    secondary_by : str or list of str, optional
        Columns that define slices whose cells add up to a published total (e.g.
        ``"neighbourhood"`` for a table of waves within neighbourhoods). In a slice with
        exactly one primary-suppressed cell, the unsuppressed cell with the smallest ``n``
        is suppressed as well.

    Returns
    -------
    pandas.DataFrame
        A copy with ``suppressed`` (bool) and ``suppression_reason`` ("" when published,
        ``"fewer than 10 respondents"`` or ``"secondary: protects a suppressed cell"``).

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["A", "A", "A", "B"], "wave": [1, 2, 3, 1],
    ...                   "estimate": [0.5, 0.4, 0.3, 0.2], "n": [8, 40, 25, 50]})
    >>> out = suppress(t, secondary_by="area")
    >>> out[["area", "wave", "estimate", "n", "suppressed"]]
      area  wave  estimate     n  suppressed
    0    A     1       NaN  <NA>        True
    1    A     2       0.4    40       False
    2    A     3       NaN  <NA>        True
    3    B     1       0.2    50       False
    >>> list(out["suppression_reason"])[:3]
    ['fewer than 10 respondents', '', 'secondary: protects a suppressed cell']
    """
    if n_col not in table.columns:
        raise ParameterError(f"suppress needs the respondent count column {n_col!r}.")
    if min_n < 1:
        raise ParameterError(f"min_n must be at least 1; got {min_n}.")
    out = table.copy()
    n = out[n_col].to_numpy(dtype=float)
    primary = np.nan_to_num(n, nan=0.0) < min_n
    secondary = np.zeros(len(out), dtype=bool)
    if secondary_by is not None:
        keys = [secondary_by] if isinstance(secondary_by, str) else list(secondary_by)
        codes = out.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
        for code in np.unique(codes):  # slices: a handful of neighbourhoods
            idx = np.flatnonzero(codes == code)
            if primary[idx].sum() == 1 and len(idx) > 1:
                candidates = idx[~primary[idx]]
                secondary[candidates[np.argmin(n[candidates])]] = True
    cols = (
        list(value_columns)
        if value_columns is not None
        else [c for c in DEFAULT_VALUE_COLUMNS if c in out.columns] + [n_col]
    )
    hide = primary | secondary
    if n_col in cols:
        out[n_col] = out[n_col].astype("Int64")
    for c in cols:
        out.loc[hide, c] = pd.NA if out[c].dtype == "Int64" else np.nan
    out["suppressed"] = hide
    out["suppression_reason"] = np.where(
        primary,
        f"fewer than {min_n} respondents",
        np.where(secondary, "secondary: protects a suppressed cell", ""),
    )
    if hide.any():
        log.info("suppressed %d of %d rows (%d secondary)", hide.sum(), len(out), secondary.sum())
    return out


def round_counts(values: Any, base: int = 5) -> Any:
    """Round counts to the nearest ``base`` (default 5); halves go away from zero.

    Examples
    --------
    >>> round_counts([0, 2, 3, 7, 12.5, 13])
    array([ 0.,  0.,  5.,  5., 15., 15.])
    >>> round_counts(pd.Series([22, 1048]))
    0      20
    1    1050
    dtype: int64
    """
    if base < 1:
        raise ParameterError(f"base must be a positive integer; got {base}.")
    if isinstance(values, pd.Series):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        res = np.sign(arr) * np.floor(np.abs(arr) / base + 0.5) * base
        out = pd.Series(res, index=values.index, name=values.name)
        return out.astype("int64") if not out.isna().any() else out
    arr = np.asarray(values, dtype=float)
    return np.sign(arr) * np.floor(np.abs(arr) / base + 0.5) * base


def flag_reliability(
    table: pd.DataFrame,
    min_n_eff: float = 30,
    max_width: float = 0.20,
    n_eff_col: str = "n_eff",
) -> pd.DataFrame:
    """Add ``interpret_with_caution`` (bool) and ``reliability_note`` to an estimates table.

    A row is flagged when its effective sample size is under ``min_n_eff`` (30) or its
    interval ``upper_ci - lower_ci`` is wider than ``max_width`` (0.20 = 20 percentage
    points for proportions). Suppressed rows (NaN estimate) are not flagged.

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [0.5, 0.5, 0.5], "lower_ci": [0.45, 0.35, 0.46],
    ...                   "upper_ci": [0.55, 0.65, 0.54], "n_eff": [400, 400, 20]})
    >>> out = flag_reliability(t)
    >>> out["interpret_with_caution"].tolist()
    [False, True, True]
    >>> out["reliability_note"].tolist()
    ['', 'interval wider than 20 points', 'effective sample size under 30']
    """
    for c in ("lower_ci", "upper_ci", n_eff_col):
        if c not in table.columns:
            raise ParameterError(f"flag_reliability needs column {c!r}.")
    out = table.copy()
    n_eff = out[n_eff_col].to_numpy(dtype=float, na_value=np.nan)
    width = (out["upper_ci"] - out["lower_ci"]).to_numpy(dtype=float, na_value=np.nan)
    small = n_eff < min_n_eff
    wide = width > max_width + 1e-12
    notes = []
    for s, w in zip(small, wide, strict=True):
        parts = []
        if s:
            parts.append(f"effective sample size under {min_n_eff:g}")
        if w:
            parts.append(f"interval wider than {max_width * 100:g} points")
        notes.append("; ".join(parts))
    out["interpret_with_caution"] = small | wide
    out["reliability_note"] = notes
    return out
