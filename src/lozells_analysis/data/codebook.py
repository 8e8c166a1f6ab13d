"""The codebook: what every survey column means and how it becomes an indicator.

``data/codebook.yaml`` is the one description of the survey. This module reads it (with
``yaml.safe_load``), checks it is consistent, and answers the questions the rest of the
library asks: which codes an item may take, which of them are missing ("don't know",
"refused"), how an item becomes a 0/1 indicator, which items make up each component of
collective control, and which benchmark an indicator is compared with.

Examples
--------
>>> from lozells_analysis.data.codebook import load_codebook
>>> cb = load_codebook()
>>> cb.indicator("change_area_run").codes
(1, 2)
>>> cb.items["change_area_run"].labels[1]
'Definitely agree'
>>> import pandas as pd
>>> cb.indicator_values(pd.DataFrame({"change_area_run": [1, 2, 3, 8, None]}), "change_area_run")
0    1.0
1    1.0
2    0.0
3    NaN
4    NaN
Name: change_area_run, dtype: float64
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lozells_analysis.data.tracking import record_read
from lozells_analysis.exceptions import CodebookError
from lozells_analysis.paths import codebook_path

__all__ = [
    "Band",
    "Codebook",
    "Indicator",
    "Item",
    "Scale",
    "load_codebook",
]

COMPONENTS = (
    "social_connectedness",
    "knowledge_skills",
    "money_resources",
    "influence",
    "confidence",
)


@dataclass(frozen=True)
class Scale:
    """A response scale: labelled codes, the missing ones, or a numeric range."""

    id: str
    labels: dict[int, str]
    missing: tuple[int, ...]
    numeric: bool = False
    min: float | None = None
    max: float | None = None
    integer: bool = True

    @property
    def valid_codes(self) -> tuple[int, ...]:
        """Codes that are real answers (not missing), in scale order."""
        return tuple(c for c in self.labels if c not in self.missing)

    @property
    def all_codes(self) -> tuple[int, ...]:
        return tuple(self.labels)


@dataclass(frozen=True)
class Indicator:
    """A 0/1 measure derived from an item: the codes that count as "yes"."""

    id: str
    item: str
    label: str
    codes: tuple[int, ...]
    polarity: str | None = None  # "higher": a higher percentage is better; "lower"; None
    benchmark: str | None = None


@dataclass(frozen=True)
class Band:
    label: str
    min: float
    max: float


@dataclass(frozen=True)
class Item:
    """A survey question: one column in the data."""

    id: str
    wording: str
    scale: Scale
    domain: str
    component: str | None = None
    reverse: bool = False  # True when code 1 is the most positive answer
    polarity: str | None = None  # for numeric items: is a higher score better
    bands: str | None = None
    benchmark: str | None = None
    indicators: tuple[Indicator, ...] = ()

    @property
    def labels(self) -> dict[int, str]:
        return self.scale.labels

    @property
    def numeric(self) -> bool:
        return self.scale.numeric

    @property
    def missing_codes(self) -> tuple[int, ...]:
        return self.scale.missing


@dataclass(frozen=True)
class Neighbourhood:
    name: str
    nation: str
    place: str
    population: int


@dataclass(frozen=True)
class Wave:
    wave: int
    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    year: str


@dataclass
class Codebook:
    """The parsed codebook. Build it with :func:`load_codebook`."""

    path: Path
    version: str
    scales: dict[str, Scale]
    items: dict[str, Item]
    indicators: dict[str, Indicator]
    design: dict[str, dict]
    nations: tuple[str, ...]
    neighbourhoods: dict[str, Neighbourhood]
    waves: dict[int, Wave]
    components: dict[str, str]
    domains: dict[str, str]
    bands: dict[str, tuple[Band, ...]]
    not_survey_items: dict[str, str] = field(default_factory=dict)
    #: Places and organisations quotes may name (``known_names:``), so a capitalised pair
    #: among them is not taken for a person's name (:mod:`lozells_analysis.stats.disclosure`).
    known_names: tuple[str, ...] = ()

    # -- lookups ---------------------------------------------------------------------------
    def item(self, item_id: str) -> Item:
        """The item called ``item_id``; a :class:`CodebookError` lists close names if unknown."""
        try:
            return self.items[item_id]
        except KeyError:
            raise CodebookError(_unknown("item", item_id, self.items)) from None

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator called ``indicator_id``, or an item's first indicator."""
        if indicator_id in self.indicators:
            return self.indicators[indicator_id]
        if indicator_id in self.items and self.items[indicator_id].indicators:
            return self.items[indicator_id].indicators[0]
        raise CodebookError(_unknown("indicator", indicator_id, self.indicators))

    def has_indicator(self, name: str) -> bool:
        return name in self.indicators or bool(name in self.items and self.items[name].indicators)

    @property
    def design_columns(self) -> tuple[str, ...]:
        return tuple(self.design)

    def component_items(self, component: str) -> list[str]:
        """Ids of the items that make up a component of collective control."""
        if component not in self.components:
            raise CodebookError(_unknown("component", component, self.components))
        return [i.id for i in self.items.values() if i.component == component]

    def items_in_domain(self, domain: str) -> list[str]:
        return [i.id for i in self.items.values() if i.domain == domain]

    def agree_indicators(self) -> list[str]:
        """Indicators built from agree/disagree items (the top-two-box measures)."""
        return [
            ind.id for ind in self.indicators.values() if self.items[ind.item].scale.id == "agree5"
        ]

    def neighbourhood_names(self) -> list[str]:
        return list(self.neighbourhoods)

    def label(self, item_id: str, code: int) -> str:
        return self.item(item_id).labels[int(code)]

    # -- transformations -------------------------------------------------------------------
    def indicator_values(self, data: pd.DataFrame, indicator_id: str) -> pd.Series:
        """The indicator as floats: 1.0 (yes), 0.0 (no), NaN (not answered or missing code).

        Works on integer codes; a column of text labels (as an SPSS or CSV export may hold)
        is matched to the codes by label first.
        """
        ind = self.indicator(indicator_id)
        item = self.items[ind.item]
        if ind.item not in data.columns:
            raise CodebookError(
                f"Indicator {indicator_id!r} needs column {ind.item!r}, which the data do not "
                f"have. Columns present: {', '.join(map(str, data.columns[:20]))}."
            )
        codes = self.codes_of(data[ind.item], item)
        valid = np.isin(codes, item.scale.valid_codes)
        out = np.where(valid, np.isin(codes, ind.codes).astype(float), np.nan)
        return pd.Series(out, index=data.index, name=indicator_id)

    def codes_of(self, column: pd.Series, item: Item) -> np.ndarray:
        """A column's integer codes as a float array (NaN where empty)."""
        if pd.api.types.is_numeric_dtype(column.dtype):
            return column.astype("float64").to_numpy(na_value=np.nan)
        if isinstance(column.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(
            column.cat.categories.dtype
        ):
            return column.astype("float64").to_numpy(na_value=np.nan)
        lookup = {label.casefold(): code for code, label in item.labels.items()}
        text = column.astype("string").str.strip()
        as_num = pd.to_numeric(text, errors="coerce")
        by_label = text.str.casefold().map(lookup)
        return as_num.fillna(by_label).astype("float64").to_numpy(na_value=np.nan)

    def value_labels(self, data: pd.DataFrame, item_id: str) -> pd.Series:
        """The item's codes replaced by their labels, as an ordered categorical."""
        item = self.item(item_id)
        codes = pd.Series(self.codes_of(data[item_id], item), index=data.index)
        labels = list(item.labels.values())
        return pd.Categorical(codes.map(item.labels), categories=labels, ordered=True)

    def band_of(self, item_id: str, values: Iterable[float]) -> pd.Categorical:
        """ONS4 band (e.g. "Low", "Very high") of each score; NaN stays NaN."""
        item = self.item(item_id)
        if not item.bands:
            raise CodebookError(f"Item {item_id!r} has no bands in the codebook.")
        bands = self.bands[item.bands]
        edges = [b.min - 0.5 for b in bands] + [bands[-1].max + 0.5]
        return pd.cut(np.asarray(values, dtype=float), bins=edges, labels=[b.label for b in bands])


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    import difflib

    known = list(known)
    close = difflib.get_close_matches(str(name), known, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return f"Unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(known)}."


def _parse_scale(sid: str, spec: dict) -> Scale:
    labels = {int(k): str(v) for k, v in (spec.get("codes") or {}).items()}
    missing = tuple(int(c) for c in spec.get("missing", []))
    for c in missing:
        if c not in labels:
            raise CodebookError(f"Scale {sid!r}: missing code {c} has no label.")
    numeric = spec.get("numeric")
    if numeric:
        return Scale(
            sid,
            labels,
            missing,
            numeric=True,
            min=float(numeric["min"]),
            max=float(numeric["max"]),
            integer=bool(numeric.get("integer", True)),
        )
    if not labels:
        raise CodebookError(f"Scale {sid!r} has neither codes nor a numeric range.")
    return Scale(sid, labels, missing)


def parse_codebook(raw: dict, path: Path) -> Codebook:
    """Build a :class:`Codebook` from the YAML mapping, checking its consistency."""
    where = f"{path}"
    try:
        scales = {sid: _parse_scale(sid, spec) for sid, spec in raw["scales"].items()}
        items: dict[str, Item] = {}
        indicators: dict[str, Indicator] = {}
        for spec in raw["items"]:
            iid = spec["id"]
            if iid in items:
                raise CodebookError(f"{where}: item {iid!r} is defined twice.")
            if spec["scale"] not in scales:
                raise CodebookError(f"{where}: item {iid!r} uses unknown scale {spec['scale']!r}.")
            scale = scales[spec["scale"]]
            inds = []
            for ispec in spec.get("indicators", []):
                codes = tuple(int(c) for c in ispec["codes"])
                bad = [c for c in codes if c not in scale.valid_codes]
                if bad:
                    raise CodebookError(
                        f"{where}: indicator {ispec['id']!r} counts codes {bad} that are not "
                        f"valid answers on scale {scale.id!r}."
                    )
                ind = Indicator(
                    id=ispec["id"],
                    item=iid,
                    label=ispec["label"],
                    codes=codes,
                    polarity=ispec.get("polarity"),
                    benchmark=ispec.get("benchmark"),
                )
                if ind.id in indicators:
                    raise CodebookError(f"{where}: indicator {ind.id!r} is defined twice.")
                indicators[ind.id] = ind
                inds.append(ind)
            items[iid] = Item(
                id=iid,
                wording=spec["wording"],
                scale=scale,
                domain=spec["domain"],
                component=spec.get("component"),
                reverse=bool(spec.get("reverse", False)),
                polarity=spec.get("polarity"),
                bands=spec.get("bands"),
                benchmark=spec.get("benchmark"),
                indicators=tuple(inds),
            )
        neighbourhoods = {
            n["name"]: Neighbourhood(n["name"], n["nation"], n["place"], int(n["population"]))
            for n in raw["neighbourhoods"]
        }
        waves = {
            int(w["wave"]): Wave(
                int(w["wave"]),
                w["label"],
                pd.Timestamp(w["start"]),
                pd.Timestamp(w["end"]),
                str(w["year"]),
            )
            for w in raw["waves"]
        }
        bands = {
            bid: tuple(Band(b["label"], float(b["min"]), float(b["max"])) for b in spec)
            for bid, spec in raw.get("bands", {}).items()
        }
        cb = Codebook(
            path=path,
            version=str(raw.get("version", "")),
            scales=scales,
            items=items,
            indicators=indicators,
            design=dict(raw["design"]),
            nations=tuple(raw["nations"]),
            neighbourhoods=neighbourhoods,
            waves=waves,
            components=dict(raw["components"]),
            domains=dict(raw["domains"]),
            bands=bands,
            not_survey_items=dict(raw.get("not_survey_items") or {}),
            known_names=tuple(
                str(n).strip() for n in raw.get("known_names") or () if str(n).strip()
            ),
        )
    except KeyError as exc:
        raise CodebookError(f"{where}: a required key is missing: {exc}.") from None
    _check(cb)
    return cb


def _check(cb: Codebook) -> None:
    where = str(cb.path)
    for item in cb.items.values():
        if item.domain not in cb.domains:
            raise CodebookError(f"{where}: item {item.id!r} has unknown domain {item.domain!r}.")
        if item.component is not None and item.component not in cb.components:
            raise CodebookError(
                f"{where}: item {item.id!r} has unknown component {item.component!r}."
            )
        if item.bands is not None and item.bands not in cb.bands:
            raise CodebookError(f"{where}: item {item.id!r} has unknown bands {item.bands!r}.")
        if item.id in cb.design:
            raise CodebookError(f"{where}: item {item.id!r} clashes with a design column.")
    for n in cb.neighbourhoods.values():
        if n.nation not in cb.nations:
            raise CodebookError(f"{where}: neighbourhood {n.name!r} has unknown nation.")
    if set(cb.components) != set(COMPONENTS):
        raise CodebookError(f"{where}: components must be exactly {', '.join(COMPONENTS)}.")


@functools.cache
def _load_cached(path: str, mtime_ns: int) -> Codebook:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(
            f"Codebook not found at {p}. Run from the repository, or set LOZELLS_PROJECT_ROOT."
        ) from None
    except yaml.YAMLError as exc:
        raise CodebookError(f"{p} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CodebookError(f"{p} does not hold a YAML mapping.")
    return parse_codebook(raw, p)


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and check the codebook (``data/codebook.yaml`` by default); cached per file.

    Parameters
    ----------
    path
        Another codebook file; ``None`` reads the project's ``data/codebook.yaml``.

    Returns
    -------
    Codebook
        Every item (wording, scale, domain) and indicator (coding, polarity, benchmark).

    Raises
    ------
    CodebookError
        A codebook that is incomplete or inconsistent, naming the item and key at fault.

    Examples
    --------
    >>> cb = load_codebook()
    >>> cb.indicators["change_area_run"].polarity
    'higher'
    """
    p = Path(path) if path is not None else codebook_path()
    try:
        mtime = p.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = -1
    codebook = _load_cached(str(p.resolve()), mtime)
    record_read(p, synthetic=None)  # a report depends on it: a changed codebook rebuilds it
    return codebook
