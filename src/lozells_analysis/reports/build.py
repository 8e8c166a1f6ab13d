"""Building the catalogue: decide what changed, run it, publish it, record it.

:func:`build` is what ``lozells build`` calls. It checks that the folders it writes can be
written (:mod:`.environment`), takes the build lock, loads and checks the catalogue, skips
every run whose inputs did not change and whose published files are intact (see
:mod:`.plan` and :mod:`.fingerprint`), executes the rest in parallel (threads of this
process, one kernel each, or a Dask cluster: :mod:`.distributed`), publishes each successful
run atomically from the staging folder, keeps the last good report of a failed run, and
rewrites ``reports/index.html`` from the state. Nothing heavy (papermill, nbconvert,
nbformat) is imported unless a run has to be executed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from lozells_analysis.exceptions import BuildEnvironmentError, CatalogueError
from lozells_analysis.reports import distributed, publish
from lozells_analysis.reports.buildlog import build_log
from lozells_analysis.reports.catalogue import ReportRun
from lozells_analysis.reports.environment import (
    check_folders,
    environment_error,
    is_environment_error,
)
from lozells_analysis.reports.fingerprint import file_record, run_key
from lozells_analysis.reports.index import write_index
from lozells_analysis.reports.lock import BuildLock
from lozells_analysis.reports.options import BuildOptions, BuildSummary, RunOutcome
from lozells_analysis.reports.plan import (
    Decisions,
    RunStatus,
    describe,
    load_project_catalogue,
    plan,
    run_statuses,
)
from lozells_analysis.reports.project import Project
from lozells_analysis.reports.signals import BuildInterrupted, Signals
from lozells_analysis.reports.state import BuildState, RunRecord

log = logging.getLogger(__name__)

__all__ = [
    "BuildInterrupted",
    "BuildOptions",
    "BuildSummary",
    "RunOutcome",
    "RunStatus",
    "build",
    "build_reports",
    "clean",
    "describe",
    "plan",
    "run_statuses",
]


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _job_for(run: ReportRun, provenance: dict[str, Any], rules: tuple[int, int]) -> Any:
    from lozells_analysis.reports.job import RunJob
    from lozells_analysis.stats.published import AUDIENCE_ENV, MIN_N_ENV, ROUNDING_ENV

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
        # the disclosure rules the library applies in the kernel (stats.published.CountRules)
        env={AUDIENCE_ENV: run.audience, MIN_N_ENV: str(rules[0]), ROUNDING_ENV: str(rules[1])},
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
    root: str = "",
) -> Any:
    """Execute and render one run into ``workdir`` (locally or on the cluster), then its
    spreadsheet and PDF (printed from the page with its machine paths scrubbed: ``root`` is
    the project's folder)."""
    from lozells_analysis.reports.execute import execute_run

    log.info("start       %s (%s)", run.name, reason)
    if client is not None:
        result = distributed.run_on_cluster(client, job, workdir)
    else:
        result = execute_run(job, workdir, cancelled=cancelled)
    if result.ok and not cancelled.is_set():
        from lozells_analysis.reports.downloads import add_downloads
        from lozells_analysis.reports.gate import Scrubber

        scrub = Scrubber(root, run.parameters, str(workdir)) if root else None
        add_downloads(run, result, workdir, pdf=pdf, cancelled=cancelled, scrub=scrub)
    return result


def _publish(
    project: Project, run: ReportRun, result: Any, workdir: Path
) -> tuple[dict[str, str], dict[str, dict]]:
    """Move a successful run's files into ``reports/``; return view -> published name, and
    view -> the published file's :func:`~.fingerprint.file_record`."""
    outputs: dict[str, str] = {}
    published: dict[str, dict] = {}
    for view, name in result.files.items():
        if view == "log":
            continue
        publish.publish_file(workdir / name, project.reports / name)
        outputs[view] = name
        published[view] = file_record(project.reports / name)
    return outputs, published


def _publish_log(
    project: Project, run: ReportRun, result: Any, workdir: Path, scrub: Any, names: list[str]
) -> str | None:
    """Keep the full log under ``.lozells/logs/``; publish one without data values or paths."""
    from lozells_analysis.reports.gate import split_log

    name = result.files.get("log")
    if not name or not (workdir / name).is_file():
        return None
    target = f"logs/{run.name}.log"
    staged = workdir / "published.log"
    split_log(workdir / name, project.state_dir / "logs" / f"{run.name}.log", staged, scrub, names)
    publish.publish_file(staged, project.reports / target)
    return target


def _environment_problem(exc: OSError, project: Project, doing: str) -> BuildEnvironmentError:
    """``exc`` as a :class:`BuildEnvironmentError` when it is about the machine; else
    re-raise it."""
    problem = environment_error(exc, root=project.root, doing=doing)
    if problem is None:
        raise exc
    return problem


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
    BuildEnvironmentError
        No space left, a read-only, missing or unwritable folder (one-line message);
        published reports are left as they were.
    BuildInterrupted
        On SIGINT/SIGTERM; every published report is left intact.
    """
    options = options or BuildOptions()
    started = time.monotonic()
    build_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    if not project.root.is_dir():  # create no folders under a mistyped --root
        raise CatalogueError(f"the project folder {project.root} does not exist (--root)")
    try:
        check_folders(
            {
                project.reports: "output folder",
                project.logs: "build log folder",
                project.state_dir: "build state folder",
            },
            root=project.root,
        )
        with (
            BuildLock(project.build_lock, wait=options.wait),
            build_log(project, build_id) as handler,
        ):
            summary = BuildSummary(log=project.logs / f"build-{build_id}.log")
            try:
                _build_locked(project, options, build_id, summary)
            except BuildEnvironmentError as exc:
                # for the build log only: the command line prints the one line itself
                handler.handle(log.makeRecord(log.name, logging.ERROR, "", 0, str(exc), (), None))
                raise
            finally:
                summary.duration = time.monotonic() - started
                log.info(
                    "build finished in %.1fs: %d built, %d up to date, %d failed (log %s)",
                    summary.duration,
                    sum(o.status == "built" for o in summary.outcomes),
                    sum(o.status == "skipped" for o in summary.outcomes),
                    len(summary.failed),
                    summary.log,
                )
    except OSError as exc:
        raise _environment_problem(exc, project, "building") from None
    return summary


def _build_locked(
    project: Project, options: BuildOptions, build_id: str, summary: BuildSummary
) -> None:
    assert summary.log is not None
    catalogue = load_project_catalogue(project)
    runs = catalogue.select(list(options.ids))
    state = BuildState.load(project.state_file, move_aside=True)
    if project.staging.exists():  # left by an interrupted build; we hold the lock
        shutil.rmtree(project.staging, ignore_errors=True)
    from lozells_analysis.reports.downloads import want_pdf

    pdf = want_pdf(options.pdf, runs)
    decisions = plan(project, runs, state, force=options.force, pdf=pdf)
    todo = [run for run in runs if decisions[run.name][0] is not None]
    for run in runs:
        reason = decisions[run.name][0]
        if reason is None:
            summary.outcomes.append(RunOutcome(run.name, "skipped", "up to date"))
            log.info("up to date  %s", run.name)
        elif reason.startswith("published "):
            log.warning("%s: %s; rebuilding it", run.name, reason)
    state.last_build = {
        "started_at": _now(),
        "log": str(summary.log.relative_to(project.reports)),
        "requested": [r.name for r in runs],
    }
    failure: BaseException | None = None
    try:
        if todo:
            _execute_all(project, options, todo, decisions, state, summary, build_id, pdf)
    except BaseException as exc:
        failure = exc
        if isinstance(exc, BuildInterrupted):
            state.last_build["interrupted"] = str(exc)  # the index says so
        raise
    finally:
        state.last_build["finished_at"] = _now()
        steps: list[tuple[str, Callable[[], object]]] = [
            ("save the build state", state.save),
            ("write the index", lambda: write_index(catalogue.runs, state, project.reports)),
            ("write the output check", lambda: _write_output_check(project, catalogue, state)),
        ]
        for what, step in steps:
            try:
                step()
            except OSError as exc:
                if failure is None:
                    raise _environment_problem(exc, project, f"trying to {what}") from None
                log.warning("could not %s: %s", what, exc)  # the first error is the one shown
        summary.index = project.reports / "index.html"
        shutil.rmtree(project.staging / build_id, ignore_errors=True)


def _write_output_check(project: Project, catalogue: Any, state: BuildState) -> None:
    """``reports/output-check.json`` and ``.html``; the index and both pass the scan."""
    from lozells_analysis.reports.gate import scrub_published_page
    from lozells_analysis.reports.output_check import write_output_check
    from lozells_analysis.stats.disclosure import load_redaction_list

    floor, rounding = _rules(project)
    written = write_output_check(catalogue.runs, state, project.reports, floor, rounding)
    for page in (project.reports / "index.html", *written):
        scrub_published_page(page, load_redaction_list())


def _execute_all(
    project: Project,
    options: BuildOptions,
    todo: list[ReportRun],
    decisions: Decisions,
    state: BuildState,
    summary: BuildSummary,
    build_id: str,
    pdf: bool = False,
) -> None:
    from lozells_analysis.reports.provenance import build_provenance

    provenance = build_provenance(project.root)
    rules = _rules(project)
    staging = project.staging / build_id
    staging.mkdir(parents=True, exist_ok=True)
    cancelled = threading.Event()
    client = distributed.open_cluster(options, len(todo), project)
    if client is not None:
        workers = len(todo)
    else:
        workers = max(1, min(options.jobs or _cpu_count(), len(todo)))
        log.info("building %d run(s) with %d parallel kernel(s)", len(todo), workers)
    total = len(todo)
    done_count = 0
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lozells-run")
    futures: dict[Future, ReportRun] = {}
    signals = Signals()
    try:
        with signals:
            for run in todo:
                job = _job_for(run, provenance, rules)
                futures[
                    pool.submit(
                        _run_one,
                        run,
                        job,
                        staging / run.name,
                        client=client,
                        pdf=pdf,
                        cancelled=cancelled,
                        reason=decisions[run.name][0] or "",
                        root=str(project.root),
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
                            rules,
                        )
    except BaseException as exc:  # interrupted, or the machine stopped the build
        if isinstance(exc, BuildInterrupted):
            log.error(
                "%s: stopping the runs in progress; published reports are left as they were",
                exc,
            )
        cancelled.set()
        for future in futures:
            future.cancel()
        # releases the submitted runs; the scheduler drops queued ones
        distributed.close_cluster(client)
        client = None
        from lozells_analysis.reports.execute import kill_all_kernels

        kill_all_kernels()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        distributed.close_cluster(client)


def _finish(
    project: Project,
    run: ReportRun,
    future: Future,
    decisions: Decisions,
    state: BuildState,
    summary: BuildSummary,
    staging: Path,
    counter: str,
    rules: tuple[int, int],
) -> None:
    """Publish (or record the failure of) one finished run and save the state.

    Raises
    ------
    BuildEnvironmentError
        When the run or its publishing met no space left or a folder it may not write:
        the other runs would meet it too, so the build stops.
    """
    from lozells_analysis.reports.execute import RunResult, one_line

    workdir = staging / run.name
    record = state.runs.get(run.name) or RunRecord(status="failed")
    try:
        result: RunResult = future.result()
    except Exception as exc:  # the runner itself broke (disk full, cluster lost, ...)
        if is_environment_error(exc):
            assert isinstance(exc, OSError)
            raise _environment_problem(exc, project, f"running {run.name}") from None
        log.exception("run %s could not be executed", run.name)
        result = RunResult(run.name, False, one_line(f"{type(exc).__name__}: {exc}"), [], 0.0, {})
    from lozells_analysis.reports.gate import Scrubber, clean_message, prepare_run
    from lozells_analysis.stats.disclosure import load_redaction_list

    scrub = Scrubber(str(project.root), run.parameters, str(workdir))
    names = load_redaction_list()
    if result.ok:  # the publish gate: paths scrubbed, every file scanned
        try:
            reason = prepare_run(run, result.files, workdir, scrub, names)
        except (OSError, ValueError) as exc:
            reason = one_line(f"held back: the publish check failed: {type(exc).__name__}")
        if reason is not None:
            result.ok, result.error = False, reason
            with open(workdir / result.files["log"], "a", encoding="utf-8") as out:
                out.write(f"\n{reason}\n")
    from lozells_analysis.reports import differencing, output_check

    scan_reason = result.error if result.error and result.error.startswith("held back") else None
    counts, refused = differencing.check_run(run.name, result, workdir, state, rules[0])
    if refused is not None:  # the differencing check: a count a subtraction would give away
        result.ok, result.error = False, refused
        with open(workdir / result.files["log"], "a", encoding="utf-8") as out:
            out.write(f"\n{refused}\n")
    result.error = clean_message(result.error, scrub, names)
    record.checks = output_check.for_run(
        run, result, workdir, counts, scan=scan_reason, refused=refused, rules=rules
    )
    record.attempted_at = _now()
    record.title = run.title
    record.audience = run.audience
    record.parameters = run.parameters
    try:
        record.log = _publish_log(project, run, result, workdir, scrub, names) or record.log
    except OSError as exc:
        raise _environment_problem(exc, project, f"publishing the log of {run.name}") from None
    log_path = project.reports / record.log if record.log else None
    if result.ok:
        inputs = decisions[run.name][1]
        try:
            record.outputs, record.published = _publish(project, run, result, workdir)
        except OSError as exc:
            problem = environment_error(exc, root=project.root, doing=f"publishing {run.name}")
            if problem is not None:
                raise problem from None
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
            record.counts = counts
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


def _rules(project: Project) -> tuple[int, int]:
    """The project's disclosure settings: (``min_n`` floor, briefing count rounding)."""
    from lozells_analysis.reports.catalogue import count_rounding, min_n_floor

    return min_n_floor(project.root), count_rounding(project.root)


def clean(project: Project, *, wait: bool = False) -> list[Path]:
    """Remove every built report, log and the build state (under the build lock).

    Returns the paths removed. ``reports/.gitkeep`` and the lock file itself are kept.

    Raises
    ------
    BuildEnvironmentError
        If a folder cannot be written (read-only, permission denied).
    """
    removed = []
    try:
        with BuildLock(project.build_lock, wait=wait):
            for folder, keep in (
                (project.reports, {".gitkeep"}),
                (project.state_dir, {"build.lock"}),
            ):
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
    except OSError as exc:
        raise _environment_problem(exc, project, "cleaning") from None
    log.info("removed %d item(s) from %s and %s", len(removed), project.reports, project.state_dir)
    return removed


def build_reports(
    ids: Sequence[str] = (),
    *,
    force: bool = False,
    jobs: int | None = None,
    pdf: bool | None = None,
    root: str | Path | None = None,
    catalogue: str | Path | None = None,
    scheduler: str | None = None,
) -> BuildSummary:
    """Build the reports of the catalogue, as ``lozells build`` does (its Python entry point).

    Parameters
    ----------
    ids
        Catalogue entries (or run names) to build; empty builds every entry.
    force
        Rebuild even the runs whose inputs have not changed.
    jobs
        Runs executed at once (default: one per core, at most four).
    pdf
        Print each briefing pack to PDF (unless its entry says ``pdf: false``): None (the
        default) when Chromium is installed, True always (an error without Chromium),
        False never.
    root
        The project folder (default: this repository); reports go to ``root/reports``.
    catalogue
        Another catalogue file than ``root/reports.yaml``.
    scheduler
        Address of a Dask distributed scheduler to run the notebooks on.

    Returns
    -------
    BuildSummary
        One :class:`RunOutcome` per run (``built``, ``skipped`` or ``failed``);
        ``summary.ok`` is False when any run failed (its last good report is kept).

    Examples
    --------
    An entry the catalogue does not list is refused before anything runs:

    >>> build_reports(["no-such-report"])
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.CatalogueError: ...
    """
    options = BuildOptions(ids=list(ids), force=force, jobs=jobs, pdf=pdf, scheduler=scheduler)
    project = Project.at(
        Path(root) if root is not None else None,
        catalogue=Path(catalogue) if catalogue is not None else None,
    )
    return build(project, options)
