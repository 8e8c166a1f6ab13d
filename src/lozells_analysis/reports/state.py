"""The build state: what was last built for each run, from what, and how it went.

Kept as one JSON file (``.lozells/state.json``) written atomically after each run finishes,
so an interrupted build loses at most the runs still in flight. The index page and
``lozells list`` are drawn from it.

The file is checked against its schema when it is read (:func:`check_state`). A file that is
not JSON, or whose shape is not what this version writes (``"runs": []``, a null record, a
record without ``status``, a digest that is not a string, an output path that leaves
``reports/``...), is never trusted: the build moves it aside to ``state.json.bad-<time>``,
logs a warning naming the problem, and rebuilds every report from scratch.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lozells_analysis.reports.publish import write_text_atomic

log = logging.getLogger(__name__)

__all__ = ["BuildState", "RunRecord", "StateProblem", "check_state"]

_VERSION = 1
_STATUSES = ("succeeded", "failed")


class StateProblem(ValueError):
    """The build state file does not have the shape this version writes."""


@dataclass
class RunRecord:
    """The last outcome of one run (by output name).

    ``status`` is ``"succeeded"`` or ``"failed"``. ``key``, ``inputs`` (the digest of each
    thing the key covers) and ``reads`` are those of the last *successful* run (what the
    published report was built from); ``outputs`` maps each view (``research``, ``briefing``,
    ``notebook``, ``pdf``) to its file, relative to ``reports/``, and ``published`` each view
    to that file's ``{"sha256", "bytes", "mtime_ns"}`` when it was published (so a truncated
    or overwritten report is noticed and rebuilt). ``error`` is a one-line summary of the
    last failure and ``log`` its log, relative to ``reports/``.
    """

    status: str
    key: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    reads: list[dict] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    published: dict[str, dict] = field(default_factory=dict)
    built_at: str | None = None
    attempted_at: str | None = None
    duration: float | None = None
    error: str | None = None
    log: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    audience: str | None = None
    # every count of respondents the published report shows, with what it counts (for the
    # differencing check, reports/differencing.py)
    counts: list[dict] = field(default_factory=list)
    # the disclosure checks of the last attempt (for reports/output-check.json)
    checks: dict[str, Any] = field(default_factory=dict)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _inside_reports(name: Any) -> bool:
    if not isinstance(name, str) or not name:
        return False
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _check_record(name: str, rec: Any) -> list[str]:
    where = f"runs[{name!r}]"
    if not isinstance(rec, dict):
        return [f"{where} is {type(rec).__name__}, not an object"]
    problems = []
    if rec.get("status") not in _STATUSES:
        problems.append(f"{where}.status is {rec.get('status')!r}, not one of {_STATUSES}")
    optional_text = ("key", "built_at", "attempted_at", "error", "log", "title", "audience")
    for key in optional_text:
        if rec.get(key) is not None and not isinstance(rec[key], str):
            problems.append(f"{where}.{key} must be a string or null")
    if rec.get("duration") is not None and not _is_number(rec["duration"]):
        problems.append(f"{where}.duration must be a number or null")
    inputs = rec.get("inputs", {})
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        problems.append(f"{where}.inputs must map names to digest strings")
    if not isinstance(rec.get("parameters", {}), dict):
        problems.append(f"{where}.parameters must be an object")
    outputs = rec.get("outputs", {})
    if not isinstance(outputs, dict) or not all(_inside_reports(v) for v in outputs.values()):
        problems.append(f"{where}.outputs must map views to file names inside reports/")
    if rec.get("log") is not None and not _inside_reports(rec["log"]):
        problems.append(f"{where}.log must be a file name inside reports/")
    published = rec.get("published", {})
    if not isinstance(published, dict) or not all(
        isinstance(p, dict)
        and isinstance(p.get("sha256"), str)
        and _is_int(p.get("bytes"))
        and (p.get("mtime_ns") is None or _is_int(p.get("mtime_ns")))
        for p in published.values()
    ):
        problems.append(f"{where}.published must map views to {{sha256, bytes, mtime_ns}}")
    if not isinstance(rec.get("counts", []), list) or not all(
        isinstance(c, dict) for c in rec.get("counts", [])
    ):
        problems.append(f"{where}.counts must be a list of objects")
    if not isinstance(rec.get("checks", {}), dict):
        problems.append(f"{where}.checks must be an object")
    reads = rec.get("reads", [])
    if not isinstance(reads, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("path"), str)
        and isinstance(r.get("sha256"), str)
        and _is_int(r.get("bytes"))
        and (r.get("mtime_ns") is None or _is_int(r.get("mtime_ns")))
        for r in reads
    ):
        problems.append(f"{where}.reads must be a list of {{path, sha256, bytes}}")
    return problems


def check_state(raw: Any) -> list[str]:
    """Every way ``raw`` (the parsed JSON of a state file) differs from the schema.

    Keys this version does not know are allowed (and dropped on load); a known key of the
    wrong type is not.

    Examples
    --------
    >>> check_state({"version": 1, "runs": {}, "last_build": {}})
    []
    >>> check_state({"version": 1, "runs": []})
    ['runs is list, not an object']
    >>> check_state({"version": 1, "runs": {"a": None, "b": {"key": "k"}}})
    ["runs['a'] is NoneType, not an object", "runs['b'].status is None, not one of ('succeeded', 'failed')"]
    """  # noqa: E501 - a doctest's expected output is one line
    if not isinstance(raw, dict):
        return [f"the file holds {type(raw).__name__}, not an object"]
    if raw.get("version") != _VERSION:
        return [f"version is {raw.get('version')!r}, this build reads version {_VERSION}"]
    runs = raw.get("runs", {})
    if not isinstance(runs, dict):
        return [f"runs is {type(runs).__name__}, not an object"]
    problems = []
    if not isinstance(raw.get("last_build", {}), dict):
        problems.append("last_build must be an object")
    for name, rec in runs.items():
        problems.extend(_check_record(name, rec))
    return problems


def _move_aside(path: Path) -> Path | None:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    aside = path.with_name(f"{path.name}.bad-{stamp}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("could not move %s aside (%s); it will be overwritten", path, exc)
        return None
    return aside


@dataclass
class BuildState:
    """Every run's :class:`RunRecord`, loaded from and saved to one JSON file."""

    path: Path
    runs: dict[str, RunRecord] = field(default_factory=dict)
    last_build: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, *, move_aside: bool = False) -> BuildState:
        """Read and check the state; a missing file gives an empty state (all rebuild).

        A file that is unreadable or of the wrong shape (see :func:`check_state`) also gives
        an empty state, with a warning naming the problem; with ``move_aside`` (the build,
        which holds the build lock) the file is first renamed to ``state.json.bad-<time>``
        so it can be inspected. Never raises for the file's content.

        Examples
        --------
        >>> BuildState.load(Path("/nonexistent/state.json")).runs
        {}
        """
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            problems = [f"not JSON ({exc})"]
        except OSError as exc:
            log.warning("cannot read the build state %s (%s); rebuilding every report", path, exc)
            return cls(path)
        else:
            problems = check_state(raw)
        if problems:
            aside = _move_aside(path) if move_aside else None
            shown = "; ".join(problems[:3])
            if len(problems) > 3:
                shown += f" (and {len(problems) - 3} more)"
            log.warning(
                "the build state %s is not valid (%s); %severy report will be rebuilt",
                path,
                shown,
                f"moved it to {aside.name}; " if aside else "",
            )
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
