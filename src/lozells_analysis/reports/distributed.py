"""Running the build's notebooks on a Dask cluster instead of this machine's kernels.

The build calls :func:`open_cluster` once (None means: run locally), :func:`run_on_cluster`
for each run from one of its threads, and :func:`close_cluster` at the end or on an
interrupt. What travels is a :class:`~lozells_analysis.reports.execute.RunJob` (the
notebook's JSON and its parameters); what comes back is a
:class:`~lozells_analysis.reports.execute.RunResult` with the rendered files' bytes, which
:func:`run_on_cluster` writes into the run's staging folder so that publishing is the same
as for a local run. Another kind of cluster (a batch scheduler such as Slurm through
``dask-jobqueue``) plugs in at :func:`open_cluster`: anything giving a
``distributed.Client`` works with the rest unchanged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lozells_analysis.exceptions import BuildError

if TYPE_CHECKING:
    from lozells_analysis.reports.options import BuildOptions
    from lozells_analysis.reports.project import Project

log = logging.getLogger(__name__)

__all__ = ["close_cluster", "open_cluster", "run_on_cluster"]


def open_cluster(options: BuildOptions, runs: int, project: Project | None = None) -> Any | None:
    """A ``distributed.Client`` for the cluster ``options`` name, or None to run locally.

    With ``options.cluster`` (slurm, pbs, sge) a job cluster sized for ``runs`` is started
    for this build (:func:`.cluster.start_cluster`); closing the client cancels its jobs.

    Raises
    ------
    BuildError
        If ``distributed`` is not installed or the scheduler cannot be reached within
        ``options.scheduler_timeout`` seconds (nothing has run yet).
    """
    if options.cluster:
        from lozells_analysis.reports.cluster import start_cluster

        return start_cluster(project, options.cluster, options.cluster_options, runs)
    if not options.scheduler:
        return None
    try:
        from distributed import Client
    except ImportError as exc:
        raise BuildError(
            "--scheduler needs the 'distributed' package (pip extra 'cluster')"
        ) from exc
    try:
        # distributed's Client constructor is unannotated
        client = Client(  # type: ignore[no-untyped-call]
            options.scheduler, timeout=f"{options.scheduler_timeout}s", set_as_default=False
        )
    except OSError as exc:
        raise BuildError(
            f"cannot reach the Dask scheduler at {options.scheduler}: {exc}. Check the "
            "address (tcp://HOST:PORT) and that the scheduler is running."
        ) from exc
    log.info("submitting %d run(s) to the Dask cluster at %s", runs, options.scheduler)
    return client


def run_on_cluster(client: Any, job: Any, workdir: Path) -> Any:
    """Execute ``job`` on the cluster, wait for it, and write its files into ``workdir``.

    Returns the :class:`~lozells_analysis.reports.execute.RunResult` (its ``payload``
    emptied once written).
    """
    from lozells_analysis.reports.execute import execute_run_remote

    key = f"lozells-{job.name}-{os.urandom(4).hex()}"  # unique: runs never share a key
    future = client.submit(execute_run_remote, job, pure=False, key=key)
    result = future.result()
    workdir.mkdir(parents=True, exist_ok=True)
    for view, data in (result.payload or {}).items():
        (workdir / result.files[view]).write_bytes(data)
    result.payload = None
    return result


def close_cluster(client: Any | None) -> None:
    """Release the client (the scheduler drops the runs it still had queued)."""
    if client is not None:
        client.close()  # unannotated in distributed
