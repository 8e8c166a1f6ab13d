"""Checking a notebook's parameters and selecting the survey rows they ask for.

Every notebook starts with the same parameters (``neighbourhood``, ``waves``, ``level``,
``min_n``). This module checks them and selects the rows, so that a typo or a wave range
with no data stops the notebook with one sentence a researcher can act on
(:class:`~lozells_analysis.exceptions.ParameterError`) rather than a traceback from pandas
or an empty chart.

Examples
--------
>>> import pandas as pd
>>> from lozells_analysis.data.selection import check_neighbourhood, select_survey, wave_range_text
>>> check_neighbourhood("lozells")
'Lozells'
>>> wave_range_text([1, 2, 3, 5])
'waves 1-3 and 5'
>>> survey = pd.DataFrame({"neighbourhood": ["Lozells", "Anfield", "Lozells"],
...                        "wave": [1, 1, 2], "weight": [1.0, 1.0, 1.0]})
>>> len(select_survey(survey, "Lozells", [1, 2]))
2
>>> select_survey(survey, "Lozells", [7, 8])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lozells_analysis.exceptions.ParameterError: No responses for Lozells in waves ...
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.exceptions import ParameterError

log = logging.getLogger(__name__)

__all__ = [
    "ALL",
    "Selection",
    "check_indicators",
    "check_level",
    "check_min_n",
    "check_neighbourhood",
    "check_parameters",
    "check_waves",
    "current_selection",
    "areas",
    "require_waves",
    "select_rows",
    "select_survey",
    "selection_label",
    "wave_labels",
    "wave_range_text",
]

#: The value of ``neighbourhood`` that selects the whole programme.
ALL = "all"
#: Set by ``lozells build`` in a report's kernel: the project's floor for ``min_n``
#: (:data:`lozells_analysis.stats.published.MIN_N_ENV`); no published report goes below it.
MIN_N_FLOOR_ENV = "LOZELLS_MIN_N_FLOOR"


@dataclass(frozen=True)
class Selection:
    """Checked notebook parameters: what :func:`check_parameters` returns."""

    neighbourhood: str  # a codebook name, or "all"
    waves: tuple[int, ...]
    level: float
    min_n: int

    @property
    def label(self) -> str:
        """E.g. ``"Lozells, waves 1-6"`` or ``"All 13 neighbourhoods, waves 3-6"``."""
        return selection_label(self.neighbourhood, self.waves)

    @property
    def is_programme(self) -> bool:
        return self.neighbourhood == ALL


def _codebook(codebook: Codebook | None) -> Codebook:
    return codebook if codebook is not None else load_codebook()


def wave_range_text(waves: Iterable[int]) -> str:
    """Waves as a reader writes them: ``"wave 4"``, ``"waves 1-6"``, ``"waves 1-3 and 5"``.

    Examples
    --------
    >>> wave_range_text([4]), wave_range_text([6, 5, 4]), wave_range_text([1, 3, 4, 6])
    ('wave 4', 'waves 4-6', 'waves 1, 3-4 and 6')
    """
    ws = sorted({int(w) for w in waves})
    if not ws:
        return "no waves"
    runs: list[str] = []
    start = prev = ws[0]
    for w in ws[1:] + [None]:
        if w is not None and w == prev + 1:
            prev = w
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if w is not None:
            start = prev = w
    word = "wave" if len(ws) == 1 else "waves"
    text = runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1]
    return f"{word} {text}"


def selection_label(
    neighbourhood: str, waves: Iterable[int], codebook: Codebook | None = None
) -> str:
    """The selection in words, for titles and captions.

    Examples
    --------
    >>> selection_label("Lozells", [1, 2, 3, 4, 5, 6])
    'Lozells, waves 1-6'
    >>> selection_label("all", [3, 4])
    'All 13 neighbourhoods, waves 3-4'
    """
    if str(neighbourhood).strip().casefold() == ALL:
        n = len(_codebook(codebook).neighbourhoods)
        where = f"All {n} neighbourhoods"
    else:
        where = str(neighbourhood)
    return f"{where}, {wave_range_text(waves)}"


def check_neighbourhood(neighbourhood: str, codebook: Codebook | None = None) -> str:
    """The codebook's spelling of ``neighbourhood`` (case and spaces forgiven), or ``"all"``.

    Raises
    ------
    ParameterError
        If it is not one of the codebook's neighbourhoods, suggesting the closest ones.

    Examples
    --------
    >>> check_neighbourhood(" clifton estate ")
    'Clifton Estate'
    >>> check_neighbourhood("ALL")
    'all'
    >>> check_neighbourhood("Lozels")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: Unknown neighbourhood 'Lozels'. ...
    """
    cb = _codebook(codebook)
    if not isinstance(neighbourhood, str):
        raise ParameterError(
            f'neighbourhood must be a name in quotes, such as "Lozells", or "all"; got '
            f"{neighbourhood!r}."
        )
    wanted = " ".join(neighbourhood.split())
    if wanted.casefold() == ALL:
        return ALL
    names = list(cb.neighbourhoods)
    for name in names:
        if name.casefold() == wanted.casefold():
            return name
    close = difflib.get_close_matches(wanted.title(), names, n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ParameterError(
        f"Unknown neighbourhood {neighbourhood!r}.{hint} Known neighbourhoods: "
        f'{", ".join(names)}; or "all" for the whole programme.'
    )


def _parse_waves(waves: object) -> list[int]:
    """Waves from a list, a range, one number, or text such as ``"3-6"`` or ``"[1, 2]"``."""
    if isinstance(waves, str):
        text = re.sub(r"\s*(?:-|–|to)\s*", "-", waves.strip().strip("[]()"))
        out: list[int] = []
        for part in filter(None, re.split(r"[,;\s]+", text)):
            m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)|(\d+)", part)
            if not m:
                raise ParameterError(
                    f"waves={waves!r} is not a list of wave numbers. Write it as a list such "
                    'as [1, 2, 3] or a range such as "3-6".'
                )
            if m.group(3):
                out.append(int(m.group(3)))
            else:
                a, b = int(m.group(1)), int(m.group(2))
                out.extend(range(min(a, b), max(a, b) + 1))
        return out
    if isinstance(waves, int | float) and not isinstance(waves, bool):
        waves = [waves]
    if not isinstance(waves, Iterable):
        raise ParameterError(
            f"waves must be a list of wave numbers such as [1, 2, 3]; got {waves!r}."
        )
    out = []
    for w in waves:
        try:
            as_float = float(w)
        except (TypeError, ValueError):
            raise ParameterError(
                f"waves must hold whole numbers such as [1, 2, 3]; {w!r} is not a number."
            ) from None
        if as_float != int(as_float):
            raise ParameterError(f"waves must hold whole numbers; {w!r} is not one.")
        out.append(int(as_float))
    return out


def check_waves(
    waves: object, codebook: Codebook | None = None, who: str | None = None
) -> tuple[int, ...]:
    """The requested waves, sorted and without repeats, each a wave of the survey.

    Accepts a list (``[1, 2, 3]``), a ``range``, one number, or text (``"3-6"``,
    ``"1,2,3"``), since papermill's ``-p`` passes lists as text.

    Examples
    --------
    >>> check_waves([3, 1, 3]), check_waves("4-6"), check_waves(range(1, 3))
    ((1, 3), (4, 5, 6), (1, 2))
    >>> check_waves([])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: waves is empty: choose at least ...
    """
    cb = _codebook(codebook)
    known = sorted(cb.waves)
    span = f"{wave_range_text(known)} ({cb.waves[known[0]].label} to {cb.waves[known[-1]].label})"
    ws = sorted(set(_parse_waves(waves)))
    if not ws:
        raise ParameterError(f"waves is empty: choose at least one wave. The survey has {span}.")
    unknown = [w for w in ws if w not in cb.waves]
    if unknown:
        what = f"No responses for {who} in" if who else "The survey has no"
        raise ParameterError(
            f"{what} {wave_range_text(unknown)}: the survey has {wave_range_text(known)}. "
            f"Set waves to a list of wave numbers such as {known}."
        )
    return tuple(ws)


def check_level(level: object) -> float:
    """The confidence level as a float strictly between 0 and 1.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    >>> check_level(95)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: level must be a proportion ...
    """
    hint = ""
    if isinstance(level, int | float) and not isinstance(level, bool):
        if 0 < float(level) < 1:
            return float(level)
        if 1 < float(level) < 100:
            hint = f" (Did you mean {float(level) / 100:g}?)"
    raise ParameterError(
        "level must be a proportion strictly between 0 and 1, such as 0.95 for 95% intervals; "
        f"got {level!r}.{hint}"
    )


def check_min_n(min_n: object) -> int:
    """The smallest number of respondents a reported cell may have: a whole number >= 1.

    Examples
    --------
    >>> check_min_n(10)
    10
    >>> check_min_n(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: min_n must be a whole number of ...
    """
    if (
        isinstance(min_n, int | float)
        and not isinstance(min_n, bool)
        and float(min_n) == int(min_n)
        and int(min_n) >= 1
    ):
        return int(min_n)
    raise ParameterError(
        "min_n must be a whole number of respondents, at least 1 (the project's rule is 10); "
        f"got {min_n!r}."
    )


def check_indicators(
    indicators: Sequence[str] | str, codebook: Codebook | None = None, name: str = "items"
) -> list[str]:
    """Codebook indicator ids (an item id stands for its first indicator), checked.

    Examples
    --------
    >>> check_indicators(["belong_neighbourhood", "pull_together"])
    ['belong_neighbourhood', 'pull_together']
    >>> check_indicators(["belonging"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: items: unknown indicator ...
    """
    cb = _codebook(codebook)
    if isinstance(indicators, str):
        indicators = [p.strip() for p in indicators.strip("[]").replace("'", "").split(",")]
    out: list[str] = []
    for ind in indicators:
        if not cb.has_indicator(ind):
            close = difflib.get_close_matches(str(ind), list(cb.indicators), n=2, cutoff=0.5)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ParameterError(
                f"{name}: unknown indicator {ind!r}.{hint} Valid indicators: "
                f"{', '.join(cb.indicators)}."
            )
        out.append(cb.indicator(ind).id)
    if not out:
        raise ParameterError(
            f"{name} is empty: list at least one indicator, such as ['belong_neighbourhood']."
        )
    return out


def check_parameters(
    neighbourhood: str = "Lozells",
    waves: object = (1, 2, 3, 4, 5, 6),
    level: object = 0.95,
    min_n: object = 10,
    codebook: Codebook | None = None,
) -> Selection:
    """Check the parameters every notebook takes; raise one clear error for the first fault.

    Examples
    --------
    >>> s = check_parameters("anfield", [2, 3], 0.9, 10)
    >>> s.neighbourhood, s.waves, s.level, s.min_n, s.label
    ('Anfield', (2, 3), 0.9, 10, 'Anfield, waves 2-3')
    """
    cb = _codebook(codebook)
    floor = os.environ.get(MIN_N_FLOOR_ENV, "")
    if floor.isdigit() and check_min_n(min_n) < int(floor):
        raise ParameterError(
            f"min_n = {min_n} is below the project floor of {floor} ([tool.lozells] "
            "min_n_floor in pyproject.toml); a published report may not show counts of fewer "
            "respondents than that. Use a min_n of at least the floor."
        )
    global _CURRENT
    _CURRENT = Selection(
        neighbourhood=check_neighbourhood(neighbourhood, cb),
        waves=check_waves(waves, cb),
        level=check_level(level),
        min_n=check_min_n(min_n),
    )
    return _CURRENT


#: The selection the notebook's parameters made (the last :func:`check_parameters`): what a
#: count it publishes without saying otherwise counts (see
#: :func:`lozells_analysis.present.headlines.count_phrase`).
_CURRENT: Selection | None = None


def current_selection() -> Selection | None:
    """The selection the last :func:`check_parameters` in this process made, or None.

    A notebook checks its parameters once, first; what it then publishes (a count of survey
    responses, say) is about that selection, so the library records each published count
    with it for the build's differencing check.
    """
    return _CURRENT


def select_survey(
    survey: pd.DataFrame,
    neighbourhood: str = ALL,
    waves: object = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The survey rows of ``neighbourhood`` (or every neighbourhood, ``"all"``) in ``waves``.

    The result keeps the survey's ``attrs`` (``synthetic``, ``source``) and adds
    ``attrs["selection"]`` (neighbourhood, waves, label) and ``attrs["waves_without_data"]``
    (requested waves that have no responses for this selection; logged as a warning).

    Raises
    ------
    ParameterError
        For an unknown neighbourhood, a wave the survey does not have, or a selection with
        no responses (saying which waves the data do hold for that neighbourhood).
    """
    cb = _codebook(codebook)
    where = check_neighbourhood(neighbourhood, cb)
    who = "the programme" if where == ALL else where
    ws = check_waves(list(cb.waves) if waves is None else waves, cb, who=who)
    for col in ("neighbourhood", "wave"):
        if col not in survey.columns:
            raise ParameterError(
                f"The survey has no {col!r} column, so rows cannot be selected; load it with "
                "lozells_analysis.data.load.load_survey()."
            )
    in_place = (
        (survey["neighbourhood"].astype("string") == where).fillna(False)
        if where != ALL
        else pd.Series(True, index=survey.index)
    )
    if where != ALL and not in_place.any():
        present = [
            n for n in cb.neighbourhoods if (survey["neighbourhood"].astype("string") == n).any()
        ]
        raise ParameterError(
            f"No responses for {where} in the data ({survey.attrs.get('source', 'the survey')})"
            f". The data hold responses for: {', '.join(present) or 'no neighbourhood'}."
        )
    wave_col = pd.to_numeric(survey["wave"], errors="coerce")
    in_waves = wave_col.isin(ws)
    chosen = in_place & in_waves
    label = selection_label(where, ws, cb)
    if not chosen.any():
        has = sorted(int(w) for w in wave_col[in_place].dropna().unique())
        raise ParameterError(
            f"No responses for {who} in {wave_range_text(ws)}: the data for {who} have "
            f"{wave_range_text(has)}. Choose waves from those."
        )
    out = survey.loc[chosen].copy()
    if isinstance(out["neighbourhood"].dtype, pd.CategoricalDtype) and where != ALL:
        out["neighbourhood"] = out["neighbourhood"].cat.remove_unused_categories()
    out.attrs = dict(survey.attrs)
    missing = [w for w in ws if not (wave_col[chosen] == w).any()]
    if missing:
        log.warning("%s: no responses in %s", label, wave_range_text(missing))
    out.attrs["selection"] = {"neighbourhood": where, "waves": list(ws), "label": label}
    out.attrs["waves_without_data"] = missing
    return out


def require_waves(selection: Selection, at_least: int, purpose: str) -> None:
    """Stop with a clear message when the selection has too few waves for ``purpose``.

    Examples
    --------
    >>> require_waves(check_parameters("Lozells", [3]), 2, "a trend test")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: a trend test needs at least 2 waves; ...
    """
    if len(selection.waves) < at_least:
        raise ParameterError(
            f"{purpose} needs at least {at_least} waves; waves={list(selection.waves)} has "
            f"{len(selection.waves)}. Choose a longer range, such as [1, 2, 3, 4, 5, 6]."
        )


def areas(selection: Selection, codebook: Codebook | None = None) -> list[str]:
    """The neighbourhoods a selection covers: the one chosen, or all of them for "all"."""
    if selection.is_programme:
        return list(_codebook(codebook).neighbourhoods)
    return [selection.neighbourhood]


def wave_labels(codebook: Codebook | None = None, short: bool = False) -> dict[int, str]:
    """Wave number to its label (``"Wave 1 (spring 2016)"``; short: ``"W1 2016"``).

    Examples
    --------
    >>> wave_labels(short=True)[6]
    'W6 2019'
    """
    cb = _codebook(codebook)
    if short:
        return {w: f"W{w} {v.start.year}" for w, v in cb.waves.items()}
    return {w: v.label for w, v in cb.waves.items()}


def select_rows(frame: pd.DataFrame, column: str, value: str, what: str) -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` equals ``value`` (case forgiven), or all for "all".

    Raises
    ------
    ParameterError
        When no row has that value, listing the values there are.

    Examples
    --------
    >>> df = pd.DataFrame({"ward": ["Lozells", "Aston"], "x": [1, 2]})
    >>> select_rows(df, "ward", "aston", "ward")["x"].tolist()
    [2]
    >>> select_rows(df, "ward", "Lozell", "ward")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lozells_analysis.exceptions.ParameterError: Unknown ward 'Lozell'. Did you mean 'Lozells'? ...
    """
    if str(value).strip().casefold() == ALL:
        return frame
    values = [str(v) for v in pd.unique(frame[column].dropna())]
    for v in values:
        if v.casefold() == str(value).strip().casefold():
            out = frame[frame[column].astype(str) == v].copy()
            out.attrs = dict(frame.attrs)
            return out
    close = difflib.get_close_matches(str(value), values, n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ParameterError(
        f'Unknown {what} {value!r}.{hint} The data have: {", ".join(sorted(values))}; or "all".'
    )
