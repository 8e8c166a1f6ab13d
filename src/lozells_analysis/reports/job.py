"""One report run as a job: what a worker needs to execute and render it.

Its own module so that :mod:`.execute` (which runs the job) and :mod:`.render` (which renders
its views) both import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunJob"]


@dataclass
class RunJob:
    """Everything a worker needs to execute and render one run (picklable, path-free input:
    the notebook travels as its JSON text, so a Dask worker need not see the checkout's
    notebooks folder; it does need the data files and the library)."""

    name: str
    title: str
    audience: str
    notebook_display: str
    notebook_json: str
    parameters: dict[str, Any]
    kernel: str
    cell_timeout: float
    run_timeout: float
    cwd: str
    provenance: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
