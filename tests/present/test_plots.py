"""Tests of lozells_analysis.present.plots: house style, alt text, captions, one clean display."""

from __future__ import annotations

import base64
import re

import matplotlib
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


def test_figure_html_escapes_and_embeds():
    fig = plots.histogram([1.0, 2.0, 3.0], "Score")
    html = plots.figure_html(
        fig, alt='a "quoted" <alt>', caption="x < y", source="Survey & co", synthetic=True
    )
    assert html.startswith("<figure") and html.endswith("</figure>")
    assert 'alt="a &quot;quoted&quot; &lt;alt&gt;' in html
    assert "x &lt; y" in html and "Source: Survey &amp; co." in html
    assert "Synthetic data" in html
    png = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_emits_one_bundle_and_closes(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    df = pd.DataFrame({"x": [1]})
    df.attrs.update(synthetic=True, source="/d/survey.parquet")
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    plots.show(plots.histogram([1.0, 2.0], "Weight"), caption="Weights.", data=df)
    assert len(shown) == 1 and shown[0][1] is True
    bundle = shown[0][0]
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert (
        "Source: Local Conversations resident survey (SYNTHETIC data: survey.parquet)."
        in bundle["text/html"]
    )
    assert len(plt.get_fignums()) == before
