"""Charts of counts and distributions: code frequencies, co-occurrence, histograms.

* :func:`frequency_chart` — horizontal bars of how often each code was raised;
* :func:`heatmap` — a labelled heatmap (e.g. codes raised together);
* :func:`histogram` — e.g. of the survey weights, with labelled marks.

These draw counts and shares that are not sample estimates, so no interval is drawn. Each
returns a :class:`~matplotlib.figure.Figure` in the house style
(:mod:`~lozells_analysis.present.plot_style`) with its description in ``fig.lozells_alt``;
:mod:`lozells_analysis.present.plots` re-exports them and shows them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from lozells_analysis.present.plot_style import (
    MAX_WIDTH_IN,
    OKABE_ITO,
    _chart_data,
    _describe,
    _join,
    _new_figure,
    _pct_axis,
    _style,
    _suppressed,
    _wrap,
)
from lozells_analysis.present.tables import format_interval, format_number

__all__ = ["frequency_chart", "heatmap", "histogram", "safe_bins"]


def frequency_chart(
    table: pd.DataFrame,
    category: str,
    value: str = "estimate",
    hue: str | None = None,
    xlabel: str = "Share of excerpts",
    percent: bool = True,
    title: str = "",
) -> Figure:
    """Horizontal bars of how often each code was raised (optionally split by ``hue``).

    ``table`` is e.g. :func:`lozells_analysis.stats.qualitative.code_frequencies`: ``value``
    (default ``estimate``) is a share 0-1 when ``percent`` (shown as a percentage) or a
    count. Qualitative counts are not a sample estimate, so no interval is drawn;
    suppressed rows (``suppressed`` true) are left blank and labelled.
    """
    cats = list(pd.unique(table[category]))
    hues = list(pd.unique(table[hue])) if hue else [None]
    alt_parts = []
    with _style():
        fig, axes = _new_figure(8.0, max(2.4, 0.32 * len(cats) * max(1, len(hues) * 0.5) + 1.4))
        ax = axes[0, 0]
        h = 0.8 / len(hues)
        sup = _suppressed(table)
        for k, lev in enumerate(hues):
            m = (table[hue] == lev).to_numpy() if hue else np.ones(len(table), bool)
            sub = table[m]
            ys = [cats.index(c) - 0.4 + h * (k + 0.5) for c in sub[category]]
            vals = np.where(sup[m], 0.0, sub[value].astype(float).fillna(0).to_numpy())
            ax.barh(
                ys,
                vals,
                height=h * 0.95,
                color=OKABE_ITO[k % len(OKABE_ITO)],
                label=str(lev) if hue else None,
            )
            for y, v, s, c in zip(ys, vals, sup[m], sub[category], strict=True):
                shown = (
                    "suppressed"
                    if s
                    else (format_interval(v, None, None) if percent else format_number(v, 0))
                )
                if len(hues) <= 3:
                    ax.text(v, y, f" {shown}", va="center", fontsize=7.5)
                alt_parts.append(f"{c}{', ' + str(lev) if hue else ''} {shown}")
        ax.set_yticks(range(len(cats)), [_wrap(c, 40) for c in cats])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        if percent:
            _pct_axis(ax)
            ax.set_xlim(0, max(0.05, float(np.nanmax(table[value].astype(float))) * 1.2))
        if title:
            ax.set_title(title, loc="left")
        if hue:
            fig.legend(
                loc="outside lower center", ncol=min(4, len(hues)), frameon=False, fontsize=8
            )
    keys = [category] + ([hue] if hue else [])
    _describe(
        fig,
        f"Bar chart of {xlabel.lower()} by {category.replace('_', ' ')}: "
        + _join(alt_parts)
        + ".",
        _chart_data(table.rename(columns={value: "estimate"}), keys, percent) if percent else None,
    )
    return fig


def heatmap(
    matrix: pd.DataFrame,
    xlabel: str = "",
    ylabel: str = "",
    value_label: str = "Number of excerpts",
    title: str = "",
    mask_diagonal: bool = True,
) -> Figure:
    """A labelled heatmap (e.g. how often two codes were raised together).

    Uses the sequential, colour-blind-safe ``cividis`` map, with each cell's number written
    in it; labels on both axes come from the frame's index and columns. For a square
    co-occurrence matrix the diagonal (each code on its own) is left blank by default, so
    that the colour scale shows the pairs.
    """
    n = max(matrix.shape)
    with _style():
        fig, axes = _new_figure(min(MAX_WIDTH_IN, 2.5 + 0.55 * n), 1.8 + 0.45 * n)
        ax = axes[0, 0]
        square = matrix.shape[0] == matrix.shape[1] and list(matrix.index) == list(matrix.columns)
        mask = np.eye(len(matrix), dtype=bool) if (mask_diagonal and square) else None
        sns.heatmap(
            matrix.astype(float),
            ax=ax,
            cmap="cividis",
            annot=True,
            fmt=".0f",
            mask=mask,
            annot_kws={"fontsize": 7},
            linewidths=0.5,
            linecolor="white",
            cbar_kws={"label": value_label, "shrink": 0.7},
            square=False,
        )
        ax.set_xticklabels(
            [_wrap(t.get_text(), 22) for t in ax.get_xticklabels()], rotation=90, fontsize=8
        )
        ax.set_yticklabels(
            [_wrap(t.get_text(), 40) for t in ax.get_yticklabels()], rotation=0, fontsize=8
        )
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, loc="left")
    stacked = matrix.where(np.triu(np.ones(matrix.shape, bool), 1)).stack().dropna()
    top = stacked.sort_values(ascending=False).head(5)
    pairs = "; ".join(f"{a} with {b} {int(v)}" for (a, b), v in top.items())
    _describe(
        fig,
        f"Heatmap of {value_label.lower()} for {matrix.shape[0]} by "
        f"{matrix.shape[1]} categories. Most frequent pairs: {pairs}.",
        matrix.rename_axis(index="").reset_index().astype(str),
    )
    return fig


def histogram(
    values: pd.Series | np.ndarray,
    xlabel: str,
    ylabel: str = "Respondents",
    bins: int = 30,
    title: str = "",
    marks: Mapping[str, float] | None = None,
) -> Figure:
    """A histogram of one value per respondent (e.g. the survey weights), with optional
    labelled vertical marks.

    A bar is a count of respondents, so it follows the small-cell rule: neighbouring bins
    are merged until every bar holds none or at least the floor's number of respondents
    (:func:`safe_bins`), and the chart's data table shows the counts as a table cell would
    (rounded in a briefing pack).
    """
    from lozells_analysis.stats.published import CountRules

    rules = CountRules.from_environment()
    v = pd.Series(values, dtype=float).dropna()
    edges = safe_bins(v.to_numpy(dtype=float), bins, rules.min_n)
    with _style():
        fig, axes = _new_figure(7.5, 3.2)
        ax = axes[0, 0]
        sns.histplot(v, bins=edges, ax=ax, color=OKABE_ITO[0], edgecolor="white")
        for k, (label, x) in enumerate((marks or {}).items()):
            ax.axvline(x, color=OKABE_ITO[(k + 1) % 8], ls="--", lw=1.5, label=label)
        if marks:
            ax.legend(frameon=False, fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, loc="left")
    q = v.quantile([0, 0.25, 0.5, 0.75, 1]).to_numpy()
    how_many = rules.words(rules.shown(len(v)))
    _describe(
        fig,
        f"Histogram of {xlabel.lower()} for {how_many} respondents in {len(edges) - 1} bins: "
        f"minimum {q[0]:.2f}, lower quartile {q[1]:.2f}, median {q[2]:.2f}, upper "
        f"quartile {q[3]:.2f}, maximum {q[4]:.2f}.",
        _bin_counts(v, edges, xlabel, ylabel),
    )
    return fig


def safe_bins(values: np.ndarray, bins: int, floor: int) -> np.ndarray:
    """Histogram bin edges (``bins`` equal bins to start) with neighbouring bins merged, left
    to right, until each holds no value or at least ``floor``; a short last bin joins the one
    before it. With fewer than ``floor`` values in all, one bin.

    Examples
    --------
    >>> v = np.array([1.0] * 12 + [2.0] * 3 + [3.0] * 15)
    >>> edges = safe_bins(v, 4, 10)
    >>> np.histogram(v, bins=edges)[0].tolist()
    [12, 0, 18]
    """
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.array([0.0, 1.0])
    counts, edges = np.histogram(values, bins=max(1, int(bins)))
    if values.size < floor:
        return np.array([edges[0], edges[-1]])
    kept = [edges[0]]
    running = 0
    for count, right in zip(counts, edges[1:], strict=True):
        running += int(count)
        if running == 0 and count == 0:
            kept.append(right)  # an empty bin stays empty
        elif running >= floor:
            kept.append(right)
            running = 0
    if running:  # the last bins were short: they join the bin before them
        kept[-1] = edges[-1]
    return np.array(kept, dtype=float)


def _bin_counts(v: pd.Series, edges: np.ndarray, xlabel: str, ylabel: str) -> pd.DataFrame:
    """A histogram's bars as a table: each bin's range and its count of respondents, as a
    table cell shows it (:func:`~lozells_analysis.present.tables.format_respondents`)."""
    from lozells_analysis.present.tables import format_respondents

    counts, edges = np.histogram(v.to_numpy(dtype=float), bins=edges)
    return pd.DataFrame(
        {
            f"{xlabel} from": [f"{e:.2f}" for e in edges[:-1]],
            "to": [f"{e:.2f}" for e in edges[1:]],
            ylabel: [format_respondents(c) if c else "0" for c in counts],
        }
    )
