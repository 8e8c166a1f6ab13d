"""Column names: from the names in a researcher's file to the codebook's.

Every reader strips the spaces around header names (``"Weight "`` is ``Weight``). Then, in
order:

1. the mapping file's ``columns`` renames apply;
2. a column whose name differs from a codebook name only in case, spacing or underscores
   (``Weight``, ``Respondent ID``) is read as that codebook column, and the log says so;
3. when the file has both (``weight`` and ``Weight``), the exact name is used and a warning
   names both, so an extra column is never ignored without a word; two near misses for one
   name (``Weight`` and ``WEIGHT``) are an error, since either could be meant.

Examples
--------
>>> from lozells_analysis.data.columns import normalise
>>> normalise("  Respondent ID "), normalise("interview-date")
('respondent_id', 'interview_date')
"""

from __future__ import annotations

import difflib
import logging
import re

import pandas as pd

from lozells_analysis.data.codebook import Codebook
from lozells_analysis.data.problems import Problem, raise_problems

log = logging.getLogger(__name__)

__all__ = ["CODED_DESIGN", "ColumnNames", "normalise"]

#: Design columns with few distinct values, read as codes (categoricals) like the items.
CODED_DESIGN = ("neighbourhood", "nation", "wave", "interview_date")

_SEPARATORS = re.compile(r"[\s_\-.]+")


def normalise(name: str) -> str:
    """A column name folded for near-miss matching: case, spacing and separators ignored."""
    return _SEPARATORS.sub("_", str(name).strip().casefold()).strip("_")


class ColumnNames:
    """Which codebook column each of a file's columns becomes, given the mapping's renames."""

    def __init__(self, cb: Codebook, columns: dict[str, str] | None = None):
        self.known = [*cb.design, *cb.items]
        self._known = set(self.known)
        self.columns = dict(columns or {})
        self._by_norm = {normalise(k): k for k in self.known}
        self._coded = set(CODED_DESIGN) | set(cb.items)

    def target(self, name: str) -> str | None:
        """The codebook column ``name`` (a header, stripped) will be read as, if any."""
        name = str(name).strip()
        if name in self.columns:
            return self.columns[name]
        if name in self._known:
            return name
        return self._by_norm.get(normalise(name))

    def kind(self, name: str) -> str:
        """How a reader should read the column: ``"codes"`` (few distinct values; read as
        a categorical) or ``"text"``."""
        return "codes" if self.target(name) in self._coded else "text"

    def settle(self, frame: pd.DataFrame, source: str, mapping_source: str) -> pd.DataFrame:
        """Rename ``frame``'s columns onto the codebook's: the mapping's renames, then near
        misses. Raises :class:`SurveyDataError` for renames that cannot apply."""
        problems: list[Problem] = []
        present = [str(c) for c in frame.columns]
        absent = [c for c in self.columns if c not in present]
        if absent:
            hints = []
            for c in absent:
                close = [p for p in present if normalise(p) == normalise(c)]
                close = close or difflib.get_close_matches(c, present, n=1)
                if close:
                    hints.append(f"{c!r} may be {close[0]!r}")
            problems.append(
                Problem(
                    ", ".join(map(str, absent)),
                    f"the mapping file {mapping_source} names column"
                    f"{'s' if len(absent) > 1 else ''} the survey does not have (it has: "
                    f"{', '.join(present[:15])}{'...' if len(present) > 15 else ''})",
                    ("; ".join(hints) + "; " if hints else "")
                    + "correct the names under 'columns:' in the mapping file.",
                )
            )
        renames = {c: t for c, t in self.columns.items() if c in present}
        kept = [c for c in present if c not in renames]
        for c, t in renames.items():
            if t in kept and t != c:
                problems.append(
                    Problem(
                        t,
                        f"the mapping file {mapping_source} maps {c!r} onto {t!r}, but the "
                        f"survey already has a column {t!r}",
                        f"delete one of the two columns, or map {c!r} onto another name.",
                    )
                )
        raise_problems(problems, source)
        names = [renames.get(c, c) for c in present]

        near: dict[str, list[str]] = {}
        for c in names:
            if c in self._known:
                continue
            k = self._by_norm.get(normalise(c))
            if k is not None:
                near.setdefault(k, []).append(c)
        final = dict(zip(names, names, strict=True))
        for k, misses in near.items():
            listed = " and ".join(repr(m) for m in misses)
            if k in names:
                log.warning(
                    "%s: the file has column %r and also %s, differing only in case or "
                    "spacing; %r is read as the codebook's %r and %s left as %s extra "
                    "column%s. Rename or delete %s if that is not right.",
                    source,
                    k,
                    listed,
                    k,
                    k,
                    listed,
                    "an" if len(misses) == 1 else "",
                    "" if len(misses) == 1 else "s",
                    "it" if len(misses) == 1 else "them",
                )
            elif len(misses) > 1:
                problems.append(
                    Problem(
                        ", ".join(misses),
                        f"columns {listed} could each be the codebook's {k!r} (they differ "
                        "only in case or spacing)",
                        f"rename the one to use to {k!r}, or map it in the mapping file "
                        f"(columns: {{{misses[0]}: {k}}}).",
                    )
                )
            else:
                log.info("%s: column %r read as the codebook's %r", source, misses[0], k)
                final[misses[0]] = k
        raise_problems(problems, source)
        frame.columns = [final[c] for c in names]
        return frame
