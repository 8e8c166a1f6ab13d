"""The per-report spreadsheet: every table of the notebook, written with gptables, linked."""

from __future__ import annotations

import json
import zipfile

from lozells_analysis.present.tables import TABLE_MIME, to_html
from lozells_analysis.reports.spreadsheet import add_spreadsheet, collect_tables


def _notebook(tmp_path):
    import pandas as pd

    shown = to_html(
        pd.DataFrame({"Measure": ["Belonging"], "2016": ["51% (45% to 57%)"]}),
        caption="Belonging by year",
        index=False,
    )._repr_mimebundle_()
    research_only = {"title": "p-values", "columns": ["p"], "rows": [["0.72"]]}
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "display_data", "data": shown}],
            },
            {
                "cell_type": "code",
                "metadata": {"tags": ["research_only"]},
                "outputs": [{"output_type": "display_data", "data": {TABLE_MIME: research_only}}],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {TABLE_MIME: {"title": "empty", "columns": ["x"], "rows": []}},
                    }
                ],
            },
        ]
    }
    (tmp_path / "r.ipynb").write_text(json.dumps(nb))
    page = (
        "<html><head><title>R</title></head><body><main><header>h</header>"
        '<div class="lozells-banner lozells-synthetic">S</div></main></body></html>'
    )
    for view in ("research", "briefing"):
        (tmp_path / f"r.{view}.html").write_text(page)
    return {"notebook": "r.ipynb", "research": "r.research.html", "briefing": "r.briefing.html"}


def test_tables_are_collected_in_order_without_empty_or_hidden_ones(tmp_path):
    _notebook(tmp_path)
    nb = json.loads((tmp_path / "r.ipynb").read_text())
    assert [t["title"] for t in collect_tables(nb)] == ["Belonging by year", "p-values"]
    assert [t["title"] for t in collect_tables(nb, briefing=True)] == ["Belonging by year"]


def test_the_spreadsheet_is_written_and_linked_from_both_views(tmp_path):
    files = _notebook(tmp_path)
    name = add_spreadsheet(tmp_path, "r", "Report R", files, audience="briefing")
    assert name == "r.xlsx" and files["spreadsheet"] == "r.xlsx"
    with zipfile.ZipFile(tmp_path / "r.xlsx") as book:
        names = book.namelist()
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 3  # cover, contents, one table
        assert any(n.startswith("xl/tables/") for n in names)  # a marked-up Excel table
        text = "".join(book.read(n).decode("utf-8") for n in names if n.endswith(".xml"))
    assert "Belonging by year" in text and "51% (45% to 57%)" in text
    assert "SYNTHETIC DATA" in text
    assert "0.72" not in text  # the briefing pack's spreadsheet leaves research-only tables out
    for view in ("research", "briefing"):
        page = (tmp_path / f"r.{view}.html").read_text()
        assert '</header><p class="lozells-spreadsheet"><a href="r.xlsx" download>' in page


def test_a_report_without_tables_gets_no_spreadsheet(tmp_path):
    (tmp_path / "r.ipynb").write_text('{"cells": []}')
    files = {"notebook": "r.ipynb"}
    assert add_spreadsheet(tmp_path, "r", "R", files) is None
    assert "spreadsheet" not in files and not (tmp_path / "r.xlsx").exists()
