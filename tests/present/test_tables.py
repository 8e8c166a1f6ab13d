"""Tests of lozells_analysis.present.tables: formatting, suppression, escaping, banners."""

from __future__ import annotations

import pandas as pd
import pytest

from lozells_analysis.present import tables


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0.82, 0.79, 0.85), "82% (79% to 85%)"),
        ((0.825, 0.7949, 0.855), "83% (79% to 86%)"),  # halves round away from zero
        ((0.0, 0.0, 0.0312), "0% (0% to 3%)"),
        ((1.0, 0.96, 1.0), "100% (96% to 100%)"),
        ((0.5, None, None), "50%"),
        ((None, 0.1, 0.2), "-"),
    ],
)
def test_percent_intervals(args, expected):
    assert tables.format_interval(*args) == expected


def test_mean_and_ratio_intervals():
    assert tables.format_interval(7.05, 6.85, 7.25, "mean") == "7.1 (6.9 to 7.3)"
    assert tables.format_interval(0.5, 0.25, 1.0, "ratio") == "0.50 (0.25 to 1.00)"
    with pytest.raises(ValueError):
        tables.format_interval(1, 0, 2, "odds")


def test_negative_numbers_round_symmetrically():
    assert tables.format_number(-0.05, 1) == "-0.1"
    assert tables.format_number(-0.04, 1) == "0.0"


def test_estimate_table_shows_suppressed_and_caution():
    est = pd.DataFrame(
        {
            "label": ["A", "B", "C"],
            "estimate": [0.5, 0.2, 0.9],
            "lower_ci": [0.4, 0.1, 0.6],
            "upper_ci": [0.6, 0.3, 0.99],
            "n": [100, 5, 40],
            "suppressed": [False, True, False],
            "interpret_with_caution": [False, False, True],
        }
    )
    out = tables.estimate_table(est, "label")["Estimate"].tolist()
    assert out == ["50% (40% to 60%)", "suppressed", "90% (60% to 99%) (interpret with caution)"]


def test_suppressed_row_never_shows_its_numbers_even_if_present():
    est = pd.DataFrame(
        {
            "label": ["A"],
            "estimate": [0.123],
            "lower_ci": [0.1],
            "upper_ci": [0.2],
            "n": [3],
            "suppressed": [True],
        }
    )
    html = str(tables.to_html(tables.estimate_table(est, "label")))
    assert "12%" not in html and "suppressed" in html


def test_to_html_escapes_data_and_scrolls():
    t = pd.DataFrame({"Group": ["<script>alert(1)</script>"], "Value": ["a & b"]})
    out = str(tables.to_html(t, caption="<i>x</i>", note="n<10", index=False))
    assert "<script>" not in out
    assert "&lt;script&gt;" in out and "a &amp; b" in out
    assert "&lt;i&gt;x&lt;/i&gt;" in out and "n&lt;10" in out
    assert 'class="lozells-table"' in out and "overflow-x:auto" in out


def test_banner_is_prominent_for_synthetic_and_plain_for_real():
    from lozells_analysis.data.synthetic import SYNTHETIC_NOTICE

    df = pd.DataFrame({"x": range(3)})
    df.attrs.update(synthetic=True, source="/x/survey.parquet")
    syn = str(tables.banner(df))
    assert SYNTHETIC_NOTICE.split(":")[0] in syn and 'role="alert"' in syn
    df.attrs.update(synthetic=False, source="/x/<real>.csv")
    real = str(tables.banner(df))  # a count of responses: below the floor it is not shown
    assert "SYNTHETIC" not in real and "&lt;real&gt;.csv" in real and "fewer than 10 rows" in real
    big = pd.DataFrame({"x": range(1234)})
    big.attrs.update(synthetic=False, source="/x/real.csv")
    assert "1,234 rows" in str(tables.banner(big))


def test_comparison_table_from_the_library(synthetic_survey):
    from lozells_analysis.present import summaries

    comp = summaries.benchmark_comparison(summaries.design_for(synthetic_survey))
    t = tables.comparison_table(comp)
    assert list(t["Measure"])[0].startswith("Agree people who get involved")
    assert t.loc[0, "England"] == "54%: better"
    assert t.loc[0, "Published (Annual Review 2021)"] == "82%"
    r = comp.iloc[0]
    assert t.loc[0, "This survey"] == tables.format_interval(
        r["estimate"], r["lower_ci"], r["upper_ci"]
    )


def test_indicator_labels_come_from_the_codebook(codebook):
    assert (
        tables.indicator_label("trust_people", codebook)
        == codebook.indicators["trust_people"].label
    )
    assert tables.indicator_label("unknown_thing", codebook) == "unknown_thing"
