"""How estimates look in a report: formatted intervals, suppressed cells, HTML tables.

Every table in every notebook goes through this module, so that a percentage always reads
``82% (79% to 85%)``, a mean ``7.1 (6.9 to 7.3)``, a cell with too few respondents always
reads ``suppressed``, and every table is escaped HTML that scrolls sideways inside its own
box rather than overflowing a phone screen.

Examples
--------
>>> from lozells_analysis.present.tables import format_interval
>>> format_interval(0.8234, 0.791, 0.853)
'82% (79% to 85%)'
>>> format_interval(7.06, 6.88, 7.24, kind="mean")
'7.1 (6.9 to 7.2)'
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.stats.published import CountRules, count_context

log = logging.getLogger(__name__)

__all__ = [
    "CAUTION",
    "SUPPRESSED",
    "TABLE_MIME",
    "Html",
    "banner",
    "comparison_table",
    "estimate_table",
    "format_columns",
    "format_count",
    "format_interval",
    "format_number",
    "format_percent",
    "format_respondents",
    "indicator_label",
    "source_text",
    "table_payload",
    "to_html",
]

#: The banner's first line over synthetic data: plain words, no module name (the data file's
#: own metadata names the generator).
SYNTHETIC_BANNER = (
    "SYNTHETIC DATA: made up for testing and demonstration, to match the published Local "
    "Conversations figures. No row describes a real person."
)
#: What a suppressed cell shows.
SUPPRESSED = "suppressed"
#: What a cell flagged as unreliable adds after its figure.
CAUTION = "interpret with caution"

_TABLE_CSS = (
    "<style>.lozells-table{overflow-x:auto;max-width:100%;margin:0.5em 0 1em}"
    ".lozells-table table{border-collapse:collapse;font-size:0.9em}"
    ".lozells-table th,.lozells-table td{padding:0.25em 0.6em;border-bottom:1px solid #ddd;"
    "text-align:left;vertical-align:top}"
    ".lozells-table caption{caption-side:top;text-align:left;font-weight:bold;"
    "padding-bottom:0.3em}"
    ".lozells-table .lozells-note{font-size:0.85em;color:#444;margin:0.3em 0 0}</style>"
)


#: The MIME type of the hidden copy of a table a notebook output carries: the build gathers
#: them into the report's spreadsheet (:mod:`lozells_analysis.reports.spreadsheet`); the
#: HTML views ignore it.
TABLE_MIME = "application/vnd.lozells.table+json"


def table_payload(
    table: pd.DataFrame,
    title: str | None = None,
    note: str | None = None,
    index: bool = True,
    **extra: object,
) -> dict[str, object]:
    """A table as the JSON a notebook output carries under :data:`TABLE_MIME`: its title,
    note, column names and rows of text (the index, when shown, as the first columns).

    Examples
    --------
    >>> t = pd.DataFrame({"Value": [0.5]}, index=pd.Index(["a"], name="group"))
    >>> table_payload(t, "T")
    {'title': 'T', 'note': '', 'columns': ['group', 'Value'], 'rows': [['a', '0.5']]}
    """
    frame = table.copy()
    if index and any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    frame.columns = [_header(c) for c in frame.columns]
    rows = [["-" if _missing(v) else str(v) for v in row] for row in frame.to_numpy().tolist()]
    return {
        "title": title or "",
        "note": note or "",
        "columns": [str(c) for c in frame.columns],
        "rows": rows,
        **extra,
    }


class Html:
    """A fragment of HTML that Jupyter displays as HTML (and tests can read as text).

    ``table``, when given, is the table's :func:`table_payload`: the output then also
    carries it under :data:`TABLE_MIME`, which the HTML views ignore and the build gathers
    into the report's spreadsheet.

    Examples
    --------
    >>> Html("<p>x</p>")._repr_html_()
    '<p>x</p>'
    >>> sorted(Html("<p>x</p>", table={"title": "x"})._repr_mimebundle_())
    ['application/vnd.lozells.table+json', 'text/html']
    """

    def __init__(self, text: str, table: dict[str, object] | None = None) -> None:
        self.text = text
        self.table = table

    def _repr_html_(self) -> str:
        return self.text

    def _repr_mimebundle_(
        self, include: object = None, exclude: object = None
    ) -> dict[str, object]:
        bundle: dict[str, object] = {"text/html": self.text}
        if self.table is not None:
            bundle[TABLE_MIME] = self.table
        return bundle

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:  # what a plain-text view (and a log) shows
        return f"Html({len(self.text)} characters)"


# --- numbers ----------------------------------------------------------------------------------
def format_respondents(
    n: float | None,
    *,
    min_n: int | None = None,
    area: str | None = None,
    waves: Sequence[int] | None = None,
    filters: Mapping[str, Any] | None = None,
    noun: str = "survey response",
) -> str:
    """A count of respondents in a table cell, as it may be published: ``"suppressed"``
    below the floor (the project's, or ``min_n`` when higher), rounded to the project's base
    in a briefing pack (:class:`~lozells_analysis.stats.published.CountRules`, set by the
    build). When ``area`` or ``waves`` is given the count is registered with what it counts,
    for the build's differencing check.

    Examples
    --------
    >>> format_respondents(2852), format_respondents(4), format_respondents(None)
    ('2,852', 'suppressed', 'suppressed')
    """
    from lozells_analysis.stats.published import CountRules, record_count

    rules = CountRules.from_environment().with_min_n(min_n)
    shown = rules.shown(None if n is None or _missing(n) else float(n))
    if area is not None or waves is not None:
        record_count(shown, noun, area=area, waves=waves, filters=filters, rules=rules)
    return SUPPRESSED if shown.value is None else format_count(shown.value)


def _missing(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def format_number(value: float | None, digits: int = 1) -> str:
    """A number rounded to ``digits`` decimals (half away from zero), ``"-"`` if missing.

    Examples
    --------
    >>> format_number(7.05), format_number(2.5, 0), format_number(float("nan"))
    ('7.1', '3', '-')
    """
    if value is None or _missing(value):
        return "-"
    q = 10.0**digits
    v = float(value)
    rounded = math.floor(abs(v) * q + 0.5 + 1e-9) / q * (1 if v >= 0 else -1)
    if rounded == 0:
        rounded = 0.0
    return f"{rounded:,.{digits}f}"


def format_percent(value: float | None, digits: int = 0) -> str:
    """A proportion (0-1) as a percentage: ``0.823 -> "82%"``.

    Examples
    --------
    >>> format_percent(0.825), format_percent(0.0449, 1), format_percent(None)
    ('83%', '4.5%', '-')
    """
    if value is None or _missing(value):
        return "-"
    return f"{format_number(float(value) * 100, digits)}%"


def format_count(n: float | None) -> str:
    """A count with thousands separators.

    Examples
    --------
    >>> format_count(2852), format_count(np.float64(12.0))
    ('2,852', '12')
    """
    return "-" if n is None or _missing(n) else f"{int(round(float(n))):,}"


def format_interval(
    estimate: float | None,
    lower: float | None,
    upper: float | None,
    kind: str = "percent",
    digits: int | None = None,
) -> str:
    """An estimate with its interval: ``"82% (79% to 85%)"`` or ``"7.1 (6.9 to 7.3)"``.

    Parameters
    ----------
    kind : {"percent", "mean", "ratio"}
        ``percent`` takes proportions (0-1) and shows whole percentages; ``mean`` one
        decimal; ``ratio`` two decimals (odds ratios, coefficients).

    Examples
    --------
    >>> format_interval(0.46, 0.41, 0.51)
    '46% (41% to 51%)'
    >>> format_interval(1.234, 0.9, 1.71, kind="ratio")
    '1.23 (0.90 to 1.71)'
    >>> format_interval(0.5, float("nan"), float("nan"))
    '50%'
    """
    if kind not in ("percent", "mean", "ratio"):
        raise ValueError(f"kind must be 'percent', 'mean' or 'ratio', got {kind!r}")
    if _missing(estimate):
        return "-"
    fmt: Callable[[float | None], str]
    if kind == "percent":
        d = 0 if digits is None else digits
        fmt = lambda v: format_percent(v, d)  # noqa: E731
    else:
        d = (1 if kind == "mean" else 2) if digits is None else digits
        fmt = lambda v: format_number(v, d)  # noqa: E731
    if _missing(lower) or _missing(upper):
        return fmt(estimate)
    return f"{fmt(estimate)} ({fmt(lower)} to {fmt(upper)})"


# --- labels and sources -----------------------------------------------------------------------
def indicator_label(indicator_id: str, codebook: Codebook | None = None) -> str:
    """The codebook label of an indicator, item or component; the id itself if unknown.

    Examples
    --------
    >>> indicator_label("change_area_run")
    'Agree people who get involved can change the way the area is run'
    >>> indicator_label("influence"), indicator_label("life_satisfaction")
    ('Influence', 'Overall, how satisfied are you with your life nowadays?')
    """
    cb = codebook or load_codebook()
    if indicator_id in cb.indicators:
        return cb.indicators[indicator_id].label
    if indicator_id in cb.components:
        return cb.components[indicator_id]
    if indicator_id in cb.items:
        return cb.items[indicator_id].wording.split(" (")[0]
    return str(indicator_id)


def source_text(
    data: pd.DataFrame | None = None, what: str = "Local Conversations resident survey"
) -> str:
    """The source line for a caption: the data set, its file, and whether it is synthetic.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1]})
    >>> df.attrs.update(synthetic=True, source="/repo/data/synthetic/survey.parquet",
    ...                 selection={"label": "Lozells, waves 1-6"})
    >>> source_text(df)
    'Local Conversations resident survey, Lozells, waves 1-6 (SYNTHETIC data: survey.parquet)'
    """
    attrs = getattr(data, "attrs", {}) or {}
    parts = [what]
    sel = attrs.get("selection")
    if sel:
        parts.append(sel["label"])
    text = ", ".join(parts)
    src = attrs.get("source")
    name = Path(str(src)).name if src else ""
    if attrs.get("synthetic"):
        text += f" (SYNTHETIC data{': ' + name if name else ''})"
    elif name:
        text += f" ({name})"
    return text


def banner(data: pd.DataFrame) -> Html:
    """The box at the top of a report: a prominent warning when the data are synthetic,
    otherwise a one-line note of the data file and the number of responses.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1, 2]})
    >>> df.attrs["synthetic"] = True
    >>> "SYNTHETIC DATA" in str(banner(df))
    True
    """
    attrs = getattr(data, "attrs", {}) or {}
    if attrs.get("synthetic"):
        return Html(
            '<div class="lozells-banner lozells-synthetic" role="alert" style="border:3px solid '
            "#D55E00;background:#FFF4E5;color:#000;padding:0.8em 1em;margin:0.5em 0 1em;"
            'font-size:1.05em"><strong>' + html.escape(SYNTHETIC_BANNER) + "</strong><br>"
            "Every number, chart and quote in this report comes from made-up data. Do not "
            "quote it as a finding.</div>"
        )
    src = Path(str(attrs.get("source", "unknown file"))).name
    rules = CountRules.from_environment()  # a count of responses: the counting rules apply
    rows = rules.words(rules.shown(len(data)))
    return Html(
        '<div class="lozells-banner" style="border-left:4px solid #0072B2;padding:0.4em 0.8em;'
        f'margin:0.5em 0 1em">Data: {html.escape(src)} ({rows} rows).</div>'
    )


# --- tables -----------------------------------------------------------------------------------
def estimate_table(
    estimates: pd.DataFrame,
    rows: str | Sequence[str],
    columns: str | None = None,
    kind: str = "percent",
    labels: Mapping[str, Mapping] | None = None,
    show_n: bool = False,
    digits: int | None = None,
) -> pd.DataFrame:
    """Estimates (tidy: one row per estimate) as a table of formatted cells.

    Each cell reads ``"82% (79% to 85%)"``; a row flagged ``suppressed`` (by
    :mod:`lozells_analysis.stats.disclosure`) reads ``"suppressed"`` whatever its numbers; a row
    flagged ``interpret_with_caution`` (by
    :func:`~lozells_analysis.stats.disclosure.flag_reliability`)
    has ``" (interpret with caution)"``
    appended. Suppression is also applied here as a safety net: the table never shows a
    figure for a row whose ``suppressed`` column is true.

    Parameters
    ----------
    estimates : DataFrame
        Columns ``estimate, lower_ci, upper_ci`` (and ``n``), the grouping columns, and
        optionally ``suppressed`` and ``interpret_with_caution`` (bool).
    rows : str or list of str
        Column(s) whose values label the rows.
    columns : str, optional
        Column whose values become the table's columns (e.g. ``"wave"``).
    kind : {"percent", "mean", "ratio"}
        How the numbers are formatted (see :func:`format_interval`).
    labels : dict, optional
        ``{column: {value: label}}`` to relabel row and column values.
    show_n : bool
        Add the number of respondents to each cell (``"82% (79% to 85%); n=120"``).

    Examples
    --------
    >>> est = pd.DataFrame({"variable": ["a", "a", "b", "b"], "wave": [1, 2, 1, 2],
    ...                     "estimate": [0.5, 0.6, 0.25, 0.3], "lower_ci": [0.4, 0.5, 0.2, 0.2],
    ...                     "upper_ci": [0.6, 0.7, 0.3, 0.4], "n": [50, 60, 40, 4],
    ...                     "suppressed": [False, False, False, True]})
    >>> t = estimate_table(est, "variable", "wave", labels={"wave": {1: "Wave 1", 2: "Wave 2"}})
    >>> t  # doctest: +NORMALIZE_WHITESPACE
    wave                Wave 1            Wave 2
    variable
    a         50% (40% to 60%)  60% (50% to 70%)
    b         25% (20% to 30%)        suppressed
    """
    rows = [rows] if isinstance(rows, str) else list(rows)
    est = estimates.copy()
    suppressed = _flag(est, "suppressed")
    caution = _flag(est, "caution") | _flag(est, "interpret_with_caution")
    cells = []
    for i, r in enumerate(est.itertuples(index=False)):
        rec = r._asdict()
        if suppressed[i]:
            cells.append(SUPPRESSED)
            continue
        text = format_interval(
            rec["estimate"], rec.get("lower_ci"), rec.get("upper_ci"), kind, digits
        )
        if show_n and "n" in rec and not _missing(rec["n"]):
            text += f"; n={format_respondents(rec['n'], **count_context(estimates, rec))}"
        if caution[i]:
            text += f" ({CAUTION})"
        cells.append(text)
    est["_cell"] = cells
    labels = labels or {}
    for col, mapping in labels.items():
        if col in est.columns:
            est[col] = est[col].map(lambda v, m=mapping: m.get(v, v))
    if columns is None:
        out = est[rows + ["_cell"]].rename(columns={"_cell": "Estimate"}).set_index(rows)
        return out
    order_cols = list(pd.unique(est[columns]))
    order_rows = list(dict.fromkeys(map(tuple, est[rows].astype(object).to_numpy())))
    wide = est.pivot_table(
        index=rows, columns=columns, values="_cell", aggfunc="first", observed=True, sort=False
    )
    wide = wide.reindex(columns=order_cols)
    wide = wide.reindex(
        pd.MultiIndex.from_tuples(order_rows, names=rows)
        if len(rows) > 1
        else pd.Index([t[0] for t in order_rows], name=rows[0])
    )
    return wide.fillna("-")


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).astype(bool).to_numpy()


def to_html(
    table: pd.DataFrame, caption: str | None = None, note: str | None = None, index: bool = True
) -> Html:
    """A table as escaped HTML in a box that scrolls sideways when it is wider than the page.

    Everything that comes from the data (cells, headers, caption, note) is HTML-escaped.

    Examples
    --------
    >>> t = pd.DataFrame({"Group": ["<b>x</b>"], "Value": ["1"]})
    >>> out = str(to_html(t, caption="A & B", index=False))
    >>> "&lt;b&gt;x&lt;/b&gt;" in out, "A &amp; B" in out, "overflow-x:auto" in out
    (True, True, True)
    """
    frame = table.copy()
    frame.columns = [_header(c) for c in frame.columns]
    if index and frame.index.names != [None]:
        frame.index.names = [_header(n) if n is not None else None for n in frame.index.names]
        frame.columns.name = None
    body = frame.to_html(
        escape=True, index=index, na_rep="-", border=0, classes="lozells-estimates"
    )
    if caption:
        body = (
            body.replace(">", f"><caption>{html.escape(caption)}</caption>", 1)
            if body.startswith("<table")
            else body
        )
    note_html = f'<p class="lozells-note">{html.escape(note)}</p>' if note else ""
    return Html(
        f'{_TABLE_CSS}<div class="lozells-table" tabindex="0" role="region"'
        f' aria-label="{html.escape(caption or "Table", quote=True)}">{body}{note_html}</div>',
        table=table_payload(table, caption, note, index),
    )


def _header(value: object) -> str:
    if isinstance(value, tuple):
        return " ".join(_header(v) for v in value if v != "")
    text = str(value)
    return text.replace("_", " ")[:1].upper() + text.replace("_", " ")[1:] if "_" in text else text


def format_columns(
    frame: pd.DataFrame,
    percent: Sequence[str] = (),
    numbers: Mapping[str, int] | None = None,
    counts: Sequence[str] = (),
    rename: Mapping[str, str] | None = None,
    keep: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with columns formatted as text: proportions as percentages,
    numbers to fixed decimals, counts with separators; then columns kept and renamed. A
    count column named ``n`` (respondents) follows :func:`format_respondents`.

    Examples
    --------
    >>> df = pd.DataFrame({"item": ["a"], "share": [0.123], "deff": [1.234], "n": [1234]})
    >>> format_columns(df, percent=["share"], numbers={"deff": 2}, counts=["n"],
    ...                rename={"item": "Item", "share": "Share"}).to_dict("records")
    [{'Item': 'a', 'Share': '12%', 'deff': '1.23', 'n': '1,234'}]
    """
    out = frame.copy()
    for c in percent:
        out[c] = out[c].map(
            lambda v: format_percent(v, 1 if abs(v) < 0.1 and v else 0) if not _missing(v) else "-"
        )
    for c, d in (numbers or {}).items():
        out[c] = out[c].map(lambda v, d=d: format_number(v, d))
    for c in counts:  # "n", the respondents a row rests on, follows the counting rules
        if c == "n":
            out[c] = [
                format_respondents(r["n"], **count_context(frame, r))
                for r in frame.to_dict("records")
            ]
        else:
            out[c] = out[c].map(format_count)
    if keep is not None:
        out = out[list(keep)]
    return out.rename(columns=dict(rename or {}))


def comparison_table(comparison: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """A benchmark comparison (:func:`lozells_analysis.present.summaries.benchmark_comparison`) as
    one row per measure (and group): the survey estimate with its interval, the published
    figure, then each comparator's value and whether the estimate is better, similar or worse.
    """
    rows = []
    keys = ([group] if group else []) + ["variable"]
    for _, sub in comparison.groupby(keys, sort=False, observed=True):
        r = sub.iloc[0]
        rec = {group: r[group]} if group else {}
        rec["Measure"] = r["label"]
        if bool(r.get("suppressed", False)):
            rec["This survey"] = SUPPRESSED
        else:
            cell = format_interval(r["estimate"], r["lower_ci"], r["upper_ci"])
            if bool(r.get("interpret_with_caution", False)):
                cell += f" ({CAUTION})"
            rec["This survey"] = cell
        rec["Respondents"] = (
            SUPPRESSED
            if bool(r.get("suppressed", False))
            else format_respondents(r["n"], **count_context(comparison, r))
        )
        if not group and "published" in r:
            rec["Published (Annual Review 2021)"] = format_percent(r["published"])
        for _, c in sub.iterrows():
            rec[f"{c['comparator']}"] = (
                f"{format_percent(c['comparator_value'])}: {c['comparison']}"
            )
        rows.append(rec)
    return pd.DataFrame(rows)
