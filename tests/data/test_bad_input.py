"""A corpus of bad survey files: each gives one SurveyDataError naming file, column, rows, values.

The files are made here, in a temporary folder, across CSV, Excel, SPSS, Stata and Parquet.
For every kind the test checks: exactly one ``SurveyDataError`` (no chained pandas traceback),
the message names the file, the column at fault, the rows (where rows are at fault) and the
offending values, and says how to fix it; the bad file is left byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from lozells_analysis.data.load import load_survey
from lozells_analysis.data.synthetic import generate
from lozells_analysis.exceptions import SurveyDataError

from ..survey_exports import export_frame


def export(n=40) -> pd.DataFrame:
    out = export_frame(n=n, seed=21)
    out["interview_date"] = out["interview_date"].dt.strftime("%Y-%m-%d")
    return out


def csv(tmp: Path, frame: pd.DataFrame, name="survey.csv", **kw) -> Path:
    path = tmp / name
    frame.to_csv(path, index=False, **kw)
    return path


def changed(frame, row, col, value):
    frame = frame.copy()
    frame[col] = frame[col].astype(object)
    frame.loc[row, col] = value
    return frame


@dataclass
class Case:
    make: object  # (tmp_path) -> (path, mapping or None)
    column: str | None  # the column the message must name
    fragment: str  # words the message must contain
    rows: str | None = None  # e.g. "line 5" / "record 4": the rows named
    value: str | None = None  # an offending value quoted


def _truncated(tmp):
    path = csv(tmp, export())
    raw = path.read_bytes()
    path.write_bytes(raw[: raw.rfind(b",", 0, len(raw) - 40)])
    return path, None


def _mixed_encodings(tmp):
    frame = export()
    frame["comment"] = ""
    path = csv(tmp, frame)
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2] + "café".encode()  # UTF-8
    lines[5] = lines[5] + "café".encode("cp1252")
    path.write_bytes(b"\n".join(lines))
    return path, None


def _dates_three_formats(tmp):
    frame = export()
    frame.loc[1, "interview_date"] = "03/05/2017"
    frame.loc[2, "interview_date"] = "3 May 2017"
    return csv(tmp, frame), None


def _duplicated_header(tmp):
    path = csv(tmp, export())
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("lonely", "pull_together")
    path.write_text("\n".join(lines) + "\n")
    return path, None


def _mapping_missing_column(tmp):
    path = csv(tmp, export())
    mapping = tmp / "mapping.yaml"
    mapping.write_text("columns: {Q99_trust: trust_people}\n")
    return path, mapping


def _mapping_unknown_target(tmp):
    path = csv(tmp, export().rename(columns={"trust_people": "Q7"}))
    mapping = tmp / "mapping.yaml"
    mapping.write_text("columns: {Q7: trust_in_people}\n")
    return path, mapping


def _excel(frame):
    def make(tmp):
        path = tmp / "survey.xlsx"
        frame().to_excel(path, index=False)
        return path, None

    return make


def _sav(frame, labels=None):
    def make(tmp):
        path = tmp / "survey.sav"
        pyreadstat.write_sav(frame(), str(path), variable_value_labels=labels or {})
        return path, None

    return make


def _sav_truncated(tmp):
    path, _ = _sav(export)(tmp)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    return path, None


def _parquet(frame):
    def make(tmp):
        path = tmp / "survey.parquet"
        frame().to_parquet(path)
        return path, None

    return make


def _parquet_truncated(tmp):
    path, _ = _parquet(lambda: generate(n=40, seed=21))(tmp)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path, None


def _write(name, data):
    def make(tmp):
        path = tmp / name
        path.write_bytes(data)
        return path, None

    return make


def _directory(tmp):
    path = tmp / "survey.csv"
    path.mkdir()
    return path, None


# --- issue 12: mapping files checked against a schema, Excel sheets, headers, waves ---------


def _mapping(text: str | bytes, frame=export):
    """A good survey CSV and a mapping file holding ``text``."""

    def make(tmp):
        path = csv(tmp, frame())
        mapping = tmp / "mapping.yaml"
        mapping.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path, mapping

    return make


def _alias_bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\ncolumns: {Q7: trust_people}\n"


def _excel_two_design_sheets(tmp):
    path = tmp / "survey.xlsx"
    frame = export()
    with pd.ExcelWriter(path) as writer:
        frame.iloc[:20].to_excel(writer, sheet_name="Waves 1-3", index=False)
        frame.iloc[20:].to_excel(writer, sheet_name="Waves 4-6", index=False)
    return path, None


def _excel_absurd_dimension(tmp):
    """A workbook whose sheet declares 2,000,000 rows: more than Excel has."""
    import zipfile

    plain = tmp / "plain.xlsx"
    export().iloc[:, :6].to_excel(plain, index=False)
    path = tmp / "survey.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:F2000000"', data)
                assert b"F2000000" in data
            out.writestr(info, data)
    plain.unlink()
    return path, None


def _csv_truncated_inside_quotes(tmp):
    frame = export()
    frame["comment"] = "fine"
    frame.loc[39, "comment"] = "first line of a long answer\nsecond line, cut short"
    path = csv(tmp, frame)
    raw = path.read_bytes()
    path.write_bytes(raw[: raw.rindex(b"second line") + len(b"second li")])
    return path, None


def _csv_two_near_misses(tmp):
    frame = export().rename(columns={"weight": "Weight"})
    frame["WEIGHT"] = frame["Weight"]
    return csv(tmp, frame), None


def _csv_duplicate_after_stripping(tmp):
    frame = export()
    frame["weight "] = frame["weight"]
    return csv(tmp, frame), None


def _mapping_onto_existing_column(tmp):
    frame = export()
    frame["W2"] = frame["weight"]
    path = csv(tmp, frame)
    mapping = tmp / "mapping.yaml"
    mapping.write_text("columns: {W2: weight}\n", encoding="utf-8")
    return path, mapping


CORPUS = {
    # --- CSV ------------------------------------------------------------------------------
    "csv_truncated": Case(_truncated, None, "truncated", "line 41"),
    "csv_wrong_delimiter": Case(
        lambda t: (csv(t, export(), sep=" "), None), None, "only one column"
    ),
    "csv_header_only": Case(lambda t: (csv(t, export().head(0)), None), None, "no data rows"),
    "csv_duplicated_header": Case(_duplicated_header, "pull_together", "more than once"),
    "csv_mixed_encodings": Case(_mixed_encodings, None, "mixed text encodings", "line 6"),
    "csv_text_in_numeric_column": Case(
        lambda t: (csv(t, changed(export(), 4, "life_satisfaction", "seven")), None),
        "life_satisfaction",
        "text in a numeric column",
        "line 6",
        "seven",
    ),
    "csv_code_outside_scale": Case(
        lambda t: (csv(t, changed(export(), 0, "change_area_run", 6)), None),
        "change_area_run",
        "codes outside the scale",
        "line 2",
        "6",
    ),
    "csv_label_not_in_scale": Case(
        lambda t: (csv(t, changed(export(), 2, "pull_together", "Sort of agree")), None),
        "pull_together",
        "neither a code nor a label",
        "line 4",
        "Sort of agree",
    ),
    "csv_number_out_of_range": Case(
        lambda t: (csv(t, changed(export(), 3, "anxiety", 11)), None),
        "anxiety",
        "outside the range 0 to 10",
        "line 5",
        "11",
    ),
    "csv_negative_weight": Case(
        lambda t: (csv(t, changed(export(), 5, "weight", -0.8)), None),
        "weight",
        "zero or negative weights",
        "line 7",
        "-0.8",
    ),
    "csv_zero_weight": Case(
        lambda t: (csv(t, changed(export(), 6, "weight", 0)), None),
        "weight",
        "zero or negative weights",
        "line 8",
        "0",
    ),
    "csv_missing_weight": Case(
        lambda t: (csv(t, changed(export(), 7, "weight", None)), None),
        "weight",
        "missing weights",
        "line 9",
    ),
    "csv_text_weight": Case(
        lambda t: (csv(t, changed(export(), 8, "weight", "1,25")), None),
        "weight",
        "text in the weight column",
        "line 10",
        "1,25",
    ),
    "csv_duplicate_ids": Case(
        lambda t: (csv(t, changed(export(), 9, "respondent_id", "LC0000001")), None),
        "respondent_id",
        "duplicate respondent ids",
        "line 2",
        "LC0000001",
    ),
    "csv_wave_not_in_codebook": Case(
        lambda t: (csv(t, changed(export(), 10, "wave", 7)), None),
        "wave",
        "waves not in the codebook",
        "line 12",
        "7",
    ),
    "csv_neighbourhood_not_in_codebook": Case(
        lambda t: (csv(t, changed(export(), 11, "neighbourhood", "Atlantis")), None),
        "neighbourhood",
        "neighbourhoods not in the codebook",
        "line 13",
        "Atlantis",
    ),
    "csv_nation_contradicts_neighbourhood": Case(
        lambda t: (
            csv(
                t,
                changed(changed(export(), 12, "neighbourhood", "Lozells"), 12, "nation", "Wales"),
            ),
            None,
        ),
        "nation",
        "does not match",
        "line 14",
        "Wales",
    ),
    "csv_dates_in_three_formats": Case(
        _dates_three_formats, "interview_date", "3 different formats"
    ),
    "csv_unparseable_date": Case(
        lambda t: (csv(t, changed(export(), 13, "interview_date", "2017-13-45")), None),
        "interview_date",
        "cannot be read",
        "line 15",
        "2017-13-45",
    ),
    "csv_missing_required_column": Case(
        lambda t: (csv(t, export().drop(columns=["weight"])), None),
        "weight",
        "required column missing",
    ),
    "csv_too_many_fields": Case(
        _write(
            "survey.csv",
            b"respondent_id,neighbourhood,wave,weight\nA,Lozells,1,1.0\nB,Lozells,1,1.0,extra\n",
        ),
        None,
        "more fields than the header",
    ),
    "csv_zero_bytes": Case(_write("survey.csv", b""), None, "empty (0 bytes)"),
    "csv_binary_content": Case(
        _write("survey.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), None, "binary data"
    ),
    "directory_instead_of_file": Case(_directory, None, "folder, not a file"),
    "unknown_format": Case(_write("survey.json", b"{}"), None, "unknown file format"),
    "csv_truncated_inside_quotes": Case(
        _csv_truncated_inside_quotes, None, "ends inside a quoted field", "line 41"
    ),
    "csv_fractional_wave": Case(
        lambda t: (csv(t, changed(export(), 10, "wave", 2.5)), None),
        "wave",
        "not whole numbers",
        "line 12",
        "2.5",
    ),
    "csv_two_near_miss_columns": Case(_csv_two_near_misses, "Weight", "could each be"),
    "csv_duplicated_header_after_stripping": Case(
        _csv_duplicate_after_stripping, "weight", "more than once", value="weight "
    ),
    "mapping_names_absent_column": Case(_mapping_missing_column, "Q99_trust", "does not have"),
    "mapping_onto_existing_column": Case(
        _mapping_onto_existing_column, "weight", "already has a column"
    ),
    "mapping_columns_as_list": Case(
        _mapping("columns: [Q7, trust_people]\n"),
        "columns",
        "expected a mapping {your column: codebook column}, found a list",
        "line 1",
    ),
    "mapping_column_without_target": Case(
        _mapping("columns:\n  Q7:\n"),
        "columns.Q7",
        "expected the codebook column 'Q7' becomes (text), found nothing",
        "line 2",
    ),
    "mapping_recode_as_text": Case(
        _mapping('recode: "trust_people: 1"\n'),
        "recode",
        "expected a mapping {codebook column: {your value: codebook code}}, found the text",
        "line 1",
        "trust_people: 1",
    ),
    "mapping_recode_values_as_list": Case(
        _mapping("recode:\n  trust_people: [1, 2]\n"),
        "recode.trust_people",
        "expected a mapping {your value: codebook code}, found a list",
        "line 2",
    ),
    "mapping_recode_onto_code_outside_scale": Case(
        _mapping("recode:\n  trust_people: {Mostly: 7}\n"),
        "recode.trust_people.Mostly",
        "not a code of trust_people's scale",
        "line 2",
    ),
    "mapping_date_format_without_day": Case(
        _mapping('date_format: "%Y-%m"\n'),
        "date_format",
        "does not give the day, month and year",
        "line 1",
        "%Y-%m",
    ),
    "mapping_date_format_is_a_date": Case(
        _mapping("date_format: 2017-03-01\n"),
        "date_format",
        "expected a date format written with % codes",
        "line 1",
    ),
    "mapping_not_utf8": Case(
        _mapping("columns:\n  Q7: trust_people\n  Café: weight\n".encode("cp1252")),
        None,
        "not UTF-8 text",
        "line 3",
    ),
    "mapping_unknown_key": Case(
        _mapping("colums: {Q7: trust_people}\n"), "colums", "unknown key", "line 1"
    ),
    "mapping_top_level_list": Case(
        _mapping("- columns: {Q7: trust_people}\n"), None, "found a list"
    ),
    "mapping_synthetic_quoted_no": Case(
        _mapping('synthetic: "no"\n'),
        "synthetic",
        "expected true or false, found the text 'no' in quotes",
        "line 1",
    ),
    "mapping_synthetic_blank": Case(
        _mapping("columns: {}\nsynthetic:\n"),
        "synthetic",
        "expected true or false, found nothing",
        "line 2",
    ),
    "mapping_key_written_twice": Case(
        _mapping("synthetic: false\nsynthetic: true\n"),
        "synthetic",
        "written twice (lines 1 and 2)",
        "line 2",
    ),
    "mapping_alias_bomb": Case(_mapping(_alias_bomb()), None, "aliases"),
    "mapping_onto_unknown_item": Case(
        _mapping_unknown_target, "trust_in_people", "codebook does not have"
    ),
    # --- Excel ----------------------------------------------------------------------------
    "excel_two_sheets_hold_the_survey": Case(
        _excel_two_design_sheets, None, "both hold the survey's columns", value="Waves 4-6"
    ),
    "excel_dimension_beyond_excel": Case(
        _excel_absurd_dimension, None, "beyond what Excel allows", value="2,000,000"
    ),
    "excel_boolean_wave": Case(
        _excel(lambda: changed(export(), 2, "wave", True)),
        "wave",
        "true/false values",
        "line 4",
        "True",
    ),
    "excel_code_outside_scale": Case(
        _excel(lambda: changed(export(), 14, "belong_neighbourhood", 7)),
        "belong_neighbourhood",
        "codes outside the scale",
        "line 16",
        "7",
    ),
    "excel_corrupt": Case(
        _write("survey.xlsx", b"PK\x03\x04 not really a zip"), None, "cannot be opened"
    ),
    # --- SPSS -----------------------------------------------------------------------------
    "spss_duplicate_ids": Case(
        _sav(lambda: changed(export(), 15, "respondent_id", "LC0000002")),
        "respondent_id",
        "duplicate respondent ids",
        "record 2",
        "LC0000002",
    ),
    "spss_zero_weight": Case(
        _sav(lambda: changed(export(), 16, "weight", 0.0)),
        "weight",
        "zero or negative",
        "record 17",
    ),
    "spss_unknown_value_label": Case(
        _sav(
            lambda: changed(export(), 17, "trust_people", 6.0),
            {
                "trust_people": {
                    1: "Many of the people in the neighbourhood can be trusted",
                    2: "Some can be trusted",
                    3: "A few can be trusted",
                    4: "None of the people can be trusted",
                    6: "Not sure",
                }
            },
        ),
        "trust_people",
        "codes outside the scale",
        "record 18",
        "6",
    ),
    "spss_truncated": Case(_sav_truncated, None, "cannot be read"),
    # --- Stata ----------------------------------------------------------------------------
    "stata_wave_not_in_codebook": Case(
        lambda t: (
            pyreadstat.write_dta(
                changed(export(), 18, "wave", 0.0).astype({"wave": float}), str(t / "survey.dta")
            )
            or t / "survey.dta",
            None,
        ),
        "wave",
        "waves not in the codebook",
        "record 19",
        "0",
    ),
    # --- Parquet --------------------------------------------------------------------------
    "parquet_truncated": Case(_parquet_truncated, None, "cannot be read"),
    "parquet_missing_required_column": Case(
        _parquet(lambda: generate(n=40, seed=21).drop(columns=["respondent_id"])),
        "respondent_id",
        "required column missing",
    ),
    "parquet_negative_weight": Case(
        _parquet(
            lambda: generate(n=40, seed=21).assign(
                weight=lambda d: d["weight"].where(d.index != 19, -2.0)
            )
        ),
        "weight",
        "zero or negative",
        "record 20",
        "-2",
    ),
    "parquet_boolean_wave": Case(
        _parquet(lambda: generate(n=40, seed=21).assign(wave=True)),
        "wave",
        "true/false values",
        "record 1",
        "True",
    ),
    "parquet_wave_as_text": Case(
        _parquet(
            lambda: generate(n=40, seed=21).assign(wave=lambda d: "Wave " + d["wave"].astype(str))
        ),
        "wave",
        "waves not in the codebook",
        "record 1",
        "Wave",
    ),
}


def test_the_corpus_has_at_least_25_kinds_across_four_formats():
    assert len(CORPUS) >= 25
    prefixes = {name.split("_")[0] for name in CORPUS}
    assert {"csv", "excel", "spss", "parquet"} <= prefixes


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_bad_file_gives_one_clear_survey_data_error(tmp_path, kind):
    case = CORPUS[kind]
    path, mapping = case.make(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    with pytest.raises(SurveyDataError) as info:
        load_survey(path, mapping=mapping)
    err = info.value
    message = str(err)
    assert path.name in message, message
    assert case.fragment in message, message
    if case.column:
        assert repr(case.column) in message or case.column in message, message
    if case.rows:
        word, number = case.rows.split()
        assert f"{word}" in message and number in message, message
        flagged = [r for p in err.problems for r in p.rows]
        assert int(number) in flagged, (flagged, message)
    if case.value:
        assert case.value in message, message
    assert "Fix:" in message or "Mapping file" in message
    # no chained traceback from pandas or the file readers under the message
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)
    if before is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "input was modified"


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_the_command_line_shows_the_message_and_no_traceback(tmp_path, kind, capsys):
    """``lozells check FILE`` on every kind of bad file: exit status 2, the
    SurveyDataError's message (file and fault named) on stderr, nothing on stdout, no
    exception escaping the command line, and the file left as it was."""
    import hashlib

    from lozells_analysis.cli import main

    path, mapping = CORPUS[kind].make(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    argv = ["check", str(path)] + (["--mapping", str(mapping)] if mapping else [])
    assert main(argv) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("lozells check: ")
    assert CORPUS[kind].fragment in out.err and path.name in out.err
    assert "Traceback" not in out.err and "site-packages" not in out.err
    assert "pandas" not in out.err
    after = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    assert after == before


@pytest.mark.slow  # a real process: the in-process checks above are the quick ones
def test_lozells_check_in_a_real_process_prints_no_traceback(tmp_path):
    import subprocess
    import sys

    path, _ = CORPUS["csv_code_outside_scale"].make(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "lozells_analysis.cli", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "codes outside the scale" in done.stderr and "Traceback" not in done.stderr
