"""Getting survey data in: read a file in any of the supported formats, apply a mapping,
validate it against the codebook.

Supported: CSV (UTF-8, UTF-8 with BOM, Windows-1252; comma, semicolon, tab or pipe
separated), Excel (``.xlsx``, ``.xlsm``), SPSS (``.sav``, ``.zsav``; value labels
honoured), Stata (``.dta``; value labels honoured), Parquet. The input file is only ever
opened for reading.

Examples
--------
>>> from lozells_analysis.data.load import load_survey
>>> survey = load_survey()            # the shipped synthetic data set
>>> survey.attrs["synthetic"]
True
>>> int(survey["wave"].max())
6
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import yaml

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.data.tracking import record_read
from lozells_analysis.data.validate import (
    REQUIRED_COLUMNS,
    Problem,
    raise_problems,
    validate_survey,
)
from lozells_analysis.exceptions import SurveyDataError
from lozells_analysis.paths import data_dir, synthetic_dir, synthetic_survey_path

log = logging.getLogger(__name__)

__all__ = [
    "FORMATS",
    "load_listening_events",
    "load_mapping",
    "load_stakeholder_interviews",
    "load_survey",
    "read_table",
]

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
    ".parquet": "parquet",
    ".pq": "parquet",
}

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _fail(path: Path | str, message: str, fix: str, column: str | None = None) -> NoReturn:
    raise_problems([Problem(column, message, fix)], str(path))
    # raise_problems always raises for a non-empty list; this tells the type checker so
    raise AssertionError("unreachable")


# --- readers ---------------------------------------------------------------------------------


def _decode(path: Path, raw: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), else Windows-1252; refuse a mix."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _UTF8_MULTIBYTE.search(raw):
            bad_line = raw[: exc.start].count(b"\n") + 1
            raise_problems(
                [
                    Problem(
                        None,
                        "mixed text encodings: some characters are UTF-8 and others are not "
                        f"(first non-UTF-8 byte {raw[exc.start : exc.start + 1]!r})",
                        "open the file in a spreadsheet or text editor and save it once as "
                        "'CSV UTF-8'.",
                        rows=[bad_line],
                        n_rows=1,
                    )
                ],
                str(path),
                "line",
            )
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            _fail(
                path,
                "the file is not text in UTF-8 or Windows-1252",
                "save it as 'CSV UTF-8' from your spreadsheet program.",
            )


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        _fail(
            path,
            "the file holds binary data, not text",
            "export the survey as CSV, "
            "Excel, SPSS, Stata or Parquet, with the matching file extension.",
        )
    text = _decode(path, raw)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        _fail(path, "the file holds no text", "export the survey again.")
    header_line = next(line for line in lines if line.strip())
    sample = "\n".join(lines[:50])
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    header = next(csv.reader([header_line], delimiter=sep))
    if len(header) == 1:
        guess = max([" ", ":"], key=header_line.count)
        _fail(
            path,
            f"only one column found in the header ({header_line[:60]!r}); the columns are "
            f"not separated by commas, semicolons, tabs or pipes"
            + (f" (perhaps by {guess!r})" if guess and header_line.count(guess) else ""),
            "save the file as comma-separated CSV.",
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise_problems(
            [
                Problem(
                    ", ".join(dupes),
                    "column names appear more than once in the header",
                    "give every column its own name (delete or rename the repeats).",
                )
            ],
            str(path),
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        where = f" on line {m.group(1)} ({m.group(2)} fields)" if m else ""
        _fail(
            path,
            f"a row has more fields than the header{where}",
            f"the header has {len(header)} columns; check for unquoted separators in text.",
        )
    # A truncated export ends mid-row: the last line has fewer fields than the header.
    last = lines[-1] if lines else ""
    if not text.endswith(("\n", "\r")) and last.strip():
        fields = next(csv.reader([last], delimiter=sep))
        if len(fields) < len(header):
            n_line = len(lines)
            raise_problems(
                [
                    Problem(
                        header[len(fields)] if len(fields) < len(header) else None,
                        f"the last line (line {n_line}) has {len(fields)} of {len(header)} "
                        "fields and no line end: the file looks truncated",
                        "export the file again; check the copy finished.",
                        rows=[n_line],
                        n_rows=1,
                    )
                ],
                str(path),
                "line",
            )
    # Line numbers as a spreadsheet shows them: the header is line 1.
    nonblank = [i + 1 for i, line in enumerate(lines) if line.strip()]
    row_numbers = np.asarray(nonblank[1 : len(frame) + 1])
    return frame, row_numbers


def _read_excel(path: Path, sheet: str | int | None) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        _fail(
            path,
            f"the Excel file cannot be opened ({type(exc).__name__}: {exc})",
            "open it in Excel and save it again as .xlsx.",
        )
    names = list(sheets)
    if sheet is not None:
        key = names[sheet] if isinstance(sheet, int) and sheet < len(names) else sheet
        if key not in sheets:
            _fail(
                path,
                f"no sheet {sheet!r} (sheets: {', '.join(names)})",
                "name an existing sheet in the mapping file (sheet: ...).",
            )
        frame = sheets[key]
    else:
        frame = sheets[names[0]]
        has_design = [
            n
            for n, s in sheets.items()
            if set(REQUIRED_COLUMNS) <= {str(c).strip() for c in s.columns}
        ]
        if has_design and names[0] not in has_design:
            _fail(
                path,
                f"the first sheet {names[0]!r} does not hold the survey; sheet "
                f"{has_design[0]!r} does",
                f"move the data to the first sheet, or add 'sheet: {has_design[0]}' to "
                "the mapping file.",
            )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, np.arange(2, len(frame) + 2)


def _relabel(frame: pd.DataFrame, value_labels: dict[str, dict], cb: Codebook) -> pd.DataFrame:
    """SPSS/Stata: where the file's value labels match the codebook's, use the codebook codes.

    A file may code "Definitely agree" as 5 where the codebook has 1; the labels say which
    is which. Columns whose labels do not all match are left as they are (validation then
    reports codes outside the scale).
    """
    for col, labels in value_labels.items():
        if col not in frame.columns or col not in cb.items or cb.items[col].numeric:
            continue
        lookup = {lab.casefold(): code for code, lab in cb.items[col].labels.items()}
        mapping = {}
        for code, lab in labels.items():
            target = lookup.get(str(lab).strip().casefold())
            if target is None:
                break
            mapping[float(code)] = target
        else:
            if mapping and any(k != v for k, v in mapping.items()):
                frame[col] = frame[col].map(lambda v, m=mapping: m.get(v, v))
    return frame


def _read_stat(path: Path, kind: str, cb: Codebook) -> tuple[pd.DataFrame, np.ndarray]:
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        _fail(
            path,
            f"the {kind.upper() if kind == 'spss' else 'Stata'} file cannot be read ({exc})",
            "export it again from SPSS/Stata, or save as CSV.",
        )
    frame = _relabel(frame, meta.variable_value_labels, cb)
    return frame, np.arange(1, len(frame) + 1)


def _read_parquet(path: Path) -> tuple[pd.DataFrame, np.ndarray, bool]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # ArrowInvalid, OSError on a truncated file
        _fail(
            path,
            f"the Parquet file cannot be read ({exc})",
            "write it again; a Parquet file that was cut short cannot be read.",
        )
    meta = table.schema.metadata or {}
    synthetic = meta.get(b"lozells.synthetic") == b"true"
    frame = table.to_pandas()
    return frame, np.arange(1, len(frame) + 1), synthetic


def read_table(
    path: str | Path, *, sheet: str | int | None = None, codebook: Codebook | None = None
) -> tuple[pd.DataFrame, np.ndarray, bool]:
    """Read a survey file as it is, without validation.

    Returns the frame, the row number of each record in the file, and whether the file
    says it holds synthetic data.
    """
    p = Path(path)
    if not p.exists():
        _fail(p, "the file does not exist", f"check the path (looked in {p.resolve().parent}).")
    if p.is_dir():
        _fail(p, "this is a folder, not a file", "give the path of the survey file itself.")
    kind = FORMATS.get(p.suffix.lower())
    if kind is None:
        _fail(
            p,
            f"unknown file format {p.suffix or '(no extension)'!r}",
            f"use one of: {', '.join(sorted(FORMATS))}.",
        )
    if p.stat().st_size == 0:
        _fail(p, "the file is empty (0 bytes)", "export the survey again.")
    cb = codebook or load_codebook()
    synthetic = False
    if kind == "csv":
        frame, rows = _read_csv(p)
    elif kind == "excel":
        frame, rows = _read_excel(p, sheet)
    elif kind in ("spss", "stata"):
        frame, rows = _read_stat(p, kind, cb)
    else:
        frame, rows, synthetic = _read_parquet(p)
    return frame, rows, synthetic


# --- mapping -----------------------------------------------------------------------------------


def load_mapping(path: str | Path) -> dict:
    """Read a mapping file: how a researcher's export maps onto the codebook.

    Keys (all optional): ``columns`` ({your column: codebook column}), ``recode`` ({codebook
    column: {your value: codebook code}}), ``sheet`` (Excel sheet name or index),
    ``date_format`` (strftime format of ``interview_date``), ``synthetic`` (bool).
    """
    p = Path(path)
    if not p.is_file():
        raise SurveyDataError(f"Mapping file {p} does not exist.", path=str(p))
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SurveyDataError(f"Mapping file {p} is not valid YAML: {exc}", path=str(p)) from None
    if not isinstance(raw, dict):
        raise SurveyDataError(f"Mapping file {p} must hold a YAML mapping.", path=str(p))
    unknown = set(raw) - {"columns", "recode", "sheet", "date_format", "synthetic"}
    if unknown:
        raise SurveyDataError(
            f"Mapping file {p}: unknown keys {sorted(unknown)}; allowed: columns, recode, "
            "sheet, date_format, synthetic.",
            path=str(p),
        )
    return raw


def _apply_columns(
    frame: pd.DataFrame, mapping: dict, source: str, mapping_path: str, cb: Codebook
) -> pd.DataFrame:
    columns = mapping.get("columns") or {}
    absent = [c for c in columns if c not in frame.columns]
    problems = []
    if absent:
        problems.append(
            Problem(
                ", ".join(map(str, absent)),
                f"the mapping file {mapping_path} names column{'s' if len(absent) > 1 else ''} "
                f"the survey does not have (it has: {', '.join(map(str, frame.columns[:15]))})",
                "correct the names under 'columns:' in the mapping file.",
            )
        )
    known = set(cb.items) | set(cb.design)
    bad_targets = [t for t in columns.values() if t not in known]
    if bad_targets:
        problems.append(
            Problem(
                ", ".join(map(str, bad_targets)),
                f"the mapping file {mapping_path} maps onto names the codebook does not have",
                "map onto codebook item ids (see data/codebook.yaml).",
            )
        )
    raise_problems(problems, source)
    return frame.rename(columns=columns)


# --- public API --------------------------------------------------------------------------------


def load_survey(
    path: str | Path | None = None,
    mapping: str | Path | dict | None = None,
    *,
    sheet: str | int | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Load a survey file, map it onto the codebook and validate it.

    Parameters
    ----------
    path
        The survey file. ``None`` or ``""`` loads the shipped synthetic survey
        (``data/synthetic/survey.parquet``), generating it first if it is missing.
    mapping
        A mapping file (YAML) or dict renaming your columns and recoding your values onto
        the codebook; see :func:`load_mapping`.
    sheet
        For Excel files, the sheet that holds the data (default: the first).

    Returns
    -------
    pandas.DataFrame
        The validated survey (types as :func:`~lozells_analysis.data.validate.validate_survey`
        describes). ``attrs["synthetic"]`` says whether the data are synthetic and
        ``attrs["source"]`` names the file.

    Raises
    ------
    SurveyDataError
        One error listing every problem, each with the file, column, rows and values.
    """
    cb = codebook or load_codebook()
    if path is None or str(path).strip() == "":
        p = synthetic_survey_path()
        if not p.exists():
            from lozells_analysis.data.synthetic import write_synthetic

            log.info("synthetic data missing: generating %s", p)
            write_synthetic(synthetic_dir())
    else:
        p = Path(path).expanduser()
        if not p.is_absolute() and not p.exists() and (data_dir().parent / p).exists():
            p = data_dir().parent / p  # paths relative to the repository root
    mapping_path = "<mapping>"
    if isinstance(mapping, str | Path):
        mapping_path = str(mapping)
        mapping = load_mapping(mapping)
    mapping = mapping or {}
    sheet = sheet if sheet is not None else mapping.get("sheet")
    frame, row_numbers, synthetic = read_table(p, sheet=sheet, codebook=cb)
    if mapping:
        frame = _apply_columns(frame, mapping, str(p), mapping_path, cb)
    row_word = "line" if FORMATS[p.suffix.lower()] in ("csv", "excel") else "record"
    result = validate_survey(
        frame,
        source=str(p),
        codebook=cb,
        row_numbers=row_numbers,
        row_word=row_word,
        recode=mapping.get("recode"),
        date_format=mapping.get("date_format"),
    )
    synthetic = bool(mapping.get("synthetic", synthetic or _is_synthetic_dir(p)))
    result.attrs["synthetic"] = synthetic
    result.attrs["source"] = str(p)
    record_read(p, synthetic=synthetic)
    if mapping_path != "<mapping>":
        # the mapping shapes the data as much as the file does: a report depends on both
        record_read(mapping_path, synthetic=synthetic)
    return result


def _is_synthetic_dir(p: Path) -> bool:
    meta = p.parent / "metadata.json"
    if not meta.is_file():
        return False
    import json

    try:
        return bool(json.loads(meta.read_text()).get("synthetic"))
    except (ValueError, OSError):
        return False


def _load_qualitative(path: str | Path | None, default: str, required: list[str]) -> pd.DataFrame:
    if path is None or str(path).strip() == "":
        p = synthetic_dir() / default
        if not p.exists():
            from lozells_analysis.data.synthetic import write_synthetic

            write_synthetic(synthetic_dir())
    else:
        p = Path(path)
    frame, rows, _ = read_table(p)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        _fail(
            p,
            f"required columns missing (the file has: {', '.join(frame.columns)})",
            f"the file needs columns {', '.join(required)}.",
            ", ".join(missing),
        )
    synthetic = _is_synthetic_dir(p)
    frame.attrs["synthetic"] = synthetic
    frame.attrs["source"] = str(p)
    record_read(p, synthetic=synthetic)
    return frame


def load_listening_events(path: str | Path | None = None) -> pd.DataFrame:
    """Coded listening-event excerpts (default: the synthetic set).

    Needs columns ``excerpt_id``, ``ward``, ``participant_group``, ``codes``
    (semicolon-separated barrier codes) and ``text``.
    """
    return _load_qualitative(
        path, "listening_events.csv", ["excerpt_id", "ward", "participant_group", "codes", "text"]
    )


def load_stakeholder_interviews(path: str | Path | None = None) -> pd.DataFrame:
    """Coded stakeholder-interview excerpts (default: the synthetic set).

    Needs columns ``excerpt_id``, ``stakeholder_type``, ``themes`` (semicolon-separated)
    and ``text``.
    """
    return _load_qualitative(
        path, "stakeholder_interviews.csv", ["excerpt_id", "stakeholder_type", "themes", "text"]
    )
