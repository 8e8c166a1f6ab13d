"""Data-quality tables for notebook 01: response counts, item non-response, weighting.

The only descriptions among the notebooks' tables that the statistics modules do not make:

* :func:`response_counts` (with small cells suppressed) and :func:`count_table`, its wide
  text form;
* :func:`item_nonresponse` — the share of each item answered, "don't know", refused, blank;
* :func:`weighting_effect` — Kish's design effect due to weighting and the effective sample
  size, overall and per group;
* :func:`validation_summary` — what the checks on loading found.

:mod:`lozells_analysis.present.summaries` re-exports them, so notebooks call
``summaries.response_counts(...)`` and so on as for every other table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lozells_analysis.data.codebook import Codebook, load_codebook
from lozells_analysis.stats import disclosure
from lozells_analysis.stats.disclosure import DEFAULT_MIN_N
from lozells_analysis.stats.schema import by_columns

__all__ = [
    "count_table",
    "item_nonresponse",
    "response_counts",
    "validation_summary",
    "weighting_effect",
]


def response_counts(
    survey: pd.DataFrame,
    rows: str = "neighbourhood",
    columns: str = "wave",
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Number of responses in each cell of ``rows`` by ``columns``, tidy, with cells under
    ``min_n`` suppressed (and further cells in the same row and column, so none can be
    worked back from a row or a column total)."""
    from lozells_analysis.stats.published import counted

    counts = survey.groupby([rows, columns], observed=True).size().rename("n").reset_index()
    out = disclosure.suppress(counts, min_n=min_n, secondary_by=rows, secondary_across=columns)
    # each cell counts the responses of the survey's selection narrowed to its row and column
    return counted(out, survey, [rows, columns], "survey response")


def count_table(
    counts: pd.DataFrame,
    rows: str = "neighbourhood",
    columns: str = "wave",
    labels: dict | None = None,
) -> pd.DataFrame:
    """The tidy counts of :func:`response_counts` as a wide table of text ("suppressed");
    each published count is rounded in a briefing pack and registered with its area and wave
    (:func:`~lozells_analysis.present.tables.format_respondents`)."""
    from lozells_analysis.present.tables import SUPPRESSED, format_respondents
    from lozells_analysis.stats.published import count_context

    c = counts.copy()
    cells = []
    for r in c.to_dict("records"):
        if r["suppressed"]:
            cells.append(SUPPRESSED)
            continue
        context = count_context(counts, r)
        if not context:  # counts not marked by response_counts: what the cell says it counts
            context = {
                "area": str(r[rows]) if rows == "neighbourhood" else "all",
                "waves": [int(r[columns])] if columns == "wave" else None,
                "filters": {
                    k: str(r[k]) for k in (rows, columns) if k not in ("neighbourhood", "wave")
                },
                "noun": "survey response",
            }
        cells.append(format_respondents(r["n"], **context))
    c["cell"] = cells
    if labels:
        c[columns] = c[columns].map(lambda v: labels.get(v, v))
    wide = c.pivot(index=rows, columns=columns, values="cell")
    wide.columns.name = None
    return wide.fillna("-")


def item_nonresponse(
    survey: pd.DataFrame,
    codebook: Codebook | None = None,
    domains: Sequence[str] | None = None,
    min_n: int | None = None,
) -> pd.DataFrame:
    """For each survey item: the share answered, "don't know", refused, and left blank.

    Shares of fewer respondents than the floor (the project's, or ``min_n`` when higher) are
    not given (missing): 2 of 3 people is a count, not a share.

    Examples
    --------
    >>> df = pd.DataFrame({"trust_people": pd.array([1, 8, 9, None] * 5, dtype="Int8"),
    ...                    "life_satisfaction": [7.0, 88, 99, None] * 5})
    >>> item_nonresponse(df)[["item", "answered", "dont_know", "refused", "blank"]]
                    item  answered  dont_know  refused  blank
    0       trust_people      0.25       0.25     0.25   0.25
    1  life_satisfaction      0.25       0.25     0.25   0.25
    >>> item_nonresponse(df.head(4))["answered"].isna().all()
    np.True_
    """
    from lozells_analysis.stats.published import CountRules

    floor = CountRules.from_environment().with_min_n(min_n).min_n
    cb = codebook or load_codebook()
    rows = []
    for item in cb.items.values():
        if item.id not in survey.columns or (domains and item.domain not in domains):
            continue
        codes = cb.codes_of(survey[item.id], item)
        n = len(codes)
        shares = n >= floor  # too few respondents: no share is given
        dk = [c for c, lab in item.labels.items() if lab == "Don't know"]
        ref = [c for c, lab in item.labels.items() if lab in ("Refused", "Prefer not to say")]
        blank = np.isnan(codes)
        is_dk = np.isin(codes, dk)
        is_ref = np.isin(codes, ref)
        rows.append(
            {
                "item": item.id,
                "wording": item.wording,
                "domain": cb.domains[item.domain],
                "answered": float(np.mean(~blank & ~is_dk & ~is_ref)) if shares else np.nan,
                "dont_know": float(np.mean(is_dk)) if shares else np.nan,
                "refused": float(np.mean(is_ref)) if shares else np.nan,
                "blank": float(np.mean(blank)) if shares else np.nan,
                "n": n,
            }
        )
    return pd.DataFrame(rows)


def weighting_effect(
    survey: pd.DataFrame,
    by: str | Sequence[str] | None = "neighbourhood",
    weight: str = "weight",
    min_n: int | None = None,
) -> pd.DataFrame:
    """Kish's design effect due to weighting, ``n * sum(w^2) / sum(w)^2 = 1 + CV(w)^2``, with
    the effective sample size ``n / deff`` and the weights' range, overall and per group
    (``by``: a column name or a list of them; ``group`` then joins the values with ", ").

    A group of fewer respondents than the floor (the project's, or ``min_n`` when higher)
    gets no design effect, effective size or weights: ``n_effective * deff_weighting`` is
    ``n``, which the table suppresses.

    Examples
    --------
    >>> df = pd.DataFrame({"g": ["a", "a", "b", "b"] * 5, "weight": [1.0, 3.0, 2.0, 2.0] * 5})
    >>> weighting_effect(df, by="g")[["group", "n", "deff_weighting", "n_effective"]].round(3)
         group   n  deff_weighting  n_effective
    0        a  10           1.250        8.000
    1        b  10           1.000       10.000
    2  Overall  20           1.125       17.778
    >>> weighting_effect(df.head(4), by="g")["n_effective"].isna().all()
    np.True_
    """

    from lozells_analysis.stats.published import OVERALL, CountRules, counted

    floor = CountRules.from_environment().with_min_n(min_n).min_n

    def one(w: np.ndarray) -> dict:
        n = len(w)
        if n < floor:  # every other figure of the row would give n back
            nan = float("nan")
            return dict.fromkeys(
                ("deff_weighting", "n_effective", "min_weight", "max_weight", "max_to_min"),
                nan,
            ) | {"n": n}
        deff = n * np.sum(w**2) / np.sum(w) ** 2
        return {
            "n": n,
            "deff_weighting": float(deff),
            "n_effective": float(n / deff),
            "min_weight": float(w.min()),
            "max_weight": float(w.max()),
            "max_to_min": float(w.max() / w.min()),
        }

    rows = []
    keys = by_columns(by)
    if keys:
        for g, sub in survey.groupby(keys, observed=True, sort=True):
            name = ", ".join(map(str, g if isinstance(g, tuple) else (g,)))
            rows.append({"group": name, **one(sub[weight].to_numpy(float))})
    rows.append({"group": OVERALL, **one(survey[weight].to_numpy(float))})
    out = pd.DataFrame(rows)
    if len(keys) > 1:  # a group names several columns' values: what it counts is not said
        return out
    # each n counts responses: of the group's neighbourhood (or other filter), or all of them
    return counted(out, survey, {"group": keys[0]} if keys else None, "survey response")


def validation_summary(survey: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """What the checks on loading found, as a table of check and result.

    :func:`~lozells_analysis.data.load.load_survey` refuses a file that fails any codebook check,
    so a loaded survey has passed them; this table says so and adds the checks that only
    warn: interview dates outside their wave's fieldwork window, respondents who answered
    fewer than half of the items, and the spread of the weights.
    """
    cb = codebook or load_codebook()
    item_cols = [i for i in cb.items if i in survey.columns]
    answered = pd.DataFrame({i: ~np.isnan(cb.codes_of(survey[i], cb.items[i])) for i in item_cols})
    low = int((answered.mean(axis=1) < 0.5).sum())
    outside = 0
    if "interview_date" in survey.columns:
        start = survey["wave"].map({w: v.start for w, v in cb.waves.items()})
        end = survey["wave"].map({w: v.end for w, v in cb.waves.items()})
        d = pd.to_datetime(survey["interview_date"])
        outside = int(((d < start) | (d > end)).sum())
    w = survey["weight"].to_numpy(float)
    n = len(survey)
    people, share = _counted_phrases(survey)
    checks = [
        (
            "Columns and codes match the codebook (every value a valid code or in range)",
            f"passed: {len(item_cols)} items, {people(n, register=True)} responses",
        ),
        (
            "Respondent identifiers unique",
            "passed" if survey["respondent_id"].is_unique else "FAILED",
        ),
        (
            "Neighbourhoods and waves known to the codebook",
            f"passed: {survey['neighbourhood'].nunique()} neighbourhoods, "
            f"{survey['wave'].nunique()} waves",
        ),
        (
            "Interview dates inside their wave's fieldwork window",
            "all inside" if outside == 0 else f"{people(outside)} outside (check the wave column)",
        ),
        (
            "Respondents who answered fewer than half the items",
            "none" if low == 0 else f"{people(low)}{share(low, n)}",
        ),
        ("Weights positive and finite", f"passed: from {w.min():.2f} to {w.max():.2f}"),
    ]
    return pd.DataFrame(checks, columns=["Check", "Result"])


def _counted_phrases(survey: pd.DataFrame) -> tuple[Any, Any]:
    """How :func:`validation_summary` writes a count of responses, as the counting rules
    allow (:class:`~lozells_analysis.stats.published.CountRules`): ``people(k)`` reads "fewer
    than 10" below the floor and "about 160" in a briefing pack (``register=True`` records the
    selection's total for the differencing check); ``share(k, n)`` adds " (1.9%)" only where
    the count is shown exactly, since a share of a known total gives the count back."""
    from lozells_analysis.stats.published import CountRules, record_count

    rules = CountRules.from_environment()
    selection = survey.attrs.get("selection") or {}

    def people(k: int, register: bool = False) -> str:
        shown = rules.shown(k)
        if register and selection:
            record_count(
                shown,
                "survey response",
                area=selection.get("neighbourhood"),
                waves=selection.get("waves"),
                rules=rules,
            )
        return rules.words(shown)

    def share(k: int, n: int) -> str:
        shown = rules.shown(k)
        return "" if shown.value is None or shown.rounded else f" ({k / n:.1%})"

    return people, share
