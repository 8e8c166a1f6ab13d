"""The build state: what was last built for each run, from what, and how it went.

Kept as one JSON file (``.lozells/state.json``) written atomically after each run finishes,
so an interrupted build loses at most the runs still in flight. The index page and
``lozells list`` are drawn from it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lozells_analysis.reports.publish import write_text_atomic

log = logging.getLogger(__name__)

__all__ = ["BuildState", "RunRecord"]

_VERSION = 1


@dataclass
class RunRecord:
    """The last outcome of one run (by output name).

    ``status`` is ``"succeeded"`` or ``"failed"``. ``key``, ``inputs`` (the digest of each
    thing the key covers) and ``reads`` are those of the last *successful* run (what the
    published report was built from); ``outputs`` maps each view (``research``, ``briefing``,
    ``notebook``, ``pdf``) to its file, relative to ``reports/``. ``error`` is a one-line
    summary of the last failure and ``log`` its log, relative to ``reports/``.
    """

    status: str
    key: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    reads: list[dict] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    built_at: str | None = None
    attempted_at: str | None = None
    duration: float | None = None
    error: str | None = None
    log: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    audience: str | None = None


@dataclass
class BuildState:
    """Every run's :class:`RunRecord`, loaded from and saved to one JSON file."""

    path: Path
    runs: dict[str, RunRecord] = field(default_factory=dict)
    last_build: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> BuildState:
        """Read the state; a missing or unreadable file gives an empty state (all rebuild).

        Examples
        --------
        >>> BuildState.load(Path("/nonexistent/state.json")).runs
        {}
        """
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except ValueError:
            log.warning("build state %s is unreadable; every report will be rebuilt", path)
            return cls(path)
        if raw.get("version") != _VERSION:
            return cls(path)
        known = set(RunRecord.__dataclass_fields__)
        runs = {
            name: RunRecord(**{k: v for k, v in rec.items() if k in known})
            for name, rec in raw.get("runs", {}).items()
        }
        return cls(path, runs, raw.get("last_build", {}))

    def save(self) -> None:
        """Write the state atomically."""
        payload = {
            "version": _VERSION,
            "last_build": self.last_build,
            "runs": {name: asdict(rec) for name, rec in sorted(self.runs.items())},
        }
        write_text_atomic(self.path, json.dumps(payload, indent=1, sort_keys=True, default=str))
