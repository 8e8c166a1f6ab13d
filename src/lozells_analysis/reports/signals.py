"""SIGINT and SIGTERM during a build: stop the runs, keep every published report.

:class:`Signals` turns either signal into :class:`BuildInterrupted` in the build's main
thread, except while a run is being published, when it waits until that run's files and
state are all written. The command line exits with 128 + the signal number (130, 143).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lozells_analysis.exceptions import LozellsError

__all__ = ["BuildInterrupted", "Signals"]


class BuildInterrupted(LozellsError):
    """The build was stopped by SIGINT or SIGTERM; published reports are intact."""

    def __init__(self, signum: int):
        super().__init__(f"build interrupted by {signal.Signals(signum).name}")
        self.signum = signum


class Signals:
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

    def __enter__(self) -> Signals:
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
