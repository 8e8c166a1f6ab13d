"""Plain-English sentences built from computed values, for the briefing pack and summaries.

No number in a report is typed by hand: each sentence here is made from an estimate table,
so it says the figure, its interval and the comparison, e.g. "Agree people who get involved
can change the way the area is run: 82% (79% to 85%), higher than England's 54%."

Examples
--------
>>> from lozells_analysis.present.headlines import sentence
>>> sentence("Agree people can change how the area is run", 0.82, 0.79, 0.85,
...          comparators=[("England", 0.54, "better")])
'Agree people can change how the area is run: 82% (79% to 85%), higher than England (54%).'
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from lozells_analysis.present.tables import (
    Html,
    format_count,
    format_interval,
    format_number,
    format_percent,
)
from lozells_analysis.stats.disclosure import DEFAULT_MIN_N
from lozells_analysis.stats.published import CountRules, record_count

if TYPE_CHECKING:
    from lozells_analysis.data.codebook import Codebook

log = logging.getLogger(__name__)

__all__ = [
    "Headline",
    "as_html",
    "comparison_phrase",
    "from_comparison",
    "from_means",
    "from_trend",
    "sentence",
]


@dataclass(frozen=True)
class Headline:
    """One finding: its sentence and the numbers it was built from (for checking)."""

    text: str
    measure: str
    estimate: float | None = None
    lower_ci: float | None = None
    upper_ci: float | None = None
    kind: str = "percent"
    comparators: tuple = field(default_factory=tuple)  # (name, value, category)
    detail: str = ""  # technical detail (a p-value) for researchers: not in the briefing view


def _value(v: float, kind: str) -> str:
    return format_percent(v) if kind == "percent" else format_number(v, 1)


def comparison_phrase(name: str, value: float, category: str, kind: str = "percent") -> str:
    """How an estimate compares with a comparator, in words.

    ``category`` is a Fingertips category from :mod:`lozells_analysis.stats.compare`: "better" or
    "worse" (direction from the indicator's polarity), "higher"/"lower" (no polarity),
    "similar" (the comparator is inside the interval) or "not compared".

    Examples
    --------
    >>> comparison_phrase("England", 0.54, "similar")
    'similar to England (54%)'
    >>> comparison_phrase("England", 7.0, "lower", kind="mean")
    'lower than England (7.0)'
    """
    v = _value(value, kind)
    if category == "similar":
        return f"similar to {name} ({v})"
    if category in ("higher", "lower"):
        return f"{category} than {name} ({v})"
    if category in ("better", "worse"):
        return f"{category} than {name} ({v})"
    return f"not compared with {name} ({v})"


def sentence(
    label: str,
    estimate: float,
    lower: float,
    upper: float,
    kind: str = "percent",
    comparators: Sequence[tuple[str, float, str]] = (),
    polarity: str | None = "higher",
) -> str:
    """``"<label>: <estimate> (<lower> to <upper>), <comparison> and <comparison>."``

    For "better"/"worse" the words say the direction of the number (higher or lower),
    worked out from ``polarity``, since "better than England" hides which way it goes.

    Examples
    --------
    >>> sentence("Feel lonely often or always", 0.04, 0.02, 0.07,
    ...          comparators=[("England", 0.06, "similar")], polarity="lower")
    'Feel lonely often or always: 4% (2% to 7%), similar to England (6%).'
    """
    text = f"{label}: {format_interval(estimate, lower, upper, kind)}"
    phrases = []
    for name, value, cat in comparators:
        if cat in ("better", "worse"):
            up = (cat == "better") == (polarity != "lower")
            phrases.append(comparison_phrase(name, value, "higher" if up else "lower", kind))
        else:
            phrases.append(comparison_phrase(name, value, cat, kind))
    if phrases:
        text += ", " + " and ".join(phrases)
    return text + "."


def _name(comparator: str) -> str:
    """A comparator's name as it reads mid-sentence ("similarly deprived areas")."""
    return (
        comparator if comparator.startswith("England") else comparator[:1].lower() + comparator[1:]
    )


def _suppressed_sentence(label: str, n: float | None, min_n: int) -> str:
    return (
        f"{label}: not shown, because fewer than {min_n} people in this selection "
        "answered the question."
    )


def from_comparison(
    table: pd.DataFrame, min_n: int = DEFAULT_MIN_N, codebook: Codebook | None = None
) -> list[Headline]:
    """One headline per measure from
    :func:`~lozells_analysis.present.summaries.benchmark_comparison` (all its comparators in
    one sentence)."""
    from lozells_analysis.data.codebook import load_codebook

    cb = codebook or load_codebook()
    out = []
    for var, sub in table.groupby("variable", sort=False):
        r = sub.iloc[0]
        if bool(r.get("suppressed", False)):
            out.append(Headline(_suppressed_sentence(r["label"], r.get("n"), min_n), var))
            continue
        comps = tuple(
            (_name(c), float(v), k)
            for c, v, k in zip(
                sub["comparator"], sub["comparator_value"], sub["comparison"], strict=True
            )
        )
        text = sentence(
            r["label"],
            r["estimate"],
            r["lower_ci"],
            r["upper_ci"],
            "percent",
            comps,
            cb.indicator(var).polarity,
        )
        out.append(
            Headline(
                text,
                var,
                float(r["estimate"]),
                float(r["lower_ci"]),
                float(r["upper_ci"]),
                "percent",
                comps,
            )
        )
    return out


def from_means(
    table: pd.DataFrame, min_n: int = DEFAULT_MIN_N, codebook: Codebook | None = None
) -> list[Headline]:
    """One headline per ONS4 item from
    :func:`~lozells_analysis.present.summaries.ons4_comparison`."""
    from lozells_analysis.data.codebook import load_codebook

    cb = codebook or load_codebook()
    out = []
    for _, r in table.iterrows():
        label = f"{r['label']} (average score out of 10)"
        if bool(r.get("suppressed", False)):
            out.append(Headline(_suppressed_sentence(label, r.get("n"), min_n), r["variable"]))
            continue
        comps: tuple[tuple[str, float, str], ...] = ()
        if pd.notna(r.get("comparator_value")):
            comps = ((str(r["comparator"]), float(r["comparator_value"]), r["comparison"]),)
        text = sentence(
            label,
            r["estimate"],
            r["lower_ci"],
            r["upper_ci"],
            "mean",
            comps,
            cb.items[r["variable"]].polarity,
        )
        out.append(
            Headline(
                text,
                r["variable"],
                float(r["estimate"]),
                float(r["lower_ci"]),
                float(r["upper_ci"]),
                "mean",
                comps,
            )
        )
    return out


def from_trend(by_wave: pd.DataFrame, trend: pd.DataFrame, waves_text: str) -> list[Headline]:
    """One sentence per indicator: first and last wave's figures and the trend test result.

    ``by_wave`` is :func:`~lozells_analysis.present.summaries.proportions` by ``wave``;
    ``trend`` is
    :func:`~lozells_analysis.present.summaries.trend_tests`.
    """
    out = []
    for _, t in trend.iterrows():
        rows = by_wave[(by_wave["variable"] == t["variable"]) & ~by_wave["suppressed"]]
        rows = rows.sort_values("wave")
        if len(rows) < 2:
            continue
        first, last = rows.iloc[0], rows.iloc[-1]
        if t["direction"] == "no significant trend":
            verdict = f"no clear rise or fall over {waves_text}"
            detail = f"p = {format_number(t['p_value'], 2)}"
        else:
            verdict = (
                f"a clear {'rise' if t['direction'] == 'increasing' else 'fall'} over {waves_text}"
            )
            detail = f"p = {format_number(t['p_value'], 3)}"
        a = format_interval(first["estimate"], first["lower_ci"], first["upper_ci"])
        b = format_interval(last["estimate"], last["lower_ci"], last["upper_ci"])
        text = (
            f"{t['label']}: {a} in wave {int(first['wave'])} and {b} in wave "
            f"{int(last['wave'])}; {verdict}."
        )
        out.append(
            Headline(
                text,
                f"trend:{t['variable']}",
                float(last["estimate"]),
                float(last["lower_ci"]),
                float(last["upper_ci"]),
                detail=detail,
            )
        )
    return out


def as_html(headlines: Sequence[Headline] | Sequence[str], intro: str = "") -> Html:
    """Headlines as an escaped HTML list; each item carries its numbers as ``data-``
    attributes so a test (or a reader of the source) can check them against the library."""
    items = []
    for h in headlines:
        if isinstance(h, str):
            items.append(f"<li>{html.escape(h)}</li>")
            continue
        attrs = f' data-measure="{html.escape(h.measure, quote=True)}"'
        if h.estimate is not None:
            attrs += (
                f' data-estimate="{h.estimate!r}" data-lower="{h.lower_ci!r}" '
                f'data-upper="{h.upper_ci!r}" data-kind="{h.kind}"'
            )
        text = _with_detail(html.escape(h.text), h.detail)
        items.append(f'<li class="lozells-headline"{attrs}>{text}</li>')
    lead = f"<p>{html.escape(intro)}</p>" if intro else ""
    return Html(f'{lead}<ul class="lozells-headlines">{"".join(items)}</ul>')


#: The class of technical details (p-values, settings) that the briefing view leaves out.
RESEARCH_CLASS = "lozells-research"


def research_detail(text: str) -> str:
    """`` (text)`` escaped, marked as a detail for researchers: the research view shows it,
    the briefing view (for readers who do not need p-values) leaves it out.

    Examples
    --------
    >>> research_detail("p = 0.72")
    '<span class="lozells-research"> (p = 0.72)</span>'
    """
    return f'<span class="{RESEARCH_CLASS}"> ({html.escape(text)})</span>'


def paragraph(text: str, detail: str = "") -> Html:
    """One escaped paragraph of text built in the library; ``detail`` (a p-value) goes at its
    end as a :func:`research_detail`, which the briefing view leaves out.

    Examples
    --------
    >>> str(paragraph("A rise.", detail="p = 0.01"))
    '<p>A rise<span class="lozells-research"> (p = 0.01)</span>.</p>'
    """
    return Html(f"<p>{_with_detail(html.escape(text), detail)}</p>")


def _with_detail(sentence: str, detail: str) -> str:
    """An escaped ``sentence`` with ``detail`` as a :func:`research_detail` before its final
    full stop (unchanged when there is no detail)."""
    if not detail:
        return sentence
    return sentence.removesuffix(".") + research_detail(detail) + "."


#: Nouns that count survey responses: a count of them is about the notebook's selection.
SURVEY_NOUNS = frozenset({"survey response", "response", "respondent", "survey respondent"})
#: Nouns that count things, not people: not suppressed or rounded.
NOT_PEOPLE = frozenset(
    {"event", "listening event", "excerpt", "code", "theme", "wave", "neighbourhood", "ward"}
)


def count_phrase(
    n: int,
    noun: str,
    *,
    min_n: int | None = None,
    area: str | None = None,
    waves: Sequence[int] | None = None,
    filters: Mapping[str, Any] | None = None,
) -> str:
    """A count of respondents in words, as it may be published.

    ``count_phrase(2852, "response")`` -> ``"2,852 responses"``. A count below the floor
    (``min_n``: the notebook's, from
    :func:`~lozells_analysis.data.selection.check_parameters`, never below the project's)
    reads "fewer than 10 responses"; in a briefing pack a count is rounded to the project's
    base (default 5) and reads "about 160 responses" (the rules:
    :class:`~lozells_analysis.stats.published.CountRules`, set by the build).

    Counts of things that are not people (:data:`NOT_PEOPLE`: listening events, excerpts) are
    shown as they are. In a build, a count is also registered with what it counts: ``area``
    and ``waves`` (default for survey responses, :data:`SURVEY_NOUNS`: the notebook's checked
    selection), ``filters`` (any other restriction, e.g.
    ``{"age": "65+"}``) and ``noun``; the build refuses two counts whose difference would give
    a small count away (``reports/differencing.py``).

    Examples
    --------
    >>> count_phrase(2852, "response"), count_phrase(1, "listening event")
    ('2,852 responses', '1 listening event')
    >>> count_phrase(4, "response")
    'fewer than 10 responses'
    """
    from lozells_analysis.data.selection import current_selection

    if noun in NOT_PEOPLE:  # events, excerpts: no person can be picked out by their number
        return f"{format_count(n)} {noun}{'' if n == 1 else 's'}"
    selection = current_selection()
    rules = CountRules.from_environment().with_min_n(
        min_n if min_n is not None else _selection_min_n(selection)
    )
    shown = rules.shown(n)
    if noun in SURVEY_NOUNS and selection is not None:  # what the selection counts
        area = selection.neighbourhood if area is None else area
        waves = selection.waves if waves is None else waves
    record_count(shown, noun, area=area, waves=waves, filters=filters, rules=rules)
    plural = "" if shown.value == 1 and not shown.rounded else "s"
    return f"{rules.words(shown)} {noun}{plural}"


def _selection_min_n(selection: Any) -> int | None:
    return int(selection.min_n) if selection is not None else None
