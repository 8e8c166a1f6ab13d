"""Coded qualitative data in the REFI-QDA exchange standard (``.qdpx``).

NVivo, ATLAS.ti, MAXQDA and QualCoder all export a project as a ``.qdpx`` file: a zip
holding ``project.qde`` (XML in the REFI-QDA Project namespace ``urn:QDA-XML:project:1.0``,
schema ``Project.xsd`` of QDA-XML 1.0, 18 March 2019, vendored in
``tests/reference/refi-qda/``) and ``sources/`` with the text sources. :func:`read_qdpx`
turns one into the frames the CSV path gives
(:func:`lozells_analysis.data.load.load_listening_events`): one row per coded text selection
(``<PlainTextSelection>``), its text cut from the source by the selection's offsets, its
codes (``<Coding><CodeRef>``) as the ``;``-separated ``codes``/``themes`` column, and the
case variables of its source (``<Cases>``/``<Variables>``, e.g. event, area, ward,
participant group) as columns. The codes (``<CodeBook>``, nested ``<Code>`` elements) become
a :class:`~lozells_analysis.data.coding.CodingFrame`: a code whose name is the id or the
label of a code in ``data/qualitative_codes.yaml`` takes that code's id, so a project coded
with the project's frame gives the same tables; other codes get an id made from their name.
Codes under a top-level code named "Barriers" or "Themes" go to that part of the frame
(with no such code, every code goes to both); a barrier's stage comes from a parent code
named "access"/"Getting in" or "within"/"Once in".

What ``startPosition`` and ``endPosition`` count
    The schema types them only as ``xsd:integer`` (required on every selection) and says
    nothing of the unit; a text selection is a span of the source's plain text, which is
    read here as UTF-8. Here they count
    **Unicode code points** of the source's plain text (a Python ``str`` index), **from 0**,
    with ``endPosition`` **exclusive**: the selection is ``text[startPosition:endPosition]``
    and is ``endPosition - startPosition`` code points long. That is what the exporters we
    could read do: QualCoder writes the ``pos0``/``pos1`` of its coded text, a Python slice of
    the file's text, as ``startPosition``/``endPosition``; OpenQDA's documentation gives the
    word "fox" in "The quick brown fox ..." as 16:19 (three characters from 16). So an emoji
    outside the Basic Multilingual Plane (😀, U+1F600) is one position, a letter with a
    combining accent (``e`` + U+0301) is two, and the text is never normalised (NFC would
    move every later offset) nor are its line endings changed (``\r\n`` is two positions).
    A byte BOM at the start of a source file is not text and is dropped before counting.
    Tools that count UTF-16 code units (Windows software; NVivo is reported to) put every
    position after an astral character one further per such character: their selections
    of text with emoji come out shifted here, and ours in them. Text without characters
    beyond U+FFFF, which is nearly all interview text, is counted the same by both.

Why the standard library (``zipfile`` + ``xml.etree.ElementTree``) and not ``pyrefiqda``
    That package is young, and the project needs only a small subset of the schema (codes,
    text sources, text selections and their codings, cases and variables); reading that
    subset takes a few dozen lines with no new dependency to pin, audit and keep working,
    and it lets every malformed file fail with a
    :class:`~lozells_analysis.exceptions.SurveyDataError` naming the file and the element at
    fault, rather than a third-party traceback. ``lxml`` would add schema validation, but
    exporters do not all follow the schema to the letter (element order, GUIDs in braces),
    so the reader checks what it uses and no more: it is lenient where the meaning is clear
    (a GUID in braces or lower case is the same GUID) and strict where a table would be
    wrong (offsets outside the text, a code or variable that is not defined). ``ElementTree``
    does not resolve external entities, so a hostile file cannot read local files. Audio,
    video, PDF and picture sources are ignored (only text is coded here).

:func:`write_qdpx` writes excerpts and a coding frame as a ``.qdpx`` valid against the
standard's schema (the tests validate every file it writes, and every well-formed fixture,
against the vendored ``Project.xsd``); the synthetic data are written in both forms, so the
round trip is tested.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from lozells_analysis.data.coding import Code, CodingFrame, read_yaml_frame
from lozells_analysis.exceptions import SurveyDataError
from lozells_analysis.paths import data_dir

__all__ = ["NS", "read_qdpx", "read_qdpx_coding_frame", "write_qdpx"]

NS = "urn:QDA-XML:project:1.0"
_Q = f"{{{NS}}}"
_PROJECT = "project.qde"
_INTERNAL = "internal://"
_COLUMN = {"barriers": "codes", "themes": "themes"}
_STAGES = {"access": "access", "getting in": "access", "within": "within", "once in": "within"}
_VALUES = ("TextValue", "IntegerValue", "FloatValue", "BooleanValue", "DateValue")
_PALETTE = ("#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D")
_GUIDS = uuid.UUID("6f1d3c2a-8b7e-4f0a-9c51-2d4e6a8b0c13")  # uuid5 namespace: stable GUIDs


def _guid_of(raw: str | None) -> str:
    """A GUID as compared here: upper case, without the braces the schema also allows."""
    return (raw or "").strip().strip("{}").upper()


def _fail(path: Path, element: str, message: str, fix: str) -> NoReturn:
    raise SurveyDataError(f"{path}: {element}: {message}. {fix}", path=str(path))


@dataclass
class _QdaCode:
    guid: str
    name: str
    codable: bool
    color: str | None
    description: str | None
    ancestors: tuple[str, ...]


@dataclass
class _Selection:
    guid: str
    name: str
    start: int
    end: int
    codes: list[str] = field(default_factory=list)


@dataclass
class _Source:
    guid: str
    name: str
    text: str
    selections: list[_Selection]
    values: dict[str, Any]


# --- reading the zip and the XML ----------------------------------------------------------------


def _open(path: Path) -> tuple[ET.Element, dict[str, bytes]]:
    """The ``<Project>`` root and the bytes of every member under ``sources/``."""
    if not path.is_file():
        _fail(path, "file", "the file does not exist", "check the path of the .qdpx export.")
    if not zipfile.is_zipfile(path):
        _fail(path, "file", "not a zip archive, so not a REFI-QDA project", "export again.")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        if _PROJECT not in names:
            _fail(
                path,
                _PROJECT,
                f"the zip holds no {_PROJECT} (it holds: {', '.join(names[:5]) or 'nothing'})",
                "export the whole project in the REFI-QDA format (.qdpx).",
            )
        xml = zf.read(_PROJECT)
        sources = {n: zf.read(n) for n in names if n.startswith("sources/")}
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as err:
        _fail(path, _PROJECT, f"the XML does not parse ({err})", "export the project again.")
    if root.tag != f"{_Q}Project":
        _fail(
            path,
            f"{_PROJECT} <{root.tag}>",
            f"the root element is not <Project> in the namespace {NS}",
            "export in the REFI-QDA Project format.",
        )
    return root, sources


def _int(path: Path, el: ET.Element, attr: str, where: str) -> int:
    raw = el.get(attr)
    try:
        return int(raw or "")
    except ValueError:
        _fail(path, where, f"{attr}={raw!r} is not a whole number", "fix or re-export.")


def _codes(path: Path, root: ET.Element) -> list[_QdaCode]:
    out: list[_QdaCode] = []

    def walk(parent: ET.Element, ancestors: tuple[str, ...]) -> None:
        for el in parent.findall(f"{_Q}Code"):
            guid, name = _guid_of(el.get("guid")), el.get("name") or ""
            if not guid or not name:
                _fail(path, f"<Code name={name!r}>", "a code needs a guid and a name", "")
            desc = el.findtext(f"{_Q}Description")
            codable = (el.get("isCodable") or "true").strip().lower() == "true"
            out.append(_QdaCode(guid, name, codable, el.get("color"), desc, ancestors))
            walk(el, (*ancestors, name))

    for codes in root.iterfind(f"{_Q}CodeBook/{_Q}Codes"):
        walk(codes, ())
    return out


def _value(el: ET.Element) -> Any:
    for tag in _VALUES:
        raw = el.findtext(f"{_Q}{tag}")
        if raw is not None:
            if tag == "IntegerValue":
                return int(raw)
            if tag == "FloatValue":
                return float(raw)
            if tag == "BooleanValue":
                return raw.strip().lower() == "true"
            return raw
    return el.findtext(f"{_Q}DateTimeValue")


def _values(path: Path, el: ET.Element, variables: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for vv in el.findall(f"{_Q}VariableValue"):
        ref = vv.find(f"{_Q}VariableRef")
        target = _guid_of(ref.get("targetGUID")) if ref is not None else ""
        if target not in variables:
            _fail(path, f"<VariableRef targetGUID={target!r}>", "no such <Variable>", "")
        try:
            out[variables[target]] = _value(vv)
        except ValueError as err:
            _fail(path, f"<VariableValue> of {variables[target]!r}", str(err), "")
    return out


def _text(path: Path, el: ET.Element, sources: dict[str, bytes]) -> str:
    where = f"<TextSource name={el.get('name')!r}>"
    inline = el.findtext(f"{_Q}PlainTextContent")
    ref = el.get("plainTextPath")
    if ref is None:
        if inline is None:
            _fail(path, where, "neither plainTextPath nor <PlainTextContent>", "re-export.")
        return inline
    if not ref.startswith(_INTERNAL):
        _fail(path, where, f"plainTextPath {ref!r} is outside the project", "export the sources.")
    member = "sources/" + ref[len(_INTERNAL) :]
    if member not in sources:
        _fail(path, where, f"the text file {member} is missing from the zip", "re-export.")
    try:
        return sources[member].decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        _fail(path, f"{where} {member}", f"not UTF-8 text ({err})", "re-export.")


def _selections(path: Path, el: ET.Element, text: str, codes: set[str]) -> list[_Selection]:
    out = []
    for sel in el.findall(f"{_Q}PlainTextSelection"):
        name = sel.get("name") or ""
        guid = _guid_of(sel.get("guid"))
        where = f"<PlainTextSelection guid={guid!r} name={name!r}> in <TextSource " + (
            f"name={el.get('name')!r}>"
        )
        start = _int(path, sel, "startPosition", where)
        end = _int(path, sel, "endPosition", where)
        if not 0 <= start <= end <= len(text):
            _fail(
                path,
                where,
                f"offsets {start}-{end} fall outside the source text ({len(text)} characters)",
                "positions count characters from 0; re-export the project.",
            )
        s = _Selection(guid, name, start, end)
        for ref in sel.iterfind(f"{_Q}Coding/{_Q}CodeRef"):
            target = _guid_of(ref.get("targetGUID"))
            if target not in codes:
                _fail(path, f"{where} <CodeRef targetGUID={target!r}>", "no such <Code>", "")
            s.codes.append(target)
        out.append(s)
    return out


def _parse(path: Path) -> tuple[list[_QdaCode], list[_Source]]:
    root, files = _open(path)
    codes = _codes(path, root)
    known = {c.guid for c in codes}
    variables = {
        _guid_of(v.get("guid")): v.get("name") or ""
        for v in root.iterfind(f"{_Q}Variables/{_Q}Variable")
    }
    sources = []
    for el in root.iterfind(f"{_Q}Sources/{_Q}TextSource"):
        text = _text(path, el, files)
        sel = _selections(path, el, text, known)
        guid = _guid_of(el.get("guid"))
        sources.append(
            _Source(guid, el.get("name") or "", text, sel, _values(path, el, variables))
        )
    by_guid = {s.guid: s for s in sources}
    for case in root.iterfind(f"{_Q}Cases/{_Q}Case"):
        values = _values(path, case, variables)
        for ref in case.iterfind(f"{_Q}SourceRef"):
            target = _guid_of(ref.get("targetGUID"))
            if target in by_guid:
                by_guid[target].values.update(values)
    return codes, sources


# --- codes to a coding frame --------------------------------------------------------------------


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_") or "code"


def _frame_codes(codes: list[_QdaCode], kind: str) -> dict[str, Code]:
    """guid -> Code for the codable codes of the ``kind`` part of the frame."""
    roots = {c.name.casefold() for c in codes if not c.ancestors}
    mine = [
        c
        for c in codes
        if c.codable
        and (not roots & set(_COLUMN) or (c.ancestors and c.ancestors[0].casefold() == kind))
    ]
    known = read_yaml_frame(str(data_dir() / "qualitative_codes.yaml")).frame(kind)
    lookup = {k.casefold(): v for k, v in known.items()}
    lookup.update({v.label.casefold(): v for v in known.values()})
    out: dict[str, Code] = {}
    used: set[str] = set()
    for c in mine:
        match = lookup.get(c.name.strip().casefold())
        stage = next((_STAGES[a.casefold()] for a in c.ancestors if a.casefold() in _STAGES), None)
        if match is not None:
            code = Code(
                match.id, match.label, match.stage or stage, c.description or match.description
            )
        else:
            code = Code(_slug(c.name), c.name, stage, c.description)
        ident, k = code.id, 2
        while ident in used:
            ident, k = f"{code.id}_{k}", k + 1
        used.add(ident)
        out[c.guid] = Code(ident, code.label, code.stage, code.description)
    return out


def read_qdpx_coding_frame(path: str | Path) -> CodingFrame:
    """The coding frame of a ``.qdpx`` project (see the module docstring for the mapping)."""
    p = Path(path)
    codes, _ = _parse(p)
    barriers, themes = _frame_codes(codes, "barriers"), _frame_codes(codes, "themes")
    return CodingFrame({c.id: c for c in barriers.values()}, {c.id: c for c in themes.values()})


def read_qdpx(path: str | Path, kind: str = "barriers") -> tuple[pd.DataFrame, CodingFrame]:
    """Excerpts (one row per coded text selection) and the coding frame of a ``.qdpx``.

    Columns: ``excerpt_id`` (the selection's name, or its GUID), the case variables, the
    codes (``codes`` for ``kind="barriers"``, ``themes`` for ``"themes"``; ids of the
    returned frame, ``;``-separated) and ``text`` (the source text between the offsets).

    Raises
    ------
    SurveyDataError
        Naming the file and the element at fault: not a zip, no ``project.qde``, XML that
        does not parse, offsets outside the source, an unknown code GUID, a missing source.
    """
    p = Path(path)
    codes, sources = _parse(p)
    frame_codes = _frame_codes(codes, kind)
    names = {c.guid: c.name for c in codes}
    rows = []
    for src in sources:
        for sel in src.selections:
            ids = []
            for g in sel.codes:
                if g not in frame_codes:
                    _fail(
                        p,
                        f"<PlainTextSelection guid={sel.guid!r}> <CodeRef> to {names[g]!r}",
                        f"the code is not a codable {kind[:-1]} code",
                        "code with the codes of the coding frame.",
                    )
                if frame_codes[g].id not in ids:
                    ids.append(frame_codes[g].id)
            rows.append(
                {
                    "excerpt_id": sel.name or sel.guid,
                    **src.values,
                    _COLUMN[kind]: ";".join(ids),
                    "text": src.text[sel.start : sel.end],
                }
            )
    frame = pd.DataFrame(rows, columns=None if rows else ["excerpt_id", _COLUMN[kind], "text"])
    # in excerpt order, as a CSV export lists them (sources group them otherwise), so that
    # the same excerpts give the same quotes whichever way they come
    frame = frame.sort_values("excerpt_id", kind="stable", key=lambda s: s.astype(str))
    frame = frame.reset_index(drop=True)
    cf = read_qdpx_coding_frame(p)
    return frame, cf


# --- writing ------------------------------------------------------------------------------------


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_GUIDS, "/".join(map(str, parts)))).upper()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _variable_type(column: pd.Series) -> str:
    """The REFI-QDA ``typeOfVariable`` of a column: Date for dates (a datetime column whose
    times are all midnight, or text that is all ``YYYY-MM-DD``), DateTime, Boolean,
    Integer, Float, else Text."""
    values = column.dropna()
    if pd.api.types.is_bool_dtype(column):
        return "Boolean"
    if pd.api.types.is_integer_dtype(column):
        return "Integer"
    if pd.api.types.is_float_dtype(column):
        return "Float" if np.isfinite(values.to_numpy(dtype=float)).all() else "Text"
    if pd.api.types.is_datetime64_any_dtype(column):
        if getattr(column.dt, "tz", None) is None and (values == values.dt.normalize()).all():
            return "Date"
        return "DateTime"
    if len(values) and all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in values):
        return "Date"
    return "Text"


def _typed_value(value: Any, kind: str) -> tuple[str, str]:
    """(element, text) of a ``<VariableValue>`` of type ``kind``, in the schema's lexical form
    (``xsd:date``, ``xsd:dateTime``, ``xsd:boolean``, ``xsd:integer``, ``xsd:decimal``)."""
    if kind == "Date":
        return "DateValue", pd.Timestamp(str(value)).date().isoformat()
    if kind == "DateTime":
        stamp = pd.Timestamp(value)
        return "DateTimeValue", stamp.isoformat()
    if kind == "Boolean":
        return "BooleanValue", "true" if value else "false"
    if kind == "Integer":
        return "IntegerValue", str(int(value))
    if kind == "Float":
        return "FloatValue", format(Decimal(repr(float(value))), "f")
    return "TextValue", _text_value(value)


def _text_value(value: object) -> str:
    """A value as text, for a source's name (dates without a time of day as ``YYYY-MM-DD``)."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return str(value)


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, f"{_Q}{tag}", attrs)


def _codebook(project: ET.Element, codes: dict[str, Code], kind: str) -> dict[str, str]:
    """Write ``<CodeBook>``: a root code for ``kind``, stage groups, the codes; id -> guid."""
    top = _sub(_sub(_sub(project, "CodeBook"), "Codes"), "Code")
    top.attrib.update(guid=_guid(kind), name=kind.capitalize(), isCodable="false")
    groups: dict[str | None, ET.Element] = {}
    guids = {}
    for i, code in enumerate(codes.values()):
        parent = top
        if code.stage:
            if code.stage not in groups:
                groups[code.stage] = _sub(
                    top, "Code", guid=_guid(kind, code.stage), name=code.stage, isCodable="false"
                )
            parent = groups[code.stage]
        guids[code.id] = _guid(kind, "code", code.id)
        el = _sub(
            parent,
            "Code",
            guid=guids[code.id],
            name=code.label,
            isCodable="true",
            color=_PALETTE[i % len(_PALETTE)],
        )
        if code.description:
            _sub(el, "Description").text = code.description
    return guids


def _selections_of(
    source: ET.Element, rows: pd.DataFrame, kind: str, guids: dict[str, str], path: str | Path
) -> str:
    """Write one ``<PlainTextSelection>`` per excerpt of ``rows`` into ``source``, coded
    with its codes; returns the source text (the excerpts, a blank line between them)."""
    column = _COLUMN[kind]
    parts, pos = [], 0
    for row in rows.to_dict("records"):
        text = "" if pd.isna(row["text"]) else str(row["text"])
        sel = _sub(
            source,
            "PlainTextSelection",
            guid=_guid(kind, "selection", row["excerpt_id"]),
            name=str(row["excerpt_id"]),
            startPosition=str(pos),
            endPosition=str(pos + len(text)),
        )
        raw = "" if pd.isna(row[column]) else str(row[column])
        for code in filter(None, (c.strip() for c in raw.split(";"))):
            if code not in guids:
                raise SurveyDataError(
                    f"Excerpt {row['excerpt_id']}: {kind[:-1]} code {code!r} is not in "
                    f"the coding frame ({', '.join(guids)}); cannot write {path}."
                )
            coding = _sub(sel, "Coding", guid=_guid(kind, "coding", row["excerpt_id"], code))
            _sub(coding, "CodeRef", targetGUID=guids[code])
        parts.append(text)
        pos += len(text) + 2
    return "\n\n".join(parts)


def write_qdpx(
    excerpts: pd.DataFrame,
    coding_frame: CodingFrame,
    path: str | Path,
    *,
    kind: str | None = None,
    name: str | None = None,
) -> Path:
    """Write coded excerpts as a REFI-QDA project (``.qdpx``); returns the path.

    One ``<TextSource>`` (text in ``sources/<GUID>.txt``) per combination of the columns
    other than ``excerpt_id``, the codes and ``text`` (for the listening events: one per
    event and participant group), with a ``<Case>`` holding those columns as variables.
    Each excerpt is a ``<PlainTextSelection>`` named by its ``excerpt_id``, its offsets
    counting characters of the source text, coded with its codes. GUIDs are uppercase and
    derived from the content (``uuid5``), so writing the same data twice gives the same file.
    ``name`` is the project's name (default: the file name without its extension).
    """
    kind = kind or ("barriers" if "codes" in excerpts.columns else "themes")
    variables = [c for c in excerpts.columns if c not in ("excerpt_id", _COLUMN[kind], "text")]
    ET.register_namespace("", NS)
    project = ET.Element(
        f"{_Q}Project", {"name": name or Path(path).stem, "origin": "lozells_analysis"}
    )
    guids = _codebook(project, coding_frame.frame(kind), kind)
    var_guid = {v: _guid(kind, "variable", v) for v in variables}
    var_type = {v: _variable_type(excerpts[v]) for v in variables}
    if variables:  # the schema's lists hold at least one item: no empty <Variables/>
        vars_el = _sub(project, "Variables")
        for v, g in var_guid.items():
            _sub(vars_el, "Variable", guid=g, name=str(v), typeOfVariable=var_type[v])
    if len(excerpts):
        cases, sources_el = _sub(project, "Cases"), _sub(project, "Sources")
    texts: dict[str, str] = {}
    groups = (
        excerpts.groupby(variables, sort=False, dropna=False) if variables else [((), excerpts)]
    )
    for n, (key, rows) in enumerate(groups, start=1):
        values = dict(zip(variables, key if isinstance(key, tuple) else (key,), strict=True))
        sguid = _guid(kind, "source", n, *values.values())
        label = " / ".join(_text_value(v) for v in values.values() if pd.notna(v))
        label = label or f"source {n}"
        source = _sub(
            sources_el,
            "TextSource",
            guid=sguid,
            name=label,
            plainTextPath=f"{_INTERNAL}{sguid}.txt",
        )
        texts[sguid] = _selections_of(source, rows, kind, guids, path)
        case = _sub(cases, "Case", guid=_guid(kind, "case", sguid), name=label)
        for v, value in values.items():
            if pd.notna(value):
                vv = _sub(case, "VariableValue")
                _sub(vv, "VariableRef", targetGUID=var_guid[v])
                tag, text = _typed_value(value, var_type[v])
                _sub(vv, tag).text = text
        _sub(case, "SourceRef", targetGUID=sguid)
    ET.indent(project)
    xml = ET.tostring(project, encoding="utf-8", xml_declaration=True)
    out = Path(path)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in [(_PROJECT, xml)] + [
            (f"sources/{g}.txt", t.encode("utf-8")) for g, t in texts.items()
        ]:
            info = zipfile.ZipInfo(member, (2016, 1, 1, 0, 0, 0))  # fixed: same data, same file
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out
