"""The project's exceptions: one base class, one subclass per kind of failure.

Every message says what was wrong, where, and how to fix it, so that a researcher in
JupyterLab or a cron log reader can act on it without reading a traceback.
"""

from __future__ import annotations


class LozellsError(Exception):
    """Base class of every error the library raises on purpose.

    In Jupyter (and so in papermill-built reports) these errors show as their message
    alone, not as a traceback through pandas: the message already says what was wrong,
    where, and how to fix it.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom tracebacks
        return [f"{type(self).__name__}: {self}"]


class CodebookError(LozellsError):
    """The codebook (``data/codebook.yaml``) is malformed or does not know an item."""


class SurveyDataError(LozellsError):
    """A survey file cannot be read or does not match the codebook.

    ``problems`` holds one :class:`~lozells_analysis.data.validate.Problem` per fault found, so
    callers (tests, the command line) can inspect them; ``str(error)`` is the full report.
    """

    def __init__(self, message: str, problems: list | None = None, path: str | None = None):
        super().__init__(message)
        self.problems = list(problems or [])
        self.path = path


class ParameterError(LozellsError, ValueError):
    """A notebook or function parameter is outside what it accepts (e.g. an unknown
    neighbourhood, an empty wave range, ``level`` outside (0, 1))."""


class DesignError(LozellsError, ValueError):
    """A survey design cannot be estimated as specified (e.g. a stratum with one PSU)."""


class CatalogueError(LozellsError):
    """``reports.yaml`` is malformed or asks for parameters a notebook does not take."""


class BuildError(LozellsError):
    """A report build failed; the message names the run and where its log is."""


class BuildEnvironmentError(BuildError):
    """The machine, not a report, stopped the build: no space left, a read-only or missing
    output folder, permission denied. The message is one line naming the folder and what to
    do; published reports are left as they were (the command line exits with status 4)."""


class NeighbourhoodsError(LozellsError):
    """``data/neighbourhoods.yaml`` is malformed or disagrees with the codebook; the message
    names the file and the entry."""
