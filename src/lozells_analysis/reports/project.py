"""Where one project's catalogue, reports, build state and library live.

By default everything is under the repository root (``lozells_analysis.paths``):
``reports.yaml``, ``reports/`` (published reports, ``index.html``, ``logs/``) and ``.lozells/``
(build state, parameter cache, lock, staging). ``templates`` is the folder of report templates
(part of every run's key). Tests point a :class:`Project` elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lozells_analysis import paths

__all__ = ["Project"]

LIBRARY = Path(__file__).resolve().parent.parent
TEMPLATES = LIBRARY / "reports" / "templates"


@dataclass(frozen=True)
class Project:
    """The folders and files one build works with.

    Examples
    --------
    >>> p = Project.at(Path("/srv/lozells"))
    >>> str(p.catalogue), str(p.reports), str(p.state_file)
    ('/srv/lozells/reports.yaml', '/srv/lozells/reports', '/srv/lozells/.lozells/state.json')
    """

    root: Path
    catalogue: Path
    reports: Path
    state_dir: Path
    library: Path = LIBRARY
    lock_file: Path | None = None
    templates: Path = TEMPLATES

    @classmethod
    def at(cls, root: Path | None = None, *, catalogue: Path | None = None) -> Project:
        """The standard layout under ``root`` (default: the repository root)."""
        root = Path(root).resolve() if root else paths.project_root()
        return cls(
            root=root,
            catalogue=Path(catalogue).resolve() if catalogue else root / "reports.yaml",
            reports=root / "reports",
            state_dir=root / ".lozells",
            library=LIBRARY,
            lock_file=root / "requirements.lock",
        )

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def parameters_cache(self) -> Path:
        return self.state_dir / "parameters.json"

    @property
    def build_lock(self) -> Path:
        return self.state_dir / "build.lock"

    @property
    def staging(self) -> Path:
        return self.state_dir / "staging"

    @property
    def logs(self) -> Path:
        return self.reports / "logs"
