"""The catalogue of report runs, ``reports.yaml``: reading, expanding and checking it.

Each entry names a notebook, the parameters to run it with and its audience; a ``for_each``
mapping expands one entry into one run per value (per combination of values, when it names
several parameters). The YAML is read safely with aliases limited
(:func:`lozells_analysis.data.safe_yaml.load_yaml`), so nested aliases cannot make it take
minutes and gigabytes. Loading checks every run's parameters against the notebook's
``parameters`` cell and raises one :class:`~lozells_analysis.exceptions.CatalogueError`
listing every problem, before anything runs.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lozells_analysis.data.safe_yaml import YAMLLimitError, load_yaml
from lozells_analysis.exceptions import CatalogueError
from lozells_analysis.reports.fingerprint import notebook_source_digest
from lozells_analysis.reports.parameters import check_parameters, notebook_parameters
from lozells_analysis.stats.disclosure import DEFAULT_MIN_N
from lozells_analysis.stats.published import DEFAULT_COUNT_ROUNDING

__all__ = [
    "AUDIENCES",
    "Catalogue",
    "ReportRun",
    "count_rounding",
    "load_catalogue",
    "min_n_floor",
    "run_name",
    "slug",
]

AUDIENCES = ("research", "briefing")
DEFAULTS: dict[str, Any] = {
    "kernel": "lozells-analysis",
    "cell_timeout": 600,
    "run_timeout": 1800,
}
_ENTRY_KEYS = {
    "id",
    "notebook",
    "parameters",
    "audience",
    "for_each",
    "title",
    "pdf",
    "summary",
    *DEFAULTS,
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class ReportRun:
    """One run of one notebook with one set of parameters: one report.

    ``name`` is the output name (the file stem of its HTML and log): the entry's ``id``, then
    the ``for_each`` values, slugged. ``notebook_digest`` is the SHA-256 of the notebook's
    source cells (not its outputs). ``pdf`` is False when the entry opts out of the PDF a
    build prints of every briefing pack (``pdf: false``). ``summary`` is the entry's one
    plain sentence for the index (``{area}`` stands for the run's neighbourhood), or "".
    """

    name: str
    id: str
    notebook: Path
    notebook_display: str
    parameters: dict[str, Any]
    audience: str
    title: str
    kernel: str
    cell_timeout: float
    run_timeout: float
    notebook_digest: str = field(repr=False)
    pdf: bool = True
    summary: str = ""


@dataclass
class Catalogue:
    """Every run that ``reports.yaml`` asks for, in file order."""

    path: Path
    runs: list[ReportRun]

    def select(self, ids: list[str] | tuple[str, ...] | None) -> list[ReportRun]:
        """The runs named by entry ``id`` or by run ``name``; all runs when ``ids`` is empty.

        Raises
        ------
        CatalogueError
            If an id names no run; the message lists the valid ids.
        """
        if not ids:
            return list(self.runs)
        chosen: dict[str, ReportRun] = {}
        unknown = []
        for wanted in ids:
            matches = [r for r in self.runs if wanted in (r.id, r.name)]
            if not matches:
                unknown.append(wanted)
            for run in matches:
                chosen[run.name] = run
        if unknown:
            names = sorted({r.id for r in self.runs} | {r.name for r in self.runs})
            raise CatalogueError(
                f"{self.path}: no report run with id {', '.join(map(repr, unknown))}; "
                f"valid ids: {', '.join(names) or 'none (the catalogue is empty)'}"
            )
        return [r for r in self.runs if r.name in chosen]


def slug(value: Any) -> str:
    """A file-name-safe form of a parameter value.

    Examples
    --------
    >>> slug("Lozells East"), slug([1, 2, 3]), slug(0.95)
    ('lozells-east', '1-2-3', '0-95')
    """
    if isinstance(value, list | tuple):
        text = "-".join(str(v) for v in value)
    else:
        text = str(value)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def run_name(entry_id: str, expanded: dict[str, Any]) -> str:
    """The output name of a run: the entry id, then each ``for_each`` value.

    Examples
    --------
    >>> run_name("briefing", {"neighbourhood": "Lozells"})
    'briefing-lozells'
    >>> run_name("data-quality", {})
    'data-quality'
    """
    return "-".join([entry_id, *(slug(v) for v in expanded.values())])


def _notebook_title(nb: dict, fallback: str) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                return line.lstrip("# ").strip() or fallback
        break
    return fallback


def min_n_floor(root: Path) -> int:
    """The project's floor for ``min_n``: ``[tool.lozells] min_n_floor`` in the project's
    ``pyproject.toml``, default :data:`~lozells_analysis.stats.disclosure.DEFAULT_MIN_N` (10).
    No published report may use a smaller ``min_n``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     before = min_n_floor(Path(d))
    ...     _ = (Path(d) / "pyproject.toml").write_text("[tool.lozells]\\nmin_n_floor = 20\\n")
    ...     before, min_n_floor(Path(d))
    (10, 20)
    """
    path = Path(root) / "pyproject.toml"
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DEFAULT_MIN_N
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path} cannot be read for [tool.lozells]: {exc}") from None
    floor = config.get("tool", {}).get("lozells", {}).get("min_n_floor", DEFAULT_MIN_N)
    if isinstance(floor, bool) or not isinstance(floor, int) or floor < 1:
        raise CatalogueError(
            f"{path}: [tool.lozells] min_n_floor must be a whole number of at least 1; "
            f"got {floor!r}"
        )
    return floor


def count_rounding(root: Path) -> int:
    """The base briefing packs round counts of respondents to: ``[tool.lozells]
    count_rounding`` in the project's ``pyproject.toml``, default 5 (as ONS does).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     before = count_rounding(Path(d))
    ...     _ = (Path(d) / "pyproject.toml").write_text("[tool.lozells]\\ncount_rounding = 10\\n")
    ...     before, count_rounding(Path(d))
    (5, 10)
    """
    path = Path(root) / "pyproject.toml"
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DEFAULT_COUNT_ROUNDING
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path} cannot be read for [tool.lozells]: {exc}") from None
    base = config.get("tool", {}).get("lozells", {}).get("count_rounding", DEFAULT_COUNT_ROUNDING)
    if isinstance(base, bool) or not isinstance(base, int) or base < 1:
        raise CatalogueError(
            f"{path}: [tool.lozells] count_rounding must be a whole number of at least 1; "
            f"got {base!r}"
        )
    return base


def _below_floor(where: str, parameters: dict[str, Any], floor: int) -> str | None:
    value = parameters.get("min_n")
    if isinstance(value, int | float) and not isinstance(value, bool) and value < floor:
        return (
            f"{where}: min_n = {value} is below the project floor of {floor} "
            "([tool.lozells] min_n_floor in pyproject.toml); a published report may not "
            "show counts of fewer respondents than that"
        )
    return None


def _read_notebook(path: Path) -> dict:
    # json, not nbformat: nbformat's import costs seconds (jsonschema format checkers).
    return json.loads(path.read_text(encoding="utf-8"))


def load_catalogue(
    path: str | Path, *, root: Path | None = None, cache: Path | None = None
) -> Catalogue:
    """Read ``reports.yaml``, expand ``for_each`` and check every run's parameters.

    Parameters
    ----------
    path : path-like
        The catalogue file.
    root : Path, optional
        The folder notebook paths are relative to; default: the catalogue's folder.
    cache : Path, optional
        The parameter-inspection cache (see :func:`.parameters.notebook_parameters`).

    Raises
    ------
    CatalogueError
        Listing every problem found: a malformed entry, a missing notebook, an unknown or
        mistyped parameter (with the notebook's valid parameters), a duplicate output name.
    """
    path = Path(path).resolve()
    root = Path(root).resolve() if root else path.parent
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(
            f"the report catalogue {path} does not exist; create it (see the comment at the "
            "top of the reports.yaml in the repository for its format)"
        ) from None
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path} is not UTF-8 text: {exc}") from None
    except YAMLLimitError as exc:
        raise CatalogueError(f"{path} is refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path} is not valid YAML: {exc}") from exc
    raw = raw or {}
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: the top level must be a mapping with a 'reports' list")
    unknown_top = set(raw) - {"defaults", "reports"}
    if unknown_top:
        raise CatalogueError(
            f"{path}: unknown top-level key(s) {sorted(unknown_top)}; valid: defaults, reports"
        )
    defaults = dict(DEFAULTS)
    given_defaults = raw.get("defaults") or {}
    if not isinstance(given_defaults, dict) or set(given_defaults) - set(DEFAULTS):
        raise CatalogueError(
            f"{path}: 'defaults' may only set {', '.join(DEFAULTS)}; got {given_defaults!r}"
        )
    defaults.update(given_defaults)
    entries = raw.get("reports") or []
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: 'reports' must be a list of entries")

    problems: list[str] = []
    floor = min_n_floor(root)
    runs: list[ReportRun] = []
    notebooks: dict[Path, tuple[dict, str, list]] = {}
    for position, entry in enumerate(entries, start=1):
        where = f"{path.name} entry {position}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping with id, notebook, audience")
            continue
        entry_id = entry.get("id")
        if isinstance(entry_id, str):
            where = f"{path.name} entry {entry_id!r}"
        extra = set(entry) - _ENTRY_KEYS
        if extra:
            problems.append(
                f"{where}: unknown key(s) {sorted(extra)}; valid keys: {sorted(_ENTRY_KEYS)}"
            )
        if not isinstance(entry_id, str) or not _ID_RE.match(entry_id):
            problems.append(
                f"{where}: 'id' must be lower-case letters, digits, '-' or '_' (got {entry_id!r})"
            )
            continue
        audience = entry.get("audience")
        if audience not in AUDIENCES:
            problems.append(f"{where}: 'audience' must be one of {AUDIENCES}, got {audience!r}")
        pdf = entry.get("pdf", True)
        if not isinstance(pdf, bool):
            problems.append(f"{where}: 'pdf' must be true or false, got {pdf!r}")
            pdf = True
        elif pdf and "pdf" in entry and audience == "research":
            problems.append(
                f"{where}: 'pdf: true' is for briefing packs only; research reports get no "
                "PDF (leave 'pdf' out)"
            )
        summary = entry.get("summary", "")
        if not isinstance(summary, str):
            problems.append(f"{where}: 'summary' must be one sentence of text, got {summary!r}")
            summary = ""
        params = entry.get("parameters") or {}
        for_each = entry.get("for_each") or {}
        if not isinstance(params, dict):
            problems.append(f"{where}: 'parameters' must be a mapping of name: value")
            params = {}
        if not isinstance(for_each, dict) or not all(
            isinstance(v, list) and v for v in for_each.values()
        ):
            problems.append(
                f"{where}: 'for_each' must map a parameter name to a non-empty list of values"
            )
            for_each = {}
        clash = set(params) & set(for_each)
        if clash:
            problems.append(f"{where}: {sorted(clash)} set in both 'parameters' and 'for_each'")
        settings = {key: entry.get(key, defaults[key]) for key in DEFAULTS}
        for key in ("cell_timeout", "run_timeout"):
            if not isinstance(settings[key], int | float) or settings[key] <= 0:
                problems.append(f"{where}: {key!r} must be a positive number of seconds")
        nb_text = entry.get("notebook")
        if not isinstance(nb_text, str) or not nb_text:
            problems.append(f"{where}: 'notebook' must be a path to an .ipynb file")
            continue
        nb_path = (root / nb_text).resolve()
        if nb_path not in notebooks:
            if not nb_path.is_file():
                problems.append(
                    f"{where}: notebook {nb_text} does not exist (looked for {nb_path})"
                )
                continue
            try:
                nb = _read_notebook(nb_path)
                declared = notebook_parameters(nb_path, cache=cache)
            except (ValueError, CatalogueError) as exc:
                problems.append(f"{where}: cannot read notebook {nb_text}: {exc}")
                continue
            notebooks[nb_path] = (nb, notebook_source_digest(nb), declared)
        nb, digest, declared = notebooks[nb_path]
        sample = {**params, **{k: v[0] for k, v in for_each.items()}}
        problems.extend(check_parameters(where, nb_text, sample, declared))
        for name, values in for_each.items():
            for value in values[1:]:
                problems.extend(check_parameters(where, nb_text, {name: value}, declared))
        title = entry.get("title") or _notebook_title(nb, entry_id)
        keys = list(for_each)
        for combo in itertools.product(*(for_each[k] for k in keys)):
            expanded = dict(zip(keys, combo, strict=True))
            suffix = ", ".join(str(v) for v in combo)
            low = _below_floor(where, {**params, **expanded}, floor)
            if low is not None and low not in problems:
                problems.append(low)
            runs.append(
                ReportRun(
                    name=run_name(entry_id, expanded),
                    id=entry_id,
                    notebook=nb_path,
                    notebook_display=nb_text,
                    parameters={**params, **expanded},
                    audience=str(audience),
                    title=f"{title}: {suffix}" if suffix else str(title),
                    kernel=str(settings["kernel"]),
                    cell_timeout=float(settings["cell_timeout"]),
                    run_timeout=float(settings["run_timeout"]),
                    notebook_digest=digest,
                    pdf=bool(pdf),
                    summary=summary.strip(),
                )
            )
    seen: dict[str, int] = {}
    for run in runs:
        seen[run.name] = seen.get(run.name, 0) + 1
    dupes = sorted(name for name, count in seen.items() if count > 1)
    if dupes:
        problems.append(
            f"{path.name}: output name(s) {dupes} are produced by more than one run; "
            "give the entries different ids"
        )
    if problems:
        raise CatalogueError(
            f"{path} has {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return Catalogue(path=path, runs=runs)
