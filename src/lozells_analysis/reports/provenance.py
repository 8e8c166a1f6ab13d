"""Provenance: what each report was built from, shown in a footer on every report.

The git commit (and whether the working tree had uncommitted changes), the SHA-256 of every
data file the run read, the parameters, the versions of Python and the key packages, when it
was built, and whether the data are synthetic.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "KEY_PACKAGES",
    "build_provenance",
    "data_kind",
    "footer_html",
    "header_html",
    "run_provenance",
    "shown_parameters",
]

KEY_PACKAGES = (
    "lozells_analysis",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "ipykernel",
)


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def build_provenance(root: Path) -> dict[str, Any]:
    """The parts of the provenance shared by every run of one build."""
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain") if commit else None
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "root": str(root),  # the files read are shown relative to it
        "git_commit": commit or "unknown (not a git checkout)",
        "git_dirty": bool(status) if status is not None else None,
        "python": platform.python_version(),
        "packages": versions,
    }


def data_kind(reads: list[dict]) -> str:
    """``"synthetic"``, ``"real"``, ``"mixed"`` or ``"unknown"`` (no data file recorded).

    Reads whose ``synthetic`` is None are not survey data (the codebook, comparators, a
    coding frame) and do not count.

    Examples
    --------
    >>> data_kind([{"synthetic": True}]), data_kind([{"synthetic": False}]), data_kind([])
    ('synthetic', 'real', 'unknown')
    >>> data_kind([{"synthetic": True}, {"synthetic": None}])
    'synthetic'
    """
    kinds = {bool(r.get("synthetic")) for r in reads if r.get("synthetic", False) is not None}
    if not kinds:
        return "unknown"
    if kinds == {True}:
        return "synthetic"
    if kinds == {False}:
        return "real"
    return "mixed"


def _shown_path(path: str, root: str | None) -> str:
    """``path`` relative to the project root when it lies inside it, else its file name: no
    published file shows where the machine keeps things.

    Examples
    --------
    >>> _shown_path("/srv/lozells/data/codebook.yaml", "/srv/lozells")
    'data/codebook.yaml'
    >>> _shown_path("/mnt/exports/wave6.csv", "/srv/lozells")
    'wave6.csv'
    >>> _shown_path("data/wave6.csv", "/srv/lozells")
    'data/wave6.csv'
    """
    if not Path(path).is_absolute():
        return path
    if root:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(path).name


def shown_parameters(parameters: dict[str, Any], root: str | None) -> dict[str, Any]:
    """``parameters`` as a reader sees them: every absolute path shown as :func:`_shown_path`
    does (relative to the project root, or the file name when outside it).

    Examples
    --------
    >>> shown_parameters({"data_path": "/srv/lozells/data/w.csv", "n": 2}, "/srv/lozells")
    {'data_path': 'data/w.csv', 'n': 2}
    """

    def show(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(("/", "~")):
            return _shown_path(value, root)
        if isinstance(value, list):
            return [show(v) for v in value]
        return value

    return {key: show(value) for key, value in parameters.items()}


def run_provenance(base: dict[str, Any], job: Any, reads: list[dict]) -> dict[str, Any]:
    """The provenance of one run: ``base`` plus its notebook, parameters, data and time."""
    return {
        **base,
        "report": job.name,
        "notebook": job.notebook_display,
        "parameters": shown_parameters(job.parameters, base.get("root")),
        "kernel": job.kernel,
        "data_files": [
            {
                "path": _shown_path(r["path"], base.get("root")),
                "sha256": r["sha256"],
                "bytes": r.get("bytes"),
                # None: not survey data (the codebook, comparators, a mapping file...)
                "synthetic": None if r.get("synthetic") is None else bool(r["synthetic"]),
            }
            for r in reads
        ],
        "data": data_kind(reads),
        "built_at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
    }


_DATA_WORDS = {
    "synthetic": "SYNTHETIC data (generated for testing and demonstration, not real survey "
    "returns)",
    "real": "real survey data",
    "mixed": "a MIX of real and synthetic data",
    "unknown": "unknown: the run recorded no survey data files",
}


def _readable_time(value: object) -> str:
    """An ISO timestamp as a reader writes it: ``"28 November 2026"``.

    Examples
    --------
    >>> _readable_time("2026-11-28T03:56:03+00:00"), _readable_time("soon")
    ('28 November 2026', 'soon')
    """
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{when.day} {when:%B %Y}"


def header_html(
    title: str, audience: str, view: str, parameters: dict[str, Any], prov: dict[str, Any]
) -> str:
    """The banner at the top of a report (every value escaped).

    The briefing view shows the title and, when the data are synthetic, that label: no
    audience or view chip, no parameters, no timestamp (those are in the research view and
    in the provenance at the end).

    Examples
    --------
    >>> h = header_html("<b>T</b>", "briefing", "research", {"n": "<x>"}, {"data": "synthetic",
    ...                 "built_at": "2025-01-01T00:00:00+00:00"})
    >>> "&lt;b&gt;T&lt;/b&gt;" in h and "&lt;x&gt;" in h and "<b>T" not in h
    True
    >>> b = header_html("<b>T</b>", "briefing", "briefing", {"n": "<x>"}, {"data": "synthetic",
    ...                 "built_at": "2025-01-01T00:00:00+00:00"})
    >>> "&lt;b&gt;T" in b and "Synthetic data" in b and "x" not in b and "2025" not in b
    True
    """
    e = html.escape
    if view == "briefing":
        badge = (
            ' <span class="lozells-badge synthetic">Synthetic data</span>'
            if prov.get("data") == "synthetic"
            else ""
        )
        return (
            '<header class="lozells-header lozells-header-briefing">'
            f'<p class="lozells-title">{e(title)}{badge}</p></header>'
        )
    badges = [f'<span class="lozells-badge">{e(audience)} report, {e(view)} view</span>']
    if prov.get("data") == "synthetic":
        badges.append('<span class="lozells-badge synthetic">Synthetic data</span>')
    params = ", ".join(
        f"{e(str(k))} = {e(json.dumps(v, default=str))}" for k, v in parameters.items()
    )
    return (
        '<header class="lozells-header">'
        # not a heading: the notebook's own "# Title" is the page's one h1
        f'<p class="lozells-title">{e(title)}</p>'
        f"<div>{' '.join(badges)}</div>"
        f"<div><small>Parameters: {params or 'defaults'}. Built {e(str(prov.get('built_at')))}."
        "</small></div></header>"
    )


def footer_html(prov: dict[str, Any], view: str = "research") -> str:
    """The provenance footer (every value escaped).

    In the briefing view it closes the quality and methods annex, with the build date in
    words and without the raw parameters.

    Examples
    --------
    >>> f = footer_html({"git_commit": "abc", "git_dirty": True, "python": "3.11",
    ...     "packages": {"pandas": "2.2"}, "notebook": "nb.ipynb", "parameters": {"a": 1},
    ...     "kernel": "k", "data_files": [], "data": "unknown", "built_at": "t"})
    >>> "Provenance" in f and "uncommitted changes" in f
    True
    """
    e = html.escape
    dirty = prov.get("git_dirty")
    tree_words: dict[object, str] = {
        True: " (working tree had uncommitted changes)",
        False: " (clean working tree)",
    }
    tree = tree_words.get(dirty, "")
    briefing = view == "briefing"
    rows = [
        ("Data", e(_DATA_WORDS.get(prov.get("data", "unknown"), str(prov.get("data"))))),
        ("Git commit", f"<code>{e(str(prov.get('git_commit')))}</code>{e(tree)}"),
        (
            "Notebook",
            f"<code>{e(str(prov.get('notebook')))}</code> (kernel {e(str(prov.get('kernel')))})",
        ),
        ("Parameters", f"<code>{e(json.dumps(prov.get('parameters', {}), default=str))}</code>"),
        (
            "Built",
            e(_readable_time(prov.get("built_at")) if briefing else str(prov.get("built_at"))),
        ),
        ("Python", e(str(prov.get("python")))),
        (
            "Packages",
            ", ".join(f"{e(k)} {e(str(v))}" for k, v in prov.get("packages", {}).items()),
        ),
    ]
    files = prov.get("data_files") or []
    if files:
        items = "".join(
            f"<li><code>{e(f['path'])}</code> ({e(str(f.get('bytes')))} bytes"
            f"{', synthetic' if f.get('synthetic') else ''}"
            f"{', reference' if f.get('synthetic', False) is None else ''}), SHA-256 "
            f"<code>{e(f['sha256'])}</code></li>"
            for f in files
        )
        rows.append(("Data files read", f"<ul>{items}</ul>"))
    else:
        rows.append(("Data files read", "none recorded"))
    if briefing:
        rows = [(k, v) for k, v in rows if k != "Parameters"]
        body = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in rows)
        return (
            '<footer class="lozells-provenance lozells-provenance-briefing" id="provenance">'
            "<h2>Provenance</h2><p>The files, checksums and software versions this report was "
            f"built from, so that it can be rebuilt and checked.</p><table>{body}</table>"
            "</footer>"
        )
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        '<footer class="lozells-provenance" id="provenance">'
        f"<h2>Provenance</h2><table>{body}</table></footer>"
    )
