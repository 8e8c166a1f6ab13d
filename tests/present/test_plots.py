"""Tests of lozells_analysis.present.plots: house style, alt text, captions, one clean display."""

from __future__ import annotations

import base64
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from lozells_analysis.present import plots


@pytest.fixture
def estimates():
    return pd.DataFrame(
        {
            "variable": ["a"] * 3 + ["b"] * 3,
            "wave": [1, 2, 3] * 2,
            "estimate": [0.4, 0.5, 0.6, 0.2, 0.25, 0.3],
            "lower_ci": [0.3, 0.4, 0.5, 0.1, 0.15, 0.2],
            "upper_ci": [0.5, 0.6, 0.7, 0.3, 0.35, 0.4],
            "suppressed": [False, False, False, False, True, False],
        }
    )


def _all_figures(estimates):
    spine = pd.DataFrame(
        {
            "indicator": ["M"],
            "estimate": [0.8],
            "England": [0.54],
            "min": [0.6],
            "q25": [0.7],
            "q75": [0.85],
            "max": [0.9],
            "comparison": ["better"],
        }
    )
    coef = pd.DataFrame(
        {
            "variable": ["Intercept", "x"],
            "estimate": [1.0, 0.5],
            "lower_ci": [0.5, -0.1],
            "upper_ci": [1.5, 1.1],
        }
    )
    return [
        plots.dot_interval(estimates, "wave", hue="variable", xlabel="Residents who agree"),
        plots.trend_small_multiples(
            estimates, reference=pd.DataFrame({"variable": ["a"], "wave": [1], "value": [0.45]})
        ),
        plots.spine_chart(spine, "Lozells"),
        plots.frequency_chart(estimates, "variable", hue="wave"),
        plots.heatmap(pd.DataFrame([[3, 1], [1, 2]], index=["x", "y"], columns=["x", "y"])),
        plots.histogram([1.0, 1.2, 0.8, 1.1], "Survey weight"),
        plots.coefficient_chart(coef),
    ]


def test_every_chart_is_a_figure_with_alt_text_and_a_sensible_size(estimates):
    for fig in _all_figures(estimates):
        assert isinstance(fig, Figure)
        assert len(fig.lozells_alt) > 30
        assert fig.get_figwidth() * plots.DPI <= 900
        for ax in fig.axes:
            if ax.get_visible() and ax.get_xlabel():
                assert "_" not in ax.get_xlabel()


def test_alt_text_states_the_numbers(estimates):
    fig = plots.trend_small_multiples(estimates)
    assert "a: 1 40% (30% to 50%), 2 50% (40% to 60%)" in fig.lozells_alt
    assert "25%" not in fig.lozells_alt  # the suppressed point is not described


def test_suppressed_rows_are_marked_not_drawn(estimates):
    fig = plots.dot_interval(estimates[estimates["variable"] == "b"], "wave")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("suppressed" in t for t in texts)
    assert "wave 2 suppressed" in fig.lozells_alt.lower() or "2 suppressed" in fig.lozells_alt


def test_palette_is_colour_blind_safe(estimates):
    fig = plots.dot_interval(estimates, "wave", hue="variable")
    colours = {
        matplotlib.colors.to_hex(line.get_color())
        for line in fig.axes[0].lines
        if line.get_marker() == "o"
    }
    assert colours <= {c.lower() for c in plots.OKABE_ITO}


def test_figure_html_escapes_and_embeds_inline_svg():
    fig = plots.histogram([1.0, 2.0, 3.0], "Score")
    html = plots.figure_html(
        fig,
        alt='a "quoted" <alt>',
        caption="x < y",
        source="Survey & co",
        synthetic=True,
        title="Scores <rose>",
        subtitle="Score, Lozells, 2016 to 2019, points",
    )
    assert html.count("<figure") == 1 and html.endswith("</figure>")
    assert 'aria-label="a &quot;quoted&quot; &lt;alt&gt;' in html
    assert "x &lt; y" in html and "Source: Survey &amp; co." in html
    assert "Scores &lt;rose&gt;" in html and "Score, Lozells, 2016 to 2019, points" in html
    assert "Synthetic data" in html
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="img"' in svg and 'width="100%"' in svg and "viewBox=" in svg
    assert "height=" not in svg.replace("height:auto", "")  # scales with its width
    assert "<title>a &quot;quoted&quot;" in html or '<title>a "quoted"' in html
    assert "<text" in html  # svg.fonttype none: text stays text, selectable
    assert "data:image/png" not in html


def test_every_chart_carries_its_data_as_a_table_and_an_offline_csv(estimates):
    fig = plots.dot_interval(estimates[estimates["variable"] == "b"], "wave")
    html = plots.figure_html(fig, title="B by wave")
    assert "<details" in html and "<summary>Show the data</summary>" in html
    link = re.search(r'<a class="lozells-csv" download="([^"]+)" href="([^"]+)"', html)
    assert link.group(1) == "b-by-wave.csv"
    assert link.group(2).startswith("data:text/csv;base64,")
    csv = base64.b64decode(link.group(2).split(",", 1)[1]).decode("utf-8-sig").splitlines()
    assert csv[0] == "Wave,Estimate (%),Lower limit (%),Upper limit (%)"
    assert csv[1] == "1,20.0,10.0,30.0"
    assert csv[2] == "2,suppressed,suppressed,suppressed"  # never the suppressed number
    assert "25.0" not in "".join(csv)


def test_synthetic_mark_sits_above_the_plot_not_on_the_legend(estimates):
    fig = plots.dot_interval(estimates, "wave", hue="variable", xlabel="Residents who agree")
    plots.figure_html(fig, synthetic=True)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    mark = fig._suptitle.get_window_extent(renderer)
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        assert not mark.overlaps(legend.get_window_extent(renderer))
    label = fig.axes[0].xaxis.label.get_window_extent(renderer)
    for legend in fig.legends:
        assert not label.overlaps(legend.get_window_extent(renderer))


def test_show_emits_one_bundle_with_the_table_for_the_spreadsheet_and_closes(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    df = pd.DataFrame({"x": [1]})
    df.attrs.update(synthetic=True, source="/d/survey.parquet")
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    plots.show(
        plots.histogram([1.0] * 12 + [2.0] * 20, "Weight"),
        caption="Weights.",
        data=df,
        title="Weights vary little",
        subtitle="Survey weight, Lozells, 2016 to 2019",
    )
    assert len(shown) == 1 and shown[0][1] is True
    bundle = shown[0][0]
    assert set(bundle) == {"text/html", "text/plain", "application/vnd.lozells.table+json"}
    assert (
        "Source: Local Conversations resident survey (SYNTHETIC data: survey.parquet)."
        in bundle["text/html"]
    )
    table = bundle["application/vnd.lozells.table+json"]
    assert table["title"] == "Weights vary little" and table["synthetic"] is True
    assert table["columns"] == ["Weight from", "to", "Respondents"]
    assert sum(int(r[2]) for r in table["rows"]) == 32
    assert len(plt.get_fignums()) == before


def test_a_histogram_never_draws_a_bar_of_fewer_respondents_than_the_floor():
    from lozells_analysis.present.count_charts import safe_bins

    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(1, 0.2, 200), [4.0, 4.1, 5.5]])  # three outliers
    counts = np.histogram(values, bins=safe_bins(values, 30, 10))[0]
    assert counts.sum() == len(values) and all(c == 0 or c >= 10 for c in counts)
    fig = plots.histogram(values, "Survey weight")
    table = fig.lozells_data  # the chart's data: no bar below the floor, each a respondent count
    shown = [r for r in table["Respondents"] if r != "0"]
    assert all(r == "suppressed" or int(r.replace(",", "")) >= 10 for r in shown)
    assert "suppressed" not in shown
    few = plots.histogram([1.0, 2.0, 3.0], "Survey weight")
    assert list(few.lozells_data["Respondents"]) == ["suppressed"]
    assert "fewer than 10 respondents" in few.lozells_alt


def test_existing_calls_without_title_still_work(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    plots.show(plots.histogram([1.0, 2.0], "Weight"), caption="Weights.", source="S")
    assert "Weights." in shown[0]["text/html"] and "<svg" in shown[0]["text/html"]
