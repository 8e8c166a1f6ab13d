"""Scan rendered reports for disclosure and personal-data problems before anyone reads them.

A report must never let a reader identify a respondent. :func:`scan_report` reads one
rendered HTML report (stdlib :mod:`html.parser`, no browser) and returns a
:class:`Finding` for each of:

``respondent-id``
    a respondent identifier (``LC`` and seven digits, the survey's format);
``email``, ``phone``, ``postcode``
    an unredacted email address, UK phone number (mobile, landline, ``+44``) or UK postcode;
``name``
    a name from the redaction lists beside the data, which redaction must remove
    (:func:`~lozells_analysis.stats.disclosure.load_redaction_list`: by default
    ``data/raw/redaction_list.txt``, kept by the data owner, and
    ``data/synthetic/redaction_list.txt``, the names the synthetic generator planted);
``small-count``
    a count of respondents between 1 and ``min_n - 1`` (the small-cell rule,
    :func:`lozells_analysis.stats.disclosure.is_small`): a cell of a table whose caption or
    column says it counts respondents or responses (``n``, "Respondents", "Responses",
    "count", "number of"), or text such as ``n=4`` or "4 respondents" outside code;
``respondent-column``
    a table with a respondent-identifier column (``respondent_id``, "Respondent ID");
``respondent-level-table``
    a table with more than ``max_rows`` rows (when given): one row per person.

Text, table cells and the ``alt``/``title``/``aria-label`` of every element are scanned;
``<script>`` and ``<style>`` are not text. The count rules skip the notebook's code (input
cells), where ``n=3`` is an argument, not a disclosure; the personal-data rules do not.
Matched values are shown masked, so the scan's own output does not spread them. The
patterns of personal data are :data:`lozells_analysis.stats.disclosure.PERSONAL_DATA`, the
same ones :func:`~lozells_analysis.stats.disclosure.redact` removes from quotes.

Examples
--------
>>> page = ("<p>Call Amira Khatun on 07700 900123.</p><table><caption>Responses</caption>"
...         "<tr><th>Ward</th><th>n</th></tr><tr><td>Aston</td><td>4</td></tr></table>")
>>> [f.kind for f in scan_html(page, names=["Amira Khatun"])]
['phone', 'name', 'small-count']

From the command line: ``python -m lozells_analysis.reports.scan reports/ --min-n 10``
(exit status 1 when anything is found; ``--redaction-list FILE`` reads other names).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.disclosure import (
    DEFAULT_MIN_N,
    find_personal,
    is_small,
    load_redaction_list,
    name_pattern,
    normalise,
)

__all__ = ["Finding", "scan_folder", "scan_html", "scan_report", "scan_text"]

N_EQUALS = re.compile(r"(?<![A-Za-z_])n\s*=\s*(\d[\d,]*)(?![\d.])", re.I)
N_PEOPLE = re.compile(
    r"(?<![\d.,])(\d{1,3})\s+(?:respondents?|responses?|people|residents?)\b", re.I
)
THRESHOLD_WORDS = re.compile(
    r"(?:fewer than|less than|under|at least|minimum of|below|min_n|more than|over)\s*$", re.I
)
COUNT_HEADER = re.compile(r"^(?:n|count|counts)$|respondent|responses|number of", re.I)
LEAD_IN = re.compile(r"\b(?:number|count)s? of (?:respon|people|resident|participant)", re.I)
ID_HEADER = re.compile(r"^respondent[\s_-]*id$|^id$", re.I)
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}


@dataclass(frozen=True)
class Finding:
    """One problem found in a report: what kind, where, and the value (masked)."""

    kind: str
    where: str
    value: str
    path: str = ""

    def __str__(self) -> str:
        place = f"{self.path}: " if self.path else ""
        return f"{place}{self.kind} in {self.where}: {self.value}"


@dataclass
class _Table:
    caption: str = ""
    rows: list[list[tuple[str, bool]]] = field(default_factory=list)  # (text, is header)
    context: str = ""  # the text just before the table (its lead-in sentence)


@dataclass
class _Text:
    text: str
    where: str
    code: bool  # inside a notebook input (code) cell


class _Collector(HTMLParser):
    """Visible text, attribute text and tables of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[_Text] = []
        self.tables: list[_Table] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, starts an input/code area)
        self._skip = 0  # inside <script>/<style>
        self._code = 0
        self._open: list[_Table] = []
        self._cell: list[str] | None = None
        self._cell_header = False
        self._caption: list[str] | None = None
        self._recent = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("alt", "title", "aria-label"):
            if values.get(name):
                self.texts.append(_Text(values[name] or "", f"<{tag} {name}>", False))
        if tag in VOID:
            return
        classes = (values.get("class") or "").split()
        code = any(c in ("jp-InputArea", "jp-InputArea-editor", "input_area") for c in classes)
        self._stack.append((tag, code))
        self._code += code
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self._open.append(_Table(context=self._recent[-300:]))
        elif tag == "tr" and self._open:
            self._open[-1].rows.append([])
        elif tag in ("td", "th") and self._open:
            self._cell, self._cell_header = [], tag == "th"
        elif tag == "caption" and self._open:
            self._caption = []

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        # close up to the matching open tag (tolerates unclosed <p>, <li>, ...)
        names = [t for t, _ in self._stack]
        if tag not in names:
            return
        while self._stack:
            name, code = self._stack.pop()
            self._code -= code
            self._close(name)
            if name == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._open:
            text = " ".join("".join(self._cell).split())
            if self._open[-1].rows:
                self._open[-1].rows[-1].append((text, self._cell_header))
            self._cell = None
        elif tag == "caption" and self._caption is not None and self._open:
            self._open[-1].caption = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag == "table" and self._open:
            self.tables.append(self._open.pop())

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)
        if data.strip():
            self.texts.append(_Text(data, "text", self._code > 0))
            if not self._code:
                self._recent = (self._recent + " " + " ".join(data.split()))[-300:]


def _mask(value: str) -> str:
    """Show a matched value without repeating it whole.

    Examples
    --------
    >>> _mask("07700 900123"), _mask("B19 4AB"), _mask("ab")
    ('07…23 (12 chars)', 'B1…AB (7 chars)', 'ab')
    """
    value = " ".join(value.split())
    if len(value) <= 4:
        return value
    return f"{value[:2]}…{value[-2:]} ({len(value)} chars)"


def _as_count(text: str) -> int | None:
    """A cell's whole-number count, or None when the cell is not one.

    Examples
    --------
    >>> _as_count("1,204"), _as_count("7"), _as_count("7%"), _as_count("0.5"), _as_count("-")
    (1204, 7, None, None, None)
    """
    text = text.strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})*|\d+", text):
        return int(text.replace(",", ""))
    return None


def _personal(texts: Iterable[_Text], names: Sequence[str]) -> list[Finding]:
    found = []
    name_patterns = [(n, name_pattern(normalise(n))) for n in names]
    for item in texts:
        text = normalise(item.text)
        for kind, start, end in find_personal(text):
            found.append(Finding(kind, item.where, _mask(text[start:end])))
        for name, pattern in name_patterns:
            if pattern.search(text):
                found.append(Finding("name", item.where, _mask(name)))
    return found


def scan_text(
    text: str, where: str = "text", *, names: Sequence[str] | None = None
) -> list[Finding]:
    """The personal-data findings in plain text (a notebook's outputs, a CSV, a PDF's text,
    a log): the text is normalised first (:func:`~lozells_analysis.stats.disclosure.normalise`).

    Examples
    --------
    >>> [str(f) for f in scan_text("a,b\\nx,jo\uff20example.org", "data.csv", names=[])]
    ['email in data.csv: jo…rg (14 chars)']
    """
    if names is None:
        names = load_redaction_list()
    return _personal([_Text(text, where, False)], names)


def _narrative_counts(texts: Iterable[_Text], min_n: int) -> list[Finding]:
    found = []
    for item in texts:
        if item.code:
            continue
        for pattern in (N_EQUALS, N_PEOPLE):
            for match in pattern.finditer(item.text):
                value = int(match.group(1).replace(",", ""))
                before = item.text[: match.start()]
                if value >= 1 and is_small(value, min_n) and not THRESHOLD_WORDS.search(before):
                    found.append(Finding("small-count", item.where, match.group(0).strip()))
    return found


def _counts_respondents(table: _Table) -> bool:
    """Whether a whole table counts respondents (its caption, or the sentence before it).

    Examples
    --------
    >>> _counts_respondents(_Table(caption="Responses by neighbourhood and wave"))
    True
    >>> _counts_respondents(_Table(context="Number of responses in each wave. Cells under"))
    True
    >>> _counts_respondents(_Table(caption="Item non-response"))
    False
    """
    lead = table.context.split(". ")
    sentences = [table.caption] + lead[-2:]
    return any(COUNT_HEADER.search(table.caption) or LEAD_IN.search(s) for s in sentences)


def _table_findings(tables: Sequence[_Table], min_n: int, max_rows: int | None) -> list[Finding]:
    found = []
    for number, table in enumerate(tables, start=1):
        label = f"table {number}" + (f" ({table.caption[:60]})" if table.caption else "")
        rows = [r for r in table.rows if r]
        header_rows = [r for r in rows if all(is_th for _, is_th in r)]
        body = [r for r in rows if not all(is_th for _, is_th in r)]
        width = max((len(r) for r in rows), default=0)
        headers = [""] * width  # each column's header rows, joined
        for row in header_rows:
            for i, (text, _) in enumerate(row):
                if text:
                    headers[i] = f"{headers[i]} {text}".strip()
        if any(ID_HEADER.search(h.replace("_", " ").strip()) for h in headers) and body:
            found.append(Finding("respondent-column", label, "a respondent identifier column"))
        if max_rows is not None and len(body) > max_rows:
            found.append(
                Finding(
                    "respondent-level-table", label, f"{len(body)} rows (more than {max_rows})"
                )
            )
        whole = _counts_respondents(table)
        for row in body:
            for i, (text, is_th) in enumerate(row):
                header = headers[i] if i < len(headers) else ""
                if is_th or not (whole or COUNT_HEADER.search(header)):
                    continue
                value = _as_count(text)
                if value is not None and value >= 1 and is_small(value, min_n):
                    name = header or f"column {i + 1}"
                    found.append(Finding("small-count", f"{label}, column {name!r}", text))
    return found


def scan_html(
    text: str,
    min_n: int = DEFAULT_MIN_N,
    *,
    names: Sequence[str] | None = None,
    max_rows: int | None = None,
) -> list[Finding]:
    """Scan an HTML page (as text); see the module docstring for what is looked for.

    Parameters
    ----------
    text : str
        The page.
    min_n : int
        The smallest number of respondents a published count may show.
    names : sequence of str, optional
        Names that must not appear; default those of the redaction lists beside the data
        (:func:`~lozells_analysis.stats.disclosure.load_redaction_list`).
    max_rows : int, optional
        Flag any table with more rows than this (a table with a row per respondent).

    Returns
    -------
    list of Finding
        Empty when the page is clean.

    Examples
    --------
    >>> scan_html("<p>Based on 254 respondents; n=32.</p>")
    []
    >>> [str(f) for f in scan_html("<p>Email jo@example.org, id LC0001234.</p>")]
    ['respondent-id in text: LC…34 (9 chars)', 'email in text: jo…rg (14 chars)']
    """
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    if names is None:
        names = load_redaction_list()
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return (
        _personal(collector.texts, names)
        + _narrative_counts(collector.texts, min_n)
        + _table_findings(collector.tables, min_n, max_rows)
    )


def scan_report(
    html_path: str | Path,
    min_n: int = DEFAULT_MIN_N,
    *,
    names: Sequence[str] | None = None,
    max_rows: int | None = None,
) -> list[Finding]:
    """Scan one rendered report file; each :class:`Finding` carries the file's name.

    See :func:`scan_html` for the parameters.
    """
    path = Path(html_path)
    findings = scan_html(path.read_text(encoding="utf-8"), min_n, names=names, max_rows=max_rows)
    return [Finding(f.kind, f.where, f.value, path.name) for f in findings]


def scan_folder(
    folder: str | Path,
    min_n: int = DEFAULT_MIN_N,
    *,
    names: Sequence[str] | None = None,
    max_rows: int | None = None,
) -> list[Finding]:
    """Scan every ``*.html`` report in ``folder`` (not its sub-folders)."""
    names = load_redaction_list() if names is None else names
    findings = []
    for path in sorted(Path(folder).glob("*.html")):
        findings += scan_report(path, min_n, names=names, max_rows=max_rows)
    return findings


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lozells_analysis.reports.scan PATH...``: print findings; exit 1 if any."""
    parser = argparse.ArgumentParser(
        prog="python -m lozells_analysis.reports.scan", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("paths", nargs="+", type=Path, help="report files or folders")
    parser.add_argument(
        "--min-n", type=int, default=DEFAULT_MIN_N, help="smallest publishable count"
    )
    parser.add_argument(
        "--max-rows", type=int, default=None, help="flag tables with more rows than this"
    )
    parser.add_argument(
        "--redaction-list",
        type=Path,
        action="append",
        default=None,
        metavar="FILE",
        help="names to look for, one a line (repeatable; default data/raw/redaction_list.txt "
        "and data/synthetic/redaction_list.txt)",
    )
    args = parser.parse_args(argv)
    try:
        names = load_redaction_list(args.redaction_list)
    except ParameterError as error:
        parser.error(str(error))
    findings: list[Finding] = []
    for path in args.paths:
        if path.is_dir():
            findings += scan_folder(path, args.min_n, names=names, max_rows=args.max_rows)
        else:
            findings += scan_report(path, args.min_n, names=names, max_rows=args.max_rows)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
