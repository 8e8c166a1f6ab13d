"""pyproject.toml is the source of truth; environment.yml and requirements.lock agree with it."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_requirements() -> list[Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in meta["dependencies"]]
    for extra in meta["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def test_environment_yml_names_the_same_packages_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = set()
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name = re.split(r"[<>=!~ ]", dep, maxsplit=1)[0]
            if name not in ("python", "pip"):
                conda.add(_norm(name))
    pyproject = {_norm(r.name) for r in _pyproject_requirements()}
    assert conda == pyproject, (
        f"only in environment.yml: {sorted(conda - pyproject)}; "
        f"only in pyproject.toml: {sorted(pyproject - conda)}"
    )


def test_environment_yml_versions_match_pyproject_lower_bounds():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and ">=" in dep:
            name, version = dep.split(">=")
            conda[_norm(name)] = version.strip()
    for req in _pyproject_requirements():
        lower = [s.version for s in req.specifier if s.operator == ">="]
        assert conda.get(_norm(req.name)) == (lower[0] if lower else None), req.name


def test_lock_pins_every_dependency_within_its_range():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_norm(name)] = Version(version.strip())
    for req in _pyproject_requirements():
        name = _norm(req.name)
        assert name in pins, f"{req.name} is not pinned in requirements.lock (run make lock)"
        assert pins[name] in req.specifier, f"{req.name}=={pins[name]} outside {req.specifier}"


def test_lock_pins_exact_versions_only():
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[^=\s]+", line.strip()), line


def test_raw_data_and_built_reports_are_ignored_by_git():
    for path in (
        "data/raw/export.csv",
        "data/raw/sub/answers.sav",
        "reports/index.html",
        "data/synthetic/survey.parquet",
        ".venv/bin/python",
    ):
        out = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert out.returncode == 0, f"{path} is not ignored by git"
    tracked = subprocess.run(
        ["git", "ls-files", "data/raw"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(tracked) <= {"data/raw/.gitkeep", "data/raw/README.md"}, tracked


def test_readme_starts_with_the_two_commands():
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:15])
    assert "make reports" in head and "make test" in head


def test_ci_runs_lint_then_the_readme_test_command():
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip().startswith("make ")
    ]
    assert commands == ["make lint", "make test"]


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_norm(name)] = version.strip()
    return pins


def test_pre_commit_hooks_use_the_locked_tool_versions():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    revs = {repo["repo"].rstrip("/").rsplit("/", 1)[-1]: repo["rev"] for repo in config["repos"]}
    pins = _lock_pins()
    # the hook repositories named after a tool the project pins: ruff-pre-commit -> ruff
    for repo, tool in (("ruff-pre-commit", "ruff"), ("nbstripout", "nbstripout")):
        assert repo in revs, f".pre-commit-config.yaml has no {repo} hook"
        assert revs[repo].lstrip("v") == pins[tool], (
            f".pre-commit-config.yaml runs {tool} {revs[repo]}, requirements.lock pins "
            f"{pins[tool]}: make them agree"
        )


def test_the_library_ships_type_information():
    assert (ROOT / "src" / "lozells_analysis" / "py.typed").is_file()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["lozells_analysis"]
