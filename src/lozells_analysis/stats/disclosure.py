"""Disclosure control: the small-cell rule, personal data, and reliability flags.

The project's rules for what may be published live here, once; everything that applies
them (the tables of :mod:`lozells_analysis.present`, the quotes of
:func:`lozells_analysis.stats.qualitative.quotes`, the report scan
:mod:`lozells_analysis.reports.scan`) imports them from here.

* :data:`DEFAULT_MIN_N` and :func:`is_small` — the small-cell rule: no published figure may
  rest on fewer than 10 respondents.
* :func:`suppress` — primary suppression of any row based on fewer than ``min_n``
  respondents, and secondary suppression so a suppressed cell cannot be worked back from a
  published total (within each slice of ``secondary_by``, if exactly one cell is suppressed
  the next smallest is suppressed too).
* :func:`round_counts` — counts to the nearest 5 (halves away from zero).
* :func:`flag_reliability` — "interpret with caution" when the effective sample size is
  under 30 or the interval is wider than 20 percentage points (in
  :mod:`~lozells_analysis.stats.reliability`, re-exported here).
* :data:`PERSONAL_DATA` — the patterns of personal data (respondent ids, emails, UK phone
  numbers, UK postcodes); :func:`redact` removes them and names from a quote;
  :func:`load_redaction_list` reads the names that must never be published.
* :func:`name_like_pairs` and :func:`hold_back_quotes` — a quote with a capitalised pair that
  is no place or organisation the project knows (:func:`known_names`) is held back.

How counts of respondents are shown (suppressed, rounded in briefings) and registered for the
build: :mod:`lozells_analysis.stats.published`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from lozells_analysis import paths as project_paths
from lozells_analysis.exceptions import ParameterError
from lozells_analysis.stats.records import CHECK_MIME, record
from lozells_analysis.stats.reliability import flag_reliability as flag_reliability

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MIN_N",
    "hold_back_quotes",
    "known_names",
    "name_like_pairs",
    "EMAIL",
    "PERSONAL_DATA",
    "PHONE",
    "POSTCODE",
    "RESPONDENT_ID",
    "flag_reliability",
    "is_small",
    "find_personal",
    "load_redaction_list",
    "name_pattern",
    "normalise",
    "redact",
    "round_counts",
    "suppress",
]

DEFAULT_VALUE_COLUMNS = ("estimate", "se", "lower_ci", "upper_ci", "deff", "n_eff")

#: The small-cell rule: no published figure may rest on fewer respondents than this.
DEFAULT_MIN_N = 10


@overload
def is_small(n: float, min_n: int = DEFAULT_MIN_N) -> bool: ...
@overload
def is_small(n: npt.NDArray[Any], min_n: int = DEFAULT_MIN_N) -> npt.NDArray[np.bool_]: ...
def is_small(
    n: float | npt.NDArray[Any], min_n: int = DEFAULT_MIN_N
) -> bool | npt.NDArray[np.bool_]:
    """Whether a count of ``n`` respondents is too small to publish (the small-cell rule).

    A count is small when it is under ``min_n`` (default :data:`DEFAULT_MIN_N`, 10); an
    array of counts gives an array of flags. Zero is small too: a table suppresses an empty
    cell with the others, while the report scan, looking for disclosures, skips zeros (an
    empty cell identifies no one).

    Examples
    --------
    >>> is_small(9), is_small(10), is_small(4, min_n=5)
    (True, False, True)
    >>> is_small(np.array([0, 9, 10, 250])).tolist()
    [True, True, False, False]
    """
    if isinstance(n, np.ndarray):
        return np.less(n, min_n)
    return bool(n < min_n)


def suppress(
    table: pd.DataFrame,
    min_n: int = DEFAULT_MIN_N,
    n_col: str = "n",
    value_columns: Sequence[str] | None = None,
    secondary_by: str | Sequence[str] | None = None,
    secondary_across: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Blank every estimate (and count) based on fewer than ``min_n`` respondents.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimates table (e.g. from :meth:`SurveyDesign.proportion`).
    min_n : int
        Smallest number of respondents that may be published (default 10).
    n_col : str
        Column with the unweighted number of respondents.
    value_columns : list of str, optional
        Columns blanked (set to NaN) in suppressed rows; default the estimate columns
        present plus ``n_col``.
    secondary_by : str or list of str, optional
        Columns that define slices whose cells add up to a published total (e.g.
        ``"neighbourhood"`` for a table of waves within neighbourhoods). In a slice with
        exactly one primary-suppressed cell, the unsuppressed cell with the smallest ``n``
        is suppressed as well.
    secondary_across : str or list of str, optional
        The other direction of a two-way table (e.g. ``"wave"`` when ``secondary_by`` is
        ``"neighbourhood"``): its slices add up to the column totals. Secondary suppression is
        then repeated over rows and columns until no slice in either direction has exactly one
        suppressed cell, so no suppressed cell can be worked back from a row or a column total.

    Returns
    -------
    pandas.DataFrame
        A copy with ``suppressed`` (bool) and ``suppression_reason`` ("" when published,
        ``"fewer than 10 respondents"`` or ``"secondary: protects a suppressed cell"``).

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["A", "A", "A", "B"], "wave": [1, 2, 3, 1],
    ...                   "estimate": [0.5, 0.4, 0.3, 0.2], "n": [8, 40, 25, 50]})
    >>> out = suppress(t, secondary_by="area")
    >>> out[["area", "wave", "estimate", "n", "suppressed"]]
      area  wave  estimate     n  suppressed
    0    A     1       NaN  <NA>        True
    1    A     2       0.4    40       False
    2    A     3       NaN  <NA>        True
    3    B     1       0.2    50       False
    >>> list(out["suppression_reason"])[:3]
    ['fewer than 10 respondents', '', 'secondary: protects a suppressed cell']
    """
    if n_col not in table.columns:
        raise ParameterError(f"suppress needs the respondent count column {n_col!r}.")
    if min_n < 1:
        raise ParameterError(f"min_n must be at least 1; got {min_n}.")
    out = table.copy()
    n = out[n_col].to_numpy(dtype=float)
    primary = is_small(np.nan_to_num(n, nan=0.0), min_n)
    secondary = _secondary(out, n, primary, secondary_by, secondary_across)
    cols = (
        list(value_columns)
        if value_columns is not None
        else [c for c in DEFAULT_VALUE_COLUMNS if c in out.columns] + [n_col]
    )
    hide = primary | secondary
    if n_col in cols:
        out[n_col] = out[n_col].astype("Int64")
    for c in cols:
        out.loc[hide, c] = pd.NA if out[c].dtype == "Int64" else np.nan
    out["suppressed"] = hide
    out["suppression_reason"] = np.where(
        primary,
        f"fewer than {min_n} respondents",
        np.where(secondary, "secondary: protects a suppressed cell", ""),
    )
    if hide.any():
        log.info("suppressed %d of %d rows (%d secondary)", hide.sum(), len(out), secondary.sum())
    _note_suppression(len(out), primary, secondary, min_n, secondary_by, secondary_across)
    return out


def _note_suppression(
    rows: int,
    primary: npt.NDArray[np.bool_],
    secondary: npt.NDArray[np.bool_],
    min_n: int,
    by: object,
    across: object,
) -> None:
    """Record, for the build's output check, what :func:`suppress` hid (numbers only)."""
    directions = [d for d, key in (("rows", by), ("columns", across)) if key is not None]
    record(
        CHECK_MIME,
        {
            "check": "suppression",
            "rows": rows,
            "primary": int(primary.sum()),
            "secondary": int(secondary.sum()),
            "min_n": int(min_n),
            "directions": directions,
        },
    )


def _slices(table: pd.DataFrame, by: str | Sequence[str]) -> list[npt.NDArray[np.intp]]:
    keys = [by] if isinstance(by, str) else list(by)
    codes = table.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    return [np.flatnonzero(codes == code) for code in np.unique(codes)]


def _secondary(
    table: pd.DataFrame,
    n: npt.NDArray[np.float64],
    primary: npt.NDArray[np.bool_],
    secondary_by: str | Sequence[str] | None,
    secondary_across: str | Sequence[str] | None = None,
) -> npt.NDArray[np.bool_]:
    """Secondary suppression: in each slice of ``secondary_by`` (and of ``secondary_across``,
    repeated until nothing changes) with exactly one suppressed cell, the unsuppressed cell
    with the smallest ``n``."""
    secondary = np.zeros(len(table), dtype=bool)
    slices = [
        idx
        for by in (secondary_by, secondary_across)
        if by is not None
        for idx in _slices(table, by)
    ]
    changed = True
    while changed:  # each pass hides at least one more cell, so this ends
        changed = False
        for idx in slices:  # slices: a handful of neighbourhoods and waves
            hidden = primary[idx] | secondary[idx]
            if hidden.sum() == 1 and len(idx) > 1:
                candidates = idx[~hidden]
                secondary[candidates[np.argmin(n[candidates])]] = True
                changed = True
    return secondary


def round_counts(values: Any, base: int = 5) -> Any:
    """Round counts to the nearest ``base`` (default 5); halves go away from zero.

    Examples
    --------
    >>> round_counts([0, 2, 3, 7, 12.5, 13])
    array([ 0.,  0.,  5.,  5., 15., 15.])
    >>> round_counts(pd.Series([22, 1048]))
    0      20
    1    1050
    dtype: int64
    """
    if base < 1:
        raise ParameterError(f"base must be a positive integer; got {base}.")
    if isinstance(values, pd.Series):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        res = np.sign(arr) * np.floor(np.abs(arr) / base + 0.5) * base
        out = pd.Series(res, index=values.index, name=values.name)
        return out.astype("int64") if not out.isna().any() else out
    arr = np.asarray(values, dtype=float)
    return np.sign(arr) * np.floor(np.abs(arr) / base + 0.5) * base


# --- personal data ------------------------------------------------------------------------------
# One set of patterns, used both to redact quotes (redact) and to scan rendered reports
# (lozells_analysis.reports.scan). Each errs on the side of matching too much.

#: A respondent identifier: ``LC`` and seven digits (the survey's format).
RESPONDENT_ID = re.compile(r"(?<![A-Za-z0-9])LC\d{7}(?!\d)")
#: An email address (``j.o'neil+lc@example.org.uk``).
EMAIL = re.compile(r"(?<![\w.%+-])[\w%+-][\w.%+'’-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
#: A UK phone number: ``+44`` (with an optional ``(0)`` or ``0``) or ``0``, then 9-10 more
#: digits with at most one space, tab, dot, slash or hyphen (or a bracket) between any two
#: (07700 900123, 0121/496/0123, 0 7 7 0 0 9 0 0 1 2 3, (0113) 496-0000, +44 (0)7700 900 123).
#: Not a decimal (``0.0123456789``), nor digits inside a longer number, a word or a hash, nor
#: digits on separate lines (an index column). International numbers are found by
#: ``phonenumbers`` (:func:`find_personal`).
_SEP = r"(?:[ \t./\-]|[ \t]?[()][ \t]?)?"
PHONE = re.compile(
    rf"(?<![\w.+])(?<!\d,)(?:\+[ \t]?44{_SEP}(?:\(0\)[ \t]?|0{_SEP})?|\(?0(?:[ \t/\-)]|\)[ \t])?)"
    rf"\d(?:{_SEP}\d){{8,9}}(?!\w|[.,]\d)"
)
#: A UK postcode, in any case, the space optional: B19 4AB, SW1A 1AA, b6 7nx, GIR 0AA.
POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2}"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"), "-")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_ODD_SPACE = re.compile(r"[^\S\n\r\t]")


def normalise(text: str) -> str:
    """Text as the personal-data rules read it: Unicode NFKC (full-width ``＠`` and digits
    become ASCII), every kind of space (non-breaking, thin, ideographic...) a plain space,
    every dash a hyphen, and zero-width characters and soft hyphens removed.

    Examples
    --------
    >>> normalise("jo\uff20example.org B19\u00a04AB 0121\u2009496\u20130123 07\u200b700")
    'jo@example.org B19 4AB 0121 496-0123 07700'
    """
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_INVISIBLE)
    return _ODD_SPACE.sub(" ", text)


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Where phone numbers are in (normalised) ``text``: the UK pattern :data:`PHONE`, and
    every number Google's libphonenumber (``phonenumbers``) finds valid, UK or not."""
    import phonenumbers

    spans = [(m.start(), m.end()) for m in PHONE.finditer(text)]
    for match in phonenumbers.PhoneNumberMatcher(text, "GB"):
        spans.append((match.start, match.end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_personal(text: str) -> list[tuple[str, int, int]]:
    """Every piece of personal data in ``text`` (already :func:`normalise` d): (kind, start,
    end), kinds as in :data:`PERSONAL_DATA`, in order of the kinds.

    Examples
    --------
    >>> t = normalise("Ring +33 1 42 68 53 00 or 0 7 7 0 0 9 0 0 1 2 3, jo\uff20x.org")
    >>> [(kind, t[a:b]) for kind, a, b in find_personal(t)]
    [('email', 'jo@x.org'), ('phone', '+33 1 42 68 53 00'), ('phone', '0 7 7 0 0 9 0 0 1 2 3')]
    """
    found = []
    for kind, pattern in PERSONAL_DATA.items():
        if kind == "phone":
            found += [(kind, a, b) for a, b in _phone_spans(text)]
        else:
            found += [(kind, m.start(), m.end()) for m in pattern.finditer(text)]
    return found


#: The patterns of personal data, by the kind of finding the report scan names them.
PERSONAL_DATA: dict[str, re.Pattern[str]] = {
    "respondent-id": RESPONDENT_ID,
    "email": EMAIL,
    "phone": PHONE,
    "postcode": POSTCODE,
}

_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sister|Father|Auntie|Uncle|Rev)\.?"
_NAME_WORD = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_NAME = rf"(?:{_TITLE}\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
# Words that start a sentence or name an institution, never a person on their own.
_NOT_NAMES = frozenset(
    """
    I The They She He We You It My Our Your Their His Her This That There Then Everyone
    Nobody Someone Somebody People Nobody's And But So If When Mum Dad Council NHS
    Doctor Nurse GP Hospital Surgery Reception Receptionist Staff Everybody Anyone
    Anybody One Some Another Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    Yesterday Today
    """.split()
)
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


def _name_sub(match: re.Match[str], group: int) -> str:
    name = match.group(group)
    words = name.split()
    if words[0].rstrip(".") in _NOT_NAMES and not re.fullmatch(_TITLE, words[0]):
        return match.group(0)
    whole = match.group(0)
    start = match.start(group) - match.start(0)
    return whole[:start] + "[name]" + whole[start + len(name) :]


def redact(text: object) -> str:
    """Remove personal data from a quote: names, UK phone numbers, emails, postcodes.

    The text is :func:`normalise` d first (so a full-width ``＠``, a phone number with a
    slash or a space between every digit, a postcode with a non-breaking space are caught).
    Respondent ids become ``[id]``, emails ``[email]``, phone numbers (UK, and international
    ones libphonenumber knows) ``[phone]``, postcodes ``[postcode]``; a name is
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
    s = normalise(str(text))
    s = RESPONDENT_ID.sub("[id]", s)
    s = EMAIL.sub("[email]", s)
    for start, end in reversed(_phone_spans(s)):
        s = s[:start] + "[phone]" + s[end:]
    s = POSTCODE.sub("[postcode]", s)
    s = _TITLED.sub("[name]", s)
    s = _CUE_BEFORE.sub(lambda m: _name_sub(m, 2), s)
    s = _CUE_AFTER.sub(lambda m: _name_sub(m, 1), s)
    s = re.sub(r"\[name\](?:\s+\[name\])+", "[name]", s)
    return s


def name_pattern(name: str) -> re.Pattern[str]:
    """A pattern for one name of a redaction list: whole words, any whitespace between them.

    Examples
    --------
    >>> bool(name_pattern("Amira Khatun").search("ask Amira\\n  Khatun"))
    True
    >>> bool(name_pattern("Amira Khatun").search("Amira Khatunova"))
    False
    """
    words = r"\s+".join(re.escape(word) for word in name.split())
    return re.compile(rf"(?<!\w){words}(?!\w)")


def load_redaction_list(paths: Iterable[str | Path] | None = None) -> list[str]:
    """The names that must never be published, read from redaction lists.

    A redaction list is a plain text file (UTF-8) kept beside the data it belongs to, one
    name per line; ``#`` starts a comment, and blank lines are ignored. By default both
    ``data/raw/redaction_list.txt`` (the data owner's list for the real data, which git
    ignores) and ``data/synthetic/redaction_list.txt`` (written by the synthetic generator
    with the names it planted) are read, and a default file that does not exist is skipped.

    Parameters
    ----------
    paths : iterable of str or Path, optional
        The lists to read instead of the default ones; each must exist.

    Returns
    -------
    list of str
        The names, in file order, each once.

    Raises
    ------
    ParameterError
        If a list named in ``paths`` does not exist.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     listing = Path(folder) / "redaction_list.txt"
    ...     _ = listing.write_text("# names\\nAmira Khatun\\n\\nDr Halloran  # a GP\\n")
    ...     load_redaction_list([listing])
    ['Amira Khatun', 'Dr Halloran']
    """
    if paths is None:
        candidates = [p for p in project_paths.redaction_list_paths() if p.is_file()]
        if not candidates:
            log.warning(
                "no redaction list found (looked for %s): no names will be looked for",
                ", ".join(str(p) for p in project_paths.redaction_list_paths()),
            )
    else:
        candidates = [Path(p) for p in paths]
        missing = [str(p) for p in candidates if not p.is_file()]
        if missing:
            raise ParameterError(
                f"Redaction list not found: {', '.join(missing)}. A redaction list is a text "
                "file with one name per line (# starts a comment)."
            )
    names: dict[str, None] = {}
    for path in candidates:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            name = " ".join(line.split("#", 1)[0].split())
            if name:
                names[name] = None
    return list(names)


# --- quotes held back for review ----------------------------------------------------------------
_CAPITALISED = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_PAIR = re.compile(rf"(?<![\w'’]){_CAPITALISED}(?:\s+{_CAPITALISED})+(?![\w'’])")


def known_names(codebook: Any = None, neighbourhoods: Any = None) -> list[str]:
    """Places and organisations a quote may name, all from the project's data: the
    codebook's ``known_names``, neighbourhoods, their places and the nations, and from
    ``data/neighbourhoods.yaml`` the local authorities, audiences and the names and places of
    the qualitative sources. A capitalised pair among them is not taken for a person.

    Examples
    --------
    >>> names = known_names()
    >>> "Together We Can" in names, "Birmingham City Council" in names, "Lozells" in names
    (True, True, True)
    """
    if codebook is None:
        from lozells_analysis.data.codebook import load_codebook

        codebook = load_codebook()
    names = list(codebook.known_names)
    for hood in codebook.neighbourhoods.values():
        names += [hood.name, hood.place]
    names += list(codebook.nations)
    if neighbourhoods is None:
        from lozells_analysis.data.neighbourhoods import load_neighbourhoods

        try:
            neighbourhoods = load_neighbourhoods()
        except Exception as exc:  # a broken file fails its own loader loudly elsewhere
            log.warning("known names without data/neighbourhoods.yaml: %s", exc)
    if neighbourhoods is not None:
        for area in [*neighbourhoods.areas.values(), neighbourhoods.programme]:
            names += [area.name, area.local_authority or "", area.audience]
        for source in neighbourhoods.sources.values():
            names += [source.name, source.place]
    return [n for n in dict.fromkeys(names) if n]


def name_like_pairs(text: object, known: Iterable[str] = ()) -> list[str]:
    """Capitalised name-like pairs in ``text`` ("Mary Smith") that are not places or
    organisations in ``known`` and do not start with a sentence word ("The", "When", ...).

    Examples
    --------
    >>> name_like_pairs("Mary Smith at Together We Can said so.", ["Together We Can"])
    ['Mary Smith']
    >>> name_like_pairs("The surgery in East Birmingham. When Monday came.", ["East Birmingham"])
    []
    """
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return []
    s = normalise(str(text))
    for name in sorted(known, key=len, reverse=True):  # longest first: "NHS England"
        s = name_pattern(normalise(name)).sub(" ", s)
    found = []
    for match in _PAIR.finditer(s):
        words = match.group(0).split()
        while words and (words[0] in _NOT_NAMES or words[0] in _SENTENCE_WORDS):
            words = words[1:]
        if len(words) >= 2:
            found.append(" ".join(words))
    return found


# Words that start a sentence, never the first word of a name.
_SENTENCE_WORDS = frozenset(
    """
    A An At In On To For From With Without After Before Because Since Once Every Each
    Why What Where Who How Yes No Not Now Last Next Even Just Also Most Many Lots Please
    Thank Thanks Sorry Dear Hello Hi Well Maybe Sometimes Often Never Always
    """.split()
)


def hold_back_quotes(
    quotes: pd.DataFrame, column: str = "quote", known: Iterable[str] | None = None
) -> tuple[pd.DataFrame, int]:
    """Quotes without :func:`name_like_pairs` (they may name a person), and how many were
    held back for review (the output-check record shows the number, never the quote).

    Examples
    --------
    >>> q = pd.DataFrame({"quote": ["Mary Smith helped.", "Lozells is home."]})
    >>> kept, held = hold_back_quotes(q, known=["Lozells"])
    >>> kept["quote"].tolist(), held
    (['Lozells is home.'], 1)
    """
    names = known_names() if known is None else list(known)
    flagged = quotes[column].map(lambda text: bool(name_like_pairs(text, names)))
    kept = quotes.loc[~flagged.astype(bool)].reset_index(drop=True)
    kept.attrs = dict(quotes.attrs)
    held = int(flagged.sum())
    if held:
        log.info("held back %d quote(s) with name-like words for review", held)
    return kept, held
