"""The neighbourhoods as the briefing packs describe them (``data/neighbourhoods.yaml``).

For each of the thirteen areas: its nation and local authority, the body its pack is written
for, and which qualitative material comes from it; for each nation, the published figures an
area may be compared with (only where the same question was asked of the same population).
The file is checked against the codebook when read: an unknown area, a nation that differs,
a source or measure nobody defined, or a missing field stops with a
:class:`~lozells_analysis.exceptions.NeighbourhoodsError` naming the file and the entry.

Examples
--------
>>> hoods = load_neighbourhoods()
>>> lozells = hoods.get("Lozells")
>>> lozells.audience, lozells.local_authority, lozells.nation
('Lozells Health Commission', 'Birmingham City Council', 'England')
>>> hoods.get("Govanhill").audience
'local partners'
>>> [f.name for f in hoods.comparators_for("Govanhill", "belong_neighbourhood")]
['Scotland']
>>> hoods.comparators_for("Caia Park", "belong_neighbourhood")
()
>>> hoods.covers("listening_events", "Lozells"), hoods.covers("listening_events", "Govanhill")
(True, False)
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.data.safe_yaml import load_yaml
from lozells_analysis.data.tracking import record_read
from lozells_analysis.exceptions import NeighbourhoodsError, ParameterError
from lozells_analysis.paths import data_dir

log = logging.getLogger(__name__)

__all__ = [
    "ComparatorFigure",
    "NationComparators",
    "Neighbourhood",
    "Neighbourhoods",
    "QualitativeSource",
    "load_neighbourhoods",
]

#: The ``neighbourhood`` parameter value that selects the whole programme.
PROGRAMME = "all"


@dataclass(frozen=True)
class QualitativeSource:
    """Qualitative material a pack may quote, and the areas it comes from."""

    id: str
    name: str
    place: str
    covers: tuple[str, ...]


@dataclass(frozen=True)
class ComparatorFigure:
    """One published figure an area is compared with, on the survey's scale (0-1 or a mean)."""

    measure: str
    name: str
    value: float
    unit: str
    period: str | None
    source: str
    url: str | None = None


@dataclass(frozen=True)
class NationComparators:
    """A nation's comparators: the survey they come from, the figures, and what is missing."""

    nation: str
    survey: str
    figures: tuple[ComparatorFigure, ...]
    note: str = ""


@dataclass(frozen=True)
class Neighbourhood:
    """One area (or the programme as a whole, ``is_programme``) as its pack describes it."""

    name: str
    nation: str | None
    local_authority: str | None
    audience: str
    qualitative_sources: tuple[str, ...]
    is_programme: bool = False


@dataclass(frozen=True)
class Neighbourhoods:
    """Every area, the programme, the qualitative sources and each nation's comparators."""

    areas: Mapping[str, Neighbourhood]
    programme: Neighbourhood
    sources: Mapping[str, QualitativeSource]
    comparators: Mapping[str, NationComparators]
    path: str

    def get(self, name: str) -> Neighbourhood:
        """The area called ``name`` (``"all"``: the programme).

        Raises
        ------
        ParameterError
            If there is no such area (listing those there are).
        """
        if name == PROGRAMME:
            return self.programme
        try:
            return self.areas[name]
        except KeyError:
            raise ParameterError(
                f"{name!r} is not a neighbourhood in {self.path}; the neighbourhoods are "
                f"{', '.join(self.areas)} (or {PROGRAMME!r} for the programme)."
            ) from None

    def nation_comparators(self, name: str) -> NationComparators | None:
        """The comparators of the area's nation (None for the programme)."""
        area = self.get(name)
        return self.comparators.get(area.nation) if area.nation else None

    def comparators_for(self, name: str, measure: str) -> tuple[ComparatorFigure, ...]:
        """The published figures the area may be compared with on ``measure`` (may be none)."""
        nation = self.nation_comparators(name)
        if nation is None:
            return ()
        return tuple(f for f in nation.figures if f.measure == measure)

    def covers(self, source: str, name: str) -> bool:
        """Whether the qualitative ``source`` comes from the area ``name``."""
        return source in self.get(name).qualitative_sources


# --- reading and checking --------------------------------------------------------------------
_AREA_KEYS = {"name", "nation", "local_authority", "audience", "qualitative_sources"}
_FIGURE_KEYS = {"measure", "name", "population", "period", "value", "unit", "source", "url"}


def _fail(path: Path, where: str, what: str) -> NeighbourhoodsError:
    return NeighbourhoodsError(f"{path}: {where}: {what}")


def _text(path: Path, where: str, entry: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = entry.get(key, default)
    if value is None:
        raise _fail(path, where, f"'{key}' is missing; add it to the entry.")
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, f"'{key}' must be non-empty text; got {value!r}.")
    return value.strip()


def _unknown_keys(path: Path, where: str, entry: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        raise _fail(
            path,
            where,
            f"unknown key(s) {', '.join(extra)}; the keys are {', '.join(sorted(allowed))}.",
        )


def _source_ids(path: Path, where: str, value: Any, sources: Mapping[str, Any]) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(path, where, f"'qualitative_sources' must be a list; got {value!r}.")
    for s in value:
        if s not in sources:
            raise _fail(
                path,
                where,
                f"qualitative source {s!r} is not defined under 'qualitative_sources' "
                f"(defined: {', '.join(sources) or 'none'}).",
            )
    return tuple(value)


def _benchmark_value(path: Path, where: str, raw: Mapping[str, Any]) -> tuple[float, str]:
    """A figure's value and unit from ``data/benchmarks/benchmarks.csv``."""
    from lozells_analysis.data.comparators import load_benchmarks

    b = load_benchmarks()
    rows = b[(b["measure_id"] == raw["measure"]) & (b["population"] == raw.get("population"))]
    period = raw.get("period")
    rows = rows[rows["period"].isna()] if period is None else rows[rows["period"] == str(period)]
    rows = rows[rows["source"] == raw["source"]]
    if len(rows) != 1:
        raise _fail(
            path,
            where,
            f"no single row in data/benchmarks/benchmarks.csv for measure {raw['measure']!r}, "
            f"population {raw.get('population')!r}, period {period!r}, source "
            f"{raw['source']!r}; give the figure's 'value' and 'unit', or correct these.",
        )
    return float(rows["proportion"].iloc[0]), str(rows["unit"].iloc[0])


def _figure(path: Path, where: str, raw: Any, measures: set[str]) -> ComparatorFigure:
    if not isinstance(raw, dict):
        raise _fail(path, where, f"a comparator figure must be a mapping; got {raw!r}.")
    _unknown_keys(path, where, raw, _FIGURE_KEYS)
    measure = _text(path, where, raw, "measure")
    if measure not in measures:
        raise _fail(
            path,
            where,
            f"measure {measure!r} is not a benchmark measure of data/codebook.yaml "
            "(an indicator's or item's `benchmark`).",
        )
    name = _text(path, where, raw, "name")
    source = _text(path, where, raw, "source")
    period = None if raw.get("period") is None else str(raw["period"])
    if "value" in raw:
        unit = _text(path, where, raw, "unit")
        if unit not in ("percent", "mean"):
            raise _fail(path, where, f"'unit' must be 'percent' or 'mean'; got {unit!r}.")
        try:
            value = float(raw["value"])
        except (TypeError, ValueError):
            raise _fail(path, where, f"'value' must be a number; got {raw['value']!r}.") from None
        if unit == "percent":
            if not 0 <= value <= 100:
                raise _fail(path, where, f"a percentage must lie in 0-100; got {value}.")
            value /= 100
        if not raw.get("url"):
            raise _fail(path, where, "a figure typed here needs the 'url' it was taken from.")
    else:
        value, unit = _benchmark_value(path, where, {**raw, "measure": measure, "source": source})
    url = raw.get("url")
    return ComparatorFigure(measure, name, value, unit, period, source, url)


def _benchmark_measures(cb: Codebook) -> set[str]:
    out = {i.benchmark for i in cb.indicators.values() if getattr(i, "benchmark", None)}
    out |= {i.benchmark for i in cb.items.values() if getattr(i, "benchmark", None)}
    return {m for m in out if m}


def _parse_sources(path: Path, raw: Mapping[str, Any]) -> dict[str, QualitativeSource]:
    sources: dict[str, QualitativeSource] = {}
    for sid, s in (raw.get("qualitative_sources") or {}).items():
        where = f"qualitative_sources.{sid}"
        if not isinstance(s, dict):
            raise _fail(path, where, "must be a mapping with name, place and covers.")
        _unknown_keys(path, where, s, {"name", "place", "covers"})
        covers = s.get("covers") or []
        if not isinstance(covers, list):
            raise _fail(path, where, f"'covers' must be a list; got {covers!r}.")
        sources[sid] = QualitativeSource(
            sid, _text(path, where, s, "name"), _text(path, where, s, "place"), tuple(covers)
        )
    return sources


def _parse_area(
    path: Path,
    i: int,
    entry: Any,
    cb: Codebook,
    sources: Mapping[str, QualitativeSource],
    default_audience: str,
) -> Neighbourhood:
    where = f"neighbourhoods[{i}]"
    if not isinstance(entry, dict):
        raise _fail(path, where, f"must be a mapping; got {entry!r}.")
    name = _text(path, where, entry, "name")
    where = f"neighbourhoods[{i}] ({name})"
    _unknown_keys(path, where, entry, _AREA_KEYS)
    nation = _text(path, where, entry, "nation")
    if nation not in cb.nations:
        raise _fail(path, where, f"nation {nation!r} is not one of {', '.join(cb.nations)}.")
    known = dict(cb.neighbourhoods)
    if name not in known:
        raise _fail(
            path,
            where,
            f"{name!r} is not a neighbourhood of data/codebook.yaml "
            f"({', '.join(known)}); spell it as the codebook does.",
        )
    if known[name].nation != nation:
        raise _fail(
            path,
            where,
            f"nation {nation!r} differs from data/codebook.yaml's {known[name].nation!r}.",
        )
    return Neighbourhood(
        name=name,
        nation=nation,
        local_authority=_text(path, where, entry, "local_authority"),
        audience=_text(path, where, entry, "audience", default_audience),
        qualitative_sources=_source_ids(path, where, entry.get("qualitative_sources"), sources),
    )


def _parse_areas(
    path: Path,
    raw: Mapping[str, Any],
    cb: Codebook,
    sources: Mapping[str, QualitativeSource],
    default_audience: str,
) -> dict[str, Neighbourhood]:
    entries = raw.get("neighbourhoods")
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "neighbourhoods", "must be a non-empty list of areas.")
    areas: dict[str, Neighbourhood] = {}
    for i, entry in enumerate(entries):
        area = _parse_area(path, i, entry, cb, sources, default_audience)
        if area.name in areas:
            raise _fail(
                path, f"neighbourhoods[{i}] ({area.name})", "this name appears twice; keep one."
            )
        areas[area.name] = area
    missing = [n for n in cb.neighbourhoods if n not in areas]
    if missing:
        raise _fail(
            path,
            "neighbourhoods",
            f"no entry for {', '.join(missing)} (in data/codebook.yaml); add one per area.",
        )
    for sid, s in sources.items():
        for name in s.covers:
            if name not in areas:
                raise _fail(path, f"qualitative_sources.{sid}", f"covers unknown area {name!r}.")
            if sid not in areas[name].qualitative_sources:
                raise _fail(
                    path,
                    f"qualitative_sources.{sid}",
                    f"covers {name} but {name}'s entry does not list {sid!r} in its "
                    "qualitative_sources; list it in both places or neither.",
                )
    return areas


def _parse_comparators(
    path: Path, raw: Mapping[str, Any], cb: Codebook, areas: Mapping[str, Neighbourhood]
) -> dict[str, NationComparators]:
    measures = _benchmark_measures(cb)
    comparators: dict[str, NationComparators] = {}
    for nation, spec in (raw.get("comparators") or {}).items():
        where = f"comparators.{nation}"
        if nation not in cb.nations:
            raise _fail(path, where, f"{nation!r} is not one of {', '.join(cb.nations)}.")
        if not isinstance(spec, dict):
            raise _fail(path, where, "must be a mapping with survey, figures and note.")
        _unknown_keys(path, where, spec, {"survey", "figures", "note"})
        figures = tuple(
            _figure(path, f"{where}.figures[{j}]", f, measures)
            for j, f in enumerate(spec.get("figures") or [])
        )
        comparators[nation] = NationComparators(
            nation, _text(path, where, spec, "survey"), figures, str(spec.get("note") or "")
        )
    for area in areas.values():
        if area.nation not in comparators:
            raise _fail(
                path,
                "comparators",
                f"no entry for {area.nation} ({area.name} is there); add one, with "
                "`figures: []` and a `note` if it has no comparable figure.",
            )
    return comparators


def parse_neighbourhoods(raw: Any, path: Path, codebook: Codebook | None = None) -> Neighbourhoods:
    """Check a parsed ``neighbourhoods.yaml`` against the codebook and build the object."""
    cb = codebook or load_codebook()
    if not isinstance(raw, dict):
        raise _fail(path, "top level", "the file must hold a YAML mapping.")
    _unknown_keys(
        path,
        "top level",
        raw,
        {"defaults", "programme", "neighbourhoods", "qualitative_sources", "comparators"},
    )
    defaults = raw.get("defaults") or {}
    default_audience = _text(path, "defaults", defaults, "audience")
    sources = _parse_sources(path, raw)
    areas = _parse_areas(path, raw, cb, sources, default_audience)
    prog = raw.get("programme") or {}
    _unknown_keys(path, "programme", prog, {"name", "audience", "qualitative_sources"})
    programme = Neighbourhood(
        name=_text(path, "programme", prog, "name"),
        nation=None,
        local_authority=None,
        audience=_text(path, "programme", prog, "audience", default_audience),
        qualitative_sources=_source_ids(
            path, "programme", prog.get("qualitative_sources"), sources
        ),
        is_programme=True,
    )
    comparators = _parse_comparators(path, raw, cb, areas)
    return Neighbourhoods(areas, programme, sources, comparators, str(path))


@functools.cache
def _load_cached(path: str, mtime_ns: int) -> Neighbourhoods:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NeighbourhoodsError(
            f"{p} not found: the briefing packs need it (one entry per neighbourhood). Run "
            "from the repository, or set LOZELLS_PROJECT_ROOT."
        ) from None
    try:
        raw = load_yaml(text)
    except Exception as exc:  # yaml.YAMLError and the alias limit
        raise NeighbourhoodsError(f"{p} is not valid YAML: {exc}") from None
    return parse_neighbourhoods(raw, p)


def load_neighbourhoods(path: str | Path | None = None) -> Neighbourhoods:
    """Read and check ``data/neighbourhoods.yaml`` (or ``path``); cached per file version.

    Raises
    ------
    NeighbourhoodsError
        A file that is missing, not YAML, or whose entries are incomplete or disagree with
        the codebook; the message names the file and the entry.
    """
    p = Path(path) if path is not None else data_dir() / "neighbourhoods.yaml"
    try:
        mtime = p.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = -1
    hoods = _load_cached(str(p.resolve()), mtime)
    record_read(p, synthetic=None)  # a changed file rebuilds the packs that use it
    return hoods
