"""What a report depends on, reduced to digests: the basis of skipping unchanged runs.

A run's *key* is the SHA-256 of its notebook's source cells (not outputs or execution counts),
its parameters, kernel and audience, the library's source and the lock file. The data files a
run read are known only after it ran; their digests are kept in the build state and checked by
:func:`reads_unchanged`, which re-hashes a file only when its size or mtime moved.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from lozells_analysis.data.tracking import file_sha256

__all__ = [
    "directory_digest",
    "file_digest",
    "notebook_source_digest",
    "changed_input",
    "reads_unchanged",
    "run_inputs",
    "run_key",
]


def notebook_source_digest(nb: dict) -> str:
    """SHA-256 of a notebook's cells' types, sources and tags; outputs are ignored.

    Examples
    --------
    >>> a = {"cells": [{"cell_type": "code", "source": "x = 1", "outputs": [],
    ...                 "metadata": {"tags": ["parameters"]}}]}
    >>> b = {"cells": [{"cell_type": "code", "source": ["x = 1"], "execution_count": 3,
    ...                 "outputs": [{"output_type": "stream", "text": "hi"}],
    ...                 "metadata": {"tags": ["parameters"], "scrolled": True}}]}
    >>> notebook_source_digest(a) == notebook_source_digest(b)
    True
    """
    cells = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        tags = sorted((cell.get("metadata") or {}).get("tags") or [])
        cells.append([cell.get("cell_type"), source, tags])
    kernel = ((nb.get("metadata") or {}).get("kernelspec") or {}).get("name")
    payload = json.dumps({"cells": cells, "kernel": kernel}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def directory_digest(folder: Path) -> str:
    """SHA-256 over every file under ``folder`` (names and bytes), skipping ``__pycache__``.

    A missing folder gives the digest of nothing.

    Examples
    --------
    >>> directory_digest(Path("/nonexistent")) == hashlib.sha256().hexdigest()
    True
    """
    digest = hashlib.sha256()
    if not folder.is_dir():
        return digest.hexdigest()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            full = Path(dirpath, name)
            digest.update(str(full.relative_to(folder)).encode("utf-8") + b"\0")
            digest.update(full.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, or ``"missing"`` when there is no such file.

    Examples
    --------
    >>> file_digest(Path("/nonexistent/requirements.lock"))
    'missing'
    """
    try:
        return file_sha256(path)
    except FileNotFoundError:
        return "missing"


def run_inputs(
    *,
    notebook_digest: str,
    parameters: dict[str, Any],
    kernel: str,
    audience: str,
    library: str,
    lock: str,
) -> dict[str, str]:
    """The digest of each thing a run depends on, except its data files.

    Examples
    --------
    >>> k = dict(notebook_digest="n", kernel="k", audience="research", library="l", lock="x")
    >>> a, b = run_inputs(parameters={"a": 1}, **k), run_inputs(parameters={"a": 2}, **k)
    >>> changed_input(a, a), changed_input(a, b)
    (None, 'parameters')
    """
    params = json.dumps(parameters, sort_keys=True, default=str)
    return {
        "notebook": notebook_digest,
        "parameters": hashlib.sha256(params.encode("utf-8")).hexdigest(),
        "kernel": kernel,
        "audience": audience,
        "library": library,
        "lock": lock,
    }


def run_key(inputs: dict[str, str]) -> str:
    """One digest of everything in ``inputs`` (see :func:`run_inputs`).

    Examples
    --------
    >>> run_key({"a": "1"}) == run_key({"a": "1"}), run_key({"a": "1"}) == run_key({"a": "2"})
    (True, False)
    """
    payload = json.dumps(inputs, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def changed_input(old: dict[str, str], new: dict[str, str]) -> str | None:
    """The name of the first input that differs between two :func:`run_inputs`, or None."""
    for name in new:
        if old.get(name) != new[name]:
            return name
    return None


def reads_unchanged(reads: list[dict]) -> tuple[bool, list[dict]]:
    """Whether every recorded data file still has the bytes it had when it was read.

    Each read carries ``path``, ``sha256``, ``bytes`` and (once checked) ``mtime_ns``. A file
    whose size and mtime match is taken as unchanged; otherwise it is hashed. Returns the
    answer and the reads with refreshed ``mtime_ns`` (so the next check is cheap again).

    Examples
    --------
    >>> reads_unchanged([])
    (True, [])
    >>> reads_unchanged([{"path": "/nonexistent", "sha256": "0", "bytes": 1}])[0]
    False
    """
    refreshed = []
    for read in reads:
        try:
            stat = os.stat(read["path"])
        except OSError:
            return False, reads
        entry = dict(read)
        if stat.st_size != read.get("bytes"):
            return False, reads
        if stat.st_mtime_ns != read.get("mtime_ns"):
            if file_sha256(read["path"]) != read.get("sha256"):
                return False, reads
            entry["mtime_ns"] = stat.st_mtime_ns
        refreshed.append(entry)
    return True, refreshed
