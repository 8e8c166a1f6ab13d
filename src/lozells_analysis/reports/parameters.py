"""A notebook's parameters, as papermill's inspection reads them, and checks against them.

Papermill only warns when it is given a parameter that the notebook does not declare, and it
never checks types. :func:`check_parameters` rejects both, naming the valid parameters.

Inspecting a notebook imports papermill (and with it ``nbformat`` and ``jsonschema``, about two
seconds), so :func:`notebook_parameters` keeps the answers in a small JSON cache keyed by the
SHA-256 of the notebook file: a build where no notebook changed never imports papermill.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lozells_analysis.exceptions import CatalogueError

log = logging.getLogger(__name__)

__all__ = ["Parameter", "check_parameters", "notebook_parameters", "value_matches"]

_CACHE_VERSION = 1


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook's ``parameters`` cell.

    ``type`` is papermill's ``inferred_type_name`` (the annotation, e.g. ``"float"``), or,
    when the line has no annotation, the type of the literal default; ``"None"`` when neither
    says. ``default`` is the default's source text and ``help`` the trailing comment.
    """

    name: str
    type: str
    default: str
    help: str


def _literal_type(default: str) -> str:
    """The type name of a literal default, or ``"None"`` when it is not a literal.

    Examples
    --------
    >>> _literal_type("0.95"), _literal_type("[1, 2]"), _literal_type("'x'"), _literal_type("f(1)")
    ('float', 'list', 'str', 'None')
    """
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return "None"
    if value is None:
        return "None"
    return type(value).__name__


def _inspect(path: Path) -> list[Parameter]:
    import papermill  # heavy: imported only when a notebook is new or changed

    try:
        found = papermill.inspect_notebook(str(path))
    except Exception as exc:  # papermill raises plain exceptions for unreadable notebooks
        raise CatalogueError(
            f"cannot read the parameters of notebook {path}: {exc}. "
            "Check that it is a valid .ipynb file."
        ) from exc
    _check_every_assignment_seen(path, set(found))
    params = []
    for item in found.values():
        type_name = str(item.get("inferred_type_name") or "None")
        default = str(item.get("default") or "")
        if type_name == "None":
            type_name = _literal_type(default)
        params.append(Parameter(item["name"], type_name, default, str(item.get("help") or "")))
    return params


def _check_every_assignment_seen(path: Path, seen: set[str]) -> None:
    """Fail when papermill's inspection skipped a parameter the cell assigns.

    papermill parses the ``parameters`` cell line by line and skips, with only a logged
    warning, any line with more than one ``=`` (e.g. ``x: str = ""  # "" = default``); the
    catalogue would then reject that parameter as unknown, far from the cause.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell.get("source", []))
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            raise CatalogueError(
                f"the parameters cell of notebook {path} is not valid Python: {exc}"
            ) from None
        for node in tree.body:
            targets = (
                [node.target]
                if isinstance(node, ast.AnnAssign)
                else (node.targets if isinstance(node, ast.Assign) else [])
            )
            for target in targets:
                if isinstance(target, ast.Name) and target.id not in seen:
                    line = source.splitlines()[node.lineno - 1]
                    raise CatalogueError(
                        f"papermill cannot read parameter {target.id!r} of notebook {path} "
                        f"(line {node.lineno} of its parameters cell: {line.strip()!r}). "
                        "papermill skips a line with more than one '=': keep '=' out of "
                        "the help comment, and give each parameter one line."
                    )
        return


def notebook_parameters(
    path: str | os.PathLike[str], cache: Path | None = None
) -> list[Parameter]:
    """Return the parameters declared in the notebook's cell tagged ``parameters``.

    Parameters
    ----------
    path : path-like
        The notebook.
    cache : Path, optional
        A JSON file remembering the answer per notebook SHA-256, so that unchanged notebooks
        are not inspected again (the build passes ``.lozells/parameters.json``).

    Raises
    ------
    CatalogueError
        If the notebook does not exist or cannot be read.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogueError(f"notebook {path} does not exist") from None
    digest = hashlib.sha256(data).hexdigest()
    entries: dict[str, Any] = {}
    if cache is not None:
        entries = _read_cache(cache)
        hit = entries.get(digest)
        if hit is not None:
            return [Parameter(**p) for p in hit]
    params = _inspect(path)
    if cache is not None:
        entries[digest] = [asdict(p) for p in params]
        from lozells_analysis.reports.publish import write_text_atomic

        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(
                cache, json.dumps({"version": _CACHE_VERSION, "notebooks": entries}, indent=1)
            )
        except OSError as exc:  # only a cache: the build says what it cannot write
            log.debug("could not write the parameter cache %s: %s", cache, exc)
    return params


def _read_cache(cache: Path) -> dict[str, Any]:
    """The cache's entries, checked: anything of the wrong shape is ignored with a warning
    (and replaced on the next write), never trusted.

    Examples
    --------
    >>> _read_cache(Path("/nonexistent/parameters.json"))
    {}
    """
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring the parameter cache %s: %s", cache, exc)
        return {}
    if not isinstance(stored, dict) or stored.get("version") != _CACHE_VERSION:
        return {}
    entries = stored.get("notebooks")
    fields = set(Parameter.__dataclass_fields__)
    if not isinstance(entries, dict) or not all(
        isinstance(hit, list)
        and all(
            isinstance(p, dict)
            and set(p) == fields
            and all(isinstance(v, str) for v in p.values())
            for p in hit
        )
        for hit in entries.values()
    ):
        log.warning("ignoring the parameter cache %s: not of the expected shape", cache)
        return {}
    return entries


def _split_union(type_name: str) -> list[str]:
    text = type_name.replace(" ", "")
    if text.startswith(("Optional[", "typing.Optional[")) and text.endswith("]"):
        return [text[text.index("[") + 1 : -1], "None"]
    parts = []
    depth = 0
    current = ""
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def value_matches(value: Any, type_name: str) -> bool:
    """Whether a catalogue value fits a parameter's declared type.

    ``int`` is not accepted where ``bool`` is declared (nor the reverse); an ``int`` is
    accepted for ``float``. Types the check does not know (``"None"``, ``Any``, classes)
    accept anything.

    Examples
    --------
    >>> value_matches(0.9, "float"), value_matches(1, "float"), value_matches("1", "float")
    (True, True, False)
    >>> value_matches([1, 2], "list[int]"), value_matches(True, "int")
    (True, False)
    >>> value_matches(None, "str | None")
    True
    """
    options = _split_union(type_name)
    if options == ["None"]:  # no annotation and no literal default: nothing to check
        return True
    for option in options:
        if option == "None":
            if value is None:
                return True
            continue
        base = option.split("[", 1)[0].lower().removeprefix("typing.")
        if base in {"any", "object", ""}:
            return True
        checks = {
            "str": lambda v: isinstance(v, str),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "bool": lambda v: isinstance(v, bool),
            "list": lambda v: isinstance(v, list),
            "tuple": lambda v: isinstance(v, list | tuple),
            "sequence": lambda v: isinstance(v, list | tuple),
            "dict": lambda v: isinstance(v, dict),
            "mapping": lambda v: isinstance(v, dict),
        }
        check = checks.get(base)
        if check is None:
            return True
        if check(value):
            return True
    return False


def _type_word(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def check_parameters(
    where: str, notebook: str, given: dict[str, Any], declared: list[Parameter]
) -> list[str]:
    """Return one message per unknown or mistyped parameter (empty when all are fine).

    Examples
    --------
    >>> declared = [Parameter("level", "float", "0.95", ""), Parameter("min_n", "int", "10", "")]
    >>> check_parameters("run x", "nb.ipynb", {"level": "high", "mn": 3}, declared)
    ... # doctest: +NORMALIZE_WHITESPACE
    ["run x: parameter 'level' of nb.ipynb must be float, got str 'high'",
     "run x: nb.ipynb has no parameter 'mn'; valid parameters: level (float), min_n (int)"]
    """
    by_name = {p.name: p for p in declared}
    valid = ", ".join(f"{p.name} ({p.type})" for p in declared) or "none (no cell is tagged "
    if not declared:
        valid += "'parameters')"
    problems = []
    for name, value in given.items():
        param = by_name.get(name)
        if param is None:
            problems.append(
                f"{where}: {notebook} has no parameter {name!r}; valid parameters: {valid}"
            )
        elif not value_matches(value, param.type):
            problems.append(
                f"{where}: parameter {name!r} of {notebook} must be {param.type}, "
                f"got {_type_word(value)} {value!r}"
            )
    return problems
