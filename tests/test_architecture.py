"""The shape of the library, checked from its source with :mod:`ast` (nothing is imported).

Dependencies point one way, down: ``reports`` and ``present`` may import ``stats`` and
``data``, ``stats`` imports ``data``, and nothing imports back up; ``exceptions`` and
``paths`` sit under everything. The import graph counts every ``import`` and ``from ...
import`` anywhere in a module (inside functions and ``if TYPE_CHECKING:`` blocks too,
relative imports resolved), because a cycle that only shows at type-checking time or on
first call is still a cycle. Production code never imports the synthetic data generator
(the data it plants is configuration: ``data/synthetic/redaction_list.txt``). Modules and
functions stay small enough to read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "lozells_analysis"
LAYERS = ("data", "stats", "present", "reports")
#: What each layer must never import.
FORBIDDEN = {
    "data": {"stats", "present", "reports"},
    "stats": {"present", "reports"},
    "present": {"reports"},
}
TOP_LEVEL_MODULES = {"__init__.py", "cli.py", "exceptions.py", "paths.py"}
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
SYNTHETIC = f"{PACKAGE}.data.synthetic"
#: Where production code may import the synthetic data generator: the CLI's ``generate``.
SYNTHETIC_ALLOWED = {(f"{PACKAGE}.cli", "_cmd_generate")}
#: Production code that still imports the generator, to be moved off it; the list may only
#: shrink (an entry that no longer imports it fails the test until it is removed here).
SYNTHETIC_KNOWN = {
    # the package's front door offers ``la.synthetic`` (lazily; imported for type checkers)
    (PACKAGE, None): "la.synthetic is public API",
    # ``load_survey()`` and the excerpt loaders write the synthetic data when it is missing
    (f"{PACKAGE}.data.load", "load_survey"): "generates the data when missing",
    (f"{PACKAGE}.data.load", "_load_qualitative"): "generates the data when missing",
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    function: str | None  # the outermost function the import is in, None at module level


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(src: Path = SRC, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of ``package`` under ``src``, by dotted name."""
    return {module_name(p, src): p for p in sorted((src / package).rglob("*.py"))}


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[ast.Import | ast.ImportFrom, str | None]] = []
        self._functions: list[str] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node.name)
        self.generic_visit(node)
        self._functions.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append((node, self._functions[0] if self._functions else None))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append((node, self._functions[0] if self._functions else None))


def _nearest_module(dotted: str, known: dict[str, Path]) -> str | None:
    while dotted and dotted not in known:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def imports(src: Path = SRC, package: str = PACKAGE) -> list[Import]:
    """Every import of a module of ``package`` by a module of ``package``.

    ``from a import b`` imports module ``a.b`` when there is one, otherwise module ``a``.
    """
    known = modules(src, package)
    out = []
    for name, path in known.items():
        visitor = _ImportVisitor()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, function in visitor.found:
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [_nearest_module(alias.name, known) for alias in node.names]
            else:
                if node.level:
                    base = here
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in known else _nearest_module(base, known))
            for target in dict.fromkeys(targets):
                if target is not None and target != name:
                    out.append(Import(name, target, node.lineno, function))
    return out


def graph(found: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for i in found:
        edges.setdefault(i.importer, set()).add(i.imported)
        edges.setdefault(i.imported, set())
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path back to its start) through each strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(v: str) -> None:  # Tarjan; the graph has a few dozen modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(edges):
        if v not in index:
            connect(v)
    found = []
    for component in components:
        start = min(component)
        path, seen = [start], {start}
        while True:  # walk inside the component until a module repeats
            step = min(w for w in edges[path[-1]] if w in component)
            if step in seen:
                found.append(path[path.index(step) :] + [step])
                break
            path.append(step)
            seen.add(step)
    return found


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def describe(i: Import) -> str:
    where = f" (in {i.function}())" if i.function else ""
    return f"{i.importer} imports {i.imported}, line {i.line}{where}"


@pytest.fixture(scope="module")
def found() -> list[Import]:
    return imports()


# --- the graph builder sees every kind of import ------------------------------------------------


def test_the_graph_counts_function_level_type_checking_and_relative_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("X = 1\n")
    (pkg / "sub" / "__init__.py").write_text("from .one import f\n")
    (pkg / "sub" / "one.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg.sub.two import T\n"
        "def f():\n    from ..base import X\n    import pkg.sub.two\n"
    )
    (pkg / "sub" / "two.py").write_text("from . import one\nfrom pkg import base as b\n")
    edges = {(i.importer, i.imported, i.function) for i in imports(tmp_path, "pkg")}
    assert edges == {
        ("pkg.sub", "pkg.sub.one", None),
        ("pkg.sub.one", "pkg.sub.two", None),
        ("pkg.sub.one", "pkg.base", "f"),
        ("pkg.sub.one", "pkg.sub.two", "f"),
        ("pkg.sub.two", "pkg.sub.one", None),
        ("pkg.sub.two", "pkg.base", None),
    }
    assert cycles(graph(imports(tmp_path, "pkg"))) == [
        ["pkg.sub.one", "pkg.sub.two", "pkg.sub.one"]
    ]


# --- dependencies point one way -----------------------------------------------------------------


def test_no_import_cycles(found):
    loops = cycles(graph(found))
    assert not loops, "import cycles:\n" + "\n".join(" -> ".join(c) for c in loops)


@pytest.mark.parametrize("lower", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(found, lower):
    bad = [
        describe(i)
        for i in found
        if layer(i.importer) == lower and layer(i.imported) in FORBIDDEN[lower]
    ]
    assert not bad, (
        f"{lower} must not import {', '.join(sorted(FORBIDDEN[lower]))}:\n" + "\n".join(bad)
    )


def test_nothing_imports_the_front_door_the_cli_or_up_from_exceptions_and_paths(found):
    top = {PACKAGE, f"{PACKAGE}.cli"}
    bottom = {f"{PACKAGE}.exceptions", f"{PACKAGE}.paths"}
    bad = [
        describe(i)
        for i in found
        if (i.imported in top and layer(i.importer) is not None)
        or (i.importer in bottom and i.imported not in bottom)
    ]
    assert not bad, "\n".join(bad)


def test_production_code_never_imports_the_synthetic_data_generator(found):
    users = {(i.importer, i.function): i for i in found if i.imported == SYNTHETIC}
    users = {k: i for k, i in users.items() if i.importer != SYNTHETIC}
    new = [
        describe(i) for k, i in users.items() if k not in SYNTHETIC_ALLOWED | set(SYNTHETIC_KNOWN)
    ]
    assert not new, (
        "only the CLI's generate command may import the synthetic data generator; the names "
        "it plants are in data/synthetic/redaction_list.txt "
        "(lozells_analysis.stats.disclosure.load_redaction_list):\n" + "\n".join(new)
    )
    stale = [f"{m}{f' ({f}())' if f else ''}" for m, f in SYNTHETIC_KNOWN if (m, f) not in users]
    assert not stale, "no longer import the generator; remove from SYNTHETIC_KNOWN: " + ", ".join(
        stale
    )


# --- small enough to read -----------------------------------------------------------------------


def test_the_package_top_level_holds_only_the_subpackages_and_four_modules():
    root = SRC / PACKAGE
    top = {p.name for p in root.glob("*.py")}
    assert top <= TOP_LEVEL_MODULES, (
        f"modules to move into a subpackage: {sorted(top - TOP_LEVEL_MODULES)}"
    )
    packages = {p.parent.name for p in root.glob("*/__init__.py")}
    assert packages == set(LAYERS)


def _source_files() -> Iterator[Path]:
    for path in sorted(SRC.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            yield path


def test_no_file_under_src_is_over_600_lines():
    long = {
        str(p.relative_to(SRC)): n
        for p in _source_files()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert not long, f"files over {MAX_FILE_LINES} lines: {long}"


def test_no_function_in_stats_is_over_80_lines():
    long = {}
    for path in sorted((SRC / PACKAGE / "stats").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(SRC)}:{node.lineno} {node.name}()"] = lines
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
