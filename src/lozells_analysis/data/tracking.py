"""Record which data files a notebook run reads.

A notebook runs in a kernel, a separate process from the report pipeline, so the pipeline
cannot see which files the notebook opened. The library's loaders call :func:`record_read`
for every data file they read; when the pipeline runs a report it sets the environment
variable ``LOZELLS_READS_FILE`` to a file in the run's staging folder, and each call appends
one JSON line there. The pipeline then reads them back with :func:`reads_from` to decide, on
the next build, whether the data changed, and to list them in the report's provenance footer.

Every loader of a project file records it: survey exports and their mapping files, the
codebook, the comparators, the coding frame, so that a changed file rebuilds exactly the
reports that read it. A data file's label (synthetic or real) comes from the
``metadata.json`` beside it, so that file is recorded with it when there is one.

Outside a pipeline run (JupyterLab, tests) ``LOZELLS_READS_FILE`` is unset and
:func:`record_read` does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

READS_ENV = "LOZELLS_READS_FILE"

__all__ = ["READS_ENV", "file_sha256", "reads_from", "record_read"]


def file_sha256(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """Return the SHA-256 hex digest of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "x.txt"
    ...     _ = p.write_bytes(b"abc")
    ...     file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_METADATA = "metadata.json"
# (reads file, path) -> (size, mtime_ns) already recorded by this process: a loader called
# in a loop (a comparator per indicator) hashes and records its file once
_RECORDED: dict[tuple[str, str], tuple[int, int]] = {}
_RECORDED_LOCK = threading.Lock()


def record_read(path: str | os.PathLike[str], *, synthetic: bool | None) -> None:
    """Note that the current notebook run read the file ``path``.

    When ``LOZELLS_READS_FILE`` is set, append one JSON line
    ``{"path", "sha256", "bytes", "synthetic"}`` to that file; otherwise do nothing. A file
    already recorded with the same size and mtime is not recorded again. When a
    ``metadata.json`` lies beside ``path`` it is recorded too (it decides the SYNTHETIC
    label).

    Parameters
    ----------
    path : path-like
        The file that was read (recorded as an absolute path).
    synthetic : bool or None
        Whether the file holds generated synthetic data (``data/synthetic/``) rather than
        real survey returns; the report's provenance footer says which. None for a file
        that is not survey data (the codebook, comparators, a coding frame).

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     data = pathlib.Path(d) / "survey.csv"
    ...     _ = data.write_text("id\\n1\\n")
    ...     log = pathlib.Path(d) / "reads.jsonl"
    ...     os.environ[READS_ENV] = str(log)
    ...     try:
    ...         record_read(data, synthetic=True)
    ...     finally:
    ...         del os.environ[READS_ENV]
    ...     [(r["bytes"], r["synthetic"]) for r in reads_from(log)]
    [(5, True)]
    """
    target = os.environ.get(READS_ENV)
    if not target:
        return
    resolved = Path(path).resolve()
    _record(target, resolved, None if synthetic is None else bool(synthetic))
    metadata = resolved.parent / _METADATA
    if resolved.name != _METADATA and metadata.is_file():
        _record(target, metadata, None)


def _record(target: str, resolved: Path, synthetic: bool | None) -> None:
    stat = resolved.stat()
    seen = (stat.st_size, stat.st_mtime_ns)
    with _RECORDED_LOCK:
        if _RECORDED.get((target, str(resolved))) == seen:
            return
    entry = {
        "path": str(resolved),
        "sha256": file_sha256(resolved),
        "bytes": stat.st_size,
        "synthetic": synthetic,
    }
    # One short write in append mode: lines from one process never interleave.
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
    with _RECORDED_LOCK:
        _RECORDED[(target, str(resolved))] = seen


def reads_from(file: str | os.PathLike[str]) -> list[dict]:
    """Return the reads recorded in ``file``, one dict per distinct path (last one wins).

    A missing file means nothing was recorded and gives an empty list.

    Examples
    --------
    >>> reads_from("/nonexistent/reads.jsonl")
    []
    """
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    by_path: dict[str, dict] = {}
    for line in text.splitlines():
        line = line.strip()
        if line:
            entry = json.loads(line)
            by_path[entry["path"]] = entry
    return sorted(by_path.values(), key=lambda e: e["path"])
