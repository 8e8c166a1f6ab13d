"""Mapping files: how a researcher's export maps onto the codebook, checked against a schema.

A mapping file is YAML with these keys, all optional::

    columns:                     # {your column: codebook column}
      RespID: respondent_id
      Q12: change_area_run
    recode:                      # {codebook column: {your value: codebook code or label}}
      change_area_run: {Strongly agree: 1, Agree: 2, Neither: 3, DK: 8}
      neighbourhood: {Lozells & East Handsworth: Lozells}
    sheet: Responses             # Excel: the sheet's name, or its position from 0
    date_format: "%d/%m/%Y"      # how interview_date is written (strftime codes)
    synthetic: false             # true or false, without quotes

Every fault is reported at once in one :class:`~lozells_analysis.exceptions.SurveyDataError`
naming the file, the key, its line and the shape expected: ``columns`` written as a list,
``recode`` as a text, a ``date_format`` that cannot read a date, text that is not UTF-8,
unknown or repeated keys, ``synthetic: "no"`` (text, not a yes/no) or a blank
``synthetic:``. Aliases are limited as for ``reports.yaml``
(:func:`lozells_analysis.data.safe_yaml.load_yaml`). In ``recode``, an unquoted ``Yes`` or ``No``
on the left is the answer text, not a YAML boolean.

Examples
--------
>>> from lozells_analysis.data.mapping import check_mapping
>>> check_mapping({"columns": {"Q7": "trust_people"}, "synthetic": False}).columns
{'Q7': 'trust_people'}
>>> try:
...     check_mapping({"columns": ["Q7", "trust_people"], "synthetic": "no"})
... except Exception as err:
...     print([p.column for p in err.problems])
...     print(str(err).splitlines()[1].strip()[:64])
['columns', 'synthetic']
1. Key 'columns': expected a mapping {your column: codebook colu
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lozells_analysis.data.codebook import Codebook
from lozells_analysis.data.safe_yaml import YAMLLimitError, load_yaml
from lozells_analysis.data.validate import Problem
from lozells_analysis.exceptions import SurveyDataError

__all__ = ["KEYS", "SurveyMapping", "check_mapping", "read_mapping"]

#: The keys a mapping file may have.
KEYS = ("columns", "recode", "sheet", "date_format", "synthetic")

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REF_DATE = dt.datetime(2017, 3, 21, 14, 5, 9)  # day > 12 so day and month cannot swap


@dataclass(frozen=True)
class SurveyMapping:
    """A checked mapping. ``synthetic`` is ``None`` when the file does not say."""

    columns: dict[str, str] = field(default_factory=dict)
    recode: dict[str, dict[Any, Any]] = field(default_factory=dict)
    sheet: str | int | None = None
    date_format: str | None = None
    synthetic: bool | None = None
    source: str = "<mapping>"

    def as_dict(self) -> dict[str, Any]:
        """The keys the mapping sets, as :func:`~lozells_analysis.data.load.load_mapping`
        returns them."""
        out: dict[str, Any] = {}
        if self.columns:
            out["columns"] = dict(self.columns)
        if self.recode:
            out["recode"] = {k: dict(v) for k, v in self.recode.items()}
        for key in ("sheet", "date_format", "synthetic"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


# --- reporting -------------------------------------------------------------------------------


class _Report:
    """Collects the problems of one mapping and raises them together."""

    def __init__(self, source: str, survey: str | None, lines: dict[tuple[Any, ...], int]):
        self.source = source
        self.survey = survey
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, path: tuple[Any, ...], message: str, fix: str, line: int | None = None) -> None:
        line = line or self.lines.get(path)
        key = ".".join(str(p) for p in path) if path else None
        self.problems.append(Problem(key, message, fix, rows=[line] if line else []))

    def raise_if_any(self) -> None:
        if self.problems:
            raise_mapping_problems(self.problems, self.source, self.survey)


def raise_mapping_problems(problems: list[Problem], source: str, survey: str | None) -> None:
    """Raise one :class:`SurveyDataError` listing the problems of mapping file ``source``."""
    problems = sorted(problems, key=lambda p: p.rows[0] if p.rows else 0)  # in file order
    n = len(problems)
    whose = f" (the mapping for survey file {survey})" if survey else ""
    lines = [f"Mapping file {source}{whose} has {n} problem{'s' if n != 1 else ''}:"]
    for i, p in enumerate(problems, 1):
        where = f"Key {p.column!r}" if p.column else ""
        if p.rows:
            where += f" (line {p.rows[0]})" if where else f"Line {p.rows[0]}"
        lines.append(f"  {i}. {where}{': ' if where else ''}{p.message}.\n     Fix: {p.fix}")
    lines.append(
        "Neither file was changed. Nothing already published was touched."
        if survey
        else "The file was not changed. Nothing already published was touched."
    )
    raise SurveyDataError("\n".join(lines), problems=problems, path=source) from None


def _describe(value: object) -> str:
    """How a value found in the file is named in a message."""
    if value is None:
        return "nothing (the key is blank)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no)"
    if isinstance(value, dict):
        return f"a mapping ({_short(value)})"
    if isinstance(value, list):
        return f"a list ({_short(value)})"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return f"a {type(value).__name__} ({_short(value)})"


def _suggest(close: list[str], fix: str) -> str:
    """A fix, led by the closest allowed name when there is one."""
    return f"did you mean {close[0]!r}? If not, {fix}" if close else fix


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


# --- reading the file ------------------------------------------------------------------------


class _Builder:
    """Node tree -> Python values, recording the line of every key.

    Keys of mappings are kept as written when YAML would read them as a boolean or null
    (``Yes: 1`` in a recode is the answer text "Yes"); repeated keys are reported.
    """

    def __init__(self, report: _Report):
        self.report = report
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.constructor.construct_object(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            out: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node, path)
                line = key_node.start_mark.line + 1
                if key in first_line:
                    self.report.add(
                        path + (key,),
                        f"the key is written twice (lines {first_line[key]} and {line}); "
                        "YAML would silently keep only the second",
                        "keep one of them.",
                        line,
                    )
                    continue
                first_line[key] = line
                self.report.lines[path + (key,)] = line
                out[key] = self.build(value_node, path + (key,))
            return out
        raise AssertionError(f"unknown YAML node {node!r}")  # pragma: no cover

    def _key(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if node.tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null") and node.value:
                return node.value  # "Yes", "No", "null" as written
            value = self.constructor.construct_object(node, deep=True)
            try:
                hash(value)
            except TypeError:  # pragma: no cover - scalars are hashable
                return node.value
            return value
        line = node.start_mark.line + 1
        self.report.problems.append(
            Problem(
                ".".join(map(str, path)) or None,
                "a key is itself a list or mapping",
                "write keys as plain text ('? ' and '[...]' keys are not allowed).",
                rows=[line],
            )
        )
        return f"<line {line}>"


def read_mapping(
    path: str | Path, *, codebook: Codebook | None = None, survey: str | Path | None = None
) -> SurveyMapping:
    """Read and check a mapping file.

    ``survey`` (the survey file the mapping is for) is named in the error message.
    Raises :class:`SurveyDataError` listing every problem with its key, line and the
    shape expected.
    """
    p = Path(path)
    source = str(p)
    survey_name = str(survey) if survey is not None else None
    report = _Report(source, survey_name, {})
    if not p.is_file():
        what = "is a folder, not a file" if p.is_dir() else "does not exist"
        report.add((), f"the mapping file {what}", "check the path of the mapping file.")
        report.raise_if_any()
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.problems.append(
            Problem(
                None,
                f"the file is not UTF-8 text (byte {raw[exc.start : exc.start + 1]!r} on line "
                f"{line}, perhaps a Windows-1252 character such as é or £)",
                "open the mapping file in a text editor and save it with the encoding UTF-8.",
                rows=[line],
            )
        )
        report.raise_if_any()
    try:
        load_yaml(text)  # aliases limited as for reports.yaml, before anything is expanded
        node = yaml.compose(text, Loader=_LOADER)  # again, for lines and keys as written
    except YAMLLimitError as exc:
        report.problems.append(
            Problem(
                None,
                f"the file uses YAML aliases beyond what a mapping needs ({exc})",
                "write the values out in full; a mapping file needs no aliases (*name).",
            )
        )
        report.raise_if_any()
        raise AssertionError("unreachable") from None  # pragma: no cover
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where: int | None = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        fix = (
            "indent with spaces, not tabs."
            if "\\t" in str(exc) or "'\t'" in str(exc)
            else "check the indentation, and put text holding ': ', '#', '{' or '[' in quotes."
        )
        report.problems.append(
            Problem(
                None, f"the file is not valid YAML ({what})", fix, rows=[where] if where else []
            )
        )
        report.raise_if_any()
        raise AssertionError("unreachable") from None  # pragma: no cover
    value = None if node is None else _Builder(report).build(node, ())
    return _check(value, report, codebook)


def check_mapping(
    raw: object,
    *,
    source: str = "<mapping>",
    codebook: Codebook | None = None,
    survey: str | Path | None = None,
) -> SurveyMapping:
    """Check a mapping given as a Python dict (the same rules as a mapping file)."""
    report = _Report(source, str(survey) if survey is not None else None, {})
    return _check(raw, report, codebook)


# --- the schema --------------------------------------------------------------------------------

_COLUMNS_SHAPE = "a mapping {your column: codebook column}"
_COLUMNS_FIX = (
    "write one pair per line, indented under 'columns:', e.g.\n"
    "       columns:\n         RespID: respondent_id\n         Q12: change_area_run"
)
_RECODE_SHAPE = "a mapping {codebook column: {your value: codebook code}}"
_RECODE_FIX = (
    "write each column's values indented under it, e.g.\n"
    "       recode:\n         change_area_run: {Strongly agree: 1, Agree: 2, DK: 8}"
)


def _check(raw: object, report: _Report, cb: Codebook | None) -> SurveyMapping:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        report.add(
            (),
            f"the file must hold keys such as 'columns:' and 'recode:' (a YAML mapping); "
            f"found {_describe(raw)}",
            f"start each key at the left margin: {', '.join(k + ':' for k in KEYS)}.",
        )
        report.raise_if_any()
        raise AssertionError("unreachable")
    for key in raw:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            report.add(
                (key,),
                f"unknown key (allowed: {', '.join(KEYS)})",
                _suggest(
                    close,
                    "remove or rename it; a column listed at the left margin belongs "
                    "indented under 'columns:'.",
                ),
            )
    columns = _columns(raw.get("columns", {}), "columns" in raw, report, cb)
    recode = _recode(raw.get("recode", {}), "recode" in raw, report, cb)
    sheet = _sheet(raw, report)
    date_format = _date_format(raw, report)
    synthetic = _synthetic(raw, report)
    report.raise_if_any()
    return SurveyMapping(
        columns=columns,
        recode=recode,
        sheet=sheet,
        date_format=date_format,
        synthetic=synthetic,
        source=report.source,
    )


def _known(cb: Codebook | None) -> list[str]:
    return [] if cb is None else [*cb.design, *cb.items]


def _columns(value: object, given: bool, report: _Report, cb: Codebook | None) -> dict[str, str]:
    if not given:
        return {}
    if not isinstance(value, dict):
        report.add(
            ("columns",), f"expected {_COLUMNS_SHAPE}, found {_describe(value)}", _COLUMNS_FIX
        )
        return {}
    out: dict[str, str] = {}
    known = _known(cb)
    targets: dict[str, str] = {}
    for mine, theirs in value.items():
        path = ("columns", mine)
        if isinstance(mine, bool) or not isinstance(mine, str | int):
            report.add(
                path,
                f"expected your column's name (text) on the left, found {_describe(mine)}",
                _COLUMNS_FIX,
            )
            continue
        if not isinstance(theirs, str) or not theirs.strip():
            report.add(
                path,
                f"expected the codebook column {mine!r} becomes (text), found {_describe(theirs)}",
                f"write '{mine}: <codebook column>', e.g. '{mine}: respondent_id'.",
            )
            continue
        theirs = theirs.strip()
        if known and theirs not in known:
            close = difflib.get_close_matches(theirs, known, n=1)
            report.add(
                path,
                f"maps onto {theirs!r}, a name the codebook does not have",
                _suggest(
                    close, "map onto codebook item ids or design columns (data/codebook.yaml)."
                ),
            )
            continue
        if theirs in targets:
            report.add(
                path,
                f"{targets[theirs]!r} and {str(mine)!r} are both mapped onto {theirs!r}",
                "map one column of your file onto each codebook column.",
            )
            continue
        targets[theirs] = str(mine)
        out[str(mine).strip()] = theirs
    return out


def _recode(
    value: object, given: bool, report: _Report, cb: Codebook | None
) -> dict[str, dict[Any, Any]]:
    if not given:
        return {}
    if not isinstance(value, dict):
        report.add(("recode",), f"expected {_RECODE_SHAPE}, found {_describe(value)}", _RECODE_FIX)
        return {}
    out: dict[str, dict[Any, Any]] = {}
    recodable = [] if cb is None else ["neighbourhood", *cb.items]
    for column, codes in value.items():
        path = ("recode", column)
        if not isinstance(column, str):
            report.add(
                path,
                f"expected a codebook column's name on the left, found {_describe(column)}",
                _RECODE_FIX,
            )
            continue
        if recodable and column not in recodable:
            close = difflib.get_close_matches(column, recodable, n=1)
            report.add(
                path,
                f"{column!r} is not a codebook item (recode applies to items and neighbourhood, "
                "named as in the codebook, after the renames under 'columns')",
                _suggest(close, "name the codebook column, not your file's column."),
            )
            continue
        if not isinstance(codes, dict):
            report.add(
                path,
                f"expected a mapping {{your value: codebook code}}, found {_describe(codes)}",
                _RECODE_FIX,
            )
            continue
        good: dict[Any, Any] = {}
        for mine, theirs in codes.items():
            vpath = ("recode", column, mine)
            if isinstance(mine, dict | list) or mine is None:
                report.add(
                    vpath, f"expected a value of your file, found {_describe(mine)}", _RECODE_FIX
                )
                continue
            problem = _recode_target_problem(column, theirs, cb)
            if problem:
                report.add(
                    vpath, f"{mine!r} is recoded to {_describe(theirs)}: {problem[0]}", problem[1]
                )
                continue
            good[mine] = theirs
        out[column] = good
    return out


def _recode_target_problem(
    column: str, target: object, cb: Codebook | None
) -> tuple[str, str] | None:
    """Why ``target`` cannot be a value of ``column`` (``None`` when it can)."""
    if isinstance(target, bool) or target is None or isinstance(target, dict | list):
        return ("expected a codebook code (a number) or label", "write the code, e.g. 1.")
    if cb is None:
        return None
    if column == "neighbourhood":
        names = cb.neighbourhood_names()
        if not isinstance(target, str) or target.strip().casefold() not in {
            n.casefold() for n in names
        }:
            return ("not a codebook neighbourhood", f"use one of: {', '.join(names)}.")
        return None
    item = cb.items[column]
    if item.numeric:
        lo = item.scale.min if item.scale.min is not None else float("-inf")
        hi = item.scale.max if item.scale.max is not None else float("inf")
        ok = isinstance(target, int | float) and (
            lo <= target <= hi or target in item.missing_codes
        )
        if not ok:
            return (
                f"not a score of {column} ({lo:g} to {hi:g}, missing "
                f"codes {', '.join(map(str, item.missing_codes))})",
                "recode onto a score or a missing code.",
            )
        return None
    labels = {lab.casefold() for lab in item.labels.values()}
    if isinstance(target, str) and target.strip().casefold() in labels:
        return None
    if isinstance(target, int | float) and float(target) in {float(c) for c in item.labels}:
        return None
    codes = ", ".join(f"{c} ({lab})" for c, lab in item.labels.items())
    return (f"not a code of {column}'s scale", f"valid codes are {codes}.")


def _sheet(raw: dict[Any, Any], report: _Report) -> str | int | None:
    if "sheet" not in raw:
        return None
    value = raw["sheet"]
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    report.add(
        ("sheet",),
        f"expected the sheet's name (text) or its position (0 for the first), "
        f"found {_describe(value)}",
        "write e.g. 'sheet: Responses' or 'sheet: 0'.",
    )
    return None


def _date_format(raw: dict[Any, Any], report: _Report) -> str | None:
    if "date_format" not in raw:
        return None
    value = raw["date_format"]
    fix = "write the format in quotes with strftime codes, e.g. date_format: '%d/%m/%Y'."
    if not isinstance(value, str) or "%" not in value:
        report.add(
            ("date_format",),
            f"expected a date format written with % codes (e.g. '%d/%m/%Y'), "
            f"found {_describe(value)}",
            fix,
        )
        return None
    try:
        written = _REF_DATE.strftime(value)
        back = dt.datetime.strptime(written, value)
    except ValueError as exc:
        report.add(("date_format",), f"{value!r} is not a date format ({exc})", fix)
        return None
    if back.date() != _REF_DATE.date():
        report.add(
            ("date_format",),
            f"{value!r} does not give the day, month and year ({_REF_DATE:%d %B %Y} written "
            f"with it is {written!r}, read back as {back:%d %B %Y})",
            "include a day (%d), a month (%m or %b) and a year (%Y).",
        )
        return None
    return value


def _synthetic(raw: dict[Any, Any], report: _Report) -> bool | None:
    if "synthetic" not in raw:
        return None
    value = raw["synthetic"]
    if isinstance(value, bool) or type(value).__name__ == "bool_":  # numpy's, from a dict
        return bool(value)
    extra = (
        " in quotes, so YAML reads it as text and not as a yes/no"
        if isinstance(value, str)
        else ""
    )
    report.add(
        ("synthetic",),
        f"expected true or false, found {_describe(value)}{extra}",
        "write 'synthetic: true' (the data are made up) or 'synthetic: false' (real "
        "responses), without quotes; or remove the key.",
    )
    return None
