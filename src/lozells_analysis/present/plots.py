"""Figures in one house style, and the one way a notebook shows them.

Every chart function takes a tidy frame (as the statistics modules return) and returns a
matplotlib :class:`~matplotlib.figure.Figure` drawn with seaborn in the Okabe-Ito
colour-blind-safe palette, with intervals drawn and axes labelled in words. The figure
carries a default description of what it shows (``fig.lozells_alt``) built from the data.

:func:`show` is the only way a notebook displays a figure: it emits a ``<figure>`` with the
PNG embedded, alt text and a "Source: ..." caption (both HTML-escaped), adds a "Synthetic
data" watermark when the data are synthetic, and closes the figure so that nothing else
(no ``Text(...)`` repr, no second copy) reaches the report.

Examples
--------
>>> import pandas as pd
>>> from lozells_analysis.present import plots
>>> est = pd.DataFrame({"group": ["A", "B"], "estimate": [0.4, 0.6],
...                     "lower_ci": [0.3, 0.5], "upper_ci": [0.5, 0.7]})
>>> fig = plots.dot_interval(est, "group", xlabel="Residents who agree")
>>> fig.lozells_alt
'Dot-and-interval chart of Residents who agree by group: A 40% (30% to 50%); B 60% (50% to 70%).'
>>> html = plots.figure_html(fig, source="Made-up example")
>>> html.startswith("<figure") and "Source: Made-up example" in html
True
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler  # what ``matplotlib.cycler`` is
from matplotlib.ticker import FuncFormatter

from lozells_analysis.present.tables import format_interval, format_number

log = logging.getLogger(__name__)

__all__ = [
    "COMPARISON_COLOURS",
    "OKABE_ITO",
    "coefficient_chart",
    "dot_interval",
    "figure_html",
    "frequency_chart",
    "heatmap",
    "histogram",
    "show",
    "spine_chart",
    "trend_small_multiples",
]

#: Okabe & Ito (2008) colour-blind-safe palette (black last).
OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]
#: Fingertips-style comparison colours, colour-blind safe (with markers as a second cue).
COMPARISON_COLOURS = {
    "better": "#0072B2",
    "similar": "#F0E442",
    "worse": "#D55E00",
    "not compared": "#FFFFFF",
}
_COMPARISON_MARKERS = {"better": "^", "similar": "o", "worse": "v", "not compared": "s"}
GREY = "#777777"
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
    # A Figure not registered with pyplot: the inline backend never shows it on its own, so
    # the only copy in a report is the one :func:`show` emits.
    width = min(width, MAX_WIDTH_IN)
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _describe(fig: Figure, alt: str) -> None:
    """Store the chart's default description as ``fig.lozells_alt`` (see :func:`figure_html`)."""
    # an attribute of our own, which matplotlib's Figure does not declare
    setattr(fig, "lozells_alt", alt)  # noqa: B010


def _fmt(value: float, percent: bool) -> str:
    return format_interval(value, None, None, "percent" if percent else "mean")


def _pct_axis(ax: Axes, axis: str = "x") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v * 100:.0f}%")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _suppressed(frame: pd.DataFrame) -> np.ndarray:
    if "suppressed" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["suppressed"].fillna(False).astype(bool).to_numpy()


def _join(parts: Sequence[str], limit: int = 40) -> str:
    parts = list(parts)
    more = len(parts) - limit
    text = "; ".join(parts[:limit])
    return text + (f"; and {more} more" if more > 0 else "")


# --- showing ------------------------------------------------------------------------------------
def figure_html(
    fig: Figure,
    alt: str | None = None,
    caption: str | None = None,
    source: str = "",
    synthetic: bool = False,
) -> str:
    """The figure as an HTML ``<figure>``: embedded PNG, alt text, caption with its source.

    ``alt`` defaults to the description the chart function stored in ``fig.lozells_alt``.
    """
    alt = alt or getattr(fig, "lozells_alt", "") or "Chart"
    if synthetic:
        fig.text(
            0.99,
            0.01,
            "SYNTHETIC DATA",
            ha="right",
            va="bottom",
            fontsize=9,
            color="#D55E00",
            alpha=0.8,
            fontweight="bold",
        )
        alt = f"{alt} (Synthetic data.)"
    png = _png(fig)
    width_px = int(round(fig.get_figwidth() * DPI))
    cap = []
    if caption:
        cap.append(html.escape(caption))
    if source:
        cap.append("Source: " + html.escape(source.rstrip(".")) + ".")
    if synthetic:
        cap.append("<strong>Synthetic data: not real findings.</strong>")
    figcaption = f"<figcaption>{' '.join(cap)}</figcaption>" if cap else ""
    return (
        '<figure class="lozells-figure" style="margin:0.5em 0 1.2em;max-width:100%">'
        f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt, quote=True)}" '
        f'style="max-width:100%;height:auto" width="{width_px}">{figcaption}</figure>'
    )


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def show(
    fig: Figure,
    alt: str | None = None,
    caption: str | None = None,
    source: str = "",
    synthetic: bool | None = None,
    data: pd.DataFrame | None = None,
) -> None:
    """Display ``fig`` in the notebook as a captioned figure with alt text, then close it.

    Parameters
    ----------
    fig : Figure
        From one of this module's chart functions.
    alt : str, optional
        Alt text; by default the description the chart function built from the data.
    caption : str, optional
        What the figure shows, in a sentence.
    source : str
        Where the data come from (``tables.source_text(survey)``); shown as "Source: ...".
    synthetic : bool, optional
        Watermark the figure and say so in the caption; by default taken from
        ``data.attrs["synthetic"]``.
    data : DataFrame, optional
        The data the figure comes from: its ``attrs`` supply ``synthetic`` and, when
        ``source`` is empty, the source line.
    """
    from IPython.display import display

    from lozells_analysis.present.tables import source_text

    if synthetic is None:
        synthetic = bool(getattr(data, "attrs", {}).get("synthetic", False))
    if not source and data is not None:
        source = source_text(data)
    text = figure_html(fig, alt=alt, caption=caption, source=source, synthetic=synthetic)
    png = _png(fig)
    plt.close(fig)
    display(
        {
            "text/html": text,
            "image/png": png,
            "text/plain": f"[Figure: {alt or getattr(fig, 'lozells_alt', '')}]",
        },
        raw=True,
    )  # type: ignore[no-untyped-call]  # IPython's display() is unannotated


# --- charts -------------------------------------------------------------------------------------
def dot_interval(
    table: pd.DataFrame,
    category: str,
    hue: str | None = None,
    reference: pd.DataFrame | None = None,
    xlabel: str = "Estimate",
    ylabel: str = "",
    percent: bool = True,
    title: str = "",
    xlim: tuple[float, float] | None = None,
    estimate_label: str = "Survey estimate (line: interval)",
) -> Figure:
    """Estimates with their intervals, one row per category (dots and horizontal lines).

    Parameters
    ----------
    table : DataFrame
        ``category`` (and ``hue``), ``estimate, lower_ci, upper_ci``; a row with
        ``suppressed`` true is not drawn and is marked "suppressed" instead.
    reference : DataFrame, optional
        Published comparators drawn as open markers: columns ``category``, ``population``
        and ``value`` (same scale as the estimates).
    percent : bool
        Estimates are proportions (axis in %) rather than means.
    """
    hue_levels = list(pd.unique(table[hue])) if hue else [None]
    cats = list(pd.unique(table[category]))
    nh = len(hue_levels)
    ref_pops = list(pd.unique(reference["population"])) if reference is not None else []
    height = max(2.2, 0.45 * len(cats) * max(1, nh * 0.6) + 1.2)
    with _style():
        fig, axes = _new_figure(8.0, height)
        ax = axes[0, 0]
        offsets = np.linspace(-0.25, 0.25, nh) if nh > 1 else [0.0]
        sup = _suppressed(table)
        alt_parts = []
        labelled: set[int] = set()
        for k, level in enumerate(hue_levels):
            sub_mask = (table[hue] == level).to_numpy() if hue else np.ones(len(table), bool)
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            for i, cat in enumerate(cats):
                m = sub_mask & (table[category] == cat).to_numpy()
                if not m.any():
                    continue
                row = table[m].iloc[0]
                y = i + offsets[k]
                who = f"{cat}" + (f", {level}" if hue else "")
                if sup[m][0]:
                    ax.text(
                        0.01,
                        y,
                        "suppressed (too few respondents)",
                        va="center",
                        fontsize=8,
                        color=GREY,
                        transform=ax.get_yaxis_transform(),
                    )
                    alt_parts.append(f"{who} suppressed")
                    continue
                lo, hi = row.get("lower_ci", np.nan), row.get("upper_ci", np.nan)
                if pd.notna(lo) and pd.notna(hi):
                    ax.plot([lo, hi], [y, y], color=colour, lw=2.2, solid_capstyle="butt")
                legend = None if k in labelled else (str(level) if hue else estimate_label)
                labelled.add(k)
                ax.plot(row["estimate"], y, "o", color=colour, ms=7, label=legend)
                kind = "percent" if percent else "mean"
                alt_parts.append(f"{who} {format_interval(row['estimate'], lo, hi, kind)}")
        if reference is not None:
            markers = ["D", "s", "P", "X"]
            for j, pop in enumerate(ref_pops):
                r = reference[reference["population"] == pop]
                ys = [cats.index(c) for c in r[category] if c in cats]
                xs = [v for c, v in zip(r[category], r["value"], strict=True) if c in cats]
                ax.plot(
                    xs,
                    ys,
                    markers[j % 4],
                    mfc="white",
                    mec="#000000" if j == 0 else GREY,
                    mew=1.5,
                    ms=7,
                    ls="none",
                    label=str(pop),
                )
                alt_parts += [
                    f"{c}: {pop} {_fmt(v, percent)}"
                    for c, v in zip(r[category], r["value"], strict=True)
                    if c in cats
                ]
        ax.set_yticks(range(len(cats)), [_wrap(c) for c in cats])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if percent:
            ax.set_xlim(*(xlim or (0, 1)))
            _pct_axis(ax)
        elif xlim:
            ax.set_xlim(*xlim)
        if title:
            ax.set_title(title, loc="left")
        if hue or reference is not None or len(cats) > 0:
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.18 if height < 4 else -0.08),
                ncol=min(4, nh + len(ref_pops)),
                frameon=False,
                fontsize=8,
            )
    by = f" by {category.replace('_', ' ')}" if category else ""
    _describe(fig, f"Dot-and-interval chart of {xlabel}{by}: {_join(alt_parts)}.")
    return fig


def _wrap(text: object, width: int = 38) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def trend_small_multiples(
    table: pd.DataFrame,
    facet: str = "variable",
    x: str = "wave",
    reference: pd.DataFrame | None = None,
    facet_labels: Mapping | None = None,
    x_labels: Mapping | None = None,
    xlabel: str = "Survey wave",
    ylabel: str = "Residents (%)",
    percent: bool = True,
    reference_label: str = "England (Community Life Survey)",
    ncols: int = 2,
) -> Figure:
    """One small panel per measure: the estimate in each wave with its interval, and the
    comparator line (e.g. England's Community Life Survey) where one exists.

    ``reference`` has columns ``facet``, ``x`` and ``value``. Suppressed rows are left out
    (a gap in the line).
    """
    facets = list(pd.unique(table[facet]))
    ncols = max(1, min(ncols, len(facets)))
    nrows = math.ceil(len(facets) / ncols)
    xs_all = sorted(pd.unique(table[x]))
    facet_labels = facet_labels or {}
    x_labels = x_labels or {}
    alt_parts = []
    with _style():
        fig, axes = _new_figure(4.3 * ncols, 2.8 * nrows + 0.6, nrows, ncols, sharey=percent)
        for k, f in enumerate(facets):
            ax = axes[k // ncols, k % ncols]
            sub = table[(table[facet] == f).to_numpy() & ~_suppressed(table)].sort_values(x)
            ax.fill_between(
                sub[x], sub["lower_ci"], sub["upper_ci"], color=OKABE_ITO[0], alpha=0.2, lw=0
            )
            ax.errorbar(
                sub[x],
                sub["estimate"],
                yerr=[sub["estimate"] - sub["lower_ci"], sub["upper_ci"] - sub["estimate"]],
                fmt="o-",
                color=OKABE_ITO[0],
                ms=5,
                capsize=3,
                lw=1.8,
                label="This survey (with interval)",
            )
            label = facet_labels.get(f, f)
            ax.set_title(_wrap(label, 48), loc="left", fontsize=9.5)
            kind = "percent" if percent else "mean"
            pts = [
                f"{x_labels.get(v, v)} {format_interval(e, lo, hi, kind)}"
                for v, e, lo, hi in zip(
                    sub[x], sub["estimate"], sub["lower_ci"], sub["upper_ci"], strict=True
                )
            ]
            alt_parts.append(f"{label}: " + ", ".join(map(str, pts)))
            if reference is not None:
                r = reference[reference[facet] == f].sort_values(x)
                if len(r):
                    ax.plot(
                        r[x],
                        r["value"],
                        "s--",
                        color=OKABE_ITO[5],
                        ms=5,
                        lw=1.4,
                        mfc="white",
                        label=reference_label,
                    )
                    alt_parts.append(
                        f"{reference_label} "
                        + ", ".join(
                            f"{x_labels.get(v, v)} {_fmt(val, percent)}"
                            for v, val in zip(r[x], r["value"], strict=True)
                        )
                    )
            ax.set_xticks(xs_all, [str(x_labels.get(v, v)) for v in xs_all])
            if percent:
                ax.set_ylim(0, 1)
                _pct_axis(ax, "y")
            if k % ncols == 0:
                ax.set_ylabel(ylabel)
            if k // ncols == nrows - 1 or k + ncols >= len(facets):
                ax.set_xlabel(xlabel)
        for k in range(len(facets), nrows * ncols):
            axes[k // ncols, k % ncols].set_visible(False)
        handles: dict[str, Artist] = {}
        labels: dict[str, str] = {}
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
                labels[lab] = lab
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside lower center",
            ncol=2,
            frameon=False,
            fontsize=8,
        )
    _describe(
        fig, "Small-multiple line charts by " + xlabel.lower() + ". " + _join(alt_parts, 20) + "."
    )
    return fig


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


def frequency_chart(
    table: pd.DataFrame,
    category: str,
    value: str = "percent",
    hue: str | None = None,
    xlabel: str = "Share of excerpts",
    percent: bool = True,
    title: str = "",
) -> Figure:
    """Horizontal bars of how often each code was raised (optionally split by ``hue``).

    Qualitative counts are not a sample estimate, so no interval is drawn; suppressed rows
    (``suppressed`` true) are left blank and labelled.
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
    _describe(
        fig,
        f"Bar chart of {xlabel.lower()} by {category.replace('_', ' ')}: "
        + _join(alt_parts)
        + ".",
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
    """A histogram (e.g. of survey weights), with optional labelled vertical marks."""
    v = pd.Series(values, dtype=float).dropna()
    with _style():
        fig, axes = _new_figure(7.5, 3.2)
        ax = axes[0, 0]
        sns.histplot(v, bins=bins, ax=ax, color=OKABE_ITO[0], edgecolor="white")
        for k, (label, x) in enumerate((marks or {}).items()):
            ax.axvline(x, color=OKABE_ITO[(k + 1) % 8], ls="--", lw=1.5, label=label)
        if marks:
            ax.legend(frameon=False, fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, loc="left")
    q = v.quantile([0, 0.25, 0.5, 0.75, 1]).to_numpy()
    _describe(
        fig,
        f"Histogram of {xlabel.lower()} for {len(v):,} values: minimum "
        f"{q[0]:.2f}, lower quartile {q[1]:.2f}, median {q[2]:.2f}, upper "
        f"quartile {q[3]:.2f}, maximum {q[4]:.2f}.",
    )
    return fig


def coefficient_chart(
    table: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    xlabel: str = "Difference (with interval)",
    null: float = 0.0,
    log_scale: bool = False,
) -> Figure:
    """Regression terms with their intervals against the line of no difference.

    ``table`` has ``term, estimate, lower_ci, upper_ci`` (e.g. odds ratios with
    ``null=1, log_scale=True``). The intercept is left out.
    """
    labels = labels or {}
    t = table[table["term"] != "Intercept"].reset_index(drop=True)
    names = [labels.get(x, x) for x in t["term"]]
    alt = []
    with _style():
        fig, axes = _new_figure(8.0, 0.4 * len(t) + 1.4)
        ax = axes[0, 0]
        for i, r in t.iterrows():
            crosses = r["lower_ci"] <= null <= r["upper_ci"]
            colour = GREY if crosses else OKABE_ITO[0]
            ax.plot([r["lower_ci"], r["upper_ci"]], [i, i], color=colour, lw=2)
            ax.plot(r["estimate"], i, "o", color=colour, ms=6)
            alt.append(
                f"{names[i]} "
                + format_interval(r["estimate"], r["lower_ci"], r["upper_ci"], "ratio")
            )
        ax.axvline(null, color="#000000", lw=1, ls="--")
        if log_scale:
            ax.set_xscale("log")
        ax.set_yticks(range(len(t)), [_wrap(n, 40) for n in names])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
    _describe(
        fig,
        f"Chart of {xlabel.lower()} for {len(t)} terms; grey terms' intervals "
        f"include {null:g} (no clear difference): " + _join(alt) + ".",
    )
    return fig
