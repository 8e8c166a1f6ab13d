"""What a report depends on, reduced to digests: the basis of skipping unchanged runs.

A run's *key* is the SHA-256 of its notebook's source cells (not outputs or execution counts),
its parameters, kernel, audience, the catalogue fields its page shows (title, notebook path),
the report templates, the library's source and the lock file. The files a run read (survey
exports, mapping files, the codebook, comparators, coding frames, ``metadata.json``: every
file a library loader reads calls :func:`~lozells_analysis.data.tracking.record_read`) are
known only after it ran; their digests are kept in the build state and checked by
:func:`changed_read`, which re-hashes a file only when its size or mtime moved. The files a
run published are checked the same way by :func:`changed_output`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from lozells_analysis.data.tracking import file_sha256

__all__ = [
    "changed_input",
    "changed_output",
    "changed_read",
    "directory_digest",
    "display_path",
    "file_digest",
    "file_record",
    "notebook_source_digest",
    "reads_unchanged",
    "run_inputs",
    "settings_digest",
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
    title: str = "",
    notebook_path: str = "",
    templates: str = "",
    settings: str = "",
) -> dict[str, str]:
    """The digest of each thing a run depends on, except the files it read.

    ``title`` and ``notebook_path`` are the catalogue fields the rendered page shows (with
    ``audience`` and the parameters); ``templates`` is the digest of the report templates;
    ``settings`` that of the project's ``[tool.lozells]`` table (:func:`settings_digest`: the
    disclosure floor, the rounding base, the release block), so changing a rule rebuilds
    every report it governs.
    Listed in the order :func:`changed_input` reports them: templates come before the
    library that holds them, so a template edit is reported as such.

    Examples
    --------
    >>> k = dict(notebook_digest="n", kernel="k", audience="research", library="l", lock="x")
    >>> a, b = run_inputs(parameters={"a": 1}, **k), run_inputs(parameters={"a": 2}, **k)
    >>> changed_input(a, a), changed_input(a, b)
    (None, 'parameters')
    >>> changed_input(a, run_inputs(parameters={"a": 1}, title="New title", **k))
    'title'
    """
    params = json.dumps(parameters, sort_keys=True, default=str)
    return {
        "notebook": notebook_digest,
        "parameters": hashlib.sha256(params.encode("utf-8")).hexdigest(),
        "kernel": kernel,
        "audience": audience,
        "title": hashlib.sha256(title.encode("utf-8")).hexdigest(),
        "notebook_path": notebook_path,
        "settings": settings,
        "templates": templates,
        "library": library,
        "lock": lock,
    }


def settings_digest(root: Path) -> str:
    """The digest of the project's ``[tool.lozells]`` table in ``pyproject.toml`` (the
    disclosure floor, the rounding base of briefing packs, the release block), or
    ``"none"`` without one. Other tables (linters, dependencies) do not change a report.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     root = Path(d)
    ...     none = settings_digest(root)
    ...     _ = (root / "pyproject.toml").write_text("[tool.lozells]\\ncount_rounding = 5\\n")
    ...     five = settings_digest(root)
    ...     _ = (root / "pyproject.toml").write_text(
    ...         "[tool.ruff]\\nline-length = 99\\n[tool.lozells]\\ncount_rounding = 5\\n")
    ...     same = settings_digest(root)
    ...     _ = (root / "pyproject.toml").write_text("[tool.lozells]\\ncount_rounding = 10\\n")
    ...     ten = settings_digest(root)
    >>> none, five == same, five == ten
    ('none', True, False)
    """
    import tomllib

    try:
        config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "none"
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return f"unreadable: {type(exc).__name__}"
    table = config.get("tool", {}).get("lozells")
    if table is None:
        return "none"
    payload = json.dumps(table, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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


def display_path(path: str | Path, root: Path | None) -> str:
    """``path`` relative to the project ``root`` when it lies inside it, else as given.

    Examples
    --------
    >>> display_path("/srv/lozells/data/codebook.yaml", Path("/srv/lozells"))
    'data/codebook.yaml'
    >>> display_path("/elsewhere/export.csv", Path("/srv/lozells"))
    '/elsewhere/export.csv'
    """
    if root is not None:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def file_record(path: Path) -> dict[str, Any]:
    """``{"sha256", "bytes", "mtime_ns"}`` of a file: what :func:`changed_output` checks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "r.html"
    ...     _ = p.write_text("<p>report</p>")
    ...     record = file_record(p)
    ...     same = changed_output(p, record)
    ...     _ = p.write_text("<p>rep")  # truncated
    ...     record["bytes"], same, changed_output(p, record)
    (13, None, 'is truncated or grew (6 bytes, 13 when published)')
    """
    stat = path.stat()
    return {"sha256": file_sha256(path), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def changed_output(path: Path, record: dict[str, Any]) -> str | None:
    """How the published file ``path`` differs from its :func:`file_record`, or None.

    Cheap when nothing moved: a file whose size and mtime match is not re-hashed. When only
    the mtime moved and the bytes are the same, ``record["mtime_ns"]`` is refreshed.
    """
    try:
        stat = path.stat()
    except OSError:
        return "is missing"
    if stat.st_size != record.get("bytes"):
        return f"is truncated or grew ({stat.st_size} bytes, {record.get('bytes')} when published)"
    if stat.st_mtime_ns != record.get("mtime_ns"):
        try:
            digest = file_sha256(path)
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        if digest != record.get("sha256"):
            return "was overwritten (its SHA-256 no longer matches what was published)"
        record["mtime_ns"] = stat.st_mtime_ns
    return None


def changed_read(reads: list[dict]) -> tuple[str | None, list[dict]]:
    """The path of the first recorded file whose bytes changed (None when none did).

    Each read carries ``path``, ``sha256``, ``bytes`` and (once checked) ``mtime_ns``. A file
    whose size and mtime match is taken as unchanged; otherwise it is hashed, so an edit that
    is later reverted counts as a change only while the bytes differ. Returns the answer and
    the reads with refreshed ``mtime_ns`` (so the next check is cheap again).

    Examples
    --------
    >>> changed_read([])
    (None, [])
    >>> changed_read([{"path": "/nonexistent", "sha256": "0", "bytes": 1}])[0]
    '/nonexistent'
    """
    refreshed = []
    for read in reads:
        try:
            stat = os.stat(read["path"])
        except OSError:
            return read["path"], reads
        entry = dict(read)
        if stat.st_size != read.get("bytes"):
            return read["path"], reads
        if stat.st_mtime_ns != read.get("mtime_ns"):
            try:
                digest = file_sha256(read["path"])
            except OSError:
                return read["path"], reads
            if digest != read.get("sha256"):
                return read["path"], reads
            entry["mtime_ns"] = stat.st_mtime_ns
        refreshed.append(entry)
    return None, refreshed


def reads_unchanged(reads: list[dict]) -> tuple[bool, list[dict]]:
    """Whether every recorded file still has the bytes it had when it was read (see
    :func:`changed_read`), and the reads with refreshed ``mtime_ns``.

    Examples
    --------
    >>> reads_unchanged([])
    (True, [])
    >>> reads_unchanged([{"path": "/nonexistent", "sha256": "0", "bytes": 1}])[0]
    False
    """
    changed, refreshed = changed_read(reads)
    return changed is None, refreshed
