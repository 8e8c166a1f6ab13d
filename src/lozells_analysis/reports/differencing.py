"""The differencing check: no small count can be worked out by subtracting two published ones.

Every count of respondents a report publishes is registered, in the executed notebook, with
what it counts (a hidden output of type
:data:`~lozells_analysis.stats.records.COUNT_MIME`: what is counted, the area, the waves,
any other filters, and the value as published). :func:`collect` reads them back;
:func:`check` compares a finished run's counts with those of every other report published
(in this build or kept from an earlier one). Two counts are *nested* when they count the same
thing under the same filters and one selection lies inside the other: the same area with a
subset of the waves, or an area within ``"all"`` with the same or fewer waves. If the
difference between nested counts is more than 0 and below the floor, the later run is
refused, with an error naming both reports and no value; its last good report stays.

A rounded count (briefing packs) stands for the range of counts that round to it, so the
difference is a range too; the run is refused when every possible difference is between 1
and ``floor - 1`` and the range says more than that (a suppressed cell already says "fewer
than 10"): exact 160 against "about 155" (153 to 157) gives 3 to 7 and is refused; "about
160" against "about 155" gives 1 to 9 and is not.

Examples
--------
>>> big = {"noun": "survey response", "area": "Anfield", "waves": [1, 2, 3, 4, 5, 6],
...        "filters": {}, "value": 160, "rounding": None}
>>> small = dict(big, waves=[1, 2, 3, 4, 5], value=157)
>>> check("dq-1-5", [small], {"dq-1-6": [big]}, floor=10)  # doctest: +ELLIPSIS
"refused: a count in 'dq-1-5' and one in 'dq-1-6' differ by fewer than 10 respondents, ..."
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lozells_analysis.stats.records import CHECK_MIME, COUNT_MIME

__all__ = ["check", "check_run", "collect", "conflicts", "nested", "possible"]


def _records(nb: Mapping[str, Any], mime: str) -> list[dict[str, Any]]:
    found = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            value = (out.get("data") or {}).get(mime)
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    continue
            if isinstance(value, dict):
                found.append(value)
    return found


def collect(notebook: Path | Mapping[str, Any]) -> tuple[list[dict], list[dict]]:
    """The counts and the check records an executed notebook left: ``(counts, checks)``."""
    nb = (
        json.loads(Path(notebook).read_text(encoding="utf-8"))
        if isinstance(notebook, Path)
        else notebook
    )
    return _records(nb, COUNT_MIME), _records(nb, CHECK_MIME)


def possible(count: Mapping[str, Any]) -> tuple[int, int] | None:
    """The smallest and largest true count a published one can stand for (None when it was
    suppressed): the value itself, or, when rounded to a base ``b`` (halves away from zero),
    every whole number that rounds to it.

    Examples
    --------
    >>> possible({"value": 157}), possible({"value": 155, "rounding": 5})
    ((157, 157), (153, 157))
    >>> possible({"value": None, "suppressed": True}) is None
    True
    """
    value = count.get("value")
    if value is None or count.get("suppressed"):
        return None
    base = count.get("rounding")
    if not base:
        return int(value), int(value)
    low = math.ceil(value - base / 2)
    high = math.ceil(value + base / 2) - 1
    return max(low, 0), high


def _waves(count: Mapping[str, Any]) -> frozenset[int] | None:
    waves = count.get("waves")
    return frozenset(int(w) for w in waves) if waves is not None else None


def nested(inner: Mapping[str, Any], outer: Mapping[str, Any]) -> bool:
    """Whether the selection ``inner`` counts lies inside the one ``outer`` counts (same
    thing counted, same filters; the same area or ``outer`` is "all"; ``inner``'s waves a
    subset of ``outer``'s) without being the same selection.

    Examples
    --------
    >>> a = {"noun": "response", "area": "Anfield", "waves": [1, 2], "filters": {}}
    >>> nested(dict(a, waves=[1]), a), nested(a, dict(a, area="all")), nested(a, a)
    (True, True, False)
    >>> nested(dict(a, area="Lozells"), a)
    False
    """
    if inner.get("noun") != outer.get("noun"):
        return False
    if (inner.get("filters") or {}) != (outer.get("filters") or {}):
        return False
    area_in, area_out = inner.get("area"), outer.get("area")
    if area_in is None or area_out is None:
        return False
    if area_in != area_out and area_out != "all":
        return False
    waves_in, waves_out = _waves(inner), _waves(outer)
    if waves_in is None or waves_out is None:
        if waves_in != waves_out:
            return False
    elif not waves_in <= waves_out:
        return False
    return (area_in, waves_in) != (area_out, waves_out)


def _small(low: int, high: int, floor: int) -> bool:
    """Whether a count known to lie in ``low..high`` is given away as small: every value in
    the range is 1 to ``floor - 1``, and the range says more than a suppressed cell's "fewer
    than ``floor``" does."""
    return low >= 1 and high <= floor - 1 and (low > 1 or high < floor - 1)


def _gives_away(a: Mapping[str, Any], b: Mapping[str, Any], floor: int) -> bool:
    """Whether two counts, ``a`` inside ``b``, show a difference of 1 to ``floor - 1``."""
    small, big = possible(a), possible(b)
    if small is None or big is None:
        return False
    return _small(big[0] - small[1], big[1] - small[0], floor)


#: A derived count: the range of true counts it can be, and the reports whose counts gave it.
_Range = tuple[int, int, frozenset[str]]
#: Tiling is exact but exponential in the number of waves; beyond this many, pairs only.
_MAX_TILED_WAVES = 14


def _tighter(old: _Range | None, new: _Range) -> _Range:
    if old is None or (new[1] - new[0]) < (old[1] - old[0]):
        return new
    return old


def _tilings(direct: Mapping[int, _Range]) -> dict[int, _Range]:
    """Every set of waves (a bit mask) that published counts of one area add up to, with
    the tightest range: a count itself, or disjoint counts summed (waves 1-3 and 4-6 give
    1-6)."""
    tiled: dict[int, _Range] = {}
    for mask in range(1, max(direct) * 2 if direct else 1):  # a mask's parts come first
        best = direct.get(mask)
        low_bit = mask & -mask
        for part, (lo, hi, who) in direct.items():
            rest = mask & ~part
            if part == mask or not part & low_bit or part & ~mask or rest not in tiled:
                continue
            r_lo, r_hi, r_who = tiled[rest]
            best = _tighter(best, (lo + r_lo, hi + r_hi, who | r_who))
        if best is not None:
            tiled[mask] = best
    return tiled


def _tiling_conflicts(
    owned: Sequence[tuple[str, Mapping[str, Any]]], floor: int
) -> set[frozenset[str]]:
    """The reports (owner names) of derived counts that give a small count away: for one
    thing counted under one set of filters, (a) a selection of waves minus disjoint
    selections within it (waves 1-6 minus waves 1, 2, 3, 5 and 6 gives wave 4), and (b) the
    programme ("all") minus every area shown for the same waves. Each finding is the set of
    reports it rests on."""
    found: set[frozenset[str]] = set()
    groups: dict[tuple[Any, str], list[tuple[str, Mapping[str, Any]]]] = {}
    for owner, c in owned:
        if c.get("waves") is None or c.get("area") is None or possible(c) is None:
            continue
        key = (c.get("noun"), json.dumps(c.get("filters") or {}, sort_keys=True, default=str))
        groups.setdefault(key, []).append((owner, c))
    for members in groups.values():
        universe = sorted({int(w) for _, c in members for w in c["waves"]})
        if len(universe) > _MAX_TILED_WAVES:
            continue
        bit = {w: 1 << i for i, w in enumerate(universe)}
        direct: dict[str, dict[int, _Range]] = {}
        for owner, c in members:
            mask = sum(bit[int(w)] for w in set(c["waves"]))
            if not mask:
                continue
            lo, hi = possible(c) or (0, 0)
            per_area = direct.setdefault(str(c["area"]), {})
            per_area[mask] = _tighter(per_area.get(mask), (lo, hi, frozenset([owner])))
        tiled = {area: _tilings(d) for area, d in direct.items()}
        for ranges in tiled.values():  # (a) waves within one area
            for outer, (o_lo, o_hi, o_who) in ranges.items():
                for inner, (i_lo, i_hi, i_who) in ranges.items():
                    if inner != outer and not inner & ~outer:
                        if _small(o_lo - i_hi, o_hi - i_lo, floor):
                            found.add(o_who | i_who)
        for mask, (o_lo, o_hi, o_who) in tiled.get("all", {}).items():  # (b) areas in "all"
            areas = [r[mask] for a, r in tiled.items() if a != "all" and mask in r]
            if areas:
                lo, hi = sum(r[0] for r in areas), sum(r[1] for r in areas)
                if _small(o_lo - hi, o_hi - lo, floor):
                    found.add(o_who.union(*(r[2] for r in areas)))
    return found


def conflicts(
    counts: Iterable[Mapping[str, Any]],
    published: Mapping[str, Sequence[Mapping[str, Any]]],
    floor: int,
) -> list[str]:
    """The reports in ``published`` (name -> counts) whose counts, set against ``counts``,
    give away a small count; each report once, in order, and ``"(this report itself)"``
    when ``counts`` do so on their own.

    Two nested counts give one away by their difference (:func:`nested`); several counts
    do so by adding up: a total minus the parts shown beside it (the waves of a selection,
    or the areas of the programme) leaves the part that was suppressed.

    Examples
    --------
    >>> def n(waves, value, area="Anfield"):
    ...     return {"noun": "response", "area": area, "waves": waves, "value": value}
    >>> parts = [n([1], 40), n([2], None), n([3], 50)]  # wave 2 suppressed (fewer than 10)
    >>> conflicts(parts, {"totals": [n([1, 2, 3], 96)]}, floor=10)
    ['totals']
    >>> conflicts(parts, {"totals": [n([1, 2, 3], 120)]}, floor=10)
    []
    >>> conflicts([n([1, 2], 60, "all")], {"areas": [n([1, 2], 55, "Lozells")]}, floor=10)
    ['areas']
    """
    mine = list(counts)
    me = "\0this report"
    owned = [(me, c) for c in mine] + [
        (other, c) for other, theirs in published.items() for c in theirs
    ]
    findings = [who for who in _tiling_conflicts(owned, floor) if me in who] if mine else []
    involved = {owner for who in findings for owner in who}
    found: dict[str, None] = {}
    for other, theirs in published.items():
        if other in involved:
            found[other] = None
            continue
        for a in mine:
            for b in theirs:
                if (nested(a, b) and _gives_away(a, b, floor)) or (
                    nested(b, a) and _gives_away(b, a, floor)
                ):
                    found[other] = None
    # counts within one report: its own two nested counts (a table and its total)
    for i, a in enumerate(mine):
        for b in mine[i + 1 :]:
            if (nested(a, b) and _gives_away(a, b, floor)) or (
                nested(b, a) and _gives_away(b, a, floor)
            ):
                found["(this report itself)"] = None
    if any(who == {me} for who in findings):
        found["(this report itself)"] = None
    return list(found)


def check(
    name: str,
    counts: Sequence[Mapping[str, Any]],
    published: Mapping[str, Sequence[Mapping[str, Any]]],
    floor: int,
) -> str | None:
    """Why run ``name`` may not be published, or None: the message names the other report(s)
    and says what to do, never a value. ``published`` maps each other published report to
    its registered counts (``name`` itself is ignored there)."""
    others = {k: v for k, v in published.items() if k != name}
    clash = conflicts(counts, others, floor)
    if not clash:
        return None
    reports = [repr(c) for c in clash if not c.startswith("(")]
    if reports:
        what = f"a count in {name!r} and one in {' and '.join(reports)}"
    else:
        what = f"two counts in {name!r}"
    return (
        f"refused: {what} differ by fewer than {floor} respondents, so subtracting one from "
        "the other would give a suppressed count away (differencing check); publish one of "
        "the two selections only, or widen the smaller"
    )


def check_run(
    name: str, result: Any, workdir: Path, state: Any, floor: int
) -> tuple[list[dict], str | None]:
    """The build's one call: the counts a successful run registered, and why it is refused
    against every other report published now (in ``state``: their last good counts), or
    None. A failed run registers nothing."""
    if not result.ok or "notebook" not in result.files:
        return [], None
    counts, _ = collect(workdir / result.files["notebook"])
    published = {
        other: rec.counts
        for other, rec in state.runs.items()
        if other != name and rec.outputs and rec.counts
    }
    return counts, check(name, counts, published, floor)
