"""Publishing: files appear where people read them only whole, by atomic rename.

Every report is executed and rendered in a staging folder; :func:`publish_file` then moves
each finished file into ``reports/`` with :func:`os.replace`, which on POSIX replaces the old
file in one step, so a reader (or a build interrupted at any moment) sees either the last good
report or the new one, never half of one.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["publish_file", "write_bytes_atomic", "write_text_atomic"]


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = pathlib.Path(d) / "out.txt"
    ...     write_bytes_atomic(target, b"one")
    ...     write_bytes_atomic(target, b"two")
    ...     target.read_bytes(), sorted(p.name for p in pathlib.Path(d).iterdir())
    (b'two', ['out.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_bytes_atomic`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def publish_file(staged: Path, target: Path) -> None:
    """Move the finished file ``staged`` to ``target`` in one atomic step.

    A rename when both are on one file system; otherwise a copy to a hidden temporary file
    beside ``target``, then a rename.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     staged = pathlib.Path(d) / "stage" / "r.html"
    ...     staged.parent.mkdir()
    ...     _ = staged.write_text("new")
    ...     publish_file(staged, pathlib.Path(d) / "reports" / "r.html")
    ...     (pathlib.Path(d) / "reports" / "r.html").read_text(), staged.exists()
    ('new', False)
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staged, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(staged, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    staged.unlink(missing_ok=True)
