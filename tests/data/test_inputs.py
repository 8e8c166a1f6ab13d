"""Inputs that must load (issue 12): stripped and near-miss headers, quoted fields spanning
lines, the Excel sheet that holds the survey, stray cells far away in a workbook, mapping
files checked against their schema, coded CSV columns read as categoricals.

The bad inputs of the same issue are in the corpus of ``test_bad_input.py``.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Font

from lozells_analysis.data.load import load_mapping, load_survey, read_table
from lozells_analysis.data.synthetic import generate
from lozells_analysis.exceptions import SurveyDataError

from ..survey_exports import export_frame


def _same_as_generated(loaded: pd.DataFrame, n=60, seed=11):
    expected = generate(n=n, seed=seed)
    for col in expected.columns:
        a, b = loaded[col], expected[col]
        if col == "interview_date":
            assert (pd.to_datetime(a).dt.date == b.dt.date).all()
        elif col == "weight":
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col


def _write_sheet(ws, frame: pd.DataFrame) -> None:
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if pd.isna(v) else v for v in row])


def _run_limited(code: str, *, memory_gib: float = 3, timeout: int = 300) -> dict:
    """Run ``code`` in a fresh Python with its address space capped; it prints one JSON line.
    On the code before issue 12 the workbooks below needed gigabytes: the cap turns that
    into a MemoryError (a failed test) rather than a machine brought to its knees."""
    limit = int(memory_gib * 2**30)
    prelude = (
        "import json, resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "from lozells_analysis.data.load import load_survey\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- headers ---------------------------------------------------------------------------------


def test_csv_headers_are_stripped_like_excel(tmp_path):
    frame = export_frame().rename(
        columns={"weight": "Weight ", "wave": " wave", "anxiety": "anxiety "}
    )
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    loaded = load_survey(path)
    _same_as_generated(loaded)
    assert "Weight " not in loaded.columns and "anxiety " not in loaded.columns


def test_parquet_headers_are_stripped_too(tmp_path):
    path = tmp_path / "survey.parquet"
    generate(n=60, seed=11).rename(columns={"weight": "weight ", "wave": "Wave"}).to_parquet(path)
    _same_as_generated(load_survey(path))


def test_a_case_variant_header_is_read_as_the_codebook_column_and_logged(tmp_path, caplog):
    frame = export_frame().rename(columns={"respondent_id": "Respondent ID", "weight": "WEIGHT"})
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    with caplog.at_level(logging.INFO, logger="lozells_analysis"):
        loaded = load_survey(path)
    _same_as_generated(loaded)
    assert "'WEIGHT' read as the codebook's 'weight'" in caplog.text


def test_a_near_miss_beside_the_real_column_is_warned_about_naming_both(tmp_path, caplog):
    frame = export_frame()
    frame["Weight"] = 1.0  # an extra column a researcher may believe is the weight
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="lozells_analysis"):
        loaded = load_survey(path)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, caplog.text
    text = warnings[0].getMessage()
    assert "'weight'" in text and "'Weight'" in text and path.name in text
    _same_as_generated(loaded)  # the exact name is the one used
    assert "Weight" in loaded.columns  # the other is kept, as an extra column


def test_the_near_miss_warning_shows_in_lozells_check(tmp_path, capsys):
    from lozells_analysis.cli import main

    frame = export_frame()
    frame["Weight"] = 1.0
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert "'weight'" in err and "'Weight'" in err and "Traceback" not in err


# --- CSV ---------------------------------------------------------------------------------------


def test_a_csv_whose_last_quoted_field_spans_lines_is_not_truncated(tmp_path):
    frame = export_frame()
    frame["comment"] = ""
    frame.loc[59, "comment"] = 'first line, with a comma\nsecond line "quoted"'
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))  # no line end after the last quote
    assert path.read_bytes().endswith(b'"')
    loaded = load_survey(path)
    _same_as_generated(loaded)
    assert loaded["comment"].iloc[59] == 'first line, with a comma\nsecond line "quoted"'


def test_line_numbers_count_quoted_line_breaks_and_blank_lines(tmp_path):
    frame = export_frame()
    frame["comment"] = ""
    frame.loc[1, "comment"] = "two\nlines"
    frame.loc[4, "anxiety"] = 12
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    lines = path.read_text().split("\n")
    lines.insert(2, "")  # a blank line after the first record
    path.write_text("\n".join(lines))
    with pytest.raises(SurveyDataError) as err:
        load_survey(path)
    (problem,) = err.value.problems
    # header 1, records on 2, 3-4 (two lines), blank 5 -> rows 3, 4, 5 at lines 6, 7, 8
    assert problem.column == "anxiety" and problem.rows == [8]


def test_csv_rows_of_empty_fields_are_dropped_like_excels(tmp_path):
    """``,,,,`` lines (a spreadsheet's formatted but empty rows) are not respondents."""
    frame = export_frame()
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    empty = "," * (len(frame.columns) - 1)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:3] + [empty] + lines[3:] + [empty] * 3) + "\n")
    loaded = load_survey(path)
    _same_as_generated(loaded)
    frame.loc[4, "anxiety"] = 12
    frame.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:3] + [empty] + lines[3:] + [empty] * 3) + "\n")
    with pytest.raises(SurveyDataError) as err:
        load_survey(path)
    (problem,) = err.value.problems
    assert problem.column == "anxiety" and problem.rows == [7]  # row 4: line 6, one empty above


def test_coded_csv_columns_are_read_as_categoricals(tmp_path):
    """The codebook's coded columns arrive as categoricals (one-byte codes), not as a Python
    string per cell: what keeps peak memory under 3x the file (benchmarks/bench_data.py)."""
    path = tmp_path / "survey.csv"
    generate(n=200, seed=3).to_csv(path, index=False)
    frame, rows, _ = read_table(path)
    for col in ("neighbourhood", "nation", "wave", "interview_date", "trust_people", "anxiety"):
        assert isinstance(frame[col].dtype, pd.CategoricalDtype), col
        assert frame[col].cat.codes.dtype.itemsize <= (2 if col == "interview_date" else 1)
    assert frame["respondent_id"].dtype != object and frame["weight"].dtype != object
    assert rows[0] == 2 and rows[-1] == 201
    loaded = load_survey(path)
    assert loaded["trust_people"].dtype == "Int8" and loaded["wave"].dtype == "int64"


def test_a_csv_with_a_short_row_in_the_middle_is_read_by_pandas_as_before(tmp_path):
    frame = export_frame()
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    fields = lines[3].split(",")
    lines[3] = ",".join(fields[:-2])  # the last two answers left off: missing, not an error
    path.write_text("\n".join(lines) + "\n")
    loaded = load_survey(path)
    assert len(loaded) == 60 and pd.isna(loaded.loc[2, "years_in_area"])


def test_recode_keys_match_numbers_written_as_text(tmp_path):
    """A CSV holds "5.0" where the mapping's recode says 5: the recode applies."""
    frame = export_frame()
    frame["change_area_run"] = frame["change_area_run"].map(
        {1: 5, 2: 4, 3: 3, 4: 2, 5: 1, 8: 8, 9: 9}
    )
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("recode:\n  change_area_run: {5: 1, 4: 2, 3: 3, 2: 4, 1: 5}\n")
    _same_as_generated(load_survey(path, mapping=mapping))


# --- Excel -------------------------------------------------------------------------------------


def test_the_one_sheet_holding_the_survey_is_read_wherever_it_is(tmp_path):
    path = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Notes": ["Exported from the survey system"]}).to_excel(
            writer, sheet_name="ReadMe", index=False
        )
        export_frame().to_excel(writer, sheet_name="Responses", index=False)
    loaded = load_survey(path)
    _same_as_generated(loaded)
    assert loaded.attrs["sheet"] == "Responses"


def test_with_two_survey_sheets_the_sheet_option_chooses(tmp_path, capsys):
    from lozells_analysis.cli import main

    path = tmp_path / "survey.xlsx"
    frame = export_frame()
    with pd.ExcelWriter(path) as writer:
        frame.iloc[:20].to_excel(writer, sheet_name="Waves 1-3", index=False)
        frame.iloc[20:].to_excel(writer, sheet_name="Waves 4-6", index=False)
    assert len(load_survey(path, sheet="Waves 4-6")) == 40
    assert len(load_survey(path, sheet=0)) == 20
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("sheet: Waves 4-6\n")
    assert len(load_survey(path, mapping=mapping)) == 40
    assert main(["check", str(path), "--sheet", "Waves 1-3"]) == 0
    assert "20 respondents" in capsys.readouterr().out
    assert main(["check", str(path), "--sheet", "1"]) == 0  # a number is the position
    assert "40 respondents" in capsys.readouterr().out
    with pytest.raises(SurveyDataError, match="no sheet 'Wave 7'"):
        load_survey(path, sheet="Wave 7")


def test_empty_rows_are_dropped_and_rows_keep_their_spreadsheet_numbers(tmp_path):
    frame = export_frame(n=10)
    frame.loc[6, "belong_neighbourhood"] = 7
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False)):
        if i == 3:
            ws.append([])  # a blank spreadsheet row, line 5
        ws.append([None if pd.isna(v) else v for v in row])
    for _ in range(5):
        ws.append([None, " "])  # trailing rows holding only a space
    path = tmp_path / "survey.xlsx"
    wb.save(path)
    with pytest.raises(SurveyDataError) as err:
        load_survey(path)
    (problem,) = err.value.problems
    assert problem.column == "belong_neighbourhood" and problem.rows == [9]  # 2 + 6 + 1 blank


@pytest.mark.slow  # a worksheet at its largest: the reader's worst case
def test_a_stray_blank_cell_at_the_last_excel_row_adds_no_rows(tmp_path):
    """A cell holding a space at A1048576 (and a formatted empty one beside it) makes the
    sheet declare a million rows; they are dropped (the issue: a million phantom rows)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    _write_sheet(ws, export_frame())
    ws.cell(row=1_048_576, column=1).value = " "
    ws.cell(row=1_048_576, column=2).font = Font(bold=True)
    path = tmp_path / "survey.xlsx"
    wb.save(path)
    assert openpyxl.load_workbook(path, read_only=True).active.max_row == 1_048_576
    result = _run_limited(
        f"""
        import time
        t = time.perf_counter()
        survey = load_survey({str(path)!r})
        print(json.dumps({{"rows": len(survey), "seconds": time.perf_counter() - t,
                          "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
        """
    )
    assert result["rows"] == 60
    assert result["peak"] < 1024 * 1024  # KiB: under 1 GiB, importing pandas included


@pytest.mark.slow  # a worksheet at its largest: the reader's worst case
def test_an_unused_sheet_with_a_cell_at_xfd1048576_is_never_parsed(tmp_path):
    """The issue's 13 KB workbook: one cell at XFD1048576 on a sheet the survey does not
    use reached 6.5 GB when every sheet was parsed."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes["XFD1048576"] = "x"
    _write_sheet(wb.create_sheet("Responses"), export_frame())
    path = tmp_path / "survey.xlsx"
    wb.save(path)
    assert path.stat().st_size < 20_000
    result = _run_limited(
        f"""
        survey = load_survey({str(path)!r})
        print(json.dumps({{"rows": len(survey), "sheet": survey.attrs["sheet"],
                          "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
        """
    )
    assert result["rows"] == 60 and result["sheet"] == "Responses"
    assert result["peak"] < 1024 * 1024


# --- mapping files -----------------------------------------------------------------------------


def test_synthetic_in_the_mapping_is_a_real_boolean_and_is_honoured(tmp_path):
    path = tmp_path / "survey.csv"
    export_frame().to_csv(path, index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("synthetic: true\n")
    assert load_survey(path, mapping=mapping).attrs["synthetic"] is True
    mapping.write_text("synthetic: false\n")
    assert load_survey(path, mapping=mapping).attrs["synthetic"] is False
    for bad in ("synthetic: 'false'\n", "synthetic: 0\n", "synthetic:\n"):
        mapping.write_text(bad)
        with pytest.raises(SurveyDataError, match="expected true or false"):
            load_survey(path, mapping=mapping)


def test_a_mapping_given_as_a_dict_is_checked_the_same_way(tmp_path):
    path = tmp_path / "survey.csv"
    export_frame().rename(columns={"wave": "Wave number"}).to_csv(path, index=False)
    loaded = load_survey(path, mapping={"columns": {"Wave number": "wave"}, "synthetic": False})
    _same_as_generated(loaded)
    with pytest.raises(SurveyDataError) as err:
        load_survey(path, mapping={"columns": [["Wave number", "wave"]], "synthetic": "no"})
    assert {p.column for p in err.value.problems} == {"columns", "synthetic"}
    assert path.name in str(err.value)


def test_yes_and_no_on_the_left_of_a_recode_are_answers_not_booleans(tmp_path):
    from lozells_analysis.data.mapping import read_mapping

    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("recode:\n  disability: {Yes: 1, No: 2, Not sure: 8}\n")
    assert read_mapping(mapping).recode == {"disability": {"Yes": 1, "No": 2, "Not sure": 8}}


def test_every_problem_of_a_mapping_file_is_listed_with_key_and_line(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns: [Q7, trust_people]\n"
        'recode: "Q12: 1"\n'
        "date_format: '%d/%m'\n"
        "sheet: [1]\n"
        "synthetic: 'no'\n"
        "colums: {}\n"
    )
    with pytest.raises(SurveyDataError) as err:
        load_mapping(mapping)
    message = str(err.value)
    assert str(mapping) in message and "has 6 problems" in message
    found = {p.column: p.rows for p in err.value.problems}
    assert found == {
        "columns": [1],
        "recode": [2],
        "date_format": [3],
        "sheet": [4],
        "synthetic": [5],
        "colums": [6],
    }
    assert "did you mean 'columns'" in message


def test_a_valid_mapping_round_trips(tmp_path):
    from lozells_analysis.data.mapping import check_mapping

    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns: {RespID: respondent_id, Q12: change_area_run}\n"
        "recode:\n  change_area_run: {Strongly agree: 1, DK: 8}\n"
        "  neighbourhood: {Lozells & East Handsworth: Lozells}\n"
        "sheet: 0\ndate_format: '%d/%m/%Y'\nsynthetic: false\n"
    )
    assert load_mapping(mapping) == {
        "columns": {"RespID": "respondent_id", "Q12": "change_area_run"},
        "recode": {
            "change_area_run": {"Strongly agree": 1, "DK": 8},
            "neighbourhood": {"Lozells & East Handsworth": "Lozells"},
        },
        "sheet": 0,
        "date_format": "%d/%m/%Y",
        "synthetic": False,
    }
    assert check_mapping(None).as_dict() == {}


def test_an_empty_mapping_path_means_no_mapping(tmp_path):
    path = tmp_path / "survey.csv"
    export_frame().to_csv(path, index=False)
    _same_as_generated(load_survey(path, mapping=""))


@pytest.mark.parametrize("where", [Path("missing.yaml"), Path(".")])
def test_a_missing_mapping_file_is_named(tmp_path, where):
    path = tmp_path / "survey.csv"
    export_frame().to_csv(path, index=False)
    with pytest.raises(SurveyDataError, match="mapping file (does not exist|is a folder)"):
        load_survey(path, mapping=tmp_path / where)
