"""Executing one report run: papermill in a fresh kernel, with timeouts, then rendering.

:func:`execute_run` runs in a thread of the build (several at once with ``--jobs``) or in a
Dask worker (:func:`execute_run_remote`). Each run gets its own kernel, started by a kernel
manager that passes the run's environment (``LOZELLS_READS_FILE``) and working folder to the
kernel process directly, so runs in threads of one process never share ``os.environ`` or the
current directory, and take their ports from jupyter_client's per-process port cache, so
kernels started side by side do not collide.

A cell running longer than ``cell_timeout`` fails the run (nbclient's timeout); a run longer
than ``run_timeout`` has its kernel killed by a watchdog, and a dead kernel is reported as a
failure (nbclient notices within a second) rather than waiting forever.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lozells_analysis.data.tracking import READS_ENV, reads_from
from lozells_analysis.reports.job import RunJob
from lozells_analysis.reports.render import render_views

log = logging.getLogger(__name__)
# The narrative of each run goes to that run's log file only (not the build's console).
runlog = logging.getLogger("lozells_analysis.run")
runlog.propagate = False

__all__ = ["RunJob", "RunResult", "execute_run", "execute_run_remote", "kill_all_kernels"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LIVE: dict[int, Any] = {}  # id(kernel manager) -> kernel manager, for kill_all_kernels
_LIVE_LOCK = threading.Lock()


@dataclass
class RunResult:
    """The outcome of :func:`execute_run`.

    ``files`` maps each produced view (``research``, ``briefing``, ``notebook``, ``log``) to
    its file name in the work folder; ``payload`` holds those files' bytes when the run came
    back from a remote worker.
    """

    name: str
    ok: bool
    error: str | None
    reads: list[dict]
    duration: float
    files: dict[str, str]
    payload: dict[str, bytes] | None = None


def one_line(text: str, limit: int = 300) -> str:
    """Collapse a message to one line without ANSI colour codes, at most ``limit`` chars.

    Examples
    --------
    >>> one_line("ValueError:\\n  \\x1b[31mbad\\x1b[0m value")
    'ValueError: bad value'
    """
    flat = " ".join(_ANSI.sub("", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def kill_all_kernels() -> int:
    """Kill every kernel this process started for a run that is still going (on SIGINT or
    SIGTERM); the runs then fail at once. Returns how many were killed."""
    with _LIVE_LOCK:
        managers = list(_LIVE.values())
    killed = 0
    for km in managers:
        if _kill_kernel(km):
            killed += 1
    return killed


def _kill_kernel(km: Any) -> bool:
    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    if not pid:
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _kernel_manager(kernel: str, env: dict[str, str], cwd: str, output: Path) -> Any:
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        """Starts the kernel with this run's environment, folder and output file."""

        # jupyter_client types KernelManager.start_kernel as synchronous; AsyncKernelManager
        # replaces it with a coroutine function at run time, as here
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = {**os.environ, **env}
            kw["cwd"] = cwd
            handle = open(output, "ab")  # noqa: SIM115 - closed after the kernel stops
            self._lozells_output = handle
            kw["stdout"] = handle
            kw["stderr"] = handle
            await super().start_kernel(**kw)

    return RunKernelManager(kernel_name=kernel)


def _shutdown(km: Any) -> None:
    from jupyter_core.utils import run_sync

    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception as exc:  # a killed kernel may not answer: make sure it is gone
        log.debug("kernel shutdown failed (%s); killing it", exc)
        _kill_kernel(km)
    handle = getattr(km, "_lozells_output", None)
    if handle is not None:
        handle.close()


class _ThreadFilter(logging.Filter):
    def __init__(self, thread_id: int):
        super().__init__()
        self.thread_id = thread_id

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.thread_id


def _describe_failure(exc: BaseException, job: RunJob, timed_out: bool) -> tuple[str, str]:
    """(one-line error, detail for the log)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        tb = "\n".join(_ANSI.sub("", line) for line in exc.traceback)
        line = one_line(f"{exc.ename}: {exc.evalue} (cell [{exc.exec_count}])")
        return line, f"failing cell [{exc.exec_count}] raised:\n{tb}"
    if isinstance(exc, CellTimeoutError):
        line = f"a cell ran longer than cell_timeout ({job.cell_timeout:g} s) and was stopped"
        return line, f"{line}\n{exc}"
    if timed_out:
        line = f"the run took longer than run_timeout ({job.run_timeout:g} s); kernel stopped"
        return line, f"{line}\n{type(exc).__name__}: {exc}"
    if isinstance(exc, DeadKernelError):
        line = one_line(f"the kernel died (crash, out of memory or killed): {exc}")
        return line, line
    line = one_line(f"{type(exc).__name__}: {exc}")
    return line, line


def execute_run(
    job: RunJob, workdir: Path, *, cancelled: threading.Event | None = None
) -> RunResult:
    """Execute ``job``'s notebook in a fresh kernel and render its views into ``workdir``.

    Never raises for a failing notebook: the failure is in the result (``ok=False``, a
    one-line ``error``) and the detail, with the failing cell's traceback, in ``run.log``.
    """
    import papermill

    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    input_path = workdir / "input.ipynb"
    input_path.write_text(job.notebook_json, encoding="utf-8")
    executed = workdir / f"{job.name}.ipynb"
    reads_file = workdir / "reads.jsonl"
    reads_file.unlink(missing_ok=True)
    kernel_output = workdir / "kernel-output.log"
    run_log = workdir / "run.log"
    cwd = job.cwd if Path(job.cwd).is_dir() else str(workdir)

    handler = logging.FileHandler(run_log, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ThreadFilter(threading.get_ident()))
    pm_logger = logging.getLogger("papermill")
    pm_logger.setLevel(logging.INFO)
    runlog.setLevel(logging.INFO)
    pm_logger.addHandler(handler)
    runlog.addHandler(handler)
    runlog.info(
        "run %s: notebook %s, parameters %s, kernel %s, cell_timeout %gs, run_timeout %gs",
        job.name,
        job.notebook_display,
        json.dumps(job.parameters),
        job.kernel,
        job.cell_timeout,
        job.run_timeout,
    )

    env = {**job.env, READS_ENV: str(reads_file), "LOZELLS_RUN": job.name}
    km = _kernel_manager(job.kernel, env, cwd, kernel_output)
    timed_out = threading.Event()
    finished = threading.Event()

    def watchdog() -> None:
        # Kill the kernel when the run overruns run_timeout or the build is interrupted;
        # nbclient then reports a dead kernel and the run fails instead of hanging.
        deadline = time.monotonic() + job.run_timeout
        while not finished.wait(0.2):
            stop = cancelled is not None and cancelled.is_set()
            if time.monotonic() > deadline and not stop:
                timed_out.set()
                runlog.warning(
                    "run %s exceeded run_timeout (%gs): killing its kernel",
                    job.name,
                    job.run_timeout,
                )
                stop = True
            if stop and _kill_kernel(km):
                return

    timer = threading.Thread(target=watchdog, name=f"watchdog-{job.name}", daemon=True)
    with _LIVE_LOCK:
        _LIVE[id(km)] = km
    error: str | None = None
    files: dict[str, str] = {}
    reads: list[dict] = []
    try:
        if cancelled is not None and cancelled.is_set():
            raise InterruptedError("the build was interrupted before this run started")
        timer.start()
        papermill.execute_notebook(
            str(input_path),
            str(executed),
            parameters=job.parameters,
            kernel_name=job.kernel,
            progress_bar=False,
            log_output=True,
            execution_timeout=job.cell_timeout,
            start_timeout=60,
            km=km,
        )
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a failed run
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        error, detail = _describe_failure(exc, job, timed_out.is_set())
        if cancelled is not None and cancelled.is_set():
            error = "interrupted (SIGINT/SIGTERM) before it finished"
        runlog.error("run %s failed: %s\n%s", job.name, error, detail)
    finally:
        finished.set()
        with _LIVE_LOCK:
            _LIVE.pop(id(km), None)
        _shutdown(km)
    if error is None:
        try:
            reads = reads_from(reads_file)
            files.update(render_views(executed, job, reads, workdir))
            files["notebook"] = executed.name
        except Exception as exc:  # noqa: BLE001 - a render failure is a failed run
            error = one_line(f"rendering failed: {type(exc).__name__}: {exc}")
            runlog.exception("run %s: rendering failed", job.name)
    duration = time.monotonic() - started
    if error is None:
        runlog.info(
            "run %s succeeded in %.1fs; data files read: %d", job.name, duration, len(reads)
        )
    pm_logger.removeHandler(handler)
    runlog.removeHandler(handler)
    handler.close()
    if kernel_output.exists() and kernel_output.stat().st_size:
        with open(run_log, "a", encoding="utf-8") as out:
            out.write("\n--- kernel process output (stdout/stderr) ---\n")
            out.write(_ANSI.sub("", kernel_output.read_text(encoding="utf-8", errors="replace")))
    files["log"] = run_log.name
    return RunResult(job.name, error is None, error, reads, duration, files)


def execute_run_remote(job: RunJob) -> RunResult:
    """:func:`execute_run` in a temporary folder, returning the files' bytes in ``payload``
    (what a Dask worker runs: it may not share a file system with the build)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"lozells-{job.name}-"))
    try:
        result = execute_run(job, workdir)
        result.payload = {
            view: (workdir / name).read_bytes() for view, name in result.files.items()
        }
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
