"""Named errors for the machine a build runs on, instead of tracebacks.

No space left on the device, a read-only file system, a folder the build may not write, a
missing output folder (a link to an unmounted share): each becomes one
:class:`~lozells_analysis.exceptions.BuildEnvironmentError` whose message is one line naming
the folder and what to do. :func:`check_folders` looks before a build runs anything;
:func:`environment_error` translates an :class:`OSError` met later (a disk filling up while
reports are published). The command line exits with status 4 for all of them.
"""

from __future__ import annotations

import errno
import getpass
import os
import stat
import tempfile
from pathlib import Path

from lozells_analysis.exceptions import BuildEnvironmentError

__all__ = ["ENVIRONMENT_ERRNOS", "check_folders", "environment_error", "is_environment_error"]

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_DENIED = {errno.EACCES, errno.EPERM}
ENVIRONMENT_ERRNOS = frozenset(_NO_SPACE | _DENIED | {errno.EROFS})
_LEFT_ALONE = "published reports were left as they were"


def is_environment_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an :class:`OSError` about the machine (space, permissions)."""
    return isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS


def _shown(path: str | os.PathLike[str] | None, root: Path | None) -> str:
    if path is None:
        return "a file of the build"
    p = Path(os.fsdecode(path))
    if root is not None:
        try:
            return p.relative_to(root).as_posix() or "."
        except ValueError:
            pass
    return str(p)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"uid {os.getuid()}"


def _folder_of(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def environment_error(
    exc: OSError, *, root: Path | None = None, doing: str = ""
) -> BuildEnvironmentError | None:
    """The one-line :class:`BuildEnvironmentError` for ``exc``, or None when ``exc`` is not
    about the machine (a bug, which deserves its traceback).

    Examples
    --------
    >>> import errno
    >>> err = OSError(errno.ENOSPC, "No space left on device", "/srv/lozells/reports/x.html")
    >>> str(environment_error(err, root=Path("/srv/lozells"), doing="publishing x"))[:62]
    'no space left on the device holding reports/x.html (publishing'
    >>> environment_error(OSError(errno.EBADF, "Bad file descriptor")) is None
    True
    """
    where = _shown(exc.filename, root)
    during = f" ({doing})" if doing else ""
    if exc.errno in _NO_SPACE:
        quota = " or raise the quota" if exc.errno == errno.EDQUOT else ""
        text = (
            f"no space left on the device holding {where}{during}: free some space{quota} "
            f"and build again; {_LEFT_ALONE}"
        )
    elif exc.errno == errno.EROFS:
        text = (
            f"{where} is on a read-only file system{during}: remount it read-write or build "
            f"with another --root; {_LEFT_ALONE}"
        )
    elif exc.errno in _DENIED:
        folder = _folder_of(Path(os.fsdecode(exc.filename))) if exc.filename else None
        mode = ""
        if folder is not None:
            try:
                bits = os.stat(folder).st_mode
            except OSError:
                bits = None
            if bits is not None and not bits & 0o222:
                mode = f"; {_shown(folder, root)} is read-only ({stat.filemode(bits)})"
        text = (
            f"permission denied on {where}{during}{mode}: the build runs as {_user()}, who "
            f"needs write access there; {_LEFT_ALONE}"
        )
    else:
        return None
    return BuildEnvironmentError(text)


def _missing(folder: Path, root: Path | None, what: str) -> BuildEnvironmentError:
    if folder.is_symlink():
        target = os.readlink(folder)
        return BuildEnvironmentError(
            f"the {what} {_shown(folder, root)} is missing: it links to {target}, which does "
            f"not exist (an unmounted share?); mount it or fix the link; {_LEFT_ALONE}"
        )
    return BuildEnvironmentError(
        f"the {what} {_shown(folder, root)} is missing and cannot be created; create it; "
        f"{_LEFT_ALONE}"
    )


def check_folder(folder: Path, what: str, root: Path | None = None) -> None:
    """Make sure ``folder`` exists (creating it when its parent allows) and can be written.

    Raises
    ------
    BuildEnvironmentError
        One line: missing (a dangling link), not a folder, read-only, permission denied,
        no space.
    """
    if folder.is_symlink() and not folder.exists():
        raise _missing(folder, root, what)
    if folder.exists() and not folder.is_dir():
        raise BuildEnvironmentError(
            f"the {what} {_shown(folder, root)} is a file, not a folder; move it away; "
            f"{_LEFT_ALONE}"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileNotFoundError:
        raise _missing(folder, root, what) from None
    except OSError as exc:
        problem = environment_error(exc, root=root, doing=f"creating the {what}")
        if problem is None:
            raise
        raise problem from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".lozells-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        exc.filename = str(folder)  # the folder, not the probe's random name
        problem = environment_error(exc, root=root, doing=f"writing in the {what}")
        if problem is None:
            raise
        raise problem from None


def check_folders(folders: dict[Path, str], root: Path | None = None) -> None:
    """:func:`check_folder` for each ``{folder: what it is}``, in order."""
    for folder, what in folders.items():
        check_folder(folder, what, root)
