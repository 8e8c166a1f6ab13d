"""Format readers: a survey file in, a frame of its columns (names stripped) out.

Each reader returns the frame, the row number of each record as the file numbers it (or a
function computing them, called only when a problem must name rows), and what it read.
Faults in the file itself (truncated, wrong separator, an unreadable workbook) raise one
:class:`~lozells_analysis.exceptions.SurveyDataError`; checking the values against the
codebook is :mod:`.validate`'s job.

Memory
    CSV is read by the pyarrow CSV engine with a type per column chosen from the codebook:
    coded columns (items, neighbourhood, nation, wave, dates) dictionary-encoded, so they
    arrive as categoricals with one-byte codes and are checked once per distinct value;
    ids, weights and unknown columns as Arrow strings. Peak memory stays under 3x the
    file's size (``benchmarks/bench_data.py``). A file the Arrow parser refuses (a short
    row in the middle, a whitespace-only line) is read by pandas with the same types.

Excel is read by :mod:`.excel`.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from lozells_analysis.data.validate import Problem, raise_problems
from lozells_analysis.data.values import arrow_pool

log = logging.getLogger(__name__)

__all__ = [
    "RowNumbers",
    "duplicates_problem",
    "fail",
    "read_csv",
    "read_parquet",
    "read_stat",
]

#: Row numbers of the records, or a function that works them out when a problem needs them.
RowNumbers = np.ndarray | Callable[[], np.ndarray]

#: A column's reading plan: "codes" (few distinct values: dictionary-encoded, categorical)
#: or "text" (ids, weights, anything else: strings).
Kind = Callable[[str], str]

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CHUNK = 1 << 22


def fail(
    path: Path | str,
    message: str,
    fix: str,
    column: str | None = None,
    rows: list[int] | None = None,
    row_word: str = "row",
) -> NoReturn:
    """Raise a :class:`SurveyDataError` with one problem."""
    raise_problems(
        [Problem(column, message, fix, rows=rows or [], n_rows=len(rows or []))],
        str(path),
        row_word,
    )
    raise AssertionError("unreachable")  # raise_problems raises for a non-empty list


def duplicates_problem(names: Sequence[str], raw: Sequence[object]) -> Problem | None:
    """A problem naming columns whose names repeat once spaces around them are removed."""
    seen: dict[str, list[object]] = {}
    for name, original in zip(names, raw, strict=True):
        seen.setdefault(name, []).append(original)
    dupes = {k: v for k, v in seen.items() if len(v) > 1}
    if not dupes:
        return None
    forms = "; ".join(
        f"{k!r} ({', '.join(repr(str(o)) for o in v)})"
        if len({str(o) for o in v}) > 1
        else f"{k!r}"
        for k, v in sorted(dupes.items())
    )
    return Problem(
        ", ".join(sorted(dupes)),
        f"column names appear more than once in the header: {forms}",
        "give every column its own name (delete or rename the repeats).",
    )


# --- CSV ---------------------------------------------------------------------------------------


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or Windows-1252, found by streaming through the file;
    a mix of the two is refused, naming the line of the first non-UTF-8 byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                start = max(exc.start, 0)
                line = newlines + chunk[:start].count(b"\n") + 1
                bad = chunk[start : start + 1] or b"(end of file)"
                break
            if not chunk:
                return "utf-8"
            newlines += chunk.count(b"\n")
    if _search_file(path, _UTF8_MULTIBYTE):
        fail(
            path,
            f"mixed text encodings: some characters are UTF-8 and others are not (first "
            f"non-UTF-8 byte {bad!r})",
            "open the file in a spreadsheet or text editor and save it once as 'CSV UTF-8'.",
            rows=[line],
            row_word="line",
        )
    if _search_file(path, _CP1252_UNDEFINED):
        fail(
            path,
            "the file is not text in UTF-8 or Windows-1252",
            "save it as 'CSV UTF-8' from your spreadsheet program.",
        )
    return "cp1252"


def _search_file(path: Path, pattern: re.Pattern[bytes]) -> bool:
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if pattern.search(tail + chunk):
                return True
            tail = chunk[-4:]
    return False


@dataclass
class _Scan:
    """What Python's csv module finds reading the file record by record."""

    starts: np.ndarray  # the line each data record starts on
    long: tuple[int, int] | None  # (line, fields) of the first record with too many fields
    last: tuple[int, int] | None  # (line, fields) of the last record
    eof_in_quotes: bool


def _scan(path: Path, encoding: str, sep: str, n_header: int, *, strict: bool = False) -> _Scan:
    starts = array("q")
    long: tuple[int, int] | None = None
    last: tuple[int, int] | None = None
    eof_in_quotes = False
    enc = "utf-8-sig" if encoding == "utf-8" else encoding
    with path.open(encoding=enc, newline="") as f:
        reader = csv.reader(f, delimiter=sep, strict=strict)
        end = 0
        header = False
        try:
            for record in reader:
                start, end = end + 1, reader.line_num
                if not record:
                    continue
                if not header:
                    header = True
                    continue
                starts.append(start)
                last = (start, len(record))
                if long is None and len(record) > n_header:
                    long = (start, len(record))
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):  # strict mode, inside quotes at the end
                eof_in_quotes = True
                last = (end + 1, 0)
            else:  # malformed quoting elsewhere: no conclusion about the end
                last = None
    return _Scan(np.frombuffer(starts, dtype=np.int64), long, last, eof_in_quotes)


def _row_numbers(path: Path, encoding: str, sep: str, n_header: int, n: int) -> np.ndarray:
    """Line numbers (header = line 1) of the ``n`` records, counted by the csv module."""
    starts = _scan(path, encoding, sep, n_header).starts
    if len(starts) >= n:
        return starts[:n]
    # the two parsers disagree about the record count: number the rest consecutively
    last = int(starts[-1]) if len(starts) else 1
    return np.concatenate([starts, np.arange(last + 1, last + 1 + n - len(starts))])


def _not_binary(path: Path) -> None:
    with path.open("rb") as f:
        head = f.read(4096)
    if b"\x00" in head:
        fail(
            path,
            "the file holds binary data, not text",
            "export the survey as CSV, Excel, SPSS, Stata or Parquet, with the matching file "
            "extension.",
        )


def _header(path: Path, encoding: str) -> tuple[list[str], str, str]:
    """The header fields, the separator and the header line, from the file's first MiB."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
        more = bool(f.read(1))
    text = head.decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="replace")
    lines = text.splitlines()
    if more and lines:
        lines = lines[:-1]  # possibly cut short
    if not any(line.strip() for line in lines):
        fail(path, "the file holds no text", "export the survey again.")
    first = next(i for i, line in enumerate(lines) if line.strip())
    header_line = lines[first]
    sample = "\n".join(lines[first : first + 50])
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    header = next(csv.reader(io.StringIO("\n".join(lines[first:])), delimiter=sep))
    if len(header) == 1:
        guess = max([" ", ":"], key=header_line.count)
        fail(
            path,
            f"only one column found in the header ({header_line[:60]!r}); the columns are "
            f"not separated by commas, semicolons, tabs or pipes"
            + (f" (perhaps by {guess!r})" if guess and header_line.count(guess) else ""),
            "save the file as comma-separated CSV.",
        )
    return header, sep, header_line


def _too_many_fields(path: Path, header: list[str], line: int, fields: int) -> NoReturn:
    fail(
        path,
        f"a row has more fields than the header on line {line} ({fields} fields)",
        f"the header has {len(header)} columns; check for unquoted separators in text.",
        rows=[line],
        row_word="line",
    )


def _truncated(path: Path, header: list[str], scan: _Scan) -> None:
    """Refuse a file that ends mid-record: inside quotes, or with a short last row."""
    if scan.last is None:
        return
    line, fields = scan.last
    if scan.eof_in_quotes:
        fail(
            path,
            f"the file ends inside a quoted field that starts on line {line} or before: the "
            "file looks truncated, or a quote is not closed",
            "export the file again; check the copy finished.",
            rows=[line],
            row_word="line",
        )
    if fields < len(header):
        fail(
            path,
            f"the last line (line {line}) has {fields} of {len(header)} fields and no line "
            "end: the file looks truncated",
            "export the file again; check the copy finished.",
            column=header[fields].strip(),
            rows=[line],
            row_word="line",
        )


def read_csv(path: Path, kind: Kind) -> tuple[pd.DataFrame, RowNumbers]:
    """Read a CSV file (separator and encoding detected); ``kind(name)`` is each column's
    reading plan ("codes" or "text"). Rows whose every field is empty are dropped."""
    _not_binary(path)
    encoding = _encoding(path)
    header, sep, _ = _header(path, encoding)
    names = [h.strip() for h in header]
    dupes = duplicates_problem(names, header)
    if dupes:
        raise_problems([dupes], str(path))
    with path.open("rb") as f:
        f.seek(-1, io.SEEK_END)
        ends_with_newline = f.read(1) in (b"\n", b"\r")
    if not ends_with_newline:
        _truncated(path, header, _scan(path, encoding, sep, len(header), strict=True))
    plan = {raw: kind(name) for raw, name in zip(header, names, strict=True)}
    frame = _read_csv_arrow(path, encoding, sep, plan)
    if frame is None:
        frame = _read_csv_pandas(path, encoding, sep, plan, header)
    frame.columns = names
    n = len(frame)
    empty = _empty_rows(frame)
    if empty is None:
        return frame, lambda: _row_numbers(path, encoding, sep, len(header), n)
    frame = frame.loc[~empty].reset_index(drop=True)
    return frame, lambda: _row_numbers(path, encoding, sep, len(header), n)[~empty]


def _empty_rows(frame: pd.DataFrame) -> np.ndarray | None:
    """Rows with every field empty (``,,,,`` lines a spreadsheet leaves), or ``None``."""
    if frame.empty:
        return None
    empty = np.ones(len(frame), bool)
    for _, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            empty &= column.cat.codes.to_numpy() < 0
        else:
            empty &= column.isna().to_numpy()
        if not empty.any():
            return None
    return empty


class _Codes:
    """A coded column built batch by batch: one table of distinct values for the whole file
    and, per batch, each row's position in it (small integers in NumPy, -1 when empty)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.parts: list[np.ndarray] = []

    def add(self, column: Any) -> None:
        import pyarrow.compute as pc

        lookup = np.array(
            [self.values.setdefault(v, len(self.values)) for v in column.dictionary.to_pylist()]
            + [-1],
            dtype=np.int32,
        )
        positions = np.asarray(pc.fill_null(column.indices, -1).to_numpy(), dtype=np.int32)
        n = len(self.values)
        small = np.int8 if n < 127 else np.int16 if n < 32_767 else np.int32
        self.parts.append(lookup[positions].astype(small))  # joined at the end, upcast if need be

    def series(self) -> pd.Series:
        codes = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int16)
        self.parts = []
        categories = pd.Index(list(self.values), dtype="str")
        return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


def _read_csv_arrow(
    path: Path, encoding: str, sep: str, plan: dict[str, str]
) -> pd.DataFrame | None:
    """The pyarrow CSV engine; ``None`` when it refuses the file (pandas then reads it).

    Read in blocks of 2 MiB; a coded column's block is turned at once into NumPy codes
    against one table of distinct values per column, so the Arrow side never holds more
    than a block and each coded cell costs one or two bytes.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    dictionary = pa.dictionary(pa.int32(), pa.string())
    pool = arrow_pool()
    names = list(plan)
    coded = {i: _Codes() for i, name in enumerate(names) if plan[name] == "codes"}
    text: dict[int, list[Any]] = {i: [] for i in range(len(names)) if i not in coded}
    try:
        reader = pacsv.open_csv(
            path,
            memory_pool=pool,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding == "utf-8" else encoding, block_size=1 << 21
            ),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={
                    c: dictionary if k == "codes" else pa.large_string() for c, k in plan.items()
                },
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        if reader.schema.names != names:  # pragma: no cover - the header parsed differently
            return None
        for batch in reader:
            for i, column in enumerate(batch.columns):
                if i in coded:
                    coded[i].add(column)
                else:
                    text[i].append(column)
            del batch
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        log.debug("pyarrow CSV engine refused %s (%s); reading it with pandas", path, exc)
        return None
    out: dict[int, pd.Series] = {}
    for i in range(len(names)):
        if i in coded:
            out[i] = coded.pop(i).series()
        else:
            out[i] = pa.chunked_array(text.pop(i), type=pa.large_string()).to_pandas()
    frame = pd.DataFrame(out, copy=False)
    frame.columns = names
    pool.release_unused()  # the blocks' buffers, back to the system
    return frame


def _read_csv_pandas(
    path: Path, encoding: str, sep: str, plan: dict[str, str], header: list[str]
) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path,
            sep=sep,
            encoding="utf-8-sig" if encoding == "utf-8" else encoding,
            dtype={c: "category" if k == "codes" else str for c, k in plan.items()},
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as exc:
        scan = _scan(path, encoding, sep, len(header))
        if scan.long is not None:
            _too_many_fields(path, header, *scan.long)
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        if m:
            _too_many_fields(path, header, int(m.group(1)), int(m.group(2)))
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(
            path,
            f"the file cannot be read as CSV ({first})",
            "open it in a spreadsheet program and save it again as 'CSV UTF-8'.",
        )


# --- SPSS, Stata, Parquet ----------------------------------------------------------------------


def read_stat(path: Path, kind: str) -> tuple[pd.DataFrame, dict[str, dict]]:
    """SPSS or Stata: the frame (codes, not labels) and each column's value labels."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        fail(
            path,
            f"the {'SPSS' if kind == 'spss' else 'Stata'} file cannot be read ({exc})",
            "export it again from SPSS/Stata, or save as CSV.",
        )
    return frame, dict(meta.variable_value_labels)


def read_parquet(path: Path) -> tuple[pd.DataFrame, bool]:
    """A Parquet file and whether its metadata mark it synthetic."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # ArrowInvalid, OSError on a truncated file
        fail(
            path,
            f"the Parquet file cannot be read ({exc})",
            "write it again; a Parquet file that was cut short cannot be read.",
        )
    meta = table.schema.metadata or {}
    synthetic = meta.get(b"lozells.synthetic") == b"true"
    return table.to_pandas(split_blocks=True, self_destruct=True), synthetic
