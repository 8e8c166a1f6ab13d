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

from collections.abc import Callable

import numpy as np
import pandas as pd

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.data.problems import Problem, Rows, isna, raise_problems
from lozells_analysis.data.values import (
    as_number,
    bool_problem,
    boolean_mask,
    categorical,
    dates,
    distinct,
    duplicated,
    is_blank,
    numeric,
    recoded,
    release_arrow_memory,
    spread,
    stripped_text,
)

__all__ = ["REQUIRED_COLUMNS", "Problem", "raise_problems", "validate_columns", "validate_survey"]

#: Columns every survey file must have. ``nation`` is derived from the neighbourhood when
#: absent, and ``interview_date`` is optional.
REQUIRED_COLUMNS = ("respondent_id", "neighbourhood", "wave", "weight")


def validate_survey(
    frame: pd.DataFrame,
    *,
    source: str = "<data frame>",
    codebook: Codebook | None = None,
    row_numbers: np.ndarray | Callable[[], np.ndarray] | None = None,
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
        The row number each record has in the file (default: 1, 2, ...), or a function
        returning them (called only if a problem names rows).
    recode
        Per column, a mapping from the file's values to the codebook's codes (from the
        mapping file).
    date_format
        ``strftime`` format of ``interview_date`` when it is not ISO.

    Returns
    -------
    pandas.DataFrame
        Design columns first (``respondent_id`` string, ``neighbourhood`` and ``nation``
        categorical in codebook order, ``wave`` int64, ``interview_date`` datetime,
        ``weight`` float), then every codebook item present (labelled items as ``Int8``
        codes, don't know and refused kept as their codes; 0-10 items as floats with their
        missing codes turned into NaN), then any other columns unchanged.

    Raises
    ------
    SurveyDataError
        Listing every problem found.
    """
    frame = frame.reset_index(drop=True)  # no copy: the result is numbered from 0
    return validate_columns(
        dict(frame.items()),
        source=source,
        codebook=codebook,
        row_numbers=row_numbers,
        row_word=row_word,
        recode=recode,
        date_format=date_format,
        n=len(frame),
    )


def validate_columns(
    columns: dict[str, pd.Series],
    *,
    source: str = "<data frame>",
    codebook: Codebook | None = None,
    row_numbers: np.ndarray | Callable[[], np.ndarray] | None = None,
    row_word: str = "row",
    recode: dict | None = None,
    date_format: str | None = None,
    n: int | None = None,
) -> pd.DataFrame:
    """:func:`validate_survey` on a dict of columns (``n`` rows, index 0..n-1), which it
    empties as it goes: a column read from the file is let go once converted, so a caller
    that passes the only references keeps just one copy of each column in memory."""
    cb = codebook or load_codebook()
    recode = recode or {}
    cols = columns
    if n is None:
        n = len(next(iter(cols.values()))) if cols else 0
    index = pd.RangeIndex(n)
    rows = Rows(
        np.arange(1, n + 1) if row_numbers is None else row_numbers,  # a function stays lazy
        row_word,
    )
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

    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        present = ", ".join(map(str, list(cols)[:15]))
        more = "..." if len(cols) > 15 else ""
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

    if "respondent_id" in cols:
        raw = cols.pop("respondent_id")
        ids = stripped_text(raw)
        blank = ids.isna().to_numpy(bool) | (ids == "").fillna(True).to_numpy(bool)
        if blank.any():
            problems.append(
                rows.problem(
                    blank,
                    "respondent_id",
                    "missing respondent ids",
                    "give every row a unique respondent id.",
                )
            )
        dup = duplicated(ids) & ~blank
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

    if "neighbourhood" in cols:
        raw = cols.pop("neighbourhood")
        known = cb.neighbourhood_names()
        canon = {k.casefold(): i for i, k in enumerate(known)}
        codes, levels = distinct(raw)
        if "neighbourhood" in recode:
            levels = pd.Series([recoded(v, recode["neighbourhood"]) for v in levels], dtype=object)
        per_level = np.array(
            [-1 if isna(v) else canon.get(str(v).strip().casefold(), -1) for v in levels],
            dtype=np.int16,
        )
        position = spread(per_level, codes, -1)
        bad = position < 0
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
            pd.Categorical.from_codes(position, categories=known), index=index
        )
        nations = list(cb.nations)
        nation_of = np.array(
            [nations.index(cb.neighbourhoods[k].nation) for k in known], dtype=np.int16
        )
        derived = spread(nation_of, position, -1)
        if "nation" in cols:
            given_raw = cols.pop("nation")
            given_codes, given_levels = distinct(given_raw)
            folded = {c.casefold(): i for i, c in enumerate(nations)}
            given_per_level = np.array(
                [
                    -1 if is_blank(v) else folded.get(str(v).strip().casefold(), -2)
                    for v in given_levels
                ],
                dtype=np.int16,
            )
            given = spread(given_per_level, given_codes, -1)
            clash = (given != -1) & (derived >= 0) & (given != derived)
            if clash.any():
                problems.append(
                    rows.problem(
                        clash,
                        "nation",
                        "nation does not match the neighbourhood's nation",
                        "correct the nation or the neighbourhood (the codebook lists each "
                        "neighbourhood's nation).",
                        given_raw,
                    )
                )
        out["nation"] = pd.Series(
            pd.Categorical.from_codes(derived, categories=nations), index=index
        )

    if "wave" in cols:
        raw = cols.pop("wave")
        vals, text_bad = as_number(raw)
        booleans = boolean_mask(raw)
        fractional = ~np.isnan(vals) & ~np.isinf(vals) & (np.floor(vals) != vals) & ~booleans
        bad = text_bad | np.isnan(vals) | ~np.isin(vals, list(cb.waves)) | booleans | fractional
        waves_text = ", ".join(map(str, cb.waves))
        if booleans.any():
            problems.append(bool_problem(booleans, "wave", rows, raw, f"waves ({waves_text})"))
        if fractional.any():
            problems.append(
                rows.problem(
                    fractional,
                    "wave",
                    "waves that are not whole numbers",
                    f"waves are whole numbers: {waves_text}.",
                    raw,
                )
            )
        rest = bad & ~booleans & ~fractional
        if rest.any():
            problems.append(
                rows.problem(
                    rest,
                    "wave",
                    "waves not in the codebook",
                    f"waves are numbered {waves_text}.",
                    raw,
                )
            )
        out["wave"] = pd.Series(np.where(bad, 0, np.nan_to_num(vals)).astype("int64"), index=index)

    if "interview_date" in cols:
        out["interview_date"] = dates(cols.pop("interview_date"), rows, problems, date_format)

    if "weight" in cols:
        raw = cols.pop("weight")
        vals, text_bad = as_number(raw)
        booleans = boolean_mask(raw)
        if booleans.any():
            problems.append(bool_problem(booleans, "weight", rows, raw, "weights"))
            text_bad &= ~booleans
            vals = np.where(booleans, 1.0, vals)  # reported once, as true/false
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
        out["weight"] = pd.Series(vals, index=index, dtype="float64")

    release_arrow_memory()  # what reading ids and weights used, before the items' arrays
    for item_id, item in cb.items.items():
        if item_id not in cols:
            continue
        raw = cols.pop(item_id)
        if item.numeric:
            out[item_id] = numeric(item, raw, rows, problems)
        else:
            out[item_id] = categorical(item, raw, rows, problems, recode.get(item_id))

    raise_problems(problems, source, row_word)

    for c in list(cols):  # the other columns, unchanged, after the codebook's
        if c not in out:
            out[c] = cols.pop(c)
    return pd.DataFrame(out, index=index, copy=False)
