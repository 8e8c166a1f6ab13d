"""Tests of lozells_analysis.stats.qualitative: code counts, co-occurrence and redaction."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from lozells_analysis.data.synthetic import (
    PLANTED_NAMES,
    generate_listening_events,
    generate_stakeholder_interviews,
)
from lozells_analysis.exceptions import ParameterError, SurveyDataError
from lozells_analysis.stats import qualitative as q

EMAIL = re.compile(r"@|example\.org")
DIGIT_RUN = re.compile(r"\d{3,}")  # any phone fragment left behind
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d{1,2}\s?\d[A-Z]{2}\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def events():
    return generate_listening_events()


@pytest.fixture(scope="module")
def interviews():
    return generate_stakeholder_interviews()


def _planted_tokens() -> set[str]:
    return {w for name in PLANTED_NAMES for w in name.split() if w != "Dr"}


@pytest.mark.parametrize("which", ["events", "interviews"])
def test_no_planted_personal_data_survives_redaction(request, which):
    frame = request.getfixturevalue(which)
    planted = frame["text"].str.contains(
        "@|07700|0121|My name is|Ask | said it happened|"
        r"B\d+ \d",
        regex=True,
    )
    assert planted.sum() >= 10  # the synthetic data really do carry personal data
    for text in frame["text"]:
        out = q.redact(text)
        for name in PLANTED_NAMES:
            assert name not in out, (text, out)
        words = set(re.findall(r"[A-Za-z']+", out))
        assert not (words & _planted_tokens()), (text, out)
        assert not EMAIL.search(out), out
        assert not DIGIT_RUN.search(out), out
        assert not POSTCODE.search(out), out


def test_redaction_leaves_ordinary_quotes_alone(events, interviews):
    from lozells_analysis.data.synthetic_qualitative import _BARRIER_TEXT, _THEME_TEXT

    for bank in (_BARRIER_TEXT, _THEME_TEXT):
        for sentences in bank.values():
            for s in sentences:
                assert q.redact(s) == s


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call 07700 900123 now", "Call [phone] now"),
        ("Call 07700900123.", "Call [phone]."),
        ("Ring +44 7700 900 123", "Ring [phone]"),
        ("Ring +44 (0)121 496 0000", "Ring [phone]"),
        ("Ring 0121 496 0018 or 020 7946 0123", "Ring [phone] or [phone]"),
        ("Ring (0121) 496-0018", "Ring [phone]"),
        ("mail j.o'neil+lc@example.org.uk today", "mail [email] today"),
        ("near B19 4AB and SW1A 1AA and b6 7nx", "near [postcode] and [postcode] and [postcode]"),
        ("My name is Amira Khatun.", "My name is [name]."),
        ("my name's Delroy", "my name's [name]"),
        ("Ask Shazia Begum at the centre", "Ask [name] at the centre"),
        ("Winston Clarke said it too", "[name] said it too"),
        ("Mrs Doyle and Mr O'Brien came", "[name] and [name] came"),
        ("Dr Halloran told me", "[name] told me"),
        ("Ms. Okafor-Smith helped", "[name] helped"),
        ("They said nothing", "They said nothing"),
        ("In 2019 about 1200 people came", "In 2019 about 1200 people came"),
    ],
)
def test_redact_examples(text, expected):
    assert q.redact(text) == expected


def test_redact_missing_text_is_empty():
    assert q.redact(None) == ""
    assert q.redact(float("nan")) == ""


def test_quotes_are_redacted_distinct_and_reproducible(events):
    a = q.quotes(events, "waiting_times", n=4, context=("ward",))
    b = q.quotes(events, "waiting_times", n=4, context=("ward",))
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 4
    assert a["quote"].is_unique
    assert list(a.columns) == ["code", "quote", "ward"]
    assert set(a["code"]) == {"Waiting times"}
    assert all(q.redact(t) == t for t in a["quote"])  # nothing left to redact
    assert "excerpt_id" not in a.columns


def test_quotes_of_a_code_with_personal_data_are_redacted():
    ex = pd.DataFrame(
        {
            "excerpt_id": ["1", "2"],
            "codes": ["trust", "trust"],
            "text": ["Ask Tariq Mahmood, 07700 123456.", "Email x@example.org"],
        }
    )
    out = q.quotes(ex, "trust", n=5)
    assert sorted(out["quote"]) == ["Ask [name], [phone].", "Email [email]"]


def test_unknown_code_in_quotes_is_a_parameter_error(events):
    with pytest.raises(ParameterError, match="Unknown barrier code 'parking'"):
        q.quotes(events, "parking")


def test_frequencies_match_a_hand_count(events):
    f = q.code_frequencies(events)
    n_total = events["excerpt_id"].nunique()
    for code in ("gp_appointment", "trust", "waiting_times"):
        hand = events["codes"].str.split(";").map(lambda cs, c=code: c in cs).sum()
        row = f[f["variable"] == code].iloc[0]
        assert row["n_excerpts"] == hand
        assert row["estimate"] == pytest.approx(hand / n_total)
    assert len(f) == 10
    assert f["n_excerpts"].is_monotonic_decreasing
    assert set(f["stage"]) == {"access", "within"}


def test_frequencies_by_group_use_the_group_total(events):
    f = q.code_frequencies(events, by="ward")
    lozells = events[events["ward"] == "Lozells"]
    row = f[(f["ward"] == "Lozells") & (f["variable"] == "transport_cost")].iloc[0]
    hand = lozells["codes"].str.contains("transport_cost").sum()
    assert row["n_excerpts"] == hand
    assert row["n"] == len(lozells)
    assert row["estimate"] == pytest.approx(hand / len(lozells))


def test_small_groups_are_suppressed(events):
    sizes = events.groupby("participant_group").size()
    cut = int(sizes.min()) + 1
    f = q.code_frequencies(events, by="participant_group", min_n=cut)
    small = f[f["participant_group"] == sizes.idxmin()]
    assert small["suppressed"].all()
    assert small["n_excerpts"].isna().all() and small["estimate"].isna().all()
    assert not f[f["participant_group"] == sizes.idxmax()]["suppressed"].any()


def test_themes_frequencies(interviews):
    f = q.code_frequencies(interviews, column="themes", kind="themes", by="stakeholder_type")
    assert set(f["variable"]) == {"connected", "welcomed", "belonging", "celebrated", "supported"}
    assert "stage" not in f.columns


def test_co_occurrence_is_symmetric_with_counts_on_the_diagonal(events):
    m = q.co_occurrence(events, labels=False)
    assert (m.values == m.values.T).all()
    f = q.code_frequencies(events).set_index("variable")["n_excerpts"]
    for c in m.index:
        assert m.loc[c, c] == f[c]
    both = events["codes"].map(lambda s: {"waiting_times", "not_listened_to"} <= set(s.split(";")))
    assert m.loc["waiting_times", "not_listened_to"] == both.sum()


def test_unknown_codes_in_the_data_are_reported():
    ex = pd.DataFrame({"excerpt_id": ["1"], "codes": ["trust;parking"], "text": ["x"]})
    with pytest.raises(SurveyDataError, match="parking"):
        q.code_frequencies(ex)
