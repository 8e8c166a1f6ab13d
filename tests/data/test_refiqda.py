"""REFI-QDA projects (.qdpx): read in the standard's shape, the same tables as the CSV path,
and a named SurveyDataError for every malformed file.

The fixtures are written by hand here, following the REFI-QDA Project schema (namespace
``urn:QDA-XML:project:1.0``; ``<CodeBook><Codes><Code>``, ``<Variables>``, ``<Cases>``,
``<Sources><TextSource plainTextPath="internal://GUID.txt">`` with the text in
``sources/GUID.txt``, ``<PlainTextSelection startPosition endPosition>`` holding
``<Coding><CodeRef targetGUID>``), not by the library's own writer. Every well-formed
fixture, and every file the writer makes (``lozells generate``'s included), is validated
against the standard's own schema, ``tests/reference/refi-qda/Project.xsd`` (QDA-XML 1.0),
with ``xmlschema``; the malformed ones are those the schema cannot catch (offsets past the
text, a reference to no code) or that are not the schema's XML at all.
"""

from __future__ import annotations

import functools
import re
import uuid
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xmlschema

from lozells_analysis.data.load import load_listening_events, load_stakeholder_interviews
from lozells_analysis.data.qualitative import load_coding_frame
from lozells_analysis.data.refiqda import read_qdpx, read_qdpx_coding_frame, write_qdpx
from lozells_analysis.data.synthetic import write_synthetic
from lozells_analysis.data.synthetic_qualitative import (
    generate_listening_events,
    generate_stakeholder_interviews,
)
from lozells_analysis.exceptions import SurveyDataError
from lozells_analysis.stats.qualitative import code_frequencies, quotes

SCHEMA_PATH = Path(__file__).parents[1] / "reference" / "refi-qda" / "Project.xsd"


@functools.cache
def _schema() -> xmlschema.XMLSchema:
    assert SCHEMA_PATH.is_file(), f"the vendored REFI-QDA schema is missing: {SCHEMA_PATH}"
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def schema_errors(xml: str | bytes) -> list[str]:
    """What the REFI-QDA Project schema finds wrong with ``xml`` (empty when it is valid)."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    return [f"{e.path}: {e.reason}" for e in _schema().iter_errors(text)]


def assert_schema_valid(xml: str | bytes) -> None:
    errors = schema_errors(xml)
    assert not errors, "not valid against the REFI-QDA Project schema:\n" + "\n".join(errors)


def _project_qde(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde")


def _g() -> str:
    return str(uuid.uuid4()).upper()


# codes: a Barriers root, a stage group, codes nested two deep below it, one code never used
ROOT, ACCESS, GP, GP_PHONE, WAIT, UNUSED = (_g() for _ in range(6))
VAR_WARD, VAR_GROUP, VAR_AREA = _g(), _g(), _g()

CODEBOOK = f"""<CodeBook><Codes>
  <Code guid="{ROOT}" name="Barriers" isCodable="false">
    <Code guid="{ACCESS}" name="Getting in" isCodable="false" color="#AA0000">
      <Code guid="{GP}" name="Getting a GP appointment" isCodable="true" color="#FF0000">
        <Description>Appointments</Description>
        <Code guid="{GP_PHONE}" name="Phone queue at 8am" isCodable="true" color="#00FF00"/>
      </Code>
    </Code>
    <Code guid="{WAIT}" name="waiting_times" isCodable="true"/>
    <Code guid="{UNUSED}" name="Trust in services and staff" isCodable="true"/>
  </Code>
</Codes></CodeBook>
<Variables>
  <Variable guid="{VAR_WARD}" name="ward" typeOfVariable="Text"/>
  <Variable guid="{VAR_GROUP}" name="participant_group" typeOfVariable="Text"/>
  <Variable guid="{VAR_AREA}" name="area" typeOfVariable="Text"/>
</Variables>"""


def _case(source: str, ward: str, group: str, area: str = "West Birmingham") -> str:
    values = "".join(
        f'<VariableValue><VariableRef targetGUID="{v}"/><TextValue>{x}</TextValue></VariableValue>'
        for v, x in ((VAR_WARD, ward), (VAR_GROUP, group), (VAR_AREA, area))
    )
    ref = f'<SourceRef targetGUID="{source}"/>'
    return f'<Case guid="{_g()}" name="{ward} {group}">{values}{ref}</Case>'


def _selection(name: str, start: int, end: int, *codes: str) -> str:
    codings = "".join(
        f'<Coding guid="{_g()}" creatingUser="{_g()}"><CodeRef targetGUID="{c}"/></Coding>'
        for c in codes
    )
    return (
        f'<PlainTextSelection guid="{_g()}" name="{name}" startPosition="{start}" '
        f'endPosition="{end}" creationDateTime="2023-01-05T10:00:00Z">{codings}'
        "</PlainTextSelection>"
    )


def _project(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'name="Listening events" origin="NVivo 14" '
        'creationDateTime="2023-01-05T10:00:00Z">'
        f"{body}</Project>"
    )


TEXT_1 = "You ring at eight and they have gone. We waited six hours."
TEXT_2 = "Ms Zoë Ñúñez said: the café queue — 12 hours 😀 — was naïve"  # non-ASCII


def _cut(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def _write(
    path: Path, xml: str, sources: dict[str, str] | None = None, *, valid: bool = True
) -> Path:
    """Zip ``xml`` as project.qde with the text sources; a fixture meant to be well-formed
    (``valid``) is first checked against the standard's schema."""
    if valid:
        assert_schema_valid(xml)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
        for guid, text in (sources or {}).items():
            zf.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
    return path


def _good(tmp_path: Path, text_2: str = TEXT_2, extra_selection: str = "") -> Path:
    s1, s2 = _g(), _g()
    sel_1 = _selection("LE1", *_cut(TEXT_1, "You ring at eight and they have gone."), GP_PHONE)
    sel_2 = _selection("LE2", *_cut(TEXT_1, "We waited six hours."), WAIT, GP)
    sel_3 = _selection("LE3", *_cut(TEXT_2, "the café queue — 12 hours 😀 — was naïve"), WAIT)
    body = (
        CODEBOOK
        + "<Cases>"
        + _case(s1, "Lozells", "Carers")
        + _case(s2, "Alum Rock", "Older people", "East Birmingham")
        + "</Cases><Sources>"
        + f'<TextSource guid="{s1}" name="Lozells event" plainTextPath="internal://{s1}.txt">'
        + sel_1
        + sel_2
        + "</TextSource>"
        + f'<TextSource guid="{s2}" name="Alum Rock event">'
        + f"<PlainTextContent>{text_2}</PlainTextContent>"
        + sel_3
        + extra_selection
        + "</TextSource></Sources>"
    )
    return _write(tmp_path / "events.qdpx", _project(body), {s1: TEXT_1})


def test_reads_nested_codes_cases_and_non_ascii_offsets(tmp_path):
    frame, cf = read_qdpx(_good(tmp_path))
    assert list(frame["excerpt_id"]) == ["LE1", "LE2", "LE3"]
    assert set(frame.columns) == {
        "excerpt_id", "ward", "participant_group", "area", "codes", "text"
    }  # fmt: skip
    # positions count characters (code points), so the emoji and accents shift nothing
    assert frame.loc[2, "text"] == "the café queue — 12 hours 😀 — was naïve"
    assert frame.loc[1, "text"] == "We waited six hours."
    assert frame["ward"].tolist() == ["Lozells", "Lozells", "Alum Rock"]
    assert frame.loc[2, "area"] == "East Birmingham"
    # names matching the project's frame (label or id) take its ids; others a slug
    assert frame["codes"].tolist() == [
        "phone_queue_at_8am",
        "waiting_times;gp_appointment",
        "waiting_times",
    ]
    assert list(cf.barriers) == ["gp_appointment", "phone_queue_at_8am", "waiting_times", "trust"]
    assert cf.barriers["gp_appointment"].stage == "access"  # from its yaml code
    assert cf.barriers["phone_queue_at_8am"].stage == "access"  # from its parent "Getting in"
    assert cf.barriers["gp_appointment"].description == "Appointments"


def test_a_code_no_selection_uses_is_listed_with_zero(tmp_path):
    events = load_listening_events(_good(tmp_path))
    assert isinstance(events.attrs["coding_frame"], type(load_coding_frame()))
    freq = code_frequencies(events)  # the frame comes from the file
    trust = freq.set_index("variable").loc["trust"]
    assert trust["n_excerpts"] == 0 and trust["n"] == 3
    assert set(freq["variable"]) == set(load_coding_frame(_good(tmp_path)).barriers)


def test_selection_offsets_past_the_end_are_named(tmp_path):
    bad = _selection("LE9", 0, len(TEXT_2) + 1, WAIT)
    path = _good(tmp_path, extra_selection=bad)
    with pytest.raises(SurveyDataError, match=r"events\.qdpx.*PlainTextSelection.*LE9.*outside"):
        read_qdpx(path)


def test_unknown_code_guid_is_named(tmp_path):
    ghost = _g()
    path = _good(tmp_path, extra_selection=_selection("LE9", 0, 3, ghost))
    with pytest.raises(SurveyDataError, match=rf"events\.qdpx.*CodeRef targetGUID='{ghost}'"):
        load_listening_events(path)


def test_not_a_zip(tmp_path):
    path = tmp_path / "events.qdpx"
    path.write_text("excerpt_id,codes\n")
    with pytest.raises(SurveyDataError, match=r"events\.qdpx: file: not a zip"):
        load_listening_events(path)


def test_no_project_qde(tmp_path):
    path = tmp_path / "events.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("sources/a.txt", "x")
    with pytest.raises(SurveyDataError, match=r"events\.qdpx: project\.qde: the zip holds no"):
        read_qdpx(path)


def test_xml_that_does_not_parse(tmp_path):
    path = _write(tmp_path / "events.qdpx", _project(CODEBOOK)[:-20], valid=False)
    with pytest.raises(SurveyDataError, match=r"events\.qdpx: project\.qde: the XML does not"):
        read_qdpx(path)


def test_wrong_root_element(tmp_path):
    path = _write(tmp_path / "events.qdpx", "<Project/>", valid=False)  # no namespace
    with pytest.raises(SurveyDataError, match=r"events\.qdpx.*not <Project> in the namespace"):
        read_qdpx(path)


def test_source_text_missing_from_the_zip(tmp_path):
    s = _g()
    body = (
        f'{CODEBOOK}<Sources><TextSource guid="{s}" name="Transcript 4" '
        f'plainTextPath="internal://{s}.txt">{_selection("LE1", 0, 2, WAIT)}'
        "</TextSource></Sources>"
    )
    path = _write(tmp_path / "events.qdpx", _project(body))
    with pytest.raises(
        SurveyDataError, match=rf"events\.qdpx: <TextSource name='Transcript 4'>.*sources/{s}\.txt"
    ):
        read_qdpx(path)


def test_planted_phone_number_in_a_qdpx_source_is_redacted(tmp_path):
    text = "Ring me on 07700 900123 about the wait."
    s = _g()
    body = (
        f"{CODEBOOK}<Cases>{_case(s, 'Lozells', 'Carers')}</Cases>"
        f'<Sources><TextSource guid="{s}" name="t" plainTextPath="internal://{s}.txt">'
        f"{_selection('LE1', 0, len(text), WAIT)}</TextSource></Sources>"
    )
    events = load_listening_events(_write(tmp_path / "e.qdpx", _project(body), {s: text}))
    assert events.loc[0, "text"] == text
    quote = quotes(events, "waiting_times", n=1)["quote"].iloc[0]
    assert "07700" not in quote and "[phone]" in quote


def test_small_groups_are_suppressed_as_for_csv(tmp_path):
    events = load_listening_events(_good(tmp_path))
    freq = code_frequencies(events, by="ward", min_n=3)
    assert freq["suppressed"].all() and freq["n_excerpts"].isna().all()


@pytest.mark.parametrize("kind", ["barriers", "themes"])
def test_round_trip_gives_the_csv_tables(tmp_path, kind):
    if kind == "barriers":
        frame, by, column = generate_listening_events(n_excerpts=80, seed=3), "ward", "codes"
        load = load_listening_events
    else:
        frame, column = generate_stakeholder_interviews(n_excerpts=50, seed=3), "themes"
        by, load = "stakeholder_type", load_stakeholder_interviews
    frame.to_csv(tmp_path / "x.csv", index=False)
    write_qdpx(frame, load_coding_frame(), tmp_path / "x.qdpx")
    assert zipfile.ZipFile(tmp_path / "x.qdpx").testzip() is None
    from_csv, from_qdpx = load(tmp_path / "x.csv"), load(tmp_path / "x.qdpx")
    assert sorted(from_csv.columns) == sorted(from_qdpx.columns)
    for grouping in (None, by):
        a = code_frequencies(from_csv, column, kind, by=grouping, min_n=5)
        b = code_frequencies(from_qdpx, column, kind, by=grouping, min_n=5)
        pd.testing.assert_frame_equal(a, b)
    merged = from_csv.merge(from_qdpx, on="excerpt_id")
    assert len(merged) == len(frame)
    assert (merged["text_x"] == merged["text_y"]).all()
    assert from_qdpx["excerpt_id"].tolist() == from_csv["excerpt_id"].tolist()
    pick = code_frequencies(from_csv, column, kind)["variable"].iloc[0]
    pd.testing.assert_frame_equal(
        quotes(from_csv, pick, column, kind, n=3), quotes(from_qdpx, pick, column, kind, n=3)
    )
    # the same data give the same bytes (stable GUIDs, fixed zip dates)
    write_qdpx(frame, load_coding_frame(), tmp_path / "y.qdpx", name="x")
    assert (tmp_path / "x.qdpx").read_bytes() == (tmp_path / "y.qdpx").read_bytes()


def test_coding_frame_of_a_qdpx(tmp_path):
    write_qdpx(
        generate_stakeholder_interviews(n_excerpts=20), load_coding_frame(), tmp_path / "s.qdpx"
    )
    cf = read_qdpx_coding_frame(tmp_path / "s.qdpx")
    assert cf.themes == load_coding_frame().themes
    assert cf.barriers == {}


# --- the standard's schema ----------------------------------------------------------------------


def test_the_schema_check_finds_what_the_schema_forbids():
    """The validation is live: element order, a required attribute, a GUID, a date."""
    sel = _selection("LE1", 0, 3, WAIT)
    good = _project(
        f"{CODEBOOK}<Sources><TextSource guid='{_g()}' name='t'>"
        f"<PlainTextContent>abc</PlainTextContent>{sel}</TextSource></Sources>"
    )
    assert schema_errors(good) == []
    sources = good[good.index("<Sources>") : good.index("</Sources>") + len("</Sources>")]
    wrong_order = good.replace(sources, "").replace("<CodeBook>", sources + "<CodeBook>")
    no_end = good.replace(' endPosition="3"', "")
    bad_guid = good.replace(
        f'guid="{WAIT}" name="waiting_times"', 'guid="W1" name="waiting_times"'
    )
    bad_date = good.replace(
        'creationDateTime="2023-01-05T10:00:00Z">', 'creationDateTime="5/1/23">'
    )
    for xml in (wrong_order, no_end, bad_guid, bad_date):
        assert xml != good
        assert schema_errors(xml), xml


@pytest.mark.slow
def test_lozells_generate_writes_qdpx_valid_against_the_schema(tmp_path):
    paths = write_synthetic(tmp_path, n=200)
    for key in ("listening_events_qdpx", "stakeholder_interviews_qdpx"):
        assert_schema_valid(_project_qde(paths[key]))
    # the event date is a Date variable with xsd:date values, read back as the CSV has it
    qde = _project_qde(paths["listening_events_qdpx"]).decode("utf-8")
    assert re.search(r'name="event_date" typeOfVariable="Date"', qde)
    assert re.search(r"<DateValue>\d{4}-\d{2}-\d{2}</DateValue>", qde)
    csv = load_listening_events(paths["listening_events"])
    qdpx = load_listening_events(paths["listening_events_qdpx"])
    assert sorted(qdpx["event_date"].unique()) == sorted(csv["event_date"].unique())


def test_the_writer_types_variables_and_stays_valid(tmp_path):
    frame = pd.DataFrame(
        {
            "excerpt_id": ["S1", "S2", "S3"],
            "interview_id": ["INT1", "INT2", "INT2"],
            "visits": [3, 12, 12],
            "score": [0.5, 1e-05, 1e-05],
            "returning": [True, False, False],
            "held_on": pd.to_datetime(["2023-01-05", "2023-02-01", "2023-02-01"]),
            "recorded": pd.to_datetime(
                ["2023-01-05 10:30", "2023-02-01 09:00", "2023-02-01 09:00"]
            ),
            "themes": ["connected", "welcomed;connected", ""],
            "text": ["One.", "Two.", ""],
        }
    )
    out = write_qdpx(frame, load_coding_frame(), tmp_path / "typed.qdpx")
    qde = _project_qde(out)
    assert_schema_valid(qde)
    text = qde.decode("utf-8")
    for name, kind in (
        ("interview_id", "Text"),
        ("visits", "Integer"),
        ("score", "Float"),
        ("returning", "Boolean"),
        ("held_on", "Date"),
        ("recorded", "DateTime"),
    ):
        assert f'name="{name}" typeOfVariable="{kind}"' in text
    for value in (
        "<IntegerValue>12</IntegerValue>",
        "<FloatValue>0.00001</FloatValue>",  # xsd:decimal has no exponent
        "<BooleanValue>false</BooleanValue>",
        "<DateValue>2023-02-01</DateValue>",
        "<DateTimeValue>2023-01-05T10:30:00</DateTimeValue>",
    ):
        assert value in text
    back, _ = read_qdpx(out, "themes")
    assert back["visits"].tolist() == [3, 12, 12]
    assert back["returning"].tolist() == [True, False, False]
    assert back["held_on"].tolist() == ["2023-01-05", "2023-02-01", "2023-02-01"]


def test_a_project_with_no_excerpts_is_still_valid(tmp_path):
    frame = generate_stakeholder_interviews(n_excerpts=5).iloc[0:0]
    out = write_qdpx(frame, load_coding_frame(), tmp_path / "empty.qdpx")
    assert_schema_valid(_project_qde(out))
    back, _ = read_qdpx(out, "themes")
    assert back.empty


# --- what the offsets count ---------------------------------------------------------------------

# Z o e ̈ ␠ s a i d ␠ 😀 ␠ t h e n ␠ e ́ t e ́ ␠ o k : 25 code points. The emoji (U+1F600) is
# one, each combining accent (U+0308, U+0301) one more. Counted in UTF-16 code units the emoji
# would be two and "ok" would sit at 24-26, past the end; counted in UTF-8 bytes, further still.
TEXT_3 = "Zoe\u0308 said \U0001f600 then e\u0301te\u0301 ok"


def test_offsets_count_code_points_from_zero_end_exclusive(tmp_path):
    assert len(TEXT_3) == 25 and len(TEXT_3.encode("utf-16-le")) // 2 == 26
    s = _g()
    sels = (
        _selection("LE1", 0, 4, WAIT)  # "Zoë" with its combining diaeresis: four
        + _selection("LE2", 10, 11, WAIT)  # the emoji alone: one
        + _selection("LE3", 17, 22, WAIT)  # "été" as e + U+0301 + t + e + U+0301: five
        + _selection("LE4", 23, 25, WAIT)  # "ok", ending at the text's end
    )
    body = (
        f"{CODEBOOK}<Sources><TextSource guid='{s}' name='t' plainTextPath='internal://{s}.txt'>"
        f"{sels}</TextSource></Sources>"
    )
    # the source file is UTF-8 with a byte-order mark, which is not text and counts nothing
    path = tmp_path / "events.qdpx"
    _write(path, _project(body))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(f"sources/{s}.txt", "\ufeff".encode() + TEXT_3.encode("utf-8"))
    frame, _ = read_qdpx(path)
    assert frame["text"].tolist() == [
        "Zoe\u0308",
        "\U0001f600",
        "e\u0301te\u0301",
        "ok",
    ]
    assert frame.loc[2, "text"] != "été"  # never normalised (NFC would shift every offset)
    bad = _write(
        tmp_path / "utf16.qdpx",
        _project(
            body.replace(
                'startPosition="23" endPosition="25"', 'startPosition="24" endPosition="26"'
            )
        ),
    )
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr(f"sources/{s}.txt", TEXT_3.encode("utf-8"))
    with pytest.raises(SurveyDataError, match=r"LE4.*offsets 24-26 fall outside.*25 characters"):
        read_qdpx(bad)


def test_the_writer_counts_offsets_as_the_reader_does(tmp_path):
    frame = pd.DataFrame(
        {
            "excerpt_id": ["LE1", "LE2", "LE3"],
            "ward": ["Lozells"] * 3,
            "codes": ["waiting_times"] * 3,
            "text": ["\U0001f600 e\u0301", "ok", "Ms Zoë Ñúñez"],
        }
    )
    out = write_qdpx(frame, load_coding_frame(), tmp_path / "w.qdpx")
    qde = _project_qde(out).decode("utf-8")
    assert_schema_valid(qde)
    offsets = re.findall(r'name="(LE\d)" startPosition="(\d+)" endPosition="(\d+)"', qde)
    # "😀 é" is 4 code points (emoji, space, e, U+0301), then the blank line between excerpts
    assert offsets == [("LE1", "0", "4"), ("LE2", "6", "8"), ("LE3", "10", "22")]
    back, _ = read_qdpx(out)
    assert back["text"].tolist() == frame["text"].tolist()


def test_guids_in_braces_or_lower_case_are_the_same_guid(tmp_path):
    s = _g()
    sel = _selection("LE1", 0, 3, "{" + WAIT.lower() + "}")
    body = (
        f"{CODEBOOK}<Sources><TextSource guid='{{{s.lower()}}}' name='t'>"
        f"<PlainTextContent>abc</PlainTextContent>{sel}</TextSource></Sources>"
    )
    frame, _ = read_qdpx(_write(tmp_path / "events.qdpx", _project(body)))
    assert frame["codes"].tolist() == ["waiting_times"]
