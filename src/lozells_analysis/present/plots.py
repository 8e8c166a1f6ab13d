"""Figures in one house style, and the one way a notebook shows them.

Every chart function takes a tidy frame (as the statistics modules return) and returns a
matplotlib :class:`~matplotlib.figure.Figure` drawn with seaborn in the Okabe-Ito
colour-blind-safe palette, with intervals drawn and axes labelled in words. The figure
carries a default description of what it shows (``fig.lozells_alt``) built from the data.

:func:`show` is the only way a notebook displays a figure: it emits a ``<figure>`` with the
PNG embedded, alt text and a "Source: ..." caption (both HTML-escaped), adds a "Synthetic
data" watermark when the data are synthetic, and closes the figure so that nothing else
(no ``Text(...)`` repr, no second copy) reaches the report.

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
>>> html.startswith("<figure") and "Source: Made-up example" in html
True
"""

from __future__ import annotations

import base64
import html
import io
import logging

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
    """The figure as a base64-encoded PNG at the house resolution."""
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
