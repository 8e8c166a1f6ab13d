"""The build's own log, ``reports/logs/build-<time>.log``: one line per run started,
built, failed or skipped, and why; the last :data:`KEEP_BUILD_LOGS` are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from lozells_analysis.reports.project import Project

log = logging.getLogger(__name__)

__all__ = ["KEEP_BUILD_LOGS", "BuildLogHandler", "build_log"]

KEEP_BUILD_LOGS = 30


class BuildLogHandler(logging.FileHandler):
    """The build's log file. Cell-by-cell papermill output belongs in the per-run logs, not
    here; when the file cannot be written (the disk filled up) it stops writing instead of
    printing logging's own traceback for every message."""

    broken = False
    root = ""  # the project root, shown relative in the log (reports/ shows no machine path)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.root:
            text = text.replace(self.root + "/", "").replace(self.root, ".")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith("papermill") and super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        self.broken = True


@contextmanager
def build_log(project: Project, build_id: str) -> Iterator[BuildLogHandler]:
    """Log the ``lozells_analysis`` messages (INFO and up) of the ``with`` block to
    ``reports/logs/build-<build_id>.log``; yields the handler (to write to the file alone)."""
    project.logs.mkdir(parents=True, exist_ok=True)
    path = project.logs / f"build-{build_id}.log"
    handler = BuildLogHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.root = str(project.root)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    ours = logging.getLogger("lozells_analysis")
    old_level = ours.level
    if ours.getEffectiveLevel() > logging.INFO:
        ours.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        handler.close()
        ours.setLevel(old_level)
        try:
            for stale in sorted(project.logs.glob("build-*.log"))[:-KEEP_BUILD_LOGS]:
                stale.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("could not remove old build logs: %s", exc)
