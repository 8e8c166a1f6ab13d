"""The build lock: one build (or clean) at a time over the same reports folder.

An advisory ``fcntl.flock`` on ``.lozells/build.lock``; the kernel drops it when the holder
exits, however it exits, so a killed build never leaves a stale lock behind. The file records
who holds it, for the message the second build prints.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from lozells_analysis.exceptions import LozellsError

__all__ = ["BuildLock", "LockHeld"]


class LockHeld(LozellsError):
    """Another build holds the lock (the command line exits with status 3)."""


class BuildLock:
    """Hold the build lock for a ``with`` block.

    Parameters
    ----------
    path : Path
        The lock file.
    wait : bool
        Wait for the other build to finish instead of raising :class:`LockHeld`.
    timeout : float, optional
        With ``wait``, give up (raise :class:`LockHeld`) after this many seconds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     lock = pathlib.Path(d) / "build.lock"
    ...     with BuildLock(lock):
    ...         try:
    ...             with BuildLock(lock):
    ...                 pass
    ...         except LockHeld:
    ...             print("second build refused")
    second build refused
    """

    def __init__(self, path: Path, *, wait: bool = False, timeout: float | None = None):
        self.path = Path(path)
        self.wait = wait
        self.timeout = timeout
        self._fd: int | None = None

    def _holder(self) -> str:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        return text or "another process"

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not self.wait or (deadline is not None and time.monotonic() > deadline):
                    holder = self._holder()
                    os.close(fd)
                    raise LockHeld(
                        f"another build is running ({holder}; lock file {self.path}). "
                        "Run again with --wait to wait for it to finish."
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        started = dt.datetime.now().isoformat(timespec="seconds")
        os.write(fd, f"pid {os.getpid()}, started {started}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> BuildLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
