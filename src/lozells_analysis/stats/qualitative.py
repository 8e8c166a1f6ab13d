"""Qualitative data: code frequencies, co-occurrence, and redacted quotes.

The listening events (barriers to and within NHS services) and the stakeholder interviews
(the five Together We Can themes) are excerpts of what people said, each tagged with one or
more codes from ``data/qualitative_codes.yaml``. This module counts how often each code was
raised (overall and by group), how often two codes were raised together, and picks
illustrative quotes, which are only ever returned after :func:`redact` has removed names,
phone numbers, email addresses and postcodes.

Examples
--------
>>> from lozells_analysis.stats.qualitative import redact
>>> redact("My name is Amira Khatun, ring me on 07700 900123 or email a.k@example.org.")
'My name is [name], ring me on [phone] or email [email].'
>>> redact("I live at B19 4AB. Mrs O'Neill said ask Tom Price.")
'I live at [postcode]. [name] said ask [name].'
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from lozells_analysis.data.qualitative import Code, CodingFrame, load_coding_frame
from lozells_analysis.exceptions import ParameterError, SurveyDataError
from lozells_analysis.stats.disclosure import hold_back_quotes, is_small, redact
from lozells_analysis.stats.records import CHECK_MIME, record

log = logging.getLogger(__name__)

__all__ = [
    "CodingFrame",
    "Code",
    "co_occurrence",
    "code_frequencies",
    "explode_codes",
    "load_coding_frame",
    "quotes",
    "redact",
]


# --- counting -----------------------------------------------------------------------------------
def _frame_of(excerpts: pd.DataFrame, coding_frame: CodingFrame | None) -> CodingFrame:
    """The coding frame given, else the one read with the excerpts (a ``.qdpx`` carries its
    own), else ``data/qualitative_codes.yaml``."""
    if coding_frame is not None:
        return coding_frame
    own = excerpts.attrs.get("coding_frame")
    return own if isinstance(own, CodingFrame) else load_coding_frame()


def explode_codes(
    excerpts: pd.DataFrame,
    column: str = "codes",
    kind: str = "barriers",
    coding_frame: CodingFrame | None = None,
) -> pd.DataFrame:
    """One row per (excerpt, code) from the ``;``-separated ``column``, checked.

    Raises
    ------
    SurveyDataError
        If an excerpt carries a code the coding frame does not have (listing them).

    Examples
    --------
    >>> ex = pd.DataFrame({"excerpt_id": ["a", "b"], "codes": ["trust; waiting_times", ""]})
    >>> explode_codes(ex)[["excerpt_id", "code"]]
      excerpt_id           code
    0          a          trust
    1          a  waiting_times
    """
    codes = _frame_of(excerpts, coding_frame).frame(kind)
    if column not in excerpts.columns:
        raise SurveyDataError(
            f"The excerpts have no {column!r} column; columns present: "
            f"{', '.join(excerpts.columns)}."
        )
    long = excerpts.assign(code=excerpts[column].fillna("").astype(str).str.split(";"))
    long = long.explode("code")
    long["code"] = long["code"].str.strip()
    long = long[long["code"] != ""].drop_duplicates(subset=["excerpt_id", "code"])
    unknown = sorted(set(long["code"]) - set(codes))
    if unknown:
        raise SurveyDataError(
            f"Excerpts carry {kind[:-1]} codes that data/qualitative_codes.yaml does not define: "
            f"{', '.join(unknown)}. Known codes: {', '.join(codes)}. Fix the coding or add the "
            "codes to the coding frame."
        )
    return long.reset_index(drop=True)


def _as_key(value: object) -> tuple:
    """A group key as a tuple (pandas gives a bare value when grouping by one column)."""
    return value if isinstance(value, tuple) else (value,)


def _check_by(excerpts: pd.DataFrame, keys: list[str], by: object) -> None:
    """Refuse ``by`` columns that the excerpts do not have."""
    missing = [c for c in keys if c not in excerpts.columns]
    if missing:
        raise ParameterError(
            f"by={by!r}: {', '.join(map(repr, missing))} not a column of the excerpts; "
            f"columns: {', '.join(excerpts.columns)}."
        )


def _excerpt_counts(
    excerpts: pd.DataFrame, long: pd.DataFrame, keys: list[str]
) -> tuple[dict[tuple, int], dict[tuple, int]]:
    """Excerpts per group, and excerpts per (group..., code), keyed by tuples."""
    if keys:
        per_group = excerpts.groupby(keys, observed=True, sort=True)["excerpt_id"].nunique()
        totals = {_as_key(g): int(t) for g, t in per_group.items()}
        per_code = long.groupby(keys + ["code"], observed=True)["excerpt_id"].nunique()
        counts = {_as_key(k): int(v) for k, v in per_code.items()}
    else:
        totals = {(): int(excerpts["excerpt_id"].nunique())}
        per_code = long.groupby("code")["excerpt_id"].nunique()
        counts = {(k,): int(v) for k, v in per_code.items()}
    return totals, counts


def _frequency_rows(
    totals: dict[tuple, int],
    counts: dict[tuple, int],
    order: list[str],
    keys: list[str],
    codes: dict[str, Code],
    kind: str,
    min_n: int,
) -> list[dict[str, object]]:
    """One record per group and code: share, count and label, hidden when the group is small."""
    rows = []
    for g, total in totals.items():
        small = is_small(total, min_n)
        for c in order:
            n = counts.get((*g, c), 0)
            rec: dict[str, object] = dict(zip(keys, g, strict=True))
            rec.update(
                variable=c,
                estimate=np.nan if small or total == 0 else n / total,
                n=total,
                label=codes[c].label,
            )
            if kind == "barriers":
                rec["stage"] = codes[c].stage
            rec.update(n_excerpts=np.nan if small else n, suppressed=small)
            rows.append(rec)
    return rows


def _add_share_intervals(out: pd.DataFrame, level: float) -> None:
    """Add the Wilson interval, binomial se and the schema's ``level, method, df`` in place."""
    from lozells_analysis.stats.design import wilson_score_interval

    out["lower_ci"] = np.nan
    out["upper_ci"] = np.nan
    ok = out["estimate"].notna().to_numpy()
    if ok.any():
        ci = wilson_score_interval(
            out.loc[ok, "n_excerpts"].astype(float).to_numpy(),
            out.loc[ok, "n"].astype(float).to_numpy(),
            level,
        )
        out.loc[ok, "lower_ci"] = ci["lower_ci"].to_numpy()
        out.loc[ok, "upper_ci"] = ci["upper_ci"].to_numpy()
    p = out["estimate"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["se"] = np.sqrt(p * (1 - p) / out["n"])
    out["level"] = level
    out["method"] = "share of excerpts (Wilson score, unweighted)"
    out["df"] = np.inf


def code_frequencies(
    excerpts: pd.DataFrame,
    column: str = "codes",
    kind: str = "barriers",
    by: str | list[str] | tuple[str, ...] | None = None,
    min_n: int = 1,
    coding_frame: CodingFrame | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """How many excerpts raised each code, and what share of the excerpts that is.

    The share has a Wilson score interval (``lower_ci``, ``upper_ci`` at ``level``) on the
    number of excerpts: a guide to how much the share could move with other excerpts, not a
    survey interval (the excerpts are not a random sample of residents).

    Parameters
    ----------
    by : str or list of str, optional
        Column(s) of ``excerpts`` (e.g. ``"ward"``); shares are then of that group's
        excerpts.
    min_n : int
        Groups with fewer excerpts than this are ``suppressed`` (count and share hidden),
        so that a small group's comments cannot be traced to the few people in it.

    Returns
    -------
    DataFrame
        In the library's schema: the ``by`` columns, then ``variable`` (the code's id),
        ``estimate`` (the share of the group's excerpts raising the code, 0-1), ``se``
        (binomial, ``sqrt(p(1 - p) / n)``), ``lower_ci, upper_ci, level``, ``method``
        (``"share of excerpts (Wilson score, unweighted)"``), ``n`` (the group's excerpts),
        ``df`` (infinite: normal quantiles); then ``label, [stage,] n_excerpts`` (excerpts
        raising the code) and ``suppressed``. Every code of the frame is listed (zero counts
        included), most frequent first overall.

    Examples
    --------
    >>> ex = pd.DataFrame({"excerpt_id": list("abc"),
    ...                    "codes": ["trust;waiting_times", "trust", "gp_appointment"]})
    >>> f = code_frequencies(ex)
    >>> f[["variable", "n_excerpts", "n", "estimate"]].head(3).round(3)
             variable  n_excerpts  n  estimate
    0           trust           2  3     0.667
    1  gp_appointment           1  3     0.333
    2   waiting_times           1  3     0.333
    """
    from lozells_analysis.data.selection import check_min_n
    from lozells_analysis.stats.schema import by_columns, tidy

    min_n = check_min_n(min_n)
    cf = _frame_of(excerpts, coding_frame)
    codes = cf.frame(kind)
    long = explode_codes(excerpts, column, kind, cf)
    keys = by_columns(by)
    _check_by(excerpts, keys, by)
    totals, counts = _excerpt_counts(excerpts, long, keys)
    overall = long.groupby("code")["excerpt_id"].nunique().reindex(list(codes), fill_value=0)
    order = list(overall.sort_values(ascending=False, kind="stable").index)
    out = pd.DataFrame(_frequency_rows(totals, counts, order, keys, codes, kind, min_n))
    _add_share_intervals(out, level)
    out["n"] = out["n"].astype("int64")
    out["n_excerpts"] = out["n_excerpts"].astype("Int64")
    return tidy(out, keys)


def co_occurrence(
    excerpts: pd.DataFrame,
    column: str = "codes",
    kind: str = "barriers",
    labels: bool = True,
    coding_frame: CodingFrame | None = None,
) -> pd.DataFrame:
    """How many excerpts raised each pair of codes together (the diagonal: each code at all).

    Examples
    --------
    >>> ex = pd.DataFrame({"excerpt_id": list("abc"),
    ...                    "codes": ["trust;waiting_times", "trust", "waiting_times;trust"]})
    >>> m = co_occurrence(ex, labels=False)
    >>> int(m.loc["trust", "waiting_times"]), int(m.loc["trust", "trust"])
    (2, 3)
    """
    cf = _frame_of(excerpts, coding_frame)
    codes = list(cf.frame(kind))
    long = explode_codes(excerpts, column, kind, cf)
    ind = pd.crosstab(long["excerpt_id"], long["code"]).reindex(columns=codes, fill_value=0)
    ind = (ind > 0).astype(int)
    m = ind.T @ ind
    m = m.reindex(index=codes, columns=codes, fill_value=0)
    if labels:
        names = {c: cf.frame(kind)[c].label for c in codes}
        m = m.rename(index=names, columns=names)
    m.index.name = m.columns.name = None
    return m


def quotes(
    excerpts: pd.DataFrame,
    code: str,
    column: str = "codes",
    kind: str = "barriers",
    n: int = 3,
    context: tuple[str, ...] = (),
    seed: int = 2016,
    coding_frame: CodingFrame | None = None,
) -> pd.DataFrame:
    """Up to ``n`` illustrative quotes for ``code``, redacted, distinct, reproducibly chosen.

    Quotes that redaction had to change are preferred last, so the illustration reads
    naturally; any that are shown are shown redacted. A quote that still holds a capitalised
    name-like pair that is not a place or organisation the project knows ("Mary Smith") is
    held back for review (:func:`~lozells_analysis.stats.disclosure.hold_back_quotes`); how
    many were is in ``attrs["held_back"]``. ``context`` names columns to keep
    beside each quote (e.g. ``("ward", "participant_group")``); the excerpt id is not shown.

    Examples
    --------
    >>> ex = pd.DataFrame({"excerpt_id": list("ab"), "codes": ["trust", "trust"],
    ...                    "text": ["Ask Tom Price.", "I do not trust them."]})
    >>> quotes(ex, "trust", n=2)["quote"].tolist()
    ['I do not trust them.', 'Ask [name].']
    """
    cf = _frame_of(excerpts, coding_frame)
    frame = cf.frame(kind)
    if code not in frame:
        raise ParameterError(
            f"Unknown {kind[:-1]} code {code!r}. Known codes: {', '.join(frame)}."
        )
    long = explode_codes(excerpts, column, kind, cf)
    ids = long.loc[long["code"] == code, "excerpt_id"]
    sub = excerpts[excerpts["excerpt_id"].isin(ids)].copy()
    sub["quote"] = sub["text"].map(redact)
    sub["_changed"] = sub["quote"] != sub["text"].fillna("").astype(str)
    sub = sub[sub["quote"].str.strip() != ""].drop_duplicates(subset="quote")
    # a quote still holding a name-like pair that is no known place or organisation is held
    # back for review, never published (stats.disclosure.hold_back_quotes)
    sub, held = hold_back_quotes(sub.reset_index(drop=True))
    rng = np.random.default_rng(seed)
    sub["_order"] = rng.permutation(len(sub))
    sub = sub.sort_values(["_changed", "_order"]).head(n)
    out = sub[["quote", *context]].reset_index(drop=True)
    for column in context:  # context columns are printed beside the quote: redact them too
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(redact)
    out.insert(0, "code", frame[code].label)
    out.attrs["held_back"] = held
    record(
        CHECK_MIME,
        {
            "check": "quotes",
            "what": f"quotes: {frame[code].label}",
            "shown": len(out),
            "held_back": held,
        },
    )
    return out
