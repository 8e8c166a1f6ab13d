"""Charts of an area against a benchmark: the Fingertips-style spine chart.

:func:`spine_chart` returns a :class:`~matplotlib.figure.Figure` in the house style
(:mod:`~lozells_analysis.present.plot_style`) with its description in ``fig.lozells_alt``;
:mod:`lozells_analysis.present.plots` re-exports it and shows it.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from lozells_analysis.present.plot_style import (
    _COMPARISON_MARKERS,
    COMPARISON_COLOURS,
    _describe,
    _fmt,
    _join,
    _new_figure,
    _style,
    _wrap,
)

__all__ = ["spine_chart"]


def spine_chart(
    table: pd.DataFrame,
    area: str,
    indicator: str = "indicator",
    value: str = "estimate",
    comparator: str = "England",
    comparison: str = "comparison",
) -> Figure:
    """A Fingertips-style spine chart: each indicator's range across areas, the comparator in
    the middle, and the chosen area's value as a marker coloured by better/similar/worse.

    Parameters
    ----------
    table : DataFrame
        One row per indicator: ``indicator`` (label), ``value`` (the area's estimate),
        ``comparator`` (the benchmark value), ``min, q25, q75, max`` (across all areas)
        and ``comparison`` (``better``/``similar``/``worse``/``not compared``).
    area : str
        The chosen area's name, for the legend and alt text.
    """
    n = len(table)
    alt_parts = []
    with _style():
        fig, axes = _new_figure(8.5, 0.55 * n + 1.8)
        ax = axes[0, 0]
        for i, row in enumerate(table.itertuples(index=False)):
            rec = row._asdict()
            centre = rec[comparator]
            span = max(
                abs(rec["max"] - centre), abs(rec["min"] - centre), abs(rec[value] - centre), 1e-9
            )

            def scale(v: float, centre: float = centre, span: float = span) -> float:
                return (v - centre) / span

            ax.barh(
                i,
                scale(rec["max"]) - scale(rec["min"]),
                left=scale(rec["min"]),
                color="#DDDDDD",
                height=0.6,
            )
            ax.barh(
                i,
                scale(rec["q75"]) - scale(rec["q25"]),
                left=scale(rec["q25"]),
                color="#9E9E9E",
                height=0.6,
            )
            comp = str(rec.get(comparison) or "not compared")
            ax.plot(
                scale(rec[value]),
                i,
                _COMPARISON_MARKERS.get(comp, "o"),
                ms=10,
                mfc=COMPARISON_COLOURS.get(comp, "#FFFFFF"),
                mec="#000000",
                mew=1,
            )
            ax.text(
                1.08,
                i,
                f"{_fmt(rec[value], True)} vs {_fmt(centre, True)}",
                va="center",
                fontsize=8,
                transform=ax.get_yaxis_transform(),
            )
            alt_parts.append(
                f"{rec[indicator]}: {area} {_fmt(rec[value], True)}, {comparator} "
                f"{_fmt(centre, True)}, {comp}; areas range "
                f"{_fmt(rec['min'], True)} to {_fmt(rec['max'], True)}"
            )
        ax.axvline(0, color="#000000", lw=1.5)
        ax.set_yticks(range(n), [_wrap(t, 34) for t in table[indicator]])
        ax.invert_yaxis()
        ax.set_xlim(-1.1, 1.1)
        ax.set_xticks([-1, 0, 1], ["furthest below", comparator, "furthest above"])
        ax.set_xlabel(f"Position relative to {comparator} (scaled per measure)")
        ax.grid(axis="y", visible=False)
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles: list[Artist] = [
            Line2D(
                [],
                [],
                ls="none",
                marker=_COMPARISON_MARKERS[c],
                ms=8,
                mfc=COMPARISON_COLOURS[c],
                mec="#000000",
                label=f"{area}: {c} than {comparator}"
                if c != "similar" and c != "not compared"
                else f"{area}: {c}",
            )
            for c in ("better", "similar", "worse")
        ]
        handles += [
            Patch(color="#DDDDDD", label="Range across neighbourhoods"),
            Patch(color="#9E9E9E", label="Middle half of neighbourhoods"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=8)
    _describe(fig, f"Spine chart for {area} against {comparator}. " + _join(alt_parts) + ".")
    return fig
