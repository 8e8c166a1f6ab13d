"""What a build was asked to do and what came of it: :class:`BuildOptions`,
:class:`RunOutcome` and :class:`BuildSummary`, shared by the build, its plan and its Dask path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BuildOptions", "BuildSummary", "RunOutcome"]


@dataclass
class BuildOptions:
    """What ``lozells build`` was asked to do (see the command line's help)."""

    ids: Sequence[str] = ()
    force: bool = False
    jobs: int | None = None
    scheduler: str | None = None
    pdf: bool | None = False  # None: briefing packs' PDFs when Chromium is installed
    wait: bool = False
    scheduler_timeout: float = 20.0
    cluster: str | None = None  # slurm, pbs or sge: start a job cluster (see .cluster)
    cluster_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunOutcome:
    """What happened to one requested run: ``built``, ``skipped`` or ``failed``."""

    name: str
    status: str
    reason: str = ""
    duration: float = 0.0
    error: str | None = None
    log: Path | None = None


@dataclass
class BuildSummary:
    """The outcome of one build."""

    outcomes: list[RunOutcome] = field(default_factory=list)
    log: Path | None = None
    index: Path | None = None
    duration: float = 0.0

    @property
    def failed(self) -> list[RunOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when every requested run was built or was already up to date."""
        return not self.failed
