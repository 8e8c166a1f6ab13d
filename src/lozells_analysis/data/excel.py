"""Excel: read only the sheet that holds the survey, after checking its declared size.

The workbook is opened in read-only mode, so no sheet is parsed until its rows are asked for.
Without a ``sheet`` option, the first non-empty row (at most the first 20 rows) of each
sheet is read to find the one whose header holds the survey's columns
(:data:`~lozells_analysis.data.validate.REQUIRED_COLUMNS`, after the mapping's renames):
one such sheet is read wherever it is; two are an error naming both; none, the first sheet.
A sheet the survey does not use is never read further than that, so a stray cell at
XFD1048576 on it costs nothing.

Before the chosen sheet's rows are read, its declared dimensions (the ``<dimension>`` the
file records, as openpyxl's read-only ``max_row``/``max_column`` give it) are checked against
Excel's grid, and the size of its XML against :data:`MAX_SHEET_XML_BYTES`; beyond either,
the file is refused with a clear error. Only the header's columns are read; rows with no
value (a space counts as none) are dropped, wherever they are, and each kept row keeps its
spreadsheet row number.
"""

from __future__ import annotations

import logging
import zipfile
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.data.readers import duplicates_problem, fail
from lozells_analysis.data.validate import REQUIRED_COLUMNS, raise_problems

log = logging.getLogger(__name__)

__all__ = ["EXCEL_MAX_COLUMNS", "EXCEL_MAX_ROWS", "MAX_SHEET_XML_BYTES", "read_excel"]

EXCEL_MAX_ROWS = 1_048_576  # Excel's own grid
EXCEL_MAX_COLUMNS = 16_384
#: A sheet whose cell data (uncompressed XML) is bigger than this is refused before parsing:
#: about 15 million filled cells, beyond what Excel reading can hold in memory sensibly.
MAX_SHEET_XML_BYTES = 1 << 30


def _sheet_xml_size(path: Path, ws: Any) -> int | None:
    member = getattr(ws, "_worksheet_path", None)
    if not member:
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.getinfo(str(member).lstrip("/")).file_size
    except (KeyError, zipfile.BadZipFile, OSError):
        return None


def _header_row(ws: Any, max_col: int, look: int = 20) -> tuple[int, list[object]] | None:
    """The first non-empty row among the first ``look`` rows: (row number, values)."""
    for number, values in enumerate(
        ws.iter_rows(min_row=1, max_row=look, max_col=max_col, values_only=True), start=1
    ):
        if any(not _empty(v) for v in values):
            return number, list(values)
    return None


def _empty(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _header_names(values: list[object]) -> list[str]:
    last = max((i for i, v in enumerate(values) if not _empty(v)), default=-1)
    return [
        str(v).strip() if not _empty(v) else f"Unnamed: {i}"
        for i, v in enumerate(values[: last + 1])
    ]


def _declared(ws: Any) -> tuple[int | None, int | None]:
    try:
        return ws.max_row, ws.max_column
    except Exception:  # pragma: no cover - a dimension openpyxl cannot parse
        return None, None


def _check_dimensions(path: Path, ws: Any) -> None:
    """Refuse a sheet whose declared size is beyond Excel's grid, or whose cell data would
    not fit in memory, before any row is parsed."""
    rows, cols = _declared(ws)
    if (rows or 0) > EXCEL_MAX_ROWS or (cols or 0) > EXCEL_MAX_COLUMNS:
        fail(
            path,
            f"sheet {ws.title!r} declares {rows:,} rows and {cols:,} columns, beyond what Excel "
            f"allows ({EXCEL_MAX_ROWS:,} rows, {EXCEL_MAX_COLUMNS:,} columns): the workbook "
            "is damaged or was not written by a spreadsheet program",
            "open it in Excel and save it again, or export the survey as CSV.",
        )
    size = _sheet_xml_size(path, ws)
    if size is not None and size > MAX_SHEET_XML_BYTES:
        fail(
            path,
            f"sheet {ws.title!r} holds {size / 2**30:.1f} GiB of cell data (uncompressed), "
            "too much to read from Excel",
            "export the survey as CSV or Parquet instead.",
        )


def read_excel(
    path: Path, sheet: str | int | None, target: Callable[[str], str | None]
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Read one sheet of a workbook; returns the frame, row numbers and the sheet's name.

    ``target(name)`` is the codebook column a header becomes (after the mapping), used to
    find the sheet holding the survey when ``sheet`` is not given.
    """
    import openpyxl

    if not zipfile.is_zipfile(path):
        fail(
            path,
            "the Excel file cannot be opened (it is not an .xlsx workbook: the file is damaged "
            "or has the wrong extension)",
            "open it in Excel and save it again as .xlsx.",
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        fail(
            path,
            f"the Excel file cannot be opened ({type(exc).__name__}: {exc})",
            "open it in Excel and save it again as .xlsx.",
        )
    try:
        ws = _choose_sheet(path, wb, sheet, target)
        _check_dimensions(path, ws)
        return (*_sheet_frame(path, ws), ws.title)
    finally:
        wb.close()


def _choose_sheet(
    path: Path, wb: Any, sheet: str | int | None, target: Callable[[str], str | None]
) -> Any:
    names: list[str] = list(wb.sheetnames)
    listed = ", ".join(repr(n) for n in names)
    if isinstance(sheet, str) and sheet not in names and sheet.strip().isdigit():
        sheet = int(sheet)  # "--sheet 1" on the command line: the position
    if sheet is not None:
        if isinstance(sheet, int):
            if 0 <= sheet < len(names):
                return wb[names[sheet]]
            fail(
                path,
                f"no sheet number {sheet} (counting from 0; the workbook has {len(names)}: "
                f"{listed})",
                "name an existing sheet (sheet: in the mapping file, or --sheet).",
            )
        if sheet in names:
            return wb[sheet]
        close = [n for n in names if n.strip().casefold() == str(sheet).strip().casefold()]
        if len(close) == 1:
            return wb[close[0]]
        fail(
            path,
            f"no sheet {sheet!r} (sheets: {listed})",
            "name an existing sheet (sheet: in the mapping file, or --sheet).",
        )
    if len(names) == 1:
        return wb[names[0]]
    holding = []
    for name in names:
        ws = wb[name]
        _, cols = _declared(ws)
        found = _header_row(ws, min(cols or EXCEL_MAX_COLUMNS, EXCEL_MAX_COLUMNS))
        if found is None:
            continue
        targets = {target(h) for h in _header_names(found[1])}
        if set(REQUIRED_COLUMNS) <= targets:
            holding.append(name)
    if len(holding) > 1:
        both = " and ".join(repr(n) for n in holding)
        fail(
            path,
            f"sheets {both} both hold the survey's columns ({', '.join(REQUIRED_COLUMNS)}); "
            "which one to read is not clear",
            f"say which: add 'sheet: {holding[0]}' to the mapping file (or lozells check "
            f"--sheet '{holding[0]}'), or delete the other sheet.",
        )
    chosen = holding[0] if holding else names[0]
    if chosen != names[0]:
        log.info("%s: reading sheet %r, the one holding the survey", path, chosen)
    return wb[chosen]


def _sheet_frame(path: Path, ws: Any) -> tuple[pd.DataFrame, np.ndarray]:
    rows_declared, cols_declared = _declared(ws)
    width_cap = min(cols_declared or EXCEL_MAX_COLUMNS, EXCEL_MAX_COLUMNS)
    found = _header_row(ws, width_cap)
    if found is None:
        fail(
            path,
            f"sheet {ws.title!r} is empty (no header in its first 20 rows)",
            "put the column names in the first row and the responses below.",
        )
    header_at, header_values = found
    names = _header_names(header_values)
    dupes = duplicates_problem(names, header_values[: len(names)])
    if dupes:
        raise_problems([dupes], str(path))
    width = len(names)
    ws.reset_dimensions()  # read every row there is, not only those the dimension declares
    kept: list[tuple[object, ...]] = []
    numbers = array("q")
    last_row = header_at
    for number, values in enumerate(
        ws.iter_rows(min_row=header_at + 1, max_col=width, values_only=True), start=header_at + 1
    ):
        if values.count(None) == width or all(_empty(v) for v in values):
            continue
        kept.append(values)
        numbers.append(number)
        last_row = number
    if (rows_declared or 0) > last_row + 1000 or (cols_declared or 0) > width + 100:
        log.info(
            "%s: sheet %r declares %s rows and %s columns; its data end at row %d and column "
            "%d, the empty cells beyond were ignored",
            path,
            ws.title,
            f"{rows_declared:,}" if rows_declared else "?",
            f"{cols_declared:,}" if cols_declared else "?",
            last_row,
            width,
        )
    columns = list(zip(*kept, strict=True)) if kept else [()] * width
    frame = pd.DataFrame(
        {
            name: pd.Series(list(col), dtype=object)
            for name, col in zip(names, columns, strict=True)
        }
    )
    return frame, np.frombuffer(numbers, dtype=np.int64)
