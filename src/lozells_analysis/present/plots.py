"""Figures in one house style, and the one way a notebook shows them.

Every chart function takes a tidy frame (as the statistics modules return) and returns a
matplotlib :class:`~matplotlib.figure.Figure` drawn with seaborn in the Okabe-Ito
colour-blind-safe palette, with intervals drawn and axes labelled in words. The figure
carries a default description of what it shows (``fig.lozells_alt``) built from the data.

:func:`show` is the only way a notebook displays a figure: it emits a ``<figure>`` with a
title that states the finding (worded by :mod:`~lozells_analysis.present.findings`), a
subtitle (measure, area, period, unit), the chart as inline SVG (text kept as text, scaled to
the screen, its description as the accessible name), a "Source: ..." caption, and under it
a "Show the data" table with a "Download this data (CSV)" link embedded in the page (all
HTML-escaped). It marks the figure "Synthetic data" above the plot when the data are
synthetic, carries the table under :data:`~lozells_analysis.present.tables.TABLE_MIME` for
the report's spreadsheet, and closes the figure so that nothing else (no ``Text(...)`` repr,
no second copy) reaches the report.

The chart functions live by family and are re-exported here, so ``plots.X`` is the one
name to use: :mod:`~lozells_analysis.present.interval_charts` (estimates with intervals),
:mod:`~lozells_analysis.present.benchmark_charts` (the spine chart) and
:mod:`~lozells_analysis.present.count_charts` (counts and distributions), all in the house
style of :mod:`~lozells_analysis.present.plot_style`.

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
>>> "<figure" in html and "<svg" in html and "Source: Made-up example" in html
True
>>> "Show the data" in html and "data:text/csv" in html
True
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import logging
import re

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from lozells_analysis.present.benchmark_charts import spine_chart
from lozells_analysis.present.count_charts import frequency_chart, heatmap, histogram
from lozells_analysis.present.interval_charts import (
    coefficient_chart,
    dot_interval,
    trend_small_multiples,
)

# The house style and its helpers, still importable from here as before the charts moved out.
from lozells_analysis.present.plot_style import (  # noqa: F401
    _COMPARISON_MARKERS,
    _RC,
    COMPARISON_COLOURS,
    DPI,
    GREY,
    MAX_WIDTH_IN,
    OKABE_ITO,
    _describe,
    _fmt,
    _join,
    _new_figure,
    _pct_axis,
    _style,
    _suppressed,
    _wrap,
)
from lozells_analysis.present.tables import format_interval, format_number  # noqa: F401

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


# --- showing ------------------------------------------------------------------------------------
_svg_count = itertools.count(1)


def _svg(fig: Figure, alt: str) -> str:
    """The figure as inline SVG: text kept as text (selectable, sharp), 100% wide and scaled
    by its viewBox, with ``role="img"`` and its description as the accessible name."""
    buf = io.StringIO()
    # a salt per figure keeps the ids of two charts on one page apart
    salt = f"lozells-{next(_svg_count)}"
    with plt.rc_context({"svg.fonttype": "none", "svg.image_inline": True, "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    head_end = text.index(">") + 1
    head = text[:head_end]
    width = re.search(r'width="([\d.]+)pt"', head)
    max_width = f"max-width:{float(width.group(1)) * 4 / 3:.0f}px;" if width else ""
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    escaped = html.escape(alt, quote=True)
    head = head.replace(
        "<svg",
        f'<svg class="lozells-chart" role="img" aria-label="{escaped}" '
        f'width="100%" style="{max_width}height:auto;display:block" focusable="false"',
        1,
    )
    body = re.sub(r"\s*<metadata>.*?</metadata>", "", text[head_end:], flags=re.S)
    return f"{head}<title>{html.escape(alt)}</title>{body}".strip()


def _csv_link(table: pd.DataFrame, name: str) -> str:
    """An offline "Download this data (CSV)" link: the CSV embedded in a ``data:`` URI."""
    csv = table.to_csv(index=False).encode("utf-8-sig")  # BOM: Excel reads it as UTF-8
    data = base64.b64encode(csv).decode("ascii")
    return (
        f'<a class="lozells-csv" download="{html.escape(name, quote=True)}" '
        f'href="data:text/csv;base64,{data}">Download this data (CSV)</a>'
    )


def _file_name(title: str) -> str:
    """A CSV file name from a chart's title.

    Examples
    --------
    >>> _file_name("Belonging has not changed clearly since 2016")
    'belonging-has-not-changed-clearly-since-2016.csv'
    """
    stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-")
    return f"{stem or 'chart-data'}.csv"


def _data_html(table: pd.DataFrame, title: str) -> str:
    """Under a chart: its numbers in a "Show the data" disclosure, and the CSV link."""
    from lozells_analysis.present.tables import to_html

    shown = to_html(table, caption=f"Data for: {title}" if title else "Data", index=False)
    return (
        '<details class="lozells-data"><summary>Show the data</summary>'
        f"{shown.text}</details>"
        f'<p class="lozells-download">{_csv_link(table, _file_name(title or "chart data"))}</p>'
    )


_FIGURE_CSS = (
    "<style>.lozells-figure{margin:0.5em 0 1.5em;max-width:100%}"
    ".lozells-figure .lozells-chart-title{font-size:1.1em;font-weight:bold;margin:0 0 0.15em}"
    ".lozells-figure .lozells-chart-subtitle{color:#333;margin:0 0 0.5em}"
    ".lozells-figure svg{max-width:100%;height:auto}"
    ".lozells-figure details>summary{cursor:pointer;color:#1f4e79;margin:0.4em 0}"
    ".lozells-figure figcaption{font-size:0.9em;color:#333}</style>"
)


def figure_html(
    fig: Figure,
    alt: str | None = None,
    caption: str | None = None,
    source: str = "",
    synthetic: bool = False,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    table: pd.DataFrame | None = None,
) -> str:
    """The figure as an HTML ``<figure>``: a title stating the finding, a subtitle (measure,
    area, period, unit), the chart as inline SVG with its description as accessible name, the
    caption with its source, and, when there is a table (``table``, else the numbers the
    chart function stored), a "Show the data" table and a "Download this data (CSV)" link.

    ``alt`` defaults to the description the chart function built from the data.
    """
    alt = alt or getattr(fig, "lozells_alt", "") or "Chart"
    if synthetic:
        # above the plot, never over the legend or the data
        fig.suptitle(
            "SYNTHETIC DATA", x=0.99, ha="right", fontsize=9, color="#A33B00", fontweight="bold"
        )
        alt = f"{alt} (Synthetic data.)"
    svg = _svg(fig, alt)
    parts = [_FIGURE_CSS, '<figure class="lozells-figure">']
    if title:
        parts.append(f'<p class="lozells-chart-title">{html.escape(title)}</p>')
    if subtitle:
        parts.append(f'<p class="lozells-chart-subtitle">{html.escape(subtitle)}</p>')
    parts.append(svg)
    cap = []
    if caption:
        cap.append(html.escape(caption))
    if source:
        cap.append("Source: " + html.escape(source.rstrip(".")) + ".")
    if synthetic:
        cap.append("<strong>Synthetic data: not real findings.</strong>")
    if cap:
        parts.append(f"<figcaption>{' '.join(cap)}</figcaption>")
    data = table if table is not None else getattr(fig, "lozells_data", None)
    if data is not None:
        parts.append(_data_html(data, title or caption or ""))
    parts.append("</figure>")
    return "".join(parts)


def show(
    fig: Figure,
    alt: str | None = None,
    caption: str | None = None,
    source: str = "",
    synthetic: bool | None = None,
    data: pd.DataFrame | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    table: pd.DataFrame | None = None,
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
        Mark the figure and say so in the caption; by default taken from
        ``data.attrs["synthetic"]``.
    data : DataFrame, optional
        The data the figure comes from: its ``attrs`` supply ``synthetic`` and, when
        ``source`` is empty, the source line.
    title : str, optional
        The finding the chart shows, in words (:mod:`lozells_analysis.present.findings`).
    subtitle : str, optional
        Measure, area, period and unit (:func:`~lozells_analysis.present.findings.subtitle`).
    table : DataFrame, optional
        The numbers behind the chart for "Show the data", the CSV and the report's
        spreadsheet; by default those the chart function stored.
    """
    from IPython.display import display

    from lozells_analysis.present.tables import TABLE_MIME, source_text, table_payload

    if synthetic is None:
        synthetic = bool(getattr(data, "attrs", {}).get("synthetic", False))
    if not source and data is not None:
        source = source_text(data)
    numbers = table if table is not None else getattr(fig, "lozells_data", None)
    text = figure_html(
        fig,
        alt=alt,
        caption=caption,
        source=source,
        synthetic=synthetic,
        title=title,
        subtitle=subtitle,
        table=numbers,
    )
    description = alt or getattr(fig, "lozells_alt", "")
    plt.close(fig)
    bundle: dict[str, object] = {"text/html": text, "text/plain": f"[Figure: {description}]"}
    if numbers is not None:
        bundle[TABLE_MIME] = table_payload(
            numbers,
            title or caption or "Chart data",
            ("Source: " + source) if source else "",
            index=False,
            subtitle=subtitle or "",
            synthetic=synthetic,
        )
    else:
        # info, not a warning: a kernel's warnings reach stderr, which a report must not show
        log.info("chart %r has no table of its numbers: pass table=", title or caption)
    display(bundle, raw=True)  # type: ignore[no-untyped-call]  # IPython's display() is unannotated
