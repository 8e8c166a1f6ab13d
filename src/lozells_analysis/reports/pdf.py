"""Printing a briefing pack's HTML to PDF with headless Chromium (Debian's ``chromium``).

nbconvert's ``webpdf`` exporter downloads its own browser, which these machines cannot do;
Debian's ``chromium`` prints the already-rendered, self-contained HTML instead. The flags
keep it from reaching for the network (closed here) or a user profile.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from lozells_analysis.exceptions import BuildError

log = logging.getLogger(__name__)

__all__ = ["find_chromium", "html_to_pdf"]

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


def html_to_pdf(html: Path, pdf: Path, *, timeout: float = 120) -> None:
    """Print ``html`` (a self-contained file) to ``pdf``.

    Raises
    ------
    BuildError
        If Chromium is missing, fails, times out or writes no PDF.
    """
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="lozells-chromium-") as profile:
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
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
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
    log.debug("printed %s to %s", html, pdf)
