"""Building the catalogue: decide what changed, run it, publish it, record it.

:func:`build` is what ``lozells build`` calls. It takes the build lock, loads and checks the
catalogue, skips every run whose inputs did not change (see :mod:`.fingerprint`), executes the
rest in parallel (threads of this process, one kernel each, or a Dask cluster), publishes each
successful run atomically from the staging folder, keeps the last good report of a failed run,
and rewrites ``reports/index.html`` from the state. Nothing heavy (papermill, nbconvert,
nbformat) is imported unless a run has to be executed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lozells_analysis.exceptions import BuildError, LozellsError
from lozells_analysis.reports.catalogue import Catalogue, ReportRun, load_catalogue
from lozells_analysis.reports.fingerprint import (
    changed_input,
    directory_digest,
    file_digest,
    reads_unchanged,
    run_inputs,
    run_key,
)
from lozells_analysis.reports.index import write_index
from lozells_analysis.reports.lock import BuildLock
from lozells_analysis.reports.project import Project
from lozells_analysis.reports.publish import publish_file
from lozells_analysis.reports.state import BuildState, RunRecord

log = logging.getLogger(__name__)

__all__ = [
    "BuildInterrupted",
    "BuildOptions",
    "BuildSummary",
    "RunOutcome",
    "RunStatus",
    "build",
    "clean",
    "plan",
    "run_statuses",
]

_KEEP_BUILD_LOGS = 30


class BuildInterrupted(LozellsError):
    """The build was stopped by SIGINT or SIGTERM; published reports are intact."""

    def __init__(self, signum: int):
        super().__init__(f"build interrupted by {signal.Signals(signum).name}")
        self.signum = signum


@dataclass
class BuildOptions:
    """What ``lozells build`` was asked to do (see the command line's help)."""

    ids: Sequence[str] = ()
    force: bool = False
    jobs: int | None = None
    scheduler: str | None = None
    pdf: bool = False
    wait: bool = False
    scheduler_timeout: float = 20.0


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


@dataclass
class RunStatus:
    """A run's standing for ``lozells list``: its record and whether it is up to date."""

    run: ReportRun
    record: RunRecord | None
    state: str
    reason: str | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _outputs_present(project: Project, record: RunRecord, audience: str, pdf: bool) -> bool:
    wanted = ["research", "briefing"] + (["pdf"] if pdf and audience == "briefing" else [])
    return all(
        view in record.outputs and (project.reports / record.outputs[view]).is_file()
        for view in wanted
    )


def plan(
    project: Project,
    runs: Sequence[ReportRun],
    state: BuildState,
    *,
    force: bool = False,
    pdf: bool = False,
) -> dict[str, tuple[str | None, dict[str, str]]]:
    """For each run: why it must be (re)built (``None`` when it is up to date), and its inputs.

    Reasons: ``forced``, ``never built``, ``last run failed``, ``outputs missing``,
    ``<input> changed`` (notebook, parameters, kernel, audience, library, lock) and
    ``data changed``. Refreshes the size/mtime of the data files it re-hashed in ``state``.
    """
    library = directory_digest(project.library)
    lock = file_digest(project.lock_file) if project.lock_file else "none"
    decisions: dict[str, tuple[str | None, dict[str, str]]] = {}
    for run in runs:
        inputs = run_inputs(
            notebook_digest=run.notebook_digest,
            parameters=run.parameters,
            kernel=run.kernel,
            audience=run.audience,
            library=library,
            lock=lock,
        )
        record = state.runs.get(run.name)
        reason: str | None = None
        if force:
            reason = "forced"
        elif record is None or record.key is None:
            reason = "never built"
        elif record.status != "succeeded":
            reason = "last run failed"
        elif record.key != run_key(inputs):
            reason = f"{changed_input(record.inputs, inputs) or 'input'} changed"
        elif not _outputs_present(project, record, run.audience, pdf):
            reason = "outputs missing"
        else:
            same, refreshed = reads_unchanged(record.reads)
            if same:
                record.reads = refreshed
            else:
                reason = "data changed"
        decisions[run.name] = (reason, inputs)
    return decisions


def _load(project: Project) -> Catalogue:
    return load_catalogue(project.catalogue, root=project.root, cache=project.parameters_cache)


def run_statuses(project: Project) -> list[RunStatus]:
    """Every catalogue run with its last record and whether it is up to date."""
    catalogue = _load(project)
    state = BuildState.load(project.state_file)
    decisions = plan(project, catalogue.runs, state)
    statuses = []
    for run in catalogue.runs:
        record = state.runs.get(run.name)
        reason = decisions[run.name][0]
        if record is None:
            word = "never built"
        elif record.status == "failed":
            word = "failed"
        elif reason:
            word = "out of date"
        else:
            word = "up to date"
        statuses.append(RunStatus(run, record, word, reason))
    return statuses


class _Signals:
    """Turn SIGINT and SIGTERM into :class:`BuildInterrupted` in the main thread, except
    while a run is being published (``with signals.critical():``), when the signal waits
    until the run's files and state are all written."""

    def __init__(self) -> None:
        self._critical = False
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self._critical:
            self._pending = signum
            return
        raise BuildInterrupted(signum)

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)

    @contextmanager
    def critical(self) -> Iterator[None]:
        self._critical = True
        try:
            yield
        finally:
            self._critical = False
            if self._pending is not None:
                signum, self._pending = self._pending, None
                raise BuildInterrupted(signum)


class _BuildLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # cell-by-cell papermill output belongs in the per-run logs
        return not record.name.startswith("papermill")


@contextmanager
def _build_log(project: Project, build_id: str) -> Iterator[Path]:
    project.logs.mkdir(parents=True, exist_ok=True)
    path = project.logs / f"build-{build_id}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_BuildLogFilter())
    root = logging.getLogger()
    ours = logging.getLogger("lozells_analysis")
    old_level = ours.level
    if ours.getEffectiveLevel() > logging.INFO:
        ours.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()
        ours.setLevel(old_level)
        old = sorted(project.logs.glob("build-*.log"))[:-_KEEP_BUILD_LOGS]
        for stale in old:
            stale.unlink(missing_ok=True)


def _job_for(run: ReportRun, provenance: dict[str, Any]) -> Any:
    from lozells_analysis.reports.execute import RunJob

    return RunJob(
        name=run.name,
        title=run.title,
        audience=run.audience,
        notebook_display=run.notebook_display,
        notebook_json=run.notebook.read_text(encoding="utf-8"),
        parameters=run.parameters,
        kernel=run.kernel,
        cell_timeout=run.cell_timeout,
        run_timeout=run.run_timeout,
        cwd=str(run.notebook.parent),
        provenance=provenance,
    )


def _run_one(
    run: ReportRun,
    job: Any,
    workdir: Path,
    *,
    client: Any,
    pdf: bool,
    cancelled: threading.Event,
    reason: str,
) -> Any:
    """Execute and render one run into ``workdir`` (locally or on the cluster), then its PDF."""
    from lozells_analysis.reports.execute import execute_run, execute_run_remote, one_line

    log.info("start       %s (%s)", run.name, reason)
    if client is not None:
        future = client.submit(
            execute_run_remote, job, pure=False, key=f"lozells-{run.name}-{os.urandom(4).hex()}"
        )
        result = future.result()
        workdir.mkdir(parents=True, exist_ok=True)
        for view, data in (result.payload or {}).items():
            (workdir / result.files[view]).write_bytes(data)
        result.payload = None
    else:
        result = execute_run(job, workdir, cancelled=cancelled)
    if result.ok and pdf and run.audience == "briefing" and not cancelled.is_set():
        from lozells_analysis.reports.pdf import html_to_pdf

        pdf_name = f"{run.name}.pdf"
        try:
            html_to_pdf(workdir / result.files["briefing"], workdir / pdf_name)
            result.files["pdf"] = pdf_name
        except BuildError as exc:
            result.ok = False
            result.error = one_line(str(exc))
            with open(workdir / result.files["log"], "a", encoding="utf-8") as out:
                out.write(f"\nPDF: {exc}\n")
    return result


def _publish(project: Project, run: ReportRun, result: Any, workdir: Path) -> dict[str, str]:
    """Move a successful run's files into ``reports/``; return view -> published name."""
    published = {}
    for view, name in result.files.items():
        if view == "log":
            continue
        publish_file(workdir / name, project.reports / name)
        published[view] = name
    return published


def _publish_log(project: Project, run: ReportRun, result: Any, workdir: Path) -> str | None:
    name = result.files.get("log")
    if not name or not (workdir / name).is_file():
        return None
    target = f"logs/{run.name}.log"
    publish_file(workdir / name, project.reports / target)
    return target


def build(project: Project, options: BuildOptions | None = None) -> BuildSummary:
    """Build the requested runs of the catalogue (all when ``options.ids`` is empty).

    Returns
    -------
    BuildSummary
        ``summary.ok`` is False when any requested run failed.

    Raises
    ------
    CatalogueError
        If the catalogue is invalid (nothing is run).
    LockHeld
        If another build holds the lock and ``options.wait`` is False.
    BuildInterrupted
        On SIGINT/SIGTERM; every published report is left intact.
    """
    options = options or BuildOptions()
    started = time.monotonic()
    build_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    with BuildLock(project.build_lock, wait=options.wait), _build_log(project, build_id) as path:
        summary = BuildSummary(log=path)
        try:
            _build_locked(project, options, build_id, summary)
        finally:
            summary.duration = time.monotonic() - started
            log.info(
                "build finished in %.1fs: %d built, %d up to date, %d failed (log %s)",
                summary.duration,
                sum(o.status == "built" for o in summary.outcomes),
                sum(o.status == "skipped" for o in summary.outcomes),
                len(summary.failed),
                path,
            )
    return summary


def _build_locked(
    project: Project, options: BuildOptions, build_id: str, summary: BuildSummary
) -> None:
    assert summary.log is not None
    catalogue = _load(project)
    runs = catalogue.select(list(options.ids))
    state = BuildState.load(project.state_file)
    if project.staging.exists():  # left by an interrupted build; we hold the lock
        shutil.rmtree(project.staging, ignore_errors=True)
    decisions = plan(project, runs, state, force=options.force, pdf=options.pdf)
    todo = [run for run in runs if decisions[run.name][0] is not None]
    for run in runs:
        if decisions[run.name][0] is None:
            summary.outcomes.append(RunOutcome(run.name, "skipped", "up to date"))
            log.info("up to date  %s", run.name)
    state.last_build = {
        "started_at": _now(),
        "log": str(summary.log.relative_to(project.reports)),
        "requested": [r.name for r in runs],
    }
    try:
        if todo:
            if options.pdf:
                from lozells_analysis.reports.pdf import find_chromium

                find_chromium()  # fail before running anything, saying `make browser`
            _execute_all(project, options, todo, decisions, state, summary, build_id)
    except BuildInterrupted as exc:
        state.last_build["interrupted"] = str(exc)  # the index says so
        raise
    finally:
        state.last_build["finished_at"] = _now()
        state.save()
        summary.index = write_index(catalogue.runs, state, project.reports)
        shutil.rmtree(project.staging / build_id, ignore_errors=True)


def _execute_all(
    project: Project,
    options: BuildOptions,
    todo: list[ReportRun],
    decisions: dict[str, tuple[str | None, dict[str, str]]],
    state: BuildState,
    summary: BuildSummary,
    build_id: str,
) -> None:
    from lozells_analysis.reports.provenance import build_provenance

    provenance = build_provenance(project.root)
    staging = project.staging / build_id
    staging.mkdir(parents=True, exist_ok=True)
    cancelled = threading.Event()
    client = None
    if options.scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise BuildError(
                "--scheduler needs the 'distributed' package (pip extra 'cluster')"
            ) from exc
        try:
            # distributed's Client constructor and close() are unannotated
            client = Client(  # type: ignore[no-untyped-call]
                options.scheduler, timeout=f"{options.scheduler_timeout}s", set_as_default=False
            )
        except OSError as exc:
            raise BuildError(
                f"cannot reach the Dask scheduler at {options.scheduler}: {exc}. Check the "
                "address (tcp://HOST:PORT) and that the scheduler is running."
            ) from exc
        workers = len(todo)
        log.info("submitting %d run(s) to the Dask cluster at %s", len(todo), options.scheduler)
    else:
        workers = max(1, min(options.jobs or _cpu_count(), len(todo)))
        log.info("building %d run(s) with %d parallel kernel(s)", len(todo), workers)
    total = len(todo)
    done_count = 0
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lozells-run")
    futures: dict[Future, ReportRun] = {}
    signals = _Signals()
    try:
        with signals:
            for run in todo:
                job = _job_for(run, provenance)
                futures[
                    pool.submit(
                        _run_one,
                        run,
                        job,
                        staging / run.name,
                        client=client,
                        pdf=options.pdf,
                        cancelled=cancelled,
                        reason=decisions[run.name][0] or "",
                    )
                ] = run
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    done_count += 1
                    run = futures[future]
                    with signals.critical():
                        _finish(
                            project,
                            run,
                            future,
                            decisions,
                            state,
                            summary,
                            staging,
                            f"[{done_count}/{total}]",
                        )
    except BuildInterrupted as exc:
        log.error(
            "%s: stopping the runs in progress; published reports are left as they were", exc
        )
        cancelled.set()
        for future in futures:
            future.cancel()
        if client is not None:
            # releases the submitted runs; the scheduler drops queued ones
            client.close()  # type: ignore[no-untyped-call]  # unannotated in distributed
            client = None
        from lozells_analysis.reports.execute import kill_all_kernels

        kill_all_kernels()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]  # unannotated in distributed


def _finish(
    project: Project,
    run: ReportRun,
    future: Future,
    decisions: dict[str, tuple[str | None, dict[str, str]]],
    state: BuildState,
    summary: BuildSummary,
    staging: Path,
    counter: str,
) -> None:
    """Publish (or record the failure of) one finished run and save the state."""
    from lozells_analysis.reports.execute import RunResult, one_line

    workdir = staging / run.name
    record = state.runs.get(run.name) or RunRecord(status="failed")
    try:
        result: RunResult = future.result()
    except Exception as exc:  # the runner itself broke (cluster lost, disk full, ...)
        log.exception("run %s could not be executed", run.name)
        result = RunResult(run.name, False, one_line(f"{type(exc).__name__}: {exc}"), [], 0.0, {})
    record.attempted_at = _now()
    record.title = run.title
    record.audience = run.audience
    record.parameters = run.parameters
    record.log = _publish_log(project, run, result, workdir) or record.log
    log_path = project.reports / record.log if record.log else None
    if result.ok:
        inputs = decisions[run.name][1]
        try:
            record.outputs = _publish(project, run, result, workdir)
        except OSError as exc:
            result.ok = False
            result.error = one_line(f"could not publish: {exc}")
        else:
            record.status = "succeeded"
            record.inputs = inputs
            record.key = run_key(inputs)
            record.reads = result.reads
            record.built_at = record.attempted_at
            record.duration = round(result.duration, 2)
            record.error = None
    if not result.ok:
        record.status = "failed"
        record.error = result.error
    state.runs[run.name] = record
    state.save()
    if result.ok:
        summary.outcomes.append(
            RunOutcome(
                run.name, "built", decisions[run.name][0] or "", result.duration, None, log_path
            )
        )
        log.info("%s built      %s in %.1fs", counter, run.name, result.duration)
    else:
        summary.outcomes.append(
            RunOutcome(
                run.name,
                "failed",
                decisions[run.name][0] or "",
                result.duration,
                result.error,
                log_path,
            )
        )
        log.error(
            "%s FAILED     %s after %.1fs: %s (log: %s)",
            counter,
            run.name,
            result.duration,
            result.error,
            log_path,
        )


def clean(project: Project, *, wait: bool = False) -> list[Path]:
    """Remove every built report, log and the build state (under the build lock).

    Returns the paths removed. ``reports/.gitkeep`` and the lock file itself are kept.
    """
    removed = []
    with BuildLock(project.build_lock, wait=wait):
        for folder, keep in ((project.reports, {".gitkeep"}), (project.state_dir, {"build.lock"})):
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.name in keep:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
    log.info("removed %d item(s) from %s and %s", len(removed), project.reports, project.state_dir)
    return removed


def describe(summary: BuildSummary) -> str:
    """A one-paragraph account of a build, for the end of the command line's output."""
    built = sum(o.status == "built" for o in summary.outcomes)
    skipped = sum(o.status == "skipped" for o in summary.outcomes)
    text = (
        f"{built} built, {skipped} up to date, {len(summary.failed)} failed "
        f"in {summary.duration:.1f}s"
    )
    return text + "".join(f"\n  FAILED {o.name}: {o.error} (log: {o.log})" for o in summary.failed)
