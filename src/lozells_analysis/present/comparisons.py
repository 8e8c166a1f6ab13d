"""Fingertips-style comparisons as a reader sees them: a coloured word, a legend, a spine.

Fingertips (OHID's public-health profiles) marks an area "better", "similar" or "worse"
than a benchmark (or "higher" / "lower" where a higher value is neither better nor worse).
Its classic colours (green ``#92D050``, amber ``#FFC000``, red ``#C00000``; blue ``#BED2FF``
and ``#5555E6`` for lower / higher, as in OHID's ``fingertipscharts`` package) put better
and worse on the red-green axis that colour-blind readers cannot tell apart. Here better is
blue and worse vermilion (the Okabe-Ito colour-blind-safe pair the charts use), similar
yellow, higher / lower Fingertips' own blues, and the word is always printed on the colour,
in black or white, whichever reads better on it (WCAG AA contrast, checked by the tests).

:func:`comparison_html` lays out one row per measure: the area's figure with its interval,
each comparator with its verdict, and a small inline SVG spine (the interval as a bar, the
area's figure as a dot in its verdict's colour, each comparator as a labelled line). At
390 pixels the table turns into one card per measure, so the verdict never leaves the
screen.

Examples
--------
>>> verdict_html("better")
'<span class="lozells-verdict lozells-verdict-better">Better</span>'
>>> text_colour(VERDICT_COLOURS["worse"])
'#000000'
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from lozells_analysis.present.palette import COMPARISON_COLOURS
from lozells_analysis.present.tables import (
    CAUTION,
    Html,
    format_interval,
    format_number,
    format_percent,
)

__all__ = [
    "FINGERTIPS_CLASSIC",
    "VERDICT_COLOURS",
    "VERDICT_MEANINGS",
    "comparison_html",
    "contrast_ratio",
    "legend_html",
    "text_colour",
    "verdict_html",
]

#: Fingertips' own colours (OHID ``fingertipscharts``): for reference, not used (red-green).
FINGERTIPS_CLASSIC = {
    "better": "#92D050",
    "similar": "#FFC000",
    "worse": "#C00000",
    "higher": "#5555E6",
    "lower": "#BED2FF",
    "not compared": "#C9C9C9",
}
#: The colours used: colour-blind safe, the same better / similar / worse as the charts.
VERDICT_COLOURS = {
    "better": COMPARISON_COLOURS.get("better", "#0072B2"),
    "similar": COMPARISON_COLOURS.get("similar", "#F0E442"),
    "worse": COMPARISON_COLOURS.get("worse", "#D55E00"),
    "higher": "#5555E6",
    "lower": "#BED2FF",
    "not compared": "#FFFFFF",
}
#: What each verdict means, in the words the legend uses.
VERDICT_MEANINGS = {
    "better": "the area's figure is better, and the difference is too large to be chance",
    "similar": "the difference could be chance: the published figure lies inside the area's range",
    "worse": "the area's figure is worse, and the difference is too large to be chance",
    "higher": "higher, where higher is neither better nor worse",
    "lower": "lower, where lower is neither better nor worse",
    "not compared": "no comparable published figure, or too few answers to compare",
}


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours.

    Examples
    --------
    >>> round(contrast_ratio("#000000", "#FFFFFF"), 1)
    21.0
    """
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever has the higher contrast on ``background``."""
    black, white = "#000000", "#FFFFFF"
    return (
        black if contrast_ratio(background, black) >= contrast_ratio(background, white) else white
    )


def verdict_html(category: str) -> str:
    """The verdict as a coloured chip that always carries its word."""
    cat = category if category in VERDICT_COLOURS else "not compared"
    slug = cat.replace(" ", "-")
    word = html.escape(cat.capitalize())
    return f'<span class="lozells-verdict lozells-verdict-{slug}">{word}</span>'


def verdict_css() -> str:
    """The CSS of the verdict chips (colours from :data:`VERDICT_COLOURS`)."""
    rules = []
    for cat, colour in VERDICT_COLOURS.items():
        slug = cat.replace(" ", "-")
        rules.append(f".lozells-verdict-{slug}{{background:{colour};color:{text_colour(colour)}}}")
    return "\n".join(rules)


def legend_html(
    categories: Sequence[str] = ("better", "similar", "worse", "not compared"),
) -> Html:
    """The legend: each verdict's chip and what it means, once per page."""
    items = "".join(
        f"<li>{verdict_html(c)} {html.escape(VERDICT_MEANINGS[c])}</li>" for c in categories
    )
    return Html(f'<div class="lozells-legend"><p>How the area compares:</p><ul>{items}</ul></div>')


def _value(v: float, kind: str) -> str:
    return format_percent(v) if kind == "percent" else format_number(v, 1)


def _mid(name: str) -> str:
    """A comparator's name mid-sentence: "similarly deprived areas", but "England"."""
    return name[:1].lower() + name[1:] if name.startswith("Similarly") else name


def _short(name: str) -> str:
    """A comparator's name short enough to label a spine.

    Examples
    --------
    >>> _short("Similarly deprived areas in England"), _short("Scotland")
    ('Deprived areas', 'Scotland')
    """
    return "Deprived areas" if name.startswith("Similarly deprived") else name


def _spine_svg(row: pd.Series, comps: pd.DataFrame, kind: str, area: str) -> str:
    """A small horizontal spine: scale, the interval, the area's dot, each comparator's line."""
    top = 1.0 if kind == "percent" else 10.0
    w, h, pad = 300.0, 64.0, 18.0

    def x(v: float) -> float:
        return pad + (w - 2 * pad) * min(max(float(v) / top, 0.0), 1.0)

    colour = VERDICT_COLOURS.get(
        str(comps["comparison"].iloc[0]) if len(comps) else "not compared", "#FFFFFF"
    )
    parts = [
        f'<line x1="{pad}" y1="28" x2="{w - pad}" y2="28" stroke="#b1b4b6" stroke-width="1"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        tx = pad + (w - 2 * pad) * tick
        label = _value(tick * top, kind)
        parts.append(
            f'<line x1="{tx:.1f}" y1="24" x2="{tx:.1f}" y2="32" stroke="#b1b4b6"/>'
            f'<text x="{tx:.1f}" y="62" font-size="10" text-anchor="middle" fill="#505a5f">'
            f"{label}</text>"
        )
    if pd.notna(row.get("lower_ci")) and pd.notna(row.get("upper_ci")):
        parts.append(
            f'<rect x="{x(row["lower_ci"]):.1f}" y="22" '
            f'width="{max(x(row["upper_ci"]) - x(row["lower_ci"]), 1):.1f}" height="12" '
            'fill="#d9e4f2" stroke="#505a5f" stroke-width="0.5"/>'
        )
    for i, c in enumerate(comps.itertuples()):
        cx = x(c.comparator_value)
        y_text = 12 if i % 2 == 0 else 50
        label = f"{_short(str(c.comparator))} {_value(c.comparator_value, kind)}"
        width = 5.6 * len(label)  # about 10px sans-serif
        anchor = "end" if cx + width > w - 2 else "start"
        if anchor == "end" and cx - width < 2:
            anchor = "middle"
        dx = {"end": -3, "start": 3, "middle": 0}[anchor]
        dash = "" if i == 0 else ' stroke-dasharray="3 2"'
        parts.append(
            f'<line x1="{cx:.1f}" y1="16" x2="{cx:.1f}" y2="40" stroke="#0b0c0c" '
            f'stroke-width="2"{dash}/>'
            f'<text x="{cx + dx:.1f}" y="{y_text}" font-size="10" text-anchor="{anchor}" '
            f'fill="#0b0c0c">{html.escape(label)}</text>'
        )
    if pd.notna(row.get("estimate")):
        parts.append(
            f'<circle cx="{x(row["estimate"]):.1f}" cy="28" r="6" fill="{colour}" '
            'stroke="#0b0c0c" stroke-width="1.5"/>'
        )
    desc = f"{area}: {_value(row['estimate'], kind)}" if pd.notna(row.get("estimate")) else area
    desc += "".join(
        f"; {c.comparator} {_value(c.comparator_value, kind)} ({c.comparison})"
        for c in comps.itertuples()
    )
    return (
        f'<svg class="lozells-spine" viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
        f'aria-label="{html.escape(desc, quote=True)}" preserveAspectRatio="xMinYMid meet">'
        f"{''.join(parts)}</svg>"
    )


def comparison_html(
    estimates: pd.DataFrame,
    compared: pd.DataFrame,
    *,
    area: str,
    caption: str,
    no_comparator: str,
    footnote: str = "",
) -> Html:
    """One row (a card on a phone) per measure: figure, comparators with verdicts, spine.

    Parameters
    ----------
    estimates : DataFrame
        ``variable, label, estimate, lower_ci, upper_ci, kind`` ("percent" or "mean"),
        ``suppressed`` (optional): every measure shown, with or without a comparator.
    compared : DataFrame
        :func:`lozells_analysis.stats.compare.compare_with_comparators` of those estimates:
        ``variable, comparator, comparator_value, comparison`` (and ``period``).
    area : str
        The area's name (column header and the spine's description).
    caption : str
        The table's caption (what, where, when).
    no_comparator : str
        The sentence shown for a measure without a comparable published figure.
    footnote : str
        A note under the table (e.g. the programme-wide published figures, labelled so).
    """
    e = html.escape
    rows = []
    for _, r in estimates.iterrows():
        kind = str(r.get("kind", "percent"))
        comps = compared[compared["variable"] == r["variable"]]
        suppressed = bool(r.get("suppressed", False)) or pd.isna(r.get("estimate"))
        figure = (
            "Not shown: too few answers"
            if suppressed
            else format_interval(r["estimate"], r["lower_ci"], r["upper_ci"], kind)
        )
        if not suppressed and bool(r.get("interpret_with_caution", False)):
            figure += f" ({CAUTION})"
        if len(comps):
            items = "".join(
                f"<li>{verdict_html(str(c.comparison))} <span>than {e(_mid(str(c.comparator)))}"
                f" ({_value(c.comparator_value, kind)}"
                f"{', ' + e(str(c.period)) if isinstance(getattr(c, 'period', None), str) else ''}"
                ")</span></li>"
                for c in comps.itertuples()
            )
            items = items.replace("Similar</span> <span>than", "Similar</span> <span>to")
            verdicts = f'<ul class="lozells-verdicts">{items}</ul>'
        else:
            verdicts = (
                f'<ul class="lozells-verdicts"><li>{verdict_html("not compared")} '
                f"<span>{e(no_comparator)}</span></li></ul>"
            )
        spine = "" if suppressed else _spine_svg(r, comps, kind, area)
        numbers = f' data-measure="{e(str(r["variable"]), quote=True)}"'
        if not suppressed:  # the figures the row was built from, for checking
            numbers += (
                f' data-estimate="{float(r["estimate"])!r}" data-lower="{float(r["lower_ci"])!r}"'
                f' data-upper="{float(r["upper_ci"])!r}"'
            )
        rows.append(
            f'<tr{numbers}><th scope="row" data-label="Measure">{e(str(r["label"]))}</th>'
            f'<td data-label="{e(area, quote=True)}">{e(figure)}</td>'
            f'<td data-label="Compared with">{verdicts}</td>'
            f'<td data-label="Chart" class="lozells-spine-cell">{spine}</td></tr>'
        )
    foot = f'<p class="lozells-note">{e(footnote)}</p>' if footnote else ""
    return Html(
        '<div class="lozells-compare-wrap"><table class="lozells-compare">'
        f"<caption>{e(caption)}</caption>"
        f'<thead><tr><th scope="col">Measure</th><th scope="col">{e(area)} (95% range)</th>'
        '<th scope="col">Compared with</th><th scope="col">Chart</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{foot}</div>"
    )
