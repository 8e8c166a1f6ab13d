"""Reliability flags: when an estimate is published but should be read with caution.

Not disclosure control (nothing is hidden), so apart from
:mod:`~lozells_analysis.stats.disclosure`, which re-exports :func:`flag_reliability`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lozells_analysis.exceptions import ParameterError

__all__ = ["flag_reliability"]


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
