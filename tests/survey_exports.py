"""A synthetic survey shaped as a researcher's export holds it, for the file-format tests."""

from __future__ import annotations

import pandas as pd

from lozells_analysis.data.synthetic import generate


def export_frame(n: int = 60, seed: int = 11) -> pd.DataFrame:
    """``generate(n, seed)`` with plain types: text for categories and ids, floats for codes."""
    out = generate(n=n, seed=seed).copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype) or out[col].dtype == "string":
            out[col] = out[col].astype(str)
        elif str(out[col].dtype) == "Int8":
            out[col] = out[col].astype("float64")
    return out
