"""Checking and converting one column's values: numbers, codes, labels, dates, booleans.

Used by :func:`~lozells_analysis.data.validate.validate_survey`; each function appends the
problems it finds to a list and returns the converted column.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.data.codebook import Item
from lozells_analysis.data.problems import Problem, Rows, isna

__all__ = [
    "arrow_pool",
    "as_number",
    "blank_mask",
    "bool_problem",
    "boolean_mask",
    "categorical",
    "codes_text",
    "dates",
    "is_blank",
    "distinct",
    "duplicated",
    "numeric",
    "recoded",
    "release_arrow_memory",
    "spread",
    "stripped_text",
]

# --- per distinct value ------------------------------------------------------------------------
# Coded columns (items, neighbourhood, wave, dates) hold a handful of distinct values however
# many rows there are; CSV files arrive with them as categoricals. Each check works on the
# distinct values once and spreads the answer over the rows by their codes, so a million rows
# cost a few array lookups, not a million Python calls.


def distinct(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, levels): each row's position among the distinct values, -1 where missing."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        cats = raw.cat.categories
        return raw.cat.codes.to_numpy(), pd.Series(np.asarray(cats, dtype=object))
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    return np.asarray(codes), pd.Series(np.asarray(uniques, dtype=object))


def spread(per_level: np.ndarray, codes: np.ndarray, fill: Any) -> np.ndarray:
    """Values per distinct value -> values per row (``fill`` where the row is missing)."""
    return np.append(per_level, np.array([fill], dtype=per_level.dtype))[codes]


def is_blank(v: object) -> bool:
    return isna(v) or (isinstance(v, str) and not v.strip())


def blank_mask(raw: pd.Series) -> np.ndarray:
    """True where a cell is empty (NaN, None or whitespace-only text)."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        codes, levels = distinct(raw)
        return spread(np.array([is_blank(v) for v in levels], bool), codes, True)
    na = raw.isna().to_numpy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        text = raw.astype("string").str.strip()
        na = na | (text == "").fillna(True).to_numpy()
    return na


def boolean_mask(raw: pd.Series) -> np.ndarray:
    """True where a cell is a boolean (a Parquet or Excel TRUE/FALSE), not a number."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return ~raw.isna().to_numpy()
    if raw.dtype == object:
        return np.fromiter(
            (isinstance(v, bool | np.bool_) for v in raw.to_numpy()), bool, count=len(raw)
        )
    return np.zeros(len(raw), bool)


def _numbers_of_levels(levels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = np.full(len(levels), np.nan)
    bad = np.zeros(len(levels), bool)
    for i, v in enumerate(levels):
        if is_blank(v):
            continue
        if isinstance(v, bool | np.bool_):
            values[i] = float(v)
            continue
        try:
            number = float(str(v).strip() if isinstance(v, str) else v)
        except (TypeError, ValueError):
            bad[i] = True
            continue
        if np.isnan(number):  # the text "nan", not an empty cell
            bad[i] = True
        else:
            values[i] = number
    return values, bad


def as_number(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from a column; returns (values, bad) where bad marks non-blank text."""
    if isinstance(raw.dtype, pd.CategoricalDtype) or raw.dtype == object:
        codes, levels = distinct(raw)
        values, bad = _numbers_of_levels(levels)
        return spread(values, codes, np.nan), spread(bad, codes, False)
    if pd.api.types.is_bool_dtype(raw.dtype):
        raw = raw.astype("float64")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        vals = raw.astype("float64").to_numpy(na_value=np.nan)
        return vals, np.zeros(len(raw), bool)
    fast = _arrow_numbers(raw)
    if fast is not None:
        return fast, np.zeros(len(raw), bool)
    text = raw.astype("string").str.strip()
    num = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    bad = np.isnan(num) & ~blank_mask(raw)
    return num, bad


def arrow_pool() -> Any:
    """The Arrow memory pool for reading and checking a survey: jemalloc, set to hand freed
    memory straight back to the system, where the platform has it.

    A CSV block's buffers, or a sort's scratch space, are freed as soon as they are used;
    Arrow's default pool (mimalloc) keeps such memory for reuse by Arrow, which the NumPy
    arrays that follow cannot use, adding about a quarter of the file's size to the peak.
    Only the survey readers use this pool; the process's default pool is left alone.
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, AttributeError, pa.ArrowNotImplementedError):
        return pa.default_memory_pool()
    return pool


def _arrow(values: pd.Series) -> Any:
    """The column as a pyarrow ChunkedArray (zero-copy for Arrow-backed text)."""
    import pyarrow as pa

    arr = pa.array(values.array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


_ARROW_ERRORS = (TypeError, ValueError, ImportError, AttributeError, NotImplementedError)


def _arrow_numbers(raw: pd.Series) -> np.ndarray | None:
    """Arrow-backed text read as numbers by Arrow; ``None`` if any cell is not a number."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        pool = arrow_pool()
        out = np.empty(len(raw), dtype="float64")
        start = 0
        for chunk in _arrow(raw).chunks:  # chunk by chunk: Arrow holds one chunk's numbers
            try:
                numbers = pc.cast(chunk, pa.float64(), memory_pool=pool)
            except pa.ArrowInvalid:  # spaces around numbers, or text: trim and try again
                text = pc.utf8_trim_whitespace(chunk, memory_pool=pool)
                empty = pc.equal(text, "", memory_pool=pool)
                text = pc.if_else(empty, pa.scalar(None, pa.string()), text, memory_pool=pool)
                numbers = pc.cast(text, pa.float64(), memory_pool=pool)
            out[start : start + len(chunk)] = numbers.to_numpy(zero_copy_only=False)
            start += len(chunk)
        return out
    except _ARROW_ERRORS:
        return None  # ArrowInvalid is a ValueError: a cell is text; the slow path names it


def release_arrow_memory() -> None:
    """Hand the memory Arrow keeps for reuse back to the system (Arrow's allocator holds
    freed blocks; the NumPy arrays that follow cannot use them)."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
        arrow_pool().release_unused()
    except (ImportError, AttributeError):  # pragma: no cover - pyarrow is a dependency
        pass


def stripped_text(raw: pd.Series) -> pd.Series:
    """Text with the spaces around it removed (Arrow-backed ``string``); no copy is made
    when no cell has any."""
    text = raw.astype("string")
    try:
        import pyarrow.compute as pc

        pool = arrow_pool()
        spaced = pc.match_substring_regex(_arrow(text), r"^\s|\s$", memory_pool=pool)
        if not pc.any(spaced, memory_pool=pool).as_py():
            return text
    except _ARROW_ERRORS:
        pass
    return text.str.strip()


def duplicated(values: pd.Series) -> np.ndarray:
    """True for every row whose value appears more than once (missing values never match).

    Arrow-backed text is sorted rather than hashed: for a million ids that needs a third of
    the memory of ``Series.duplicated``.
    """
    try:
        import pyarrow.compute as pc

        pool = arrow_pool()
        arr = _arrow(values)
        order = pc.sort_indices(arr, memory_pool=pool)
        ordered = pc.take(arr, order, memory_pool=pool)
        same = pc.equal(ordered[1:], ordered[:-1], memory_pool=pool)
        same = np.asarray(pc.coalesce(same, False, memory_pool=pool).to_numpy(), dtype=bool)
        del ordered
        hit = np.zeros(len(arr), bool)
        hit[1:] |= same
        hit[:-1] |= same
        out = np.empty(len(arr), bool)
        out[np.asarray(order.to_numpy(zero_copy_only=False))] = hit
        return out
    except _ARROW_ERRORS:
        return np.asarray(values.duplicated(keep=False).to_numpy(), dtype=bool) & ~np.asarray(
            values.isna().to_numpy(), dtype=bool
        )


def bool_problem(mask: np.ndarray, column: str, rows: Rows, raw: pd.Series, what: str) -> Problem:
    return rows.problem(
        mask,
        column,
        "true/false values where numbers are expected",
        f"write {what} as numbers; a yes/no column (TRUE/FALSE) cannot be used here.",
        raw,
    )


_DATE_FORMATS = (
    ("ISO (2017-03-01)", re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$"), "ISO8601", False),
    ("day/month/year (01/03/2017)", re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%d/%m/%Y", True),
    ("day month year (1 March 2017)", re.compile(r"^\d{1,2} [A-Za-z]+ \d{4}$"), "%d %B %Y", True),
)


def dates(raw: pd.Series, rows: Rows, problems: list[Problem], fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.astype("datetime64[ns]")
    codes, levels = distinct(raw)
    blank = spread(np.array([is_blank(v) for v in levels], bool), codes, True)
    text = levels.astype("string").str.strip()
    if fmt:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    else:
        kinds = np.full(len(levels), -1)
        for k, (_, rx, _, _) in enumerate(_DATE_FORMATS):
            hit = text.str.match(rx).fillna(False).to_numpy(dtype=bool) & (kinds == -1)
            kinds[hit] = k
        row_kinds = spread(kinds, codes, -1)
        used = sorted(set(row_kinds[~blank]) - {-1})
        if len(used) > 1:
            parts = []
            for k in used:
                first = rows.numbers[np.flatnonzero((row_kinds == k) & ~blank)[:3]]
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
    per_level = np.asarray(parsed.astype("datetime64[ns]").to_numpy(), dtype="datetime64[ns]")
    values = spread(per_level, codes, np.datetime64("NaT", "ns"))
    bad = np.isnat(values) & ~blank
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
    return pd.Series(values, index=raw.index, dtype="datetime64[ns]")


def recoded(v: object, recode: dict) -> object:
    """``v`` through the mapping file's recode: matched as it is, as trimmed text, or as the
    same number (a file's "5" or 5.0 matches a recode key 5)."""
    if isna(v):
        return v
    try:
        if v in recode:
            return recode[v]
    except TypeError:
        return v
    text = str(v).strip()
    if text in recode:
        return recode[text]
    try:
        number = float(text)
    except ValueError:
        return v
    for key in (number, int(number)) if number.is_integer() else (number,):
        if key in recode:
            return recode[key]
    for key, target in recode.items():
        if isinstance(key, str):
            try:
                if float(key) == number:
                    return target
            except ValueError:
                continue
    return v


def categorical(
    item: Item, raw: pd.Series, rows: Rows, problems: list[Problem], recode: dict | None
) -> pd.Series:
    """Codes of a labelled item (``Int8``): numbers, or labels matched case-insensitively.

    Worked out once per distinct value, then spread over the rows as one-byte codes.
    """
    codes, levels = distinct(raw)
    if recode:
        levels = pd.Series([recoded(v, recode) for v in levels], dtype=object)
    lookup = {label.casefold(): code for code, label in item.labels.items()}
    valid_codes = set(item.labels)
    level_code = np.zeros(len(levels), np.int8)
    level_valid = np.zeros(len(levels), bool)
    level_outside = np.zeros(len(levels), bool)
    level_text = np.zeros(len(levels), bool)
    for i, v in enumerate(levels):
        if is_blank(v):
            continue
        if isinstance(v, int | float | np.integer | np.floating):  # bools too: flagged below
            number = float(v)
        else:
            text = str(v).strip()
            try:
                number = float(text)
            except ValueError:
                code = lookup.get(text.casefold())
                if code is None:
                    level_text[i] = True
                    continue
                number = float(code)
        if number in valid_codes:
            level_code[i] = int(number)
            level_valid[i] = True
        elif not np.isnan(number):
            level_outside[i] = True
    booleans = boolean_mask(raw)
    if booleans.any():
        problems.append(bool_problem(booleans, item.id, rows, raw, "the answers"))
    if level_text.any():
        text_bad = spread(level_text, codes, False) & ~booleans
        if text_bad.any():
            problems.append(
                rows.problem(
                    text_bad,
                    item.id,
                    "text that is neither a code nor a label of the scale",
                    f"use the codes {codes_text(item)} or their labels, or recode them in the "
                    "mapping file.",
                    raw,
                )
            )
    if level_outside.any():
        outside = spread(level_outside, codes, False) & ~booleans
        if outside.any():
            problems.append(
                rows.problem(
                    outside,
                    item.id,
                    f"codes outside the scale {item.scale.id!r}",
                    f"valid codes are {codes_text(item)}; recode the others in the mapping file.",
                    raw,
                )
            )
    values = spread(level_code, codes, 0)
    missing = spread(~level_valid, codes, True)
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=raw.index, name=item.id)


def codes_text(item: Item) -> str:
    return ", ".join(f"{c} ({lab})" for c, lab in item.labels.items())


def numeric(item: Item, raw: pd.Series, rows: Rows, problems: list[Problem]) -> pd.Series:
    vals, text_bad = as_number(raw)
    booleans = boolean_mask(raw)
    if booleans.any():
        problems.append(bool_problem(booleans, item.id, rows, raw, "the scores"))
        text_bad &= ~booleans
        vals = np.where(booleans, np.nan, vals)
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
