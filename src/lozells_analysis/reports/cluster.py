"""Running a build on a batch system: a Dask cluster of Slurm, PBS or SGE jobs for one build.

``lozells build --cluster slurm`` (or ``pbs``, ``sge``) starts a Dask scheduler in the build's
own process and asks the batch system for worker jobs with dask-jobqueue (its
``SLURMCluster``, ``PBSCluster`` or ``SGECluster``: it writes the job script and calls
``sbatch``/``qsub``), one job per ``cores`` runs to build, at most ``max_jobs``. The runs then
go through the same Dask path as ``--scheduler`` (:mod:`.distributed`), and the jobs are
cancelled when the build ends, fails or is interrupted.

Two things are added on top of dask-jobqueue so that the build's promises hold:

- **One run per free worker thread.** Dask hands every submitted task to some worker at once,
  and when a worker dies every task it holds counts as killed by it. A run is therefore only
  submitted when a worker has a free thread, and to that worker; the scheduler retries a run
  whose worker died ``retries`` times (default 0), so a job that ends or a worker that is
  killed fails the runs it was executing, and only those. Their log says which job it was.
- **Jobs that end are noticed.** The queue is polled (``squeue``/``qstat``) every
  ``poll_interval`` seconds; when every job has ended (walltime, a failed
  ``job_script_prologue``, cancelled) while runs still wait, those runs fail with a message
  saying so instead of waiting for ever.

Options come from ``[tool.lozells.cluster]`` in the project's ``pyproject.toml`` (with
``[tool.lozells.cluster.slurm]`` etc. for one kind only) and from ``--cluster-option KEY=VALUE``,
which wins. See ``docs/scheduling.md``.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lozells_analysis.exceptions import BuildError
from lozells_analysis.reports.cluster_options import (
    _FINISHED_STATES,
    _GRACE,
    KINDS,
    ClusterOptionError,
    ClusterSettings,
    _cluster_class,
    job_script,
    parse_cluster_options,
    resolve_settings,
)
from lozells_analysis.reports.project import Project

log = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "ClusterOptionError",
    "ClusterSettings",
    "job_script",
    "parse_cluster_options",
    "resolve_settings",
    "start_cluster",
]


def _recording_job_class(cls: Any) -> Any:
    """dask-jobqueue's job class for ``cls``, keeping the error when a submission fails
    (dask-jobqueue submits in the background and only logs it)."""

    class RecordingJob(cls.job_cls):
        submit_error: BaseException | None = None

        async def start(self) -> None:
            try:
                await super().start()
            except Exception as exc:
                self.submit_error = exc
                raise

    RecordingJob.__name__ = cls.job_cls.__name__
    return RecordingJob


def start_cluster(
    project: Project | None, kind: str, options: Mapping[str, Any] | None, runs: int
) -> Any:
    """Start a ``kind`` cluster sized for ``runs`` runs of ``project`` (default: this
    repository) and return a client for it.

    The returned object stands in for a ``distributed.Client`` in the build: ``submit``
    waits for a free worker thread, and ``close`` closes the client and cancels every job.
    If the jobs cannot be submitted, everything started is stopped and a
    :class:`~lozells_analysis.exceptions.BuildError` says why.
    """
    settings = resolve_settings(project or Project.at(), kind, options)
    cls = _cluster_class(kind)
    import dask
    from distributed import Client

    name = KINDS[kind][1]
    jobs = settings.jobs_for(runs)
    Path(settings.job["log_directory"]).mkdir(parents=True, exist_ok=True)
    cluster = None
    try:
        # read when the scheduler starts: a worker that dies fails the runs it held, and a
        # worker is only sent runs it has threads for
        with dask.config.set(
            {
                "distributed.scheduler.allowed-failures": settings.retries,
                "distributed.scheduler.worker-saturation": 1.0,
            }
        ):
            cluster = cls(
                job_cls=_recording_job_class(cls),
                scheduler_options=settings.scheduler,
                **settings.job,
            )
        log.info(
            "%s cluster: scheduler at %s; submitting %d job(s) of %d core(s), %s, walltime %s "
            "for %d run(s); job logs in %s",
            name,
            cluster.scheduler_address,
            jobs,
            settings.job["cores"],
            settings.job["memory"],
            settings.job.get("walltime"),
            runs,
            settings.job["log_directory"],
        )
        cluster.scale(jobs=jobs)
        submitted = _wait_for_submission(cluster, jobs, settings.submit_timeout, name)
        log.info("%s cluster: submitted job(s) %s", name, ", ".join(submitted))
        client = Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
    except KeyboardInterrupt as exc:
        _close_quietly(cluster)
        import signal

        from lozells_analysis.reports.signals import BuildInterrupted

        raise BuildInterrupted(signal.SIGINT) from exc
    except BaseException:
        _close_quietly(cluster)
        raise
    return _ClusterClient(cluster, client, settings)


def _wait_for_submission(cluster: Any, jobs: int, timeout: float, name: str) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(cluster.workers) < jobs:
        if time.monotonic() > deadline:
            raise BuildError(
                f"{name} cluster: submitting {jobs} job(s) took longer than {timeout:g}s "
                "(raise submit_timeout if the batch system is slow to answer)"
            )
        time.sleep(0.05)
    started = [job for job in list(cluster.workers.values()) if job.job_id]
    errors = [job.submit_error for job in cluster.workers.values() if job.submit_error]
    if not started:
        from lozells_analysis.reports.execute import one_line

        why = one_line(str(errors[0]), 600) if errors else "no job id came back"
        raise BuildError(f"{name} cluster: could not submit the worker jobs: {why}")
    if errors:
        log.warning(
            "%s cluster: %d of %d job(s) could not be submitted: %s",
            name,
            len(errors),
            jobs,
            errors[0],
        )
    return [str(job.job_id) for job in started]


def _close_quietly(cluster: Any) -> None:
    if cluster is None:
        return
    try:
        cluster.close()
    except Exception:  # noqa: BLE001 - already failing; the first error is the one to show
        log.exception("could not close the cluster")


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _queue_command(kind: str, job_ids: list[str]) -> list[str]:
    if kind == "slurm":
        return ["squeue", "--noheader", "--format=%i %T", f"--jobs={','.join(job_ids)}"]
    if kind == "pbs":
        return ["qstat", *job_ids]
    return ["qstat"]


def _queued_jobs(kind: str, job_ids: list[str]) -> set[str] | None:
    """The ``job_ids`` the batch system still lists as queued or running; None when it
    cannot say (the command is missing or failed for another reason than finished jobs)."""
    try:
        done = subprocess.run(
            _queue_command(kind, job_ids), capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("cannot ask the queue about jobs %s: %s", job_ids, exc)
        return None
    listed: set[str] = set()
    for line in done.stdout.splitlines():
        words = line.split()
        if not words or words[0].lower().startswith("job"):
            continue  # a header
        job = words[0].split(".")[0]
        state = words[1].upper() if kind == "slurm" and len(words) > 1 else ""
        if kind == "pbs" and len(words) >= 5:
            state = words[4].upper()
        if job in job_ids and state not in _FINISHED_STATES:
            listed.add(job)
    if done.returncode != 0:
        gone = ("invalid job id", "unknown job id", "do not exist", "does not exist")
        if not any(text in done.stderr.lower() for text in gone):
            log.debug("queue command failed (%s): %s", done.returncode, done.stderr.strip())
            return None
    return listed


class _ClusterClient:
    """A ``distributed.Client`` on a job cluster that sends each run to a worker with a free
    thread, notices when no job is left, and cancels the jobs on ``close``."""

    def __init__(self, cluster: Any, client: Any, settings: ClusterSettings):
        self._cluster = cluster
        self._client = client
        self._settings = settings
        self._name = KINDS[settings.kind][1]
        self._cond = threading.Condition()
        self._workers: dict[str, tuple[str, int]] = {}  # address -> (name, threads)
        self._busy: dict[str, int] = {}  # address -> runs sent there, not yet back
        self._dead: dict[str, float] = {}  # address -> when that worker was seen gone
        self._jobs: dict[str, str] = {}  # worker name -> job id, every job submitted
        self._joined: set[str] = set()  # jobs whose worker reached the scheduler
        self._unlisted: dict[str, int] = {}  # job id -> polls in a row the queue lacked it
        self._ended: set[str] = set()  # job ids that will not run a worker again
        self._exhausted: str | None = None
        self._closed = False
        self._stop = threading.Event()
        self._watcher = threading.Thread(
            target=self._watch, name="lozells-cluster-watch", daemon=True
        )
        self._watcher.start()

    # -- what the build calls ---------------------------------------------------------------

    def submit(self, fn: Any, job: Any, **kwargs: Any) -> Any:
        """Submit ``fn(job)`` to a worker with a free thread, once there is one."""
        run = _RunFuture(self, fn, job, kwargs)
        run.send()
        return run

    def close(self) -> None:
        """Close the client and cancel every job (idempotent)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._stop.set()
        self._watcher.join(timeout=5)
        try:
            self._client.close()
        except Exception:  # noqa: BLE001 - the jobs must be cancelled all the same
            log.exception("could not close the Dask client")
        jobs = sorted(set(self._jobs.values()))
        _close_quietly(self._cluster)
        log.info("%s cluster closed; job(s) %s cancelled", self._name, ", ".join(jobs) or "-")

    def _job_name(self, worker: str) -> str:
        """The job a worker belongs to (with ``processes`` > 1 a job's workers are named
        ``<job>-0``, ``<job>-1``, ...)."""
        if worker in self._jobs:
            return worker
        head, _, tail = worker.rpartition("-")
        return head if tail.isdigit() and head in self._jobs else worker

    # -- slots ------------------------------------------------------------------------------

    def _acquire(self) -> str | None:
        with self._cond:
            while True:
                if self._closed:
                    raise BuildError(f"the {self._name} cluster was closed")
                free = [
                    (threads - self._busy.get(address, 0), address)
                    for address, (_, threads) in self._workers.items()
                    if self._busy.get(address, 0) < threads
                ]
                if free:
                    address = max(free)[1]
                    self._busy[address] = self._busy.get(address, 0) + 1
                    return address
                if self._exhausted:
                    return None
                self._cond.wait(0.5)

    def _dispatched(self, job: Any, address: str) -> None:
        with self._cond:
            worker = self._workers.get(address, (address, 0))[0]
            job_id = self._jobs.get(self._job_name(worker), "?")
        log.info("run %s -> %s job %s (worker %s)", job.name, self._name, job_id, worker)

    def _worker_died(self, exc: BaseException) -> None:
        """Take a worker that the scheduler saw die out of the choice at once."""
        address = getattr(getattr(exc, "last_worker", None), "address", None)
        if address:
            with self._cond:
                self._dead.setdefault(address, time.monotonic())
                self._workers.pop(address, None)

    def _never_started(self, address: str, future: Any) -> bool:
        """Whether a run sent to ``address`` is still waiting although that worker left
        long enough ago that the scheduler would have failed it had it been running there."""
        with self._cond:
            gone = self._dead.get(address)
        return gone is not None and time.monotonic() - gone > _GRACE and future.status == "pending"

    def _release(self, address: str) -> None:
        with self._cond:
            left = self._busy.get(address, 0) - 1
            if left > 0:
                self._busy[address] = left
            else:
                self._busy.pop(address, None)
            self._cond.notify_all()

    # -- watching the workers and the queue -------------------------------------------------

    def _watch(self) -> None:
        next_poll = time.monotonic() + self._settings.poll_interval
        while not self._stop.wait(0.5):
            try:
                info = self._client.scheduler_info()["workers"]
            except Exception as exc:  # noqa: BLE001 - try again at the next tick
                log.debug("scheduler_info failed: %s", exc)
                continue
            workers = {
                address: (str(w.get("name", address)), int(w.get("nthreads", 0)))
                for address, w in info.items()
                if str(w.get("status", "running")) == "running"
            }
            try:
                current = {
                    name: str(job.job_id)
                    for name, job in list(self._cluster.workers.items())
                    if job.job_id
                }
            except RuntimeError:  # changed while being read; next tick
                continue
            listed = None
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self._settings.poll_interval
                ids = sorted(set(self._jobs.values()) | set(current.values()) - self._ended)
                if ids:
                    listed = _queued_jobs(self._settings.kind, ids)
            self._update(workers, current, listed)

    def _update(
        self,
        workers: dict[str, tuple[str, int]],
        current: dict[str, str],
        listed: set[str] | None,
    ) -> None:
        with self._cond:
            now = time.monotonic()
            for address in set(self._workers) - set(workers):
                if address not in self._dead:
                    log.info("worker %s is not listed as running", address)
                self._dead.setdefault(address, now)  # addresses are never reused
            # ... so an address listed as running again is the same worker, alive after all:
            # one snapshot without it (a loaded scheduler, a pause) must not strand the runs
            # waiting for a thread, which would wait for ever while its job still runs
            for address in set(workers) & set(self._dead):
                log.info("worker %s is running again", address)
                del self._dead[address]
            workers = {a: w for a, w in workers.items() if a not in self._dead}
            self._workers = workers
            self._jobs.update(current)
            self._joined.update(self._job_name(name) for name, _ in workers.values())
            if listed is not None:
                for job_id in set(self._jobs.values()) - self._ended:
                    if job_id in listed:
                        self._unlisted.pop(job_id, None)
                        continue
                    # twice in a row, so that a job between two states is not taken as gone
                    self._unlisted[job_id] = self._unlisted.get(job_id, 0) + 1
                    if self._unlisted[job_id] >= 2:
                        self._ended.add(job_id)
                        log.warning("%s job %s has ended", self._name, job_id)
            # the cluster drops a job whose worker left and did not come back
            for name, job_id in self._jobs.items():
                if name in self._joined and name not in current:
                    self._ended.add(job_id)
            live_jobs = set(self._jobs.values()) - self._ended
            if not workers and not live_jobs and self._jobs and not self._exhausted:
                self._exhausted = self._why_exhausted()
                log.error("%s cluster: %s", self._name, self._exhausted)
            self._cond.notify_all()

    def _why_exhausted(self) -> str:
        ids = ", ".join(sorted(self._ended))
        where = self._settings.job["log_directory"]
        if not self._joined:
            return (
                f"none of the {self._name} jobs ({ids}) started a Dask worker that reached "
                f"the scheduler, so the run could not start; the job logs in {where} say why "
                "(a job_script_prologue command that failed, a python that the compute nodes "
                "do not have, a network interface they cannot reach)"
            )
        return (
            f"every {self._name} job ({ids}) had ended (walltime, memory, cancelled or "
            f"preempted; job logs in {where}) before the run could start; build again to "
            "build the runs left"
        )

    # -- results for runs that did not run --------------------------------------------------

    def _failed_result(self, job: Any, why: str, duration: float, detail: str = "") -> Any:
        from lozells_analysis.reports.execute import RunResult, one_line

        text = f"{_now()} run {job.name} ({self._name} cluster): {why}\n"
        if detail:
            text += f"\n{detail}\n"
        text += "\nThe last good report of this run, if any, is kept.\n"
        return RunResult(
            name=job.name,
            ok=False,
            error=one_line(why),
            reads=[],
            duration=duration,
            files={"log": "run.log"},
            payload={"log": text.encode("utf-8")},
        )

    def _lost(self, job: Any, exc: BaseException, duration: float) -> Any:
        worker = getattr(getattr(exc, "last_worker", None), "name", None) or "?"
        with self._cond:
            job_id = self._jobs.get(self._job_name(str(worker)), "?")
        why = (
            f"its {self._name} job {job_id} (Dask worker {worker}) ended or lost its worker "
            "while the run was executing (walltime, memory, cancelled, preempted or killed)"
        )
        detail = (
            f"{type(exc).__name__}: {exc}\n\nThe job's own output is in "
            f"{self._settings.job['log_directory']}."
        )
        return self._failed_result(job, why, duration, detail)


class _RunFuture:
    """A run sent to one worker (and only that one). ``result()`` is its ``RunResult``, also
    when its worker died under it (a failed result saying so); a run whose worker died before
    it started is sent to another."""

    def __init__(self, owner: _ClusterClient, fn: Any, job: Any, kwargs: dict[str, Any]):
        self._owner = owner
        self._fn = fn
        self._job = job
        self._kwargs = kwargs
        self._started = time.monotonic()
        self._address: str | None = None
        self._future: Any = None
        self._sent = 0
        self._failed: Any = None

    def send(self) -> None:
        owner = self._owner
        address = owner._acquire()
        if address is None:
            why = owner._exhausted or "no cluster job left"
            self._failed = owner._failed_result(self._job, why, time.monotonic() - self._started)
            return
        self._address = address
        kwargs = dict(self._kwargs)
        if self._sent and "key" in kwargs:
            kwargs["key"] = f"{kwargs['key']}-{self._sent}"  # a cancelled key is not reused
        self._sent += 1
        owner._dispatched(self._job, address)
        try:
            self._future = owner._client.submit(
                self._fn, self._job, workers=[address], allow_other_workers=False, **kwargs
            )
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._address is not None:
            self._owner._release(self._address)
            self._address = None

    def result(self) -> Any:
        from distributed import KilledWorker

        try:
            while self._failed is None:
                try:
                    return self._future.result(timeout=1)
                except TimeoutError:
                    if self._address and self._owner._never_started(self._address, self._future):
                        log.warning(
                            "run %s: its worker %s left before it started; sending it to another",
                            self._job.name,
                            self._address,
                        )
                        self._future.cancel()
                        self._release()
                        self.send()
            return self._failed
        except KilledWorker as exc:
            self._owner._worker_died(exc)
            return self._owner._lost(self._job, exc, time.monotonic() - self._started)
        finally:
            self._release()


class _Done:
    """A run that was never submitted, with its (failed) result."""

    def __init__(self, result: Any):
        self._result = result

    def result(self) -> Any:
        return self._result
