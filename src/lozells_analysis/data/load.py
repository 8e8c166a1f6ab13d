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

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.data import readers
from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.data.columns import ColumnNames
from lozells_analysis.data.excel import read_excel
from lozells_analysis.data.mapping import SurveyMapping, check_mapping, read_mapping
from lozells_analysis.data.readers import RowNumbers, duplicates_problem, fail
from lozells_analysis.data.tracking import record_read
from lozells_analysis.data.validate import raise_problems, validate_columns
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


# --- reading -----------------------------------------------------------------------------------


def _relabel(
    frame: pd.DataFrame, value_labels: dict[str, dict], cb: Codebook, names: ColumnNames
) -> pd.DataFrame:
    """SPSS/Stata: where the file's value labels match the codebook's, use the codebook codes.

    A file may code "Definitely agree" as 5 where the codebook has 1; the labels say which
    is which. Columns whose labels do not all match are left as they are (validation then
    reports codes outside the scale). Columns are matched by the codebook name they will
    have (after the mapping's renames).
    """
    for col, labels in value_labels.items():
        item_id = names.target(col)
        if col not in frame.columns or item_id not in cb.items or cb.items[item_id].numeric:
            continue
        lookup = {lab.casefold(): code for code, lab in cb.items[item_id].labels.items()}
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


def _check_path(p: Path) -> str:
    """The file's format, after checking it is a non-empty file of a known kind."""
    if not p.exists():
        fail(p, "the file does not exist", f"check the path (looked in {p.resolve().parent}).")
    if p.is_dir():
        fail(p, "this is a folder, not a file", "give the path of the survey file itself.")
    kind = FORMATS.get(p.suffix.lower())
    if kind is None:
        fail(
            p,
            f"unknown file format {p.suffix or '(no extension)'!r}",
            f"use one of: {', '.join(sorted(FORMATS))}.",
        )
    if p.stat().st_size == 0:
        fail(p, "the file is empty (0 bytes)", "export the survey again.")
    return kind


def _read(
    p: Path, sheet: str | int | None, cb: Codebook, names: ColumnNames
) -> tuple[pd.DataFrame, RowNumbers, bool, dict[str, Any]]:
    """Read ``p`` as it is: frame (header names stripped), row numbers, synthetic flag and
    notes (the Excel sheet read)."""
    kind = _check_path(p)
    synthetic = False
    notes: dict[str, Any] = {}
    rows: RowNumbers
    if kind == "csv":
        frame, rows = readers.read_csv(p, names.kind)
    elif kind == "excel":
        frame, rows, notes["sheet"] = read_excel(p, sheet, names.target)
    else:
        if kind in ("spss", "stata"):
            frame, labels = readers.read_stat(p, kind)
        else:
            frame, synthetic = readers.read_parquet(p)
            labels = {}
        raw_names = list(frame.columns)
        stripped = [str(c).strip() for c in raw_names]
        dupes = duplicates_problem(stripped, raw_names)
        if dupes:
            raise_problems([dupes], str(p))
        frame.columns = stripped
        labels = {str(k).strip(): v for k, v in labels.items()}
        frame = _relabel(frame, labels, cb, names)
        rows = np.arange(1, len(frame) + 1)
    return frame, rows, synthetic, notes


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    codebook: Codebook | None = None,
    columns: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, np.ndarray, bool]:
    """Read a survey file as it is, without validation.

    Returns the frame (header names stripped of spaces; coded columns as categoricals when
    read from CSV), the row number of each record in the file, and whether the file says it
    holds synthetic data. ``columns`` (a mapping file's renames) tells the readers which
    codebook column each column becomes, to choose its type and, for Excel, the sheet.
    """
    cb = codebook or load_codebook()
    frame, rows, synthetic, _ = _read(Path(path), sheet, cb, ColumnNames(cb, columns))
    return frame, np.asarray(rows() if callable(rows) else rows), synthetic


# --- mapping -----------------------------------------------------------------------------------


def load_mapping(path: str | Path, *, codebook: Codebook | None = None) -> dict:
    """Read a mapping file: how a researcher's export maps onto the codebook.

    Keys (all optional): ``columns`` ({your column: codebook column}), ``recode`` ({codebook
    column: {your value: codebook code}}), ``sheet`` (Excel sheet name or index),
    ``date_format`` (strftime format of ``interview_date``), ``synthetic`` (true or false).
    The file is checked against this schema (:mod:`lozells_analysis.data.mapping`); every
    fault is reported, with its key, line and the shape expected, in one
    :class:`~lozells_analysis.exceptions.SurveyDataError`.
    """
    return read_mapping(path, codebook=codebook or load_codebook()).as_dict()


def _mapping(
    mapping: str | Path | dict | SurveyMapping | None, cb: Codebook, survey: Path
) -> SurveyMapping:
    if mapping is None:
        return SurveyMapping()
    if isinstance(mapping, SurveyMapping):
        return mapping
    if isinstance(mapping, str | Path):
        if str(mapping).strip() == "":
            return SurveyMapping()
        return read_mapping(mapping, codebook=cb, survey=survey)
    return check_mapping(mapping, codebook=cb, survey=survey)


# --- public API --------------------------------------------------------------------------------


def load_survey(
    path: str | Path | None = None,
    mapping: str | Path | dict | SurveyMapping | None = None,
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
        the codebook; see :func:`load_mapping`. It is checked before the survey is read.
    sheet
        For Excel files, the sheet that holds the data (name, or position from 0); overrides
        the mapping file's ``sheet``. Without either, the sheet holding the survey's columns
        is read; two such sheets are an error naming both.

    Returns
    -------
    pandas.DataFrame
        The validated survey (types as :func:`~lozells_analysis.data.validate.validate_survey`
        describes). ``attrs["synthetic"]`` says whether the data are synthetic and
        ``attrs["source"]`` names the file (``attrs["sheet"]`` the Excel sheet read).

    Raises
    ------
    SurveyDataError
        One error listing every problem, each with the file, column, rows and values.

    Examples
    --------
    >>> survey = load_survey()  # no path: the shipped synthetic survey
    >>> survey.attrs["synthetic"], len(survey), str(survey["trust_people"].dtype)
    (True, 2852, 'Int8')
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
    plan = _mapping(mapping, cb, p)
    names = ColumnNames(cb, plan.columns)
    frame, row_numbers, synthetic, notes = _read(
        p, sheet if sheet is not None else plan.sheet, cb, names
    )
    frame = names.settle(frame, str(p), plan.source).reset_index(drop=True)
    row_word = "line" if FORMATS[p.suffix.lower()] in ("csv", "excel") else "record"
    n, columns = len(frame), dict(frame.items())
    del frame  # the columns dict holds the only references: each goes once converted
    result = validate_columns(
        columns,
        n=n,
        source=str(p),
        codebook=cb,
        row_numbers=row_numbers,
        row_word=row_word,
        recode=plan.recode,
        date_format=plan.date_format,
    )
    synthetic = (
        plan.synthetic if plan.synthetic is not None else (synthetic or _is_synthetic_dir(p))
    )
    result.attrs["synthetic"] = synthetic
    result.attrs["source"] = str(p)
    if "sheet" in notes:
        result.attrs["sheet"] = notes["sheet"]
    record_read(p, synthetic=synthetic)
    if isinstance(mapping, str | Path) and str(mapping).strip():
        # the mapping shapes the data as much as the file does: a report depends on both
        record_read(mapping, synthetic=synthetic)
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


def _load_qualitative(
    path: str | Path | None, default: str, required: list[str], kind: str
) -> pd.DataFrame:
    if path is None or str(path).strip() == "":
        p = synthetic_dir() / default
        if not p.exists():
            from lozells_analysis.data.synthetic import write_synthetic

            write_synthetic(synthetic_dir())
    else:
        p = Path(path).expanduser()
        if not p.is_absolute() and not p.exists() and (data_dir().parent / p).exists():
            p = data_dir().parent / p  # paths relative to the repository root
    coding_frame = None
    if p.suffix.lower() == ".qdpx":  # a REFI-QDA project: NVivo, ATLAS.ti, MAXQDA, QualCoder
        from lozells_analysis.data.refiqda import read_qdpx

        frame, coding_frame = read_qdpx(p, kind)
    else:
        frame, _, _ = read_table(p)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        fail(
            p,
            f"required columns missing (the file has: {', '.join(frame.columns)})",
            f"the file needs columns {', '.join(required)}"
            + (" (in a .qdpx: case variables of that name)." if coding_frame else "."),
            ", ".join(missing),
        )
    synthetic = _is_synthetic_dir(p)
    frame.attrs["synthetic"] = synthetic
    frame.attrs["source"] = str(p)
    if coding_frame is not None:
        frame.attrs["coding_frame"] = coding_frame  # the counts use the file's own codes
    record_read(p, synthetic=synthetic)
    return frame


def load_listening_events(path: str | Path | None = None) -> pd.DataFrame:
    """Coded listening-event excerpts (default: the synthetic set).

    Needs columns ``excerpt_id``, ``ward``, ``participant_group``, ``codes``
    (semicolon-separated barrier codes) and ``text``. A REFI-QDA project (``.qdpx``) is read
    by :func:`lozells_analysis.data.refiqda.read_qdpx` into the same columns (case variables
    ``ward``, ``participant_group``...); its coding frame is kept in ``attrs["coding_frame"]``.
    """
    return _load_qualitative(
        path,
        "listening_events.csv",
        ["excerpt_id", "ward", "participant_group", "codes", "text"],
        "barriers",
    )


def load_stakeholder_interviews(path: str | Path | None = None) -> pd.DataFrame:
    """Coded stakeholder-interview excerpts (default: the synthetic set).

    Needs columns ``excerpt_id``, ``stakeholder_type``, ``themes`` (semicolon-separated)
    and ``text``; or a REFI-QDA project (``.qdpx``), as :func:`load_listening_events`.
    """
    return _load_qualitative(
        path,
        "stakeholder_interviews.csv",
        ["excerpt_id", "stakeholder_type", "themes", "text"],
        "themes",
    )
