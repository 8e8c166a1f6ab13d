"""What a run publishes beside its two views, made after it executes and before the publish
gate: the spreadsheet of its tables (:mod:`.spreadsheet`) and, for a briefing pack, its PDF
(:mod:`.pdf`). A failure of either fails the run, so its last good report stays."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lozells_analysis.exceptions import BuildError

log = logging.getLogger("lozells_analysis.reports.build")

__all__ = ["add_downloads", "want_pdf"]


def add_downloads(
    run: Any,
    result: Any,
    workdir: Path,
    *,
    pdf: bool,
    cancelled: threading.Event,
    scrub: Callable[[str], str] | None = None,
) -> None:
    """Write the run's spreadsheet, then (briefing packs, when ``pdf``) its PDF, into
    ``workdir``; on failure mark ``result`` failed with a one-line reason and log why.

    The page the PDF is printed from has its machine paths scrubbed first (``scrub``, the
    publish gate's :class:`~lozells_analysis.reports.gate.Scrubber`), since text in a PDF
    cannot be rewritten afterwards."""
    from lozells_analysis.reports.execute import one_line
    from lozells_analysis.reports.spreadsheet import add_spreadsheet

    try:  # before the PDF, which then carries the link too
        add_spreadsheet(workdir, run.name, run.title, result.files, audience=run.audience)
    except Exception as exc:  # noqa: BLE001 - a spreadsheet failure fails the run
        result.ok = False
        result.error = one_line(f"the spreadsheet could not be written: {exc}")
        with open(workdir / result.files["log"], "a", encoding="utf-8") as out:
            out.write(f"\nspreadsheet: {type(exc).__name__}: {exc}\n")
    wanted = pdf and run.audience == "briefing" and run.pdf
    if not result.ok or not wanted or cancelled.is_set():
        return
    from lozells_analysis.reports.pdf import html_to_pdf

    pdf_name = f"{run.name}.pdf"
    page = workdir / result.files["briefing"]
    if scrub is not None:
        page.write_text(scrub(page.read_text(encoding="utf-8")), encoding="utf-8")
    try:
        html_to_pdf(workdir / result.files["briefing"], workdir / pdf_name)
        result.files["pdf"] = pdf_name
    except BuildError as exc:
        result.ok = False
        result.error = one_line(str(exc))
        with open(workdir / result.files["log"], "a", encoding="utf-8") as out:
            out.write(f"\nPDF: {exc}\n")


def want_pdf(asked: bool | None, runs: Sequence[Any]) -> bool:
    """Whether this build prints briefing packs to PDF: ``asked`` True (``--pdf``) needs
    Chromium and fails before anything runs without it; None (the command line's default)
    prints them when Chromium is installed and warns when it is not; False never does."""
    if asked is False or not any(r.audience == "briefing" and r.pdf for r in runs):
        return False
    from lozells_analysis.reports.pdf import find_chromium

    try:
        find_chromium()  # fail before running anything, saying `make browser`
    except BuildError:
        if asked:
            raise
        log.warning(
            "no Chromium: building without the briefing packs' PDFs (`make browser` installs it)"
        )
        return False
    return True
