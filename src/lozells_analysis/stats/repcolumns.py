"""The columns and scales of a replicate-weight design, read and checked as R's ``svrepdesign``.

What this module holds: :func:`repweight_columns` (a list of names, or a regular expression
matched against the column names as R's ``grep``), :func:`read_design_columns` (the
full-sample weights and the replicate weights as arrays, with their checks) and
:func:`replicate_scales` (``scale`` and ``rscales`` by R's rules for each replicate type).
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import DesignError
from lozells_analysis.stats.columns import column, numeric_column

__all__ = ["read_design_columns", "replicate_scales", "repweight_columns"]


def repweight_columns(data: pd.DataFrame, repweights: Any) -> list[str]:
    """The replicate-weight columns: a list of names, or a regular expression (R's ``grep``).

    Parameters
    ----------
    data : pandas.DataFrame
        The respondents.
    repweights : list of str or str
        Column names, or a pattern searched for in every column name.

    Returns
    -------
    list of str

    Examples
    --------
    >>> repweight_columns(pd.DataFrame(columns=["w", "rw1", "rw2"]), "^rw[0-9]+$")
    ['rw1', 'rw2']
    """
    if isinstance(repweights, str):
        cols = [c for c in data.columns if re.search(repweights, str(c))]
        if len(cols) < 2:
            raise DesignError(
                f"The replicate-weight pattern {repweights!r} matches {len(cols)} column(s) "
                f"{cols}; a replicate design needs at least two."
            )
        return cols
    if repweights is None:
        raise DesignError("repweights is required: a list of columns or a regular expression.")
    cols = list(repweights)
    for c in cols:
        column(data, c, "replicate weights")
    if len(cols) < 2:
        raise DesignError(f"Replicate weights need at least two columns; got {cols}.")
    return cols


def read_design_columns(
    data: pd.DataFrame, weights: str | None, repweights: Any
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The full-sample weights, the replicate-weight columns and their values, checked.

    Parameters
    ----------
    data : pandas.DataFrame
        The respondents.
    weights : str or None
        Column of full-sample weights (> 0); None gives ones.
    repweights : list of str or str
        Replicate-weight columns or a pattern (:func:`repweight_columns`).

    Returns
    -------
    w : numpy.ndarray
    columns : list of str
    A : numpy.ndarray
        n x R.

    Examples
    --------
    >>> w, cols, A = read_design_columns(pd.DataFrame({"r1": [1, 0], "r2": [0, 1]}), None, "r")
    >>> w.tolist(), cols, A.shape
    ([1.0, 1.0], ['r1', 'r2'], (2, 2))
    """
    cols = repweight_columns(data, repweights)
    A = np.column_stack([numeric_column(data, c, "replicate weights") for c in cols])
    if not np.isfinite(A).all():
        raise DesignError(
            "The replicate weights have missing or infinite values (R: 'Missing values "
            "not allowed in repweights'); every replicate needs a weight for every row."
        )
    if weights is None:
        return np.ones(len(data)), cols, A
    w = numeric_column(data, weights, "weights")
    if not np.all(np.isfinite(w) & (w > 0)):
        raise DesignError(
            f"Weight column {weights!r} has missing, zero, negative or infinite values; "
            "every respondent needs a weight > 0."
        )
    return w, cols, A


def replicate_scales(
    kind: str,
    A: np.ndarray,
    scale: float | None,
    rscales: Any,
    rho: float | None,
    combined: bool,
) -> tuple[float, np.ndarray]:
    """``scale`` and ``rscales`` of a replicate design, by R's ``svrepdesign`` rules.

    Parameters
    ----------
    kind : str
        Replicate type.
    A : numpy.ndarray
        The replicate weights (n x R).
    scale : float or None
        Given scale.
    rscales : float, sequence or None
        Given per-replicate scales.
    rho : float or None
        Fay's coefficient.
    combined : bool
        Whether ``A`` holds full weights (else multipliers).

    Returns
    -------
    scale : float
    rscales : numpy.ndarray

    Examples
    --------
    >>> replicate_scales("Fay", np.ones((3, 4)), None, None, 0.5, True)[0]
    1.0
    """
    R = A.shape[1]
    if rho is not None and kind != "Fay":
        raise DesignError(f"rho is used only with type='Fay'; type={kind!r} has no rho.")
    if kind in ("BRR", "Fay") and scale is not None:
        raise DesignError(
            f"type={kind!r} fixes scale (1/R, or 1/(R (1-rho)^2) for Fay); do not pass scale "
            "(use type='bootstrap' or 'JK1' with your own scale)."
        )
    if rscales is not None and np.size(rscales) not in (1, R):
        raise DesignError(f"rscales has {np.size(rscales)} values; it needs 1 or {R}.")
    rs = None if rscales is None else np.broadcast_to(np.asarray(rscales, float), (R,)).copy()
    if kind == "BRR":
        scale = 1.0 / R
    elif kind == "Fay":
        if rho is None or not 0 <= rho < 1:
            raise DesignError(f"type='Fay' needs rho in [0, 1) (Fay's coefficient); got {rho}.")
        scale = 1.0 / (R * (1 - rho) ** 2)
    elif kind == "bootstrap" and scale is None:
        scale = 1.0 / (R - 1)
    elif kind == "JK1" and scale is None:
        scale = (R - 1) / R if combined else 1.0 / float(np.max(A[:, 0]))
        how = "the number of replicates" if combined else "the largest multiplier"
        warnings.warn(
            f"JK1 scale not given: using {scale:.6g}, R's guess from {how}.", stacklevel=3
        )
    elif kind == "JKn" and rs is None:
        if combined:
            raise DesignError(
                "type='JKn' with combined weights needs rscales ((n_h - 1)/n_h for each "
                "replicate's stratum): R cannot guess them either."
            )
        rs = 1.0 / A.max(axis=0)
        warnings.warn("JKn rscales not given: R's guess 1/(largest multiplier).", stacklevel=3)
    return float(1.0 if scale is None else scale), np.ones(R) if rs is None else rs
