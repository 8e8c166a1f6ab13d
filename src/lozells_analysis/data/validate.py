"""Check a survey frame against the codebook and convert it to the codebook's types.

:func:`validate_survey` collects *every* problem it finds before raising, so a researcher
fixes an export in one pass: one :class:`~lozells_analysis.exceptions.SurveyDataError` whose
message lists, for each problem, the file, the column, the rows (the first few and a count),
the offending values, and how to fix it.

Row numbers are the ones a researcher sees: for CSV and Excel the line (spreadsheet row) in
the file, the header being line 1; for SPSS, Stata and Parquet the record number, from 1.

Examples
--------
>>> import pandas as pd
>>> from lozells_analysis.data.validate import validate_survey
>>> bad = pd.DataFrame({"respondent_id": ["a", "a"], "neighbourhood": ["Lozells", "Atlantis"],
...                     "wave": [1, 2], "weight": [1.0, 0.0]})
>>> try:
...     validate_survey(bad, source="export.csv")
... except Exception as err:
...     print(str(err).splitlines()[0])
Survey file export.csv has 3 problems:
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lozells_analysis.data.codebook import Codebook, Item, load_codebook
from lozells_analysis.exceptions import SurveyDataError

__all__ = ["REQUIRED_COLUMNS", "Problem", "validate_survey"]

#: Columns every survey file must have. ``nation`` is derived from the neighbourhood when
#: absent, and ``interview_date`` is optional.
REQUIRED_COLUMNS = ("respondent_id", "neighbourhood", "wave", "weight")

_SHOW = 5  # rows and values quoted per problem


@dataclass
class Problem:
    """One fault in a survey file."""

    column: str | None
    message: str
    fix: str
    rows: list[int] = field(default_factory=list)
    values: list = field(default_factory=list)
    n_rows: int = 0

    def render(self, row_word: str = "row") -> str:
        col = f"Column {self.column!r}: " if self.column else ""
        text = f"{col}{self.message}"
        if self.n_rows:
            shown = ", ".join(str(r) for r in self.rows[:_SHOW])
            more = f" and {self.n_rows - _SHOW} more" if self.n_rows > _SHOW else ""
            plural = "s" if self.n_rows != 1 else ""
            text += f" ({self.n_rows} {row_word}{plural}: {shown}{more}"
            if self.values:
                vals = ", ".join(repr(v) for v in self.values[:_SHOW])
                text += f"; values: {vals}"
                if len(self.values) > _SHOW:
                    text += f" and {len(self.values) - _SHOW} more"
            text += ")"
        elif self.values:
            text += f" (values: {', '.join(repr(v) for v in self.values[:_SHOW])})"
        return f"{text}.\n     Fix: {self.fix}"


def raise_problems(problems: list[Problem], source: str, row_word: str = "row") -> None:
    """Raise one :class:`SurveyDataError` listing ``problems`` (no-op when empty)."""
    if not problems:
        return
    n = len(problems)
    lines = [f"Survey file {source} has {n} problem{'s' if n != 1 else ''}:"]
    for i, p in enumerate(problems, 1):
        lines.append(f"  {i}. {p.render(row_word)}")
    lines.append("The file was not changed. Nothing already published was touched.")
    # "from None": the message is the whole story; no chained pandas traceback under it
    raise SurveyDataError("\n".join(lines), problems=problems, path=source) from None


class _Rows:
    """Turns a boolean mask over the frame into the row numbers a researcher sees."""

    def __init__(self, row_numbers: np.ndarray, word: str = "row"):
        self.numbers = row_numbers
        self.word = word

    def problem(
        self,
        mask: np.ndarray,
        column: str | None,
        message: str,
        fix: str,
        raw: pd.Series | None = None,
    ) -> Problem:
        idx = np.flatnonzero(mask)
        values: list = []
        if raw is not None:
            seen: dict = {}
            for v in raw.to_numpy()[idx[:200]]:
                key = "" if _isna(v) else v
                if key not in seen:
                    seen[key] = None
            values = [_plain(v) for v in seen]
        return Problem(
            column=column,
            message=message,
            fix=fix,
            rows=[int(r) for r in self.numbers[idx[:_SHOW]]],
            values=values,
            n_rows=int(len(idx)),
        )


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v: object) -> object:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _blank(raw: pd.Series) -> np.ndarray:
    """True where a cell is empty (NaN, None or whitespace-only text)."""
    na = raw.isna().to_numpy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        text = raw.astype("string").str.strip()
        na = na | (text == "").fillna(True).to_numpy()
    return na


def _as_number(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from a column; returns (values, bad) where bad marks non-blank text."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        raw = raw.astype("float64")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        vals = raw.astype("float64").to_numpy(na_value=np.nan)
        return vals, np.zeros(len(raw), bool)
    text = raw.astype("string").str.strip()
    num = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    bad = np.isnan(num) & ~_blank(raw)
    return num, bad


_DATE_FORMATS = (
    ("ISO (2017-03-01)", re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$"), "ISO8601", False),
    ("day/month/year (01/03/2017)", re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%d/%m/%Y", True),
    ("day month year (1 March 2017)", re.compile(r"^\d{1,2} [A-Za-z]+ \d{4}$"), "%d %B %Y", True),
)


def _dates(raw: pd.Series, rows: _Rows, problems: list[Problem], fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.astype("datetime64[ns]")
    blank = _blank(raw)
    text = raw.astype("string").str.strip()
    if fmt:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    else:
        kinds = np.full(len(raw), -1)
        for k, (_, rx, _, _) in enumerate(_DATE_FORMATS):
            hit = text.str.match(rx).fillna(False).to_numpy() & (kinds == -1)
            kinds[hit] = k
        used = sorted(set(kinds[~blank]) - {-1})
        if len(used) > 1:
            parts = []
            for k in used:
                first = rows.numbers[np.flatnonzero((kinds == k) & ~blank)[:3]]
                parts.append(f"{_DATE_FORMATS[k][0]} in {rows.word}s {', '.join(map(str, first))}")
            problems.append(
                Problem(
                    "interview_date",
                    f"dates are written in {len(used)} different formats: " + "; ".join(parts),
                    "export every date in one format (ISO 2017-03-01 is safest), or name the "
                    "format in the mapping file (date_format: '%d/%m/%Y').",
                    n_rows=0,
                )
            )
            return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        if used:
            _, _, f, _ = _DATE_FORMATS[used[0]]
            parsed = pd.to_datetime(text, format=f, errors="coerce")
        else:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy() & ~blank
    if bad.any():
        problems.append(
            rows.problem(
                bad,
                "interview_date",
                "dates that cannot be read",
                "write dates as 2017-03-01 (or set date_format in the mapping file).",
                raw,
            )
        )
    return parsed.astype("datetime64[ns]")


def _categorical(
    item: Item, raw: pd.Series, rows: _Rows, problems: list[Problem], recode: dict | None
) -> pd.Series:
    """Codes of a labelled item: numbers, or labels matched case-insensitively."""
    if recode:
        raw = raw.map(
            lambda v: recode.get(v, recode.get(str(v).strip(), v)) if not _isna(v) else v
        )
    blank = _blank(raw)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        codes = raw.astype("float64").to_numpy(na_value=np.nan)
        text_bad = np.zeros(len(raw), bool)
    else:
        lookup = {label.casefold(): code for code, label in item.labels.items()}
        text = raw.astype("string").str.strip()
        num = pd.to_numeric(text, errors="coerce").astype("float64")
        by_label = text.str.casefold().map(lookup).astype("float64")
        codes = num.fillna(by_label).to_numpy(na_value=np.nan)
        text_bad = np.isnan(codes) & ~blank
    valid = np.isin(codes, list(item.labels))
    outside = ~np.isnan(codes) & ~valid
    if text_bad.any():
        problems.append(
            rows.problem(
                text_bad,
                item.id,
                "text that is neither a code nor a label of the scale",
                f"use the codes {_codes_text(item)} or their labels, or recode them in the "
                "mapping file.",
                raw,
            )
        )
    if outside.any():
        problems.append(
            rows.problem(
                outside,
                item.id,
                f"codes outside the scale {item.scale.id!r}",
                f"valid codes are {_codes_text(item)}; recode the others in the mapping file.",
                raw,
            )
        )
    out = np.where(valid, codes, np.nan)
    return pd.Series(pd.array(out, dtype="Float64").astype("Int8"), index=raw.index, name=item.id)


def _codes_text(item: Item) -> str:
    return ", ".join(f"{c} ({lab})" for c, lab in item.labels.items())


def _numeric(item: Item, raw: pd.Series, rows: _Rows, problems: list[Problem]) -> pd.Series:
    vals, text_bad = _as_number(raw)
    if text_bad.any():
        problems.append(
            rows.problem(
                text_bad,
                item.id,
                "text in a numeric column",
                f"this item takes numbers from {item.scale.min:g} to {item.scale.max:g} "
                f"(missing codes {', '.join(map(str, item.missing_codes))}); replace the text.",
                raw,
            )
        )
    missing = np.isin(vals, item.missing_codes)
    vals = np.where(missing, np.nan, vals)
    lo, hi = item.scale.min, item.scale.max
    out = ~np.isnan(vals) & ((vals < lo) | (vals > hi))
    if item.scale.integer:
        out |= ~np.isnan(vals) & (np.floor(vals) != vals)
    if out.any():
        problems.append(
            rows.problem(
                out,
                item.id,
                f"numbers outside the range {lo:g} to {hi:g}"
                + (" or not whole numbers" if item.scale.integer else ""),
                f"scores run from {lo:g} to {hi:g}; code don't know as "
                f"{item.missing_codes[0]} and refused as {item.missing_codes[-1]}.",
                raw,
            )
        )
        vals = np.where(out, np.nan, vals)
    return pd.Series(vals, index=raw.index, name=item.id, dtype="float64")


def validate_survey(
    frame: pd.DataFrame,
    *,
    source: str = "<data frame>",
    codebook: Codebook | None = None,
    row_numbers: np.ndarray | None = None,
    row_word: str = "row",
    recode: dict | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Check ``frame`` against the codebook and return it in the codebook's types.

    Parameters
    ----------
    frame
        The survey as read from the file, with the codebook's column names.
    source
        The file name, quoted in every problem.
    row_numbers
        The row number each record has in the file (default: 1, 2, ...).
    recode
        Per column, a mapping from the file's values to the codebook's codes (from the
        mapping file).
    date_format
        ``strftime`` format of ``interview_date`` when it is not ISO.

    Returns
    -------
    pandas.DataFrame
        Design columns first (``respondent_id`` string, ``neighbourhood`` and ``nation``
        categorical in codebook order, ``wave`` int, ``interview_date`` datetime,
        ``weight`` float), then every codebook item present (labelled items as ``Int8``
        codes, don't know and refused kept as their codes; 0-10 items as floats with their
        missing codes turned into NaN), then any other columns unchanged.

    Raises
    ------
    SurveyDataError
        Listing every problem found.
    """
    cb = codebook or load_codebook()
    recode = recode or {}
    n = len(frame)
    rows = _Rows(np.arange(1, n + 1) if row_numbers is None else np.asarray(row_numbers), row_word)
    problems: list[Problem] = []

    if n == 0:
        raise_problems(
            [
                Problem(
                    None,
                    "the file has a header but no data rows",
                    "export the responses, not only the column names.",
                )
            ],
            source,
            row_word,
        )

    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        present = ", ".join(map(str, list(frame.columns)[:15]))
        more = "..." if len(frame.columns) > 15 else ""
        problems.append(
            Problem(
                ", ".join(missing),
                f"required column{'s' if len(missing) > 1 else ''} missing "
                f"(the file has: {present}{more})",
                "rename your columns to the codebook's names, or map them in a mapping file "
                "(columns: {your_name: codebook_name}).",
            )
        )

    out: dict[str, pd.Series] = {}

    if "respondent_id" in frame.columns:
        raw = frame["respondent_id"]
        ids = raw.astype("string").str.strip()
        blank = _blank(raw)
        if blank.any():
            problems.append(
                rows.problem(
                    blank,
                    "respondent_id",
                    "missing respondent ids",
                    "give every row a unique respondent id.",
                )
            )
        dup = ids.duplicated(keep=False).to_numpy() & ~blank
        if dup.any():
            problems.append(
                rows.problem(
                    dup,
                    "respondent_id",
                    "duplicate respondent ids",
                    "each respondent must appear once; remove repeated rows or fix the ids.",
                    raw,
                )
            )
        out["respondent_id"] = ids

    if "neighbourhood" in frame.columns:
        raw = frame["neighbourhood"]
        if "neighbourhood" in recode:
            raw = raw.map(lambda v: recode["neighbourhood"].get(v, v))
        text = raw.astype("string").str.strip()
        known = cb.neighbourhood_names()
        canon = {k.casefold(): k for k in known}
        mapped = text.str.casefold().map(canon)
        bad = mapped.isna().to_numpy()
        if bad.any():
            problems.append(
                rows.problem(
                    bad,
                    "neighbourhood",
                    "neighbourhoods not in the codebook",
                    f"use one of: {', '.join(known)} (or recode yours in the mapping file).",
                    raw,
                )
            )
        out["neighbourhood"] = pd.Series(
            pd.Categorical(mapped, categories=known), index=frame.index
        )
        nation_of = {k: v.nation for k, v in cb.neighbourhoods.items()}
        derived = mapped.map(nation_of)
        if "nation" in frame.columns:
            given = frame["nation"].astype("string").str.strip()
            clash = (
                ~given.isna() & ~derived.isna() & (given.str.casefold() != derived.str.casefold())
            )
            clash = clash.fillna(False).to_numpy()
            if clash.any():
                problems.append(
                    rows.problem(
                        clash,
                        "nation",
                        "nation does not match the neighbourhood's nation",
                        "correct the nation or the neighbourhood (the codebook lists each "
                        "neighbourhood's nation).",
                        frame["nation"],
                    )
                )
        out["nation"] = pd.Series(
            pd.Categorical(derived, categories=list(cb.nations)), index=frame.index
        )

    if "wave" in frame.columns:
        raw = frame["wave"]
        vals, text_bad = _as_number(raw)
        bad = text_bad | np.isnan(vals) | ~np.isin(vals, list(cb.waves))
        if bad.any():
            problems.append(
                rows.problem(
                    bad,
                    "wave",
                    "waves not in the codebook",
                    f"waves are numbered {', '.join(map(str, cb.waves))}.",
                    raw,
                )
            )
        out["wave"] = pd.Series(
            np.where(bad, 0, np.nan_to_num(vals)).astype("int64"), index=frame.index
        )

    if "interview_date" in frame.columns:
        out["interview_date"] = _dates(frame["interview_date"], rows, problems, date_format)

    if "weight" in frame.columns:
        raw = frame["weight"]
        vals, text_bad = _as_number(raw)
        if text_bad.any():
            problems.append(
                rows.problem(
                    text_bad,
                    "weight",
                    "text in the weight column",
                    "weights are positive numbers.",
                    raw,
                )
            )
        blank = np.isnan(vals) & ~text_bad
        if blank.any():
            problems.append(
                rows.problem(
                    blank,
                    "weight",
                    "missing weights",
                    "every respondent needs a survey weight above 0.",
                    raw,
                )
            )
        nonpos = ~np.isnan(vals) & (vals <= 0)
        if nonpos.any():
            problems.append(
                rows.problem(
                    nonpos,
                    "weight",
                    "zero or negative weights",
                    "survey weights must be above 0; drop respondents "
                    "who should not count, rather than weighting them "
                    "0.",
                    raw,
                )
            )
        infinite = np.isinf(vals)
        if infinite.any():
            problems.append(
                rows.problem(
                    infinite, "weight", "infinite weights", "weights must be finite.", raw
                )
            )
        out["weight"] = pd.Series(vals, index=frame.index, dtype="float64")

    for item_id, item in cb.items.items():
        if item_id not in frame.columns:
            continue
        raw = frame[item_id]
        if item.numeric:
            out[item_id] = _numeric(item, raw, rows, problems)
        else:
            out[item_id] = _categorical(item, raw, rows, problems, recode.get(item_id))

    raise_problems(problems, source, row_word)

    others = [c for c in frame.columns if c not in out]
    result = pd.DataFrame(out, index=frame.index)
    if others:
        result = pd.concat([result, frame[others]], axis=1)
    return result.reset_index(drop=True)
