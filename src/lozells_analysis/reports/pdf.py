"""Printing a briefing pack's HTML to PDF with headless Chromium (Debian's ``chromium``).

nbconvert's ``webpdf`` exporter downloads its own browser, which these machines cannot do;
Debian's ``chromium`` prints the already-rendered, self-contained HTML instead. The flags
keep it from reaching for the network (closed here) or a user profile.

The page is printed from a temporary copy with print CSS added (:func:`print_css`): A4, the
report's title at the top of every page, "Page N of M" at the foot, "Synthetic data" on
every page when the report is, headings kept with what follows and charts not split; the
interactive parts (the "Show the data" boxes, CSV links) are left out. Chromium (131 or
later) draws the CSS ``@page`` margin boxes; ``--generate-pdf-document-outline`` makes
bookmarks from the headings, and the PDF is tagged as Chromium tags it.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lozells_analysis.exceptions import BuildError

log = logging.getLogger(__name__)

__all__ = ["find_chromium", "html_to_pdf", "print_css", "print_copy"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """The path of a Chromium executable.

    Raises
    ------
    BuildError
        If none is installed, saying to run ``make browser``.
    """
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BuildError(
        "--pdf needs headless Chromium, and no 'chromium' is on PATH. "
        "Run `make browser` (installs Debian's chromium package), then build again."
    )


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal.

    Examples
    --------
    >>> print(_css_string('Say "hi"'))
    "Say \\"hi\\""
    """
    cleaned = " ".join(text.split())
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def print_css(title: str, synthetic: bool) -> str:
    """The print style sheet: A4 pages with the title, page numbers and (when the data are
    synthetic) "Synthetic data" in the margins, headings kept with what follows.

    Examples
    --------
    >>> css = print_css("Briefing: Lozells", synthetic=True)
    >>> "size: A4" in css and 'counter(page) " of " counter(pages)' in css
    True
    >>> css.count('"Synthetic data"')
    2
    """
    margin = "font-family: sans-serif; font-size: 8pt; color: #333;"
    mark = 'content: "Synthetic data"; font-family: sans-serif; font-size: 8pt; ' + (
        "font-weight: bold; color: #8a3200;"
    )
    marks = f"@top-right {{ {mark} }}\n  @bottom-left {{ {mark} }}\n  " if synthetic else ""
    return f"""
@page {{
  size: A4;
  margin: 20mm 16mm 20mm 16mm;
  @top-left {{ content: {_css_string(title[:90])}; {margin} }}
  {marks}@bottom-right {{ content: "Page " counter(page) " of " counter(pages); {margin} }}
}}
@media print {{
  html, body {{ background: #fff; }}
  body.jp-Notebook, body {{ max-width: none; margin: 0; padding: 0; }}
  h1, h2, h3, h4, h5, h6 {{ break-after: avoid; page-break-after: avoid;
    break-inside: avoid; }}
  h1 + *, h2 + *, h3 + *, h4 + *, caption {{ break-before: avoid; }}
  figure, .lozells-figure svg, tr, .lozells-banner, .lozells-spreadsheet {{
    break-inside: avoid; }}
  .lozells-table, .lozells-scroll, .jp-OutputArea-output {{ overflow: visible !important; }}
  details.lozells-data, .lozells-download, details.lozells-code {{ display: none !important; }}
  a {{ color: inherit; }}
}}
"""


def print_copy(page: str) -> str:
    """``page`` with its print style sheet added at the end of ``<head>`` (the title and
    whether the report is synthetic read from the page itself)."""
    found = re.search(r"<title>(.*?)</title>", page, flags=re.S | re.I)
    title = html_lib.unescape(found.group(1)).strip() if found else "Report"
    synthetic = "lozells-synthetic" in page
    style = f'<style media="print">{print_css(title, synthetic)}</style>'
    if "</head>" in page:
        return page.replace("</head>", style + "</head>", 1)
    return style + page


def html_to_pdf(html: Path, pdf: Path, *, timeout: float = 120) -> None:
    """Print ``html`` (a self-contained file) to ``pdf``: A4, page numbers, running title,
    bookmarks (see the module's description).

    Raises
    ------
    BuildError
        If Chromium is missing, fails, times out or writes no PDF.
    """
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="lozells-chromium-") as profile:
        copy = Path(profile) / "print" / html.name
        copy.parent.mkdir()
        copy.write_text(print_copy(html.read_text(encoding="utf-8")), encoding="utf-8")
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-pdf-header-footer",
            "--generate-pdf-document-outline",
            f"--user-data-dir={Path(profile) / 'profile'}",
            f"--print-to-pdf={pdf}",
            copy.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BuildError(f"chromium took longer than {timeout:g} s to print {html}") from None
        if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            tail = " ".join(done.stderr.strip().splitlines()[-3:])
            raise BuildError(
                f"chromium could not print {html} to PDF (exit {done.returncode}): {tail}"
            )
        relative_links(pdf, copy.parent)
    log.debug("printed %s to %s", html, pdf)


def link_actions(pages: Iterable[Any]) -> Iterator[Any]:
    """The ``/URI`` actions of the link annotations on ``pages`` (``pypdf`` pages), in
    order: ``action["/URI"]`` is the address, and can be rewritten in place."""
    for page in pages:
        for ref in page.get("/Annots") or []:
            action = ref.get_object().get("/A")
            if action is not None and "/URI" in action:
                yield action


def relative_links(pdf: Path, folder: Path) -> int:
    """Make the PDF's links to local files relative again: Chromium resolves a page's relative
    links (``briefing-lozells.xlsx``, ``../docs/statistics.md``) against the folder it printed
    from, which would leave a temporary machine path in the published file. Links elsewhere
    (``https:``, ``mailto:``) are left as they are. Returns how many links were rewritten.

    Raises
    ------
    BuildError
        If the PDF cannot be read or written.
    """
    import posixpath
    from urllib.parse import unquote, urlsplit

    import pypdf
    from pypdf.generic import NameObject, TextStringObject

    base = folder.resolve()
    try:
        writer = pypdf.PdfWriter(clone_from=str(pdf))
        changed = 0
        for action in link_actions(writer.pages):
            parts = urlsplit(str(action["/URI"]))
            if parts.scheme != "file":
                continue
            target = posixpath.relpath(unquote(parts.path), base.as_posix())
            if parts.fragment:
                target += "#" + parts.fragment
            action[NameObject("/URI")] = TextStringObject(target)
            changed += 1
        if changed:
            with pdf.open("wb") as out:
                writer.write(out)
    except (OSError, ValueError, pypdf.errors.PyPdfError) as exc:
        raise BuildError(f"the links of {pdf.name} could not be made relative: {exc}") from None
    return changed
