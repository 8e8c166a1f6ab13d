"""Charts of estimates with their intervals: dots and lines, small multiples, model terms.

* :func:`dot_interval` — one row per category (and ``hue``), published comparators as open
  markers;
* :func:`trend_small_multiples` — one small panel per measure over the waves, with the
  comparator's line;
* :func:`coefficient_chart` — regression terms against the line of no difference.

Each returns a :class:`~matplotlib.figure.Figure` in the house style
(:mod:`~lozells_analysis.present.plot_style`) with its description in ``fig.lozells_alt``;
:mod:`lozells_analysis.present.plots` re-exports them and shows them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from lozells_analysis.present.plot_style import (
    GREY,
    OKABE_ITO,
    _chart_data,
    _describe,
    _fmt,
    _join,
    _new_figure,
    _pct_axis,
    _style,
    _suppressed,
    _wrap,
)
from lozells_analysis.present.tables import format_interval

__all__ = ["coefficient_chart", "dot_interval", "trend_small_multiples"]


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
                if nh == 1:  # direct label: the value just right of the interval
                    right = hi if pd.notna(hi) else row["estimate"]
                    ax.annotate(
                        _fmt(row["estimate"], percent),
                        (right, y),
                        xytext=(4, 0),
                        textcoords="offset points",
                        va="center",
                        fontsize=8,
                        color="#000000",
                    )
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
            # below the axis label, never on it: constrained layout makes room outside
            fig.legend(
                loc="outside lower center",
                ncol=min(4, nh + len(ref_pops)),
                frameon=False,
                fontsize=8,
            )
    by = f" by {category.replace('_', ' ')}" if category else ""
    keys = [category] + ([hue] if hue else [])
    _describe(
        fig,
        f"Dot-and-interval chart of {xlabel}{by}: {_join(alt_parts)}.",
        _chart_data(table, keys, percent),
    )
    return fig


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
            if len(sub):  # direct label: the latest value
                ax.annotate(
                    _fmt(sub["estimate"].iloc[-1], percent),
                    (sub[x].iloc[-1], sub["estimate"].iloc[-1]),
                    xytext=(6, 6),
                    textcoords="offset points",
                    fontsize=8,
                    color="#000000",
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
    data = table.copy()
    if facet_labels:
        data[facet] = data[facet].map(lambda v: facet_labels.get(v, v))
    if x_labels:
        data[x] = data[x].map(lambda v: x_labels.get(v, v))
    _describe(
        fig,
        "Small-multiple line charts by " + xlabel.lower() + ". " + _join(alt_parts, 20) + ".",
        _chart_data(data, [facet, x], percent, names={facet: "Measure"}),
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

    ``table`` is :meth:`~lozells_analysis.stats.design.SurveyDesign.glm`'s: ``variable`` (the
    model term), ``estimate, lower_ci, upper_ci`` (e.g. odds ratios with ``null=1,
    log_scale=True``). The intercept is left out.
    """
    labels = labels or {}
    t = table[table["variable"] != "Intercept"].reset_index(drop=True)
    names = [labels.get(x, x) for x in t["variable"]]
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
        _chart_data(t.assign(variable=names), ["variable"], False, names={"variable": "Term"}),
    )
    return fig
