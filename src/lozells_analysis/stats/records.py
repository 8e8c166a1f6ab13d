"""The hidden records the library leaves in an executed notebook for the build.

In a report run's kernel, :func:`record` displays a payload under a MIME type that no
renderer knows, so a reader never sees it: each published count with what it counts
(:data:`COUNT_MIME`, see :func:`lozells_analysis.stats.published.record_count`) and each
disclosure check applied (:data:`CHECK_MIME`: suppression, quotes held back). The build reads
them back (``reports/differencing.py``, ``reports/output_check.py``). Anywhere else (tests,
JupyterLab) nothing is recorded. This module imports nothing of the library's, so the
disclosure rules can record what they did.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["CHECK_MIME", "COUNT_MIME", "record", "running_in_build"]

#: The MIME types of the hidden outputs that record, in an executed notebook, what was
#: published (each count and what it counts) and which disclosure checks were applied. No
#: renderer knows them, so readers never see them; the build reads them (reports/differencing,
#: reports/output_check).
COUNT_MIME = "application/vnd.lozells.count+json"
CHECK_MIME = "application/vnd.lozells.check+json"


def running_in_build() -> bool:
    """Whether this code runs in a report run's kernel started by ``lozells build``."""
    return bool(os.environ.get("LOZELLS_RUN"))


def record(mime: str, payload: dict[str, Any]) -> None:
    """Leave ``payload`` in the executed notebook as a hidden output of type ``mime`` (only
    in a build's kernel: anywhere else this does nothing). The build collects these records;
    no renderer shows them."""
    if not running_in_build():
        return
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return
    if get_ipython() is None:
        return
    display({mime: payload}, raw=True)  # type: ignore[no-untyped-call]  # IPython untyped
