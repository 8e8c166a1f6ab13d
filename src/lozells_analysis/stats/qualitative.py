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

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lozells_analysis.exceptions import ParameterError, SurveyDataError
from lozells_analysis.paths import data_dir

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


# --- the coding frame -------------------------------------------------------------------------
@dataclass(frozen=True)
class Code:
    id: str
    label: str
    stage: str | None = None  # barriers: "access" (getting in) or "within" (once in)
    description: str | None = None


@dataclass(frozen=True)
class CodingFrame:
    """The codes of ``data/qualitative_codes.yaml``: ``barriers`` and ``themes``."""

    barriers: dict[str, Code]
    themes: dict[str, Code]

    def frame(self, kind: str) -> dict[str, Code]:
        if kind not in ("barriers", "themes"):
            raise ParameterError(f"kind must be 'barriers' or 'themes', got {kind!r}.")
        return self.barriers if kind == "barriers" else self.themes


@functools.cache
def _load_coding_frame(path: str) -> CodingFrame:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))

    def parse(section: str) -> dict[str, Code]:
        return {
            k: Code(k, v["label"], v.get("stage"), v.get("description"))
            for k, v in (raw.get(section) or {}).items()
        }

    return CodingFrame(parse("barriers"), parse("themes"))


def load_coding_frame(path: str | Path | None = None) -> CodingFrame:
    """Read the coding frame (default ``data/qualitative_codes.yaml``).

    Examples
    --------
    >>> cf = load_coding_frame()
    >>> cf.barriers["gp_appointment"].label, cf.barriers["waiting_times"].stage
    ('Getting a GP appointment', 'within')
    >>> list(cf.themes)
    ['connected', 'welcomed', 'belonging', 'celebrated', 'supported']
    """
    return _load_coding_frame(str(path or data_dir() / "qualitative_codes.yaml"))


# --- counting -----------------------------------------------------------------------------------
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
    codes = (coding_frame or load_coding_frame()).frame(kind)
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


def code_frequencies(
    excerpts: pd.DataFrame,
    column: str = "codes",
    kind: str = "barriers",
    by: str | None = None,
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
    by : str, optional
        A column of ``excerpts`` (e.g. ``"ward"``); shares are then of that group's excerpts.
    min_n : int
        Groups with fewer excerpts than this are ``suppressed`` (count and share hidden),
        so that a small group's comments cannot be traced to the few people in it.

    Returns
    -------
    DataFrame
        ``[by,] code, label, [stage,] n_excerpts, group_excerpts, percent, lower_ci,
        upper_ci, suppressed``, every
        code of the frame listed (zero counts included), most frequent first overall.

    Examples
    --------
    >>> ex = pd.DataFrame({"excerpt_id": list("abc"),
    ...                    "codes": ["trust;waiting_times", "trust", "gp_appointment"]})
    >>> f = code_frequencies(ex)
    >>> f[["code", "n_excerpts", "percent"]].head(3).round(3)
                 code  n_excerpts  percent
    0           trust           2    0.667
    1  gp_appointment           1    0.333
    2   waiting_times           1    0.333
    """
    from lozells_analysis.data.selection import check_min_n

    min_n = check_min_n(min_n)
    cf = coding_frame or load_coding_frame()
    codes = cf.frame(kind)
    long = explode_codes(excerpts, column, kind, cf)
    keys = [by] if by else []
    if by and by not in excerpts.columns:
        raise ParameterError(
            f"by={by!r} is not a column of the excerpts; columns: {', '.join(excerpts.columns)}."
        )
    if by:
        totals = excerpts.groupby(by, observed=True, sort=True)["excerpt_id"].nunique()
        groups = list(totals.index)
    else:
        totals = pd.Series({None: excerpts["excerpt_id"].nunique()})
        groups = [None]
    counts = (
        long.groupby(keys + ["code"], observed=True)["excerpt_id"].nunique()
        if keys
        else long.groupby("code")["excerpt_id"].nunique()
    )
    overall = long.groupby("code")["excerpt_id"].nunique().reindex(list(codes), fill_value=0)
    order = list(overall.sort_values(ascending=False, kind="stable").index)
    rows = []
    for g in groups:
        total = int(totals.loc[g])
        for c in order:
            n = int(counts.get((g, c) if by else c, 0))
            rec = {by: g} if by else {}
            rec.update(code=c, label=codes[c].label)
            if kind == "barriers":
                rec["stage"] = codes[c].stage
            small = total < min_n
            rec.update(
                n_excerpts=np.nan if small else n,
                group_excerpts=total,
                percent=np.nan if small or total == 0 else n / total,
                suppressed=small,
            )
            rows.append(rec)
    out = pd.DataFrame(rows)
    from lozells_analysis.stats.design import wilson_score_interval

    out["lower_ci"] = np.nan
    out["upper_ci"] = np.nan
    ok = out["percent"].notna().to_numpy()
    if ok.any():
        ci = wilson_score_interval(
            out.loc[ok, "n_excerpts"].astype(float).to_numpy(),
            out.loc[ok, "group_excerpts"].astype(float).to_numpy(),
            level,
        )
        out.loc[ok, "lower_ci"] = ci["lower_ci"].to_numpy()
        out.loc[ok, "upper_ci"] = ci["upper_ci"].to_numpy()
    out["estimate"] = out["percent"]
    out["n_excerpts"] = out["n_excerpts"].astype("Int64")
    return out


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
    cf = coding_frame or load_coding_frame()
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


# --- redaction ----------------------------------------------------------------------------------
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# UK phone numbers: +44 or 0, then 9-10 more digits with optional spaces, dots, hyphens or
# brackets between them (07700 900123, 0121 496 1234, 020 7946 0000, +44 (0)7700 900 123).
_PHONE = re.compile(r"(?<![\w+])(?:\+\s?44\s?(?:\(0\)\s?)?|\(?0)(?:[\s.\-()]{0,2}\d){9,10}(?!\d)")
# UK postcodes (outward code, space optional, inward code), e.g. B19 4AB, SW1A 1AA, b6 7nx.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sister|Father|Auntie|Uncle|Rev)\.?"
_NAME_WORD = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_NAME = rf"(?:{_TITLE}\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
# Words that start a sentence or name an institution, never a person on their own.
_NOT_NAMES = {
    "I",
    "The",
    "They",
    "She",
    "He",
    "We",
    "You",
    "It",
    "My",
    "Our",
    "Your",
    "Their",
    "His",
    "Her",
    "This",
    "That",
    "There",
    "Then",
    "Everyone",
    "Nobody",
    "Someone",
    "Somebody",
    "People",
    "Nobody's",
    "And",
    "But",
    "So",
    "If",
    "When",
    "Mum",
    "Dad",
    "Council",
    "NHS",
    "Doctor",
    "Nurse",
    "GP",
    "Hospital",
    "Surgery",
    "Reception",
    "Receptionist",
    "Staff",
    "Everybody",
    "Anyone",
    "Anybody",
    "One",
    "Some",
    "Another",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Yesterday",
    "Today",
}
_CUE_BEFORE = re.compile(
    r"(?i:\b(my name is|my name's|i am called|i'm called|call me|this is|ask|tell|speak to|"
    r"talk to|contact|ring|phone|email|message|neighbour|friend|"
    r"husband|wife|son|daughter|sister|brother|mother|father|cousin))\s+(" + _NAME + r")"
)
_CUE_AFTER = re.compile(
    r"(?<![\w])(" + _NAME + r")(?=\s+(?:said|says|told|tells|reckons|thinks|mentioned|asked|"
    r"explained|agreed|from the|at the centre|who lives|lives)\b)"
)
_TITLED = re.compile(rf"\b{_TITLE}\s+{_NAME_WORD}(?:\s+{_NAME_WORD})?")


def _name_sub(match: re.Match, group: int) -> str:
    name = match.group(group)
    words = name.split()
    if words[0].rstrip(".") in _NOT_NAMES and not re.fullmatch(_TITLE, words[0]):
        return match.group(0)
    whole = match.group(0)
    start = match.start(group) - match.start(0)
    return whole[:start] + "[name]" + whole[start + len(name) :]


def redact(text: object) -> str:
    """Remove personal data from a quote: names, UK phone numbers, emails, postcodes.

    Emails become ``[email]``, phone numbers ``[phone]``, postcodes ``[postcode]``; a name is
    recognised by a title (Mr, Mrs, Ms, Miss, Dr, ...) or by a cue around it ("my name is
    ...", "ask ...", "... said") and becomes ``[name]``. Redaction errs on the side of
    removing too much: a capitalised word after a cue is treated as a name.

    Examples
    --------
    >>> redact("Ring 0121 496 0123 or +44 (0)7700 900 456, or Dr Halloran said so.")
    'Ring [phone] or [phone], or [name] said so.'
    >>> redact("They said the surgery is closed.")
    'They said the surgery is closed.'
    >>> redact(None)
    ''
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return ""
    s = str(text)
    s = _EMAIL.sub("[email]", s)
    s = _PHONE.sub("[phone]", s)
    s = _POSTCODE.sub("[postcode]", s)
    s = _TITLED.sub("[name]", s)
    s = _CUE_BEFORE.sub(lambda m: _name_sub(m, 2), s)
    s = _CUE_AFTER.sub(lambda m: _name_sub(m, 1), s)
    s = re.sub(r"\[name\](?:\s+\[name\])+", "[name]", s)
    return s


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
    naturally; any that are shown are shown redacted. ``context`` names columns to keep
    beside each quote (e.g. ``("ward", "participant_group")``); the excerpt id is not shown.

    Examples
    --------
    >>> ex = pd.DataFrame({"excerpt_id": list("ab"), "codes": ["trust", "trust"],
    ...                    "text": ["Ask Tom Price.", "I do not trust them."]})
    >>> quotes(ex, "trust", n=2)["quote"].tolist()
    ['I do not trust them.', 'Ask [name].']
    """
    cf = coding_frame or load_coding_frame()
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
    rng = np.random.default_rng(seed)
    sub["_order"] = rng.permutation(len(sub))
    sub = sub.sort_values(["_changed", "_order"]).head(n)
    out = sub[["quote", *context]].reset_index(drop=True)
    out.insert(0, "code", frame[code].label)
    return out
