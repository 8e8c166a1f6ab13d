"""One accessible spreadsheet of every table in a report, linked from its pages.

Every table a notebook shows (:func:`lozells_analysis.present.tables.to_html`) and the numbers
under every chart (:func:`lozells_analysis.present.plots.show`) travel in the executed
notebook as a hidden output of type :data:`~lozells_analysis.present.tables.TABLE_MIME`,
which the HTML views ignore. After a run has been executed and rendered, the build calls
:func:`add_spreadsheet` once: it gathers those tables in the order the report shows them,
writes ``<run>.xlsx`` next to the HTML in the run's staging folder with ``gptables`` (the
UK Government Analysis Function's tool: a cover sheet, a contents sheet, one table per sheet
with its title, source and notes, marked up as Excel tables for screen readers), and puts a
link to it into both HTML views, before the publish gate scans them.

The link goes where the page's template leaves the hook ``<!-- lozells:spreadsheet -->``;
without one, after the page header, else at the start of ``<main>``.
"""

from __future__ import annotations

import html
import json
import logging
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lozells_analysis.present.tables import TABLE_MIME

log = logging.getLogger(__name__)

__all__ = ["HOOK", "add_spreadsheet", "collect_tables", "link_html", "write_spreadsheet"]

#: Where a template wants the spreadsheet link (replaced by :func:`link_html`).
HOOK = "<!-- lozells:spreadsheet -->"
_SYNTHETIC_MARK = "lozells-synthetic"


def collect_tables(nb: Mapping[str, Any], *, briefing: bool = False) -> list[dict[str, Any]]:
    """Every table an executed notebook (as JSON) carries under the table MIME type, in
    order; tables without rows, and those of cells no view shows, are left out. With
    ``briefing``, so are those of ``research_only`` cells (what the briefing view leaves out).

    Examples
    --------
    >>> out = {"output_type": "display_data", "data": {
    ...     "application/vnd.lozells.table+json": {"title": "T", "columns": ["a"],
    ...                                            "rows": [["1"]]}}}
    >>> nb = {"cells": [{"cell_type": "code", "outputs": [out]}]}
    >>> [t["title"] for t in collect_tables(nb)]
    ['T']
    """
    skip = {"remove_cell", "remove_output"} | ({"research_only"} if briefing else set())
    found = []
    for cell in nb.get("cells", []):
        if skip & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for out in cell.get("outputs", []) or []:
            payload = (out.get("data") or {}).get(TABLE_MIME)
            if isinstance(payload, str):
                payload = json.loads(payload)
            if isinstance(payload, dict) and payload.get("rows") and payload.get("columns"):
                found.append(payload)
    return found


def _frame(table: Mapping[str, Any]) -> pd.DataFrame:
    columns: list[str] = []
    for name in table["columns"]:  # Excel tables need unique, non-empty headers
        name = str(name).strip() or "Column"
        base, k = name, 2
        while name in columns:
            name, k = f"{base} ({k})", k + 1
        columns.append(name)
    rows = [
        [_cell(v) for v in list(r)[: len(columns)]] + [""] * (len(columns) - len(r))
        for r in table["rows"]
    ]
    return pd.DataFrame(rows, columns=columns)


def _cell(value: object) -> str:
    """A cell as the spreadsheet shows it: a cell of symbols only (the pages' "-" for no
    figure) becomes ``[x]``, the Analysis Function's shorthand for "not available".

    Examples
    --------
    >>> _cell("-"), _cell("51% (45% to 57%)"), _cell("")
    ('[x]', '51% (45% to 57%)', '')
    """
    text = str(value)
    return "[x]" if text.strip() and not re.search(r"\w", text) else text


_QUIET = False


def _quiet_gptables() -> None:
    """Silence gptables' own warnings (no notes sheet; pandas deprecations inside it):
    nothing a reader of the build log can act on. A process-wide filter, set once, so
    that runs in parallel threads never race on ``warnings.catch_warnings``."""
    global _QUIET
    if not _QUIET:
        warnings.filterwarnings("ignore", module=r"gptables(\.|$)")
        _QUIET = True


def write_spreadsheet(
    tables: list[dict[str, Any]], path: Path, *, title: str, synthetic: bool = False
) -> Path:
    """Write ``tables`` (:func:`collect_tables`) to ``path`` with ``gptables``: a cover, a
    contents sheet, then one sheet per table."""
    import gptables as gpt

    _quiet_gptables()
    sheets = {}
    for number, table in enumerate(tables, start=1):
        name = f"Table {number}"
        heading = str(table.get("title") or f"Table {number}")
        subtitles = [s for s in (table.get("subtitle"),) if s]
        if synthetic or table.get("synthetic"):
            subtitles.append("Synthetic data: made up for testing, not real findings.")
        note = str(table.get("note") or "")
        source = note[len("Source: ") :] if note.startswith("Source: ") else None
        if note and source is None:
            subtitles.append(note)
        sheets[name] = gpt.GPTable(
            table=_frame(table),
            table_name=f"table_{number}",
            title=heading,
            subtitles=subtitles,
            source=source,
            instructions="This worksheet contains one table. Some cells may say suppressed "
            "(too few respondents to publish) or [x] (not available).",
        )
    intro = [f"Every table of the report '{title}', in the order the report shows them."]
    if synthetic:
        intro.insert(0, "SYNTHETIC DATA: every number in this workbook is made up.")
    cover = gpt.Cover(
        title=title,
        intro=intro,
        about=["Cells that say suppressed rest on too few respondents to publish."],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    gpt.write_workbook(
        filename=str(path), sheets=sheets, cover=cover, contentsheet_label="Contents"
    )
    return path


def link_html(name: str, count: int) -> str:
    """The link to the spreadsheet a page carries.

    Examples
    --------
    >>> link_html("r.xlsx", 3)  # doctest: +ELLIPSIS
    '<p class="lozells-spreadsheet"><a href="r.xlsx" download>All 3 tables ...</a></p>'
    """
    noun = "table" if count == 1 else "tables"
    what = "The table" if count == 1 else f"All {count} {noun}"
    return (
        f'<p class="lozells-spreadsheet"><a href="{html.escape(name, quote=True)}" download>'
        f"{what} in this report as a spreadsheet (Excel, {html.escape(name)})</a></p>"
    )


def _insert_link(page: str, link: str) -> str:
    if HOOK in page:
        return page.replace(HOOK, link, 1)
    for pattern in (r"</header>", r"<main[^>]*>", r"<body[^>]*>"):
        match = re.search(pattern, page)
        if match:
            return page[: match.end()] + link + page[match.end() :]
    return page + link


def add_spreadsheet(
    workdir: Path, name: str, title: str, files: dict[str, str], *, audience: str = "research"
) -> str | None:
    """Write ``<name>.xlsx`` of every table of the executed notebook ``files["notebook"]``
    in ``workdir``, link it from the HTML views, and add it to ``files`` as
    ``"spreadsheet"``. A briefing pack's spreadsheet holds the tables its briefing view
    shows. Returns the file name, or None when the report has no table."""
    notebook = files.get("notebook")
    if not notebook:
        return None
    nb = json.loads((workdir / notebook).read_text(encoding="utf-8"))
    tables = collect_tables(nb, briefing=audience == "briefing")
    if not tables:
        return None
    views = [view for view in ("research", "briefing") if view in files]
    pages = {view: (workdir / files[view]).read_text(encoding="utf-8") for view in views}
    synthetic = any(_SYNTHETIC_MARK in page for page in pages.values()) or any(
        bool(t.get("synthetic")) for t in tables
    )
    target = f"{name}.xlsx"
    write_spreadsheet(tables, workdir / target, title=title, synthetic=synthetic)
    link = link_html(target, len(tables))
    for view, page in pages.items():
        (workdir / files[view]).write_text(_insert_link(page, link), encoding="utf-8")
    files["spreadsheet"] = target
    log.debug("%s: %d table(s) written to %s", name, len(tables), target)
    return target
