"""One public API: ``import lozells_analysis as la`` offers what a researcher needs."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import lozells_analysis as la

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {
    "load_survey",
    "load_codebook",
    "SurveyDesign",
    "compare_with_benchmark",
    "trend",
    "scale_scores",
    "suppress",
    "synthetic",
    "build_reports",
}


def test_all_lists_the_researchers_names_and_each_resolves():
    assert REQUIRED <= set(la.__all__)
    for name in la.__all__:
        assert getattr(la, name) is not None, name
    assert set(dir(la)) >= set(la.__all__)


def test_every_public_name_is_documented_in_docs_api():
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [n for n in la.__all__ if n != "__version__" and f"la.{n}" not in page]
    assert not missing, f"names in la.__all__ without an entry in docs/api.md: {missing}"


def test_every_public_function_is_typed_with_a_numpydoc_docstring_and_an_example():
    for name in la.__all__:
        obj = getattr(la, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or issubclass_error(obj):
            continue
        doc = inspect.getdoc(obj) or ""
        assert "Examples" in doc and ">>>" in doc, f"la.{name} has no example in its docstring"
        if inspect.isfunction(obj):
            hints = obj.__annotations__
            assert "return" in hints, f"la.{name} has no return type"


def issubclass_error(obj: object) -> bool:
    return inspect.isclass(obj) and issubclass(obj, Exception)


def test_an_unknown_name_is_an_attribute_error():
    try:
        la.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("la.no_such_thing did not raise")


def test_importing_the_package_loads_no_heavy_module():
    code = "import sys, lozells_analysis; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    for heavy in ("pandas", "scipy", "papermill", "matplotlib"):
        assert heavy not in out, f"import lozells_analysis imported {heavy}"


def test_all_and_the_lazy_table_agree():
    assert set(la.__all__) == {"__version__", *la._API}
