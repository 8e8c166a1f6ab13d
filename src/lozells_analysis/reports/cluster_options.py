"""Options of a batch-system build (``lozells build --cluster``): where they come from, how they
are checked, and the job script they make.

Options come from lozells' defaults, then ``[tool.lozells.cluster]`` in the project's
``pyproject.toml`` (and ``[tool.lozells.cluster.<kind>]`` for one batch system only), then
``--cluster-option KEY=VALUE`` on the command line, which wins. Every dask-jobqueue option
of the chosen cluster class is accepted, plus lozells' own (``max_jobs``, ``retries``,
``poll_interval``, ``submit_timeout``, ``scheduler_host``/``scheduler_port``,
``dashboard_address``). :mod:`.cluster` starts the cluster from the settings made here.
"""

from __future__ import annotations

import inspect
import logging
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lozells_analysis.exceptions import BuildError
from lozells_analysis.reports.project import Project

log = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "ClusterOptionError",
    "ClusterSettings",
    "job_script",
    "parse_cluster_options",
    "resolve_settings",
]

#: ``--cluster`` value -> the dask-jobqueue cluster class and the batch system's name.
KINDS: dict[str, tuple[str, str]] = {
    "slurm": ("SLURMCluster", "Slurm"),
    "pbs": ("PBSCluster", "PBS"),
    "sge": ("SGECluster", "SGE"),
}

# Options of lozells itself (not passed to dask-jobqueue), with their defaults.
_OURS: dict[str, Any] = {
    "max_jobs": 10,  # never more jobs than this, whatever the number of runs
    "retries": 0,  # times a run whose worker died is tried again on another worker
    "poll_interval": 10.0,  # seconds between two looks at the queue (squeue/qstat)
    "submit_timeout": 300.0,  # seconds allowed for submitting the jobs (sbatch/qsub)
    "scheduler_host": None,  # address the scheduler listens on (default: see `interface`)
    "scheduler_port": 0,  # its port (0: any free port)
    "dashboard_address": None,  # e.g. ":8787" for Dask's dashboard (off by default)
}
# dask-jobqueue's options whose lozells default differs from dask-jobqueue's.
_DEFAULTS: dict[str, Any] = {
    "cores": 1,
    "processes": 1,
    "memory": "4GiB",
    "walltime": "01:00:00",
    "job_name": "lozells-worker",
}
_ALIASES = {"partition": "queue"}
_INT = {"cores", "processes", "job_cpu", "max_jobs", "retries", "scheduler_port"}
_FLOAT = {"death_timeout", "poll_interval", "submit_timeout"}
_BOOL = {"nanny"}
_LIST = {"job_extra_directives", "job_script_prologue", "worker_extra_args", "job_directives_skip"}
# Job keywords that the cluster sets itself, or that dask-jobqueue has deprecated.
_NOT_OPTIONS = {
    "self",
    "scheduler",
    "name",
    "config_name",
    "base_class_kwargs",
    "security",
    "extra",
    "job_extra",
    "env_extra",
    "header_skip",
}
_CLUSTER_KEYWORDS = {"interface", "protocol", "shared_temp_directory"}
# Seconds after a worker left past which a run sent to it and still pending never started.
_GRACE = 10.0
# Queue states after which a job will not run a worker again.
_FINISHED_STATES = {
    "BOOT_FAIL",
    "CANCELLED",
    "COMPLETED",
    "DEADLINE",
    "FAILED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "TIMEOUT",
    "C",  # PBS: completed
    "E",  # PBS: exiting
    "F",  # PBS: finished
}


class ClusterOptionError(BuildError):
    """A ``--cluster`` option (command line or ``[tool.lozells.cluster]``) is not valid."""


@dataclass(frozen=True)
class ClusterSettings:
    """What to start: the kind of batch system, dask-jobqueue's keyword arguments (``job``),
    the Dask scheduler's options and lozells' own limits."""

    kind: str
    job: dict[str, Any] = field(default_factory=dict)
    scheduler: dict[str, Any] = field(default_factory=dict)
    max_jobs: int = 10
    retries: int = 0
    poll_interval: float = 10.0
    submit_timeout: float = 300.0

    @property
    def runs_per_job(self) -> int:
        """Runs one job executes at once: its worker threads (``cores``)."""
        processes = int(self.job.get("processes") or 1)
        return max(1, int(self.job["cores"]) // processes) * processes

    def jobs_for(self, runs: int) -> int:
        """Jobs to ask for to build ``runs`` runs: enough for all at once, at most
        ``max_jobs``.

        Examples
        --------
        >>> s = ClusterSettings("slurm", {"cores": 2}, max_jobs=3)
        >>> s.jobs_for(1), s.jobs_for(5), s.jobs_for(40)
        (1, 3, 3)
        """
        return max(1, min(self.max_jobs, math.ceil(runs / self.runs_per_job)))


def parse_cluster_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``--cluster-option`` arguments (``KEY=VALUE``) as a dict; a key given more than once
    collects its values in a list (for ``job_extra_directives`` and the like).

    Examples
    --------
    >>> parse_cluster_options(["queue=short", "job-extra-directives=--qos=a",
    ...                        "job_extra_directives=--exclusive"])
    {'queue': 'short', 'job_extra_directives': ['--qos=a', '--exclusive']}
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = _norm(key)
        if not sep or not key or not value.strip():
            raise ClusterOptionError(
                f"--cluster-option {pair!r}: expected KEY=VALUE, e.g. walltime=02:00:00"
            )
        if key in options:
            old = options[key]
            options[key] = [*old, value] if isinstance(old, list) else [old, value]
        else:
            options[key] = value
    return options


def _norm(key: str) -> str:
    key = key.strip().lower().replace("-", "_")
    return _ALIASES.get(key, key)


def _cluster_class(kind: str) -> Any:
    if kind not in KINDS:
        raise ClusterOptionError(
            f"--cluster {kind!r}: expected one of {', '.join(KINDS)} (batch systems that "
            "dask-jobqueue drives)"
        )
    try:
        import dask_jobqueue
    except ImportError as exc:
        raise BuildError(
            "--cluster needs the 'dask-jobqueue' package (pip extra 'cluster'): "
            ".venv/bin/pip install dask-jobqueue, or make install"
        ) from exc
    return getattr(dask_jobqueue, KINDS[kind][0])


def _known_options(kind: str) -> set[str]:
    from dask_jobqueue.core import Job

    cls = _cluster_class(kind)
    names = set(inspect.signature(cls.job_cls.__init__).parameters)
    names |= set(inspect.signature(Job.__init__).parameters)
    if kind != "sge":
        names.discard("project")  # renamed `account` for Slurm and PBS
    return (names - _NOT_OPTIONS) | _CLUSTER_KEYWORDS | set(_OURS)


def _other_kinds_options(kind: str) -> set[str]:
    return set().union(*(_known_options(other) for other in KINDS if other != kind))


def _convert(key: str, value: Any, where: str) -> Any:
    def bad(expected: str) -> ClusterOptionError:
        return ClusterOptionError(f"{where}: {key} = {value!r} is not {expected}")

    if key in _LIST:
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in items):
            raise bad("a list of strings")
        return list(items)
    if isinstance(value, list):
        raise bad("a single value (only list options may be given twice)")
    if key in _INT:
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        low = 0 if key in ("retries", "scheduler_port") else 1
        if number is None or number < low:
            raise bad(f"a whole number of at least {low}")
        return number
    if key in _FLOAT:
        try:
            real = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            real = None
        if real is None or real <= 0:
            raise bad("a positive number of seconds")
        return real
    if key in _BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True
        if text in ("false", "no", "0", "off"):
            return False
        raise bad("true or false")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise bad("a string")
    return str(value)


def _pyproject_options(root: Path, kind: str) -> tuple[dict[str, Any], str]:
    path = root / "pyproject.toml"
    where = f"{path} [tool.lozells.cluster]"
    if not path.is_file():
        return {}, where
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ClusterOptionError(f"{path}: cannot read it: {exc}") from exc
    table = data.get("tool", {}).get("lozells", {}).get("cluster", {})
    if not isinstance(table, dict):
        raise ClusterOptionError(f"{where} must be a table")
    options = {}
    for key, value in table.items():
        if isinstance(value, dict):
            if key not in KINDS:
                raise ClusterOptionError(
                    f"{where}: [{key}] is not a batch system ({', '.join(KINDS)})"
                )
            continue
        options[_norm(key)] = value
    for key, value in table.get(kind, {}).items():
        options[_norm(key)] = value
    return options, where


def resolve_settings(
    project: Project, kind: str, given: Mapping[str, Any] | None = None
) -> ClusterSettings:
    """The settings of a ``kind`` cluster for ``project``: lozells' defaults, then
    ``[tool.lozells.cluster]`` and its ``[tool.lozells.cluster.<kind>]`` table in the
    project's ``pyproject.toml``, then ``given`` (the command line's options), each winning
    over the one before.

    Raises
    ------
    ClusterOptionError
        For an unknown option or a value of the wrong kind, naming where it came from.
    """
    known = _known_options(kind)
    from_file, file_where = _pyproject_options(project.root, kind)
    for key in list(from_file):
        # the shared table may hold options of another batch system (Slurm's account,
        # SGE's project): those are for that one, not errors
        if key not in known and key in _other_kinds_options(kind):
            log.info("%s: %s is not an option of --cluster %s; ignored", file_where, key, kind)
            del from_file[key]
    merged: dict[str, Any] = {
        **_OURS,
        **_DEFAULTS,
        "log_directory": str(project.state_dir / "jobs"),
    }
    for source, where in ((from_file, file_where), (given or {}, "--cluster-option")):
        for raw_key, value in source.items():
            key = _norm(raw_key)
            if key not in known:
                raise ClusterOptionError(
                    f"{where}: unknown option {raw_key!r} for --cluster {kind}; known: "
                    f"{', '.join(sorted(known))}"
                )
            label = f"{where} {key}" if where == "--cluster-option" else where
            merged[key] = _convert(key, value, label)
    processes = merged.get("processes") or 1
    if merged["cores"] % processes:
        raise ClusterOptionError(
            f"cores ({merged['cores']}) must be a multiple of processes ({processes})"
        )
    ours = {key: merged.pop(key) for key in _OURS}
    scheduler: dict[str, Any] = {"dashboard_address": ours["dashboard_address"]}
    if ours["scheduler_host"]:
        scheduler["host"] = ours["scheduler_host"]
    if ours["scheduler_port"]:
        scheduler["port"] = ours["scheduler_port"]
    return ClusterSettings(
        kind=kind,
        job=merged,
        scheduler=scheduler,
        max_jobs=ours["max_jobs"],
        retries=ours["retries"],
        poll_interval=ours["poll_interval"],
        submit_timeout=ours["submit_timeout"],
    )


def job_script(settings: ClusterSettings, scheduler: str = "tcp://SCHEDULER:8786") -> str:
    """The job script each worker job is submitted with (what ``sbatch``/``qsub`` gets),
    for a scheduler at ``scheduler``; nothing is started or submitted (dask-jobqueue does
    create the jobs' log folder)."""
    cls = _cluster_class(settings.kind)
    job_kwargs = {k: v for k, v in settings.job.items() if k != "shared_temp_directory"}
    job = cls.job_cls(scheduler, name="lozells-worker-0", **job_kwargs)
    return str(job.job_script())
