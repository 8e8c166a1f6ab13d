"""The house style every chart shares: palette, sizes, and the helpers that draw in it.

The chart modules (:mod:`~lozells_analysis.present.interval_charts`,
:mod:`~lozells_analysis.present.benchmark_charts`, :mod:`~lozells_analysis.present.count_charts`)
draw with seaborn in the Okabe-Ito colour-blind-safe palette inside :func:`_style`, on a
figure from :func:`_new_figure` (at most 900 px wide), and store the chart's description
with :func:`_describe`. :mod:`lozells_analysis.present.plots` re-exports the public names.

Examples
--------
>>> from lozells_analysis.present.plot_style import _join, _wrap
>>> _join(["a 1", "b 2", "c 3"], limit=2)
'a 1; b 2; and 1 more'
>>> _wrap("Residents who agree they can influence decisions", 20)
'Residents who agree\\nthey can influence\\ndecisions'
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler  # what ``matplotlib.cycler`` is
from matplotlib.ticker import FuncFormatter

from lozells_analysis.present.palette import COMPARISON_COLOURS, GREY, OKABE_ITO
from lozells_analysis.present.tables import format_interval

__all__ = ["COMPARISON_COLOURS", "DPI", "GREY", "MAX_WIDTH_IN", "OKABE_ITO"]

_COMPARISON_MARKERS = {"better": "^", "similar": "o", "worse": "v", "not compared": "s"}
MAX_WIDTH_IN = 9.0  # 900 px at 100 dpi
DPI = 100
_RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.autolayout": False,
}


def _style() -> AbstractContextManager[None]:
    """The house style as an rc context (seaborn whitegrid, Okabe-Ito palette)."""
    rc = dict(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook", font_scale=0.85))
    rc.update(_RC)
    rc["axes.prop_cycle"] = cycler(color=OKABE_ITO)
    return plt.rc_context(rc)


def _new_figure(
    width: float, height: float, nrows: int = 1, ncols: int = 1, **kw: Any
) -> tuple[Figure, np.ndarray]:
    """A figure at most :data:`MAX_WIDTH_IN` wide with an ``nrows`` x ``ncols`` grid of axes."""
    # A Figure not registered with pyplot: the inline backend never shows it on its own, so
    # the only copy in a report is the one :func:`lozells_analysis.present.plots.show` emits.
    width = min(width, MAX_WIDTH_IN)
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _describe(fig: Figure, alt: str, data: pd.DataFrame | None = None) -> None:
    """Store the chart's default description as ``fig.lozells_alt`` and the numbers it
    draws as ``fig.lozells_data`` (the "Show the data" table and CSV of ``plots.show``)."""
    # attributes of our own, which matplotlib's Figure does not declare
    setattr(fig, "lozells_alt", alt)  # noqa: B010
    if data is not None:
        setattr(fig, "lozells_data", data)  # noqa: B010


def _chart_data(
    table: pd.DataFrame,
    keys: Sequence[str],
    percent: bool = True,
    names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The numbers a chart of estimates draws, as a reader's table: the ``keys`` columns,
    then the estimate and its interval (percentages to one decimal when ``percent``, else
    two decimals). A suppressed row shows "suppressed" and no number.

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["A", "B"], "estimate": [0.4123, 0.5],
    ...                   "lower_ci": [0.3, 0.4], "upper_ci": [0.5, 0.6],
    ...                   "suppressed": [False, True]})
    >>> _chart_data(t, ["area"]).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'Area': 'A', 'Estimate (%)': '41.2', 'Lower limit (%)': '30.0', 'Upper limit (%)': '50.0'},
     {'Area': 'B', 'Estimate (%)': 'suppressed', 'Lower limit (%)': 'suppressed',
      'Upper limit (%)': 'suppressed'}]
    """
    names = names or {}
    unit = " (%)" if percent else ""
    out = pd.DataFrame(
        {names.get(k, k.replace("_", " ").capitalize()): table[k].astype(str) for k in keys}
    )
    hidden = _suppressed(table)
    for column, title in (
        ("estimate", "Estimate"),
        ("lower_ci", "Lower limit"),
        ("upper_ci", "Upper limit"),
    ):
        if column not in table.columns:
            continue
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        cells = [
            "suppressed"
            if hide
            else ("" if np.isnan(v) else f"{v * 100:.1f}" if percent else f"{v:.2f}")
            for v, hide in zip(values, hidden, strict=True)
        ]
        out[title + unit] = cells
    return out.reset_index(drop=True)


def _fmt(value: float, percent: bool) -> str:
    """A single value as a reader sees it: a percentage, or a mean."""
    return format_interval(value, None, None, "percent" if percent else "mean")


def _pct_axis(ax: Axes, axis: str = "x") -> None:
    """Label the ``axis`` of ``ax`` in whole percentages (the data are proportions 0-1)."""
    fmt = FuncFormatter(lambda v, _: f"{v * 100:.0f}%")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _suppressed(frame: pd.DataFrame) -> np.ndarray:
    """Which rows of ``frame`` are suppressed (none when it has no ``suppressed`` column)."""
    if "suppressed" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["suppressed"].fillna(False).astype(bool).to_numpy()


def _join(parts: Sequence[str], limit: int = 40) -> str:
    """The first ``limit`` parts of a description joined with "; ", then how many more."""
    parts = list(parts)
    more = len(parts) - limit
    text = "; ".join(parts[:limit])
    return text + (f"; and {more} more" if more > 0 else "")


def _wrap(text: object, width: int = 38) -> str:
    """``text`` wrapped onto lines of at most ``width`` characters, for tick labels."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)
