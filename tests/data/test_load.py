"""Loading survey files: every format round-trips, mappings apply, inputs are never changed."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from lozells_analysis.data.load import load_listening_events, load_survey
from lozells_analysis.data.synthetic import generate
from lozells_analysis.exceptions import SurveyDataError

from ..survey_exports import export_frame


def _same_as_generated(loaded: pd.DataFrame, n=60, seed=11):
    expected = generate(n=n, seed=seed)
    assert list(loaded.columns[: len(expected.columns)]) == list(expected.columns)
    for col in expected.columns:
        a, b = loaded[col], expected[col]
        if col == "interview_date":
            assert (pd.to_datetime(a).dt.date == b.dt.date).all()
        elif col == "weight":
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_round_trip_in_each_encoding(tmp_path, encoding):
    frame = export_frame()
    frame["comment"] = "café — £5"
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    before = _sha(path)
    loaded = load_survey(path)
    _same_as_generated(loaded)
    assert loaded["comment"].iloc[0] == "café — £5"
    assert _sha(path) == before
    assert loaded.attrs["synthetic"] is False


@pytest.mark.parametrize("sep", [";", "\t"])
def test_csv_separated_by_semicolons_or_tabs(tmp_path, sep):
    path = tmp_path / "survey.csv"
    export_frame().to_csv(path, index=False, sep=sep)
    _same_as_generated(load_survey(path))


def test_excel_round_trip(tmp_path):
    path = tmp_path / "survey.xlsx"
    export_frame().to_excel(path, index=False)
    before = _sha(path)
    _same_as_generated(load_survey(path))
    assert _sha(path) == before


def test_parquet_round_trip_keeps_the_typed_columns(tmp_path):
    path = tmp_path / "survey.parquet"
    generate(n=60, seed=11).to_parquet(path)
    _same_as_generated(load_survey(path))


def test_stata_round_trip(tmp_path):
    path = tmp_path / "survey.dta"
    frame = export_frame()
    pyreadstat.write_dta(frame, str(path))
    _same_as_generated(load_survey(path))


def test_spss_value_labels_are_honoured_when_the_codes_differ(tmp_path, codebook):
    """An SPSS file coding agreement 5 (definitely agree) .. 1, labelled, loads correctly."""
    frame = export_frame()
    flipped = frame["change_area_run"].map({1: 5, 2: 4, 3: 3, 4: 2, 5: 1, 8: 8, 9: 9})
    frame["change_area_run"] = flipped
    labels = {
        5: "Definitely agree",
        4: "Tend to agree",
        3: "Neither agree nor disagree",
        2: "Tend to disagree",
        1: "Definitely disagree",
        8: "Don't know",
        9: "Refused",
    }
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"change_area_run": labels})
    loaded = load_survey(path)
    _same_as_generated(loaded)
    assert loaded["change_area_run"].dtype == "Int8"


def test_labels_instead_of_codes_are_read(tmp_path, codebook):
    frame = export_frame()
    item = codebook.items["pull_together"]
    frame["pull_together"] = frame["pull_together"].map(
        lambda c: item.labels[int(c)].upper() if pd.notna(c) else ""
    )
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    _same_as_generated(load_survey(path))


def test_a_mapping_file_renames_and_recodes(tmp_path):
    frame = export_frame().rename(
        columns={"respondent_id": "RespID", "change_area_run": "Q12", "neighbourhood": "Area"}
    )
    frame["Area"] = frame["Area"].replace({"Lozells": "Lozells & East Handsworth"})
    frame["Q12"] = frame["Q12"].map(
        {
            1: "Strongly agree",
            2: "Agree",
            3: "Neither",
            4: "Disagree",
            5: "Strongly disagree",
            8: "DK",
            9: "Ref",
        }
    )
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns: {RespID: respondent_id, Q12: change_area_run, Area: neighbourhood}\n"
        "recode:\n"
        "  change_area_run: {Strongly agree: 1, Agree: 2, Neither: 3, Disagree: 4,\n"
        "                    Strongly disagree: 5, DK: 8, Ref: 9}\n"
        "  neighbourhood: {'Lozells & East Handsworth': Lozells}\n"
    )
    loaded = load_survey(path, mapping=mapping)
    _same_as_generated(loaded)


def test_numeric_missing_codes_become_missing(tmp_path):
    frame = export_frame()
    frame.loc[0, "life_satisfaction"] = 88
    frame.loc[1, "anxiety"] = 99
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    loaded = load_survey(path)
    assert pd.isna(loaded.loc[0, "life_satisfaction"]) and pd.isna(loaded.loc[1, "anxiety"])


def test_nation_is_derived_when_absent(tmp_path):
    frame = export_frame().drop(columns=["nation", "interview_date"])
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    loaded = load_survey(path)
    lozells = loaded["neighbourhood"] == "Lozells"
    assert (loaded.loc[lozells, "nation"] == "England").all()


def test_every_problem_is_listed_in_one_error(tmp_path):
    frame = export_frame()
    frame.loc[3, "weight"] = -1
    frame.loc[7, "wave"] = 9
    frame.loc[9, "respondent_id"] = frame.loc[10, "respondent_id"]
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(SurveyDataError) as err:
        load_survey(path)
    message = str(err.value)
    assert "has 3 problems" in message and str(path) in message
    assert {p.column for p in err.value.problems} == {"weight", "wave", "respondent_id"}
    # line numbers as a spreadsheet shows them: header on line 1, row index 3 on line 5
    weight = next(p for p in err.value.problems if p.column == "weight")
    assert weight.rows == [5] and weight.values == ["-1.0"]  # the text as in the file
    ids = next(p for p in err.value.problems if p.column == "respondent_id")
    assert ids.rows == [11, 12]


def test_the_default_is_the_synthetic_survey():
    survey = load_survey()
    assert survey.attrs["synthetic"] is True and len(survey) == 2852
    events = load_listening_events()
    assert events.attrs["synthetic"] is True and {"ward", "codes", "text"} <= set(events)


def test_reads_are_recorded_for_the_report_pipeline(tmp_path, monkeypatch):
    from lozells_analysis.data.tracking import reads_from

    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv("LOZELLS_READS_FILE", str(log))
    path = tmp_path / "survey.csv"
    export_frame().to_csv(path, index=False)
    load_survey(path)
    # the codebook is recorded too (it shapes every report); the survey is the one here
    read = {r["path"]: r for r in reads_from(log)}[str(path.resolve())]
    assert read["path"] == str(path.resolve()) and read["sha256"] == _sha(path)
    assert read["synthetic"] is False


def test_a_mapping_file_is_recorded_as_read_too(tmp_path, monkeypatch):
    from lozells_analysis.data.tracking import reads_from

    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv("LOZELLS_READS_FILE", str(log))
    path = tmp_path / "survey.csv"
    export_frame().rename(columns={"wave": "Wave"}).to_csv(path, index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {Wave: wave}\n")
    load_survey(path, mapping=mapping)
    assert {str(path.resolve()), str(mapping.resolve())} <= {r["path"] for r in reads_from(log)}
