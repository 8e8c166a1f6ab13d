"""The publish gate reads every kind of file a run publishes: PDF text, .xlsx spreadsheets,
CSV files and CSV downloads embedded in the HTML as ``data:`` links, and the index
(issue 13). Planted personal data in any of them holds the run back."""

from __future__ import annotations

import base64
import io
import json
import sys
import types
from pathlib import Path

from lozells_analysis.reports.gate import (
    Scrubber,
    embedded_downloads,
    pdf_text,
    prepare_run,
    scrub_published_page,
    spreadsheet_text,
)

RUN = types.SimpleNamespace(notebook_display="notebooks/x.ipynb", parameters={})
CLEAN_HTML = "<html><body><p>Based on 1,204 responses.</p></body></html>"


def _gate(tmp_path: Path, files: dict[str, tuple[str, bytes]]) -> str | None:
    staged = {}
    for view, (name, data) in files.items():
        (tmp_path / name).write_bytes(data)
        staged[view] = name
    return prepare_run(RUN, staged, tmp_path, Scrubber(str(tmp_path)), ["Amira Khatun"])


def _csv_link(text: str, mime: str = "text/csv") -> str:
    data = base64.b64encode(text.encode()).decode()
    return f'<a href="data:{mime};base64,{data}" download="table.csv">Download the data</a>'


def _workbook(*rows: tuple) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Responses"
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_clean_run_passes(tmp_path):
    page = CLEAN_HTML.replace("</p>", "</p>" + _csv_link("area,n\nLozells,40\n"))
    assert _gate(tmp_path, {"briefing": ("r.briefing.html", page.encode())}) is None


def test_a_csv_download_embedded_in_the_html_is_decoded_and_scanned(tmp_path):
    page = CLEAN_HTML.replace("</p>", "</p>" + _csv_link("area,contact\nLozells,0121/496/0123\n"))
    reason = _gate(tmp_path, {"briefing": ("r.briefing.html", page.encode())})
    assert reason == "held back: 1 personal-data finding (phone) in the briefing view"


def test_an_embedded_spreadsheet_and_a_url_encoded_csv_are_decoded():
    book = base64.b64encode(_workbook(("name",), ("Amira Khatun",))).decode()
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    page = (
        f'<a href="data:{mime};base64,{book}">xlsx</a>'
        '<a href="data:text/csv;charset=utf-8,a%2Cb%0Ajo%40example.org">csv</a>'
    )
    found = embedded_downloads(page)
    assert [kind for kind, _ in found] == [mime, "text/csv"]
    assert "Amira Khatun" in found[0][1] and "jo@example.org" in found[1][1]


def test_a_csv_file_in_the_staging_folder_is_scanned(tmp_path):
    reason = _gate(tmp_path, {"csv": ("r.csv", "area,pc\nLozells,B19\u00a04AB\n".encode())})
    assert reason == "held back: 1 personal-data finding (postcode) in the CSV download"


def test_a_spreadsheet_is_scanned_cell_by_cell_and_its_properties(tmp_path):
    reason = _gate(
        tmp_path,
        {"xlsx": ("r.xlsx", _workbook(("area", "n"), ("Lozells", 40), ("jo\uff20x.org", 1)))},
    )
    assert reason is not None and "email" in reason and "spreadsheet" in reason
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_workbook(("area",), ("Lozells",))))
    book.properties.creator = "Amira Khatun"
    out = io.BytesIO()
    book.save(out)
    assert "Amira Khatun" in spreadsheet_text(out.getvalue())
    assert _gate(tmp_path, {"xlsx": ("s.xlsx", out.getvalue())}) is not None


def test_a_matrix_of_small_counts_and_long_fractions_is_not_a_phone_number(tmp_path):
    """A co-occurrence table (rows of 0s and 1s) and shares stored in full precision read as
    numbers, cell by cell; a phone number typed into a cell is found."""
    matrix = [("Waiting times", 0, 0, 1, 0, 2, 1, 0, 0, 0, 0), ("Trust", 0.21333333333333335, 1)]
    assert (
        _gate(tmp_path, {"xlsx": ("m.xlsx", _workbook(("code",) + ("n",) * 10, *matrix))}) is None
    )
    for phone in ("07700 900123", "+44 7700 900123"):
        book = _workbook(("code", "note"), ("Waiting times", phone))
        reason = _gate(tmp_path, {"xlsx": ("p.xlsx", book)})
        assert reason is not None and "phone" in reason, phone


def test_a_pdf_that_cannot_be_read_is_held_back(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pypdf", None)  # as if pypdf were not installed
    reason = _gate(tmp_path, {"pdf": ("r.pdf", b"%PDF-1.4 not really")})
    assert reason == "held back: the PDF cannot be checked: pypdf is not installed"


def test_pdf_text_is_scanned(tmp_path):
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "Amira Khatun"})
    out = io.BytesIO()
    writer.write(out)
    assert "Amira Khatun" in pdf_text(out.getvalue())
    reason = _gate(tmp_path, {"pdf": ("r.pdf", out.getvalue())})
    assert reason == "held back: 1 personal-data finding (name) in the PDF"


def test_a_file_the_gate_cannot_read_is_held_back(tmp_path):
    reason = _gate(tmp_path, {"archive": ("r.zip", b"PK\x03\x04")})
    assert reason is not None and "cannot read" in reason


def test_a_csv_download_in_a_notebook_output_is_scanned(tmp_path):
    nb = {
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "source": "",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {"text/html": _csv_link("a\nLC0001234\n")},
                    }
                ],
            }
        ],
    }
    reason = _gate(tmp_path, {"notebook": ("r.ipynb", json.dumps(nb).encode())})
    assert reason is not None and "respondent-id" in reason


def test_the_index_is_scanned_and_cleaned(tmp_path):
    index = tmp_path / "index.html"
    index.write_text("<p>failed: ring 0121/496/0123 or Amira Khatun</p>", encoding="utf-8")
    found = scrub_published_page(index, ["Amira Khatun"])
    assert {f.kind for f in found} == {"phone", "name"}
    text = index.read_text(encoding="utf-8")
    assert "0121" not in text and "Amira" not in text and "[phone]" in text
    assert scrub_published_page(index, ["Amira Khatun"]) == []


def test_a_pdf_showing_a_machine_path_is_held_back(tmp_path):
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": f"read {tmp_path}/data/survey.csv"})
    out = io.BytesIO()
    writer.write(out)
    reason = _gate(tmp_path, {"pdf": ("r.pdf", out.getvalue())})
    assert reason == "held back: the PDF shows a machine path (it cannot be rewritten)"


def _pdf_with_link(url: str) -> bytes:
    import pypdf
    from pypdf.annotations import Link

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_annotation(0, Link(rect=(10, 10, 100, 30), url=url))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_linking_to_a_file_on_the_machine_is_held_back(tmp_path):
    reason = _gate(tmp_path, {"pdf": ("r.pdf", _pdf_with_link("file:///tmp/print/r.xlsx"))})
    assert reason == "held back: the PDF shows a machine path (it cannot be rewritten)"
    assert _gate(tmp_path, {"pdf": ("r.pdf", _pdf_with_link("r.xlsx"))}) is None


def test_printing_makes_the_pdfs_links_to_local_files_relative(tmp_path):
    from lozells_analysis.reports.gate import pdf_links
    from lozells_analysis.reports.pdf import relative_links

    printed = tmp_path / "print"
    pdf = tmp_path / "r.pdf"
    for url in (
        f"{printed.as_uri()}/r.xlsx",
        f"{tmp_path.as_uri()}/docs/statistics.md#weights",
        "https://www.peopleshealthtrust.org.uk/",
    ):
        pdf.write_bytes(_pdf_with_link(url))
        relative_links(pdf, printed)
        (link,) = pdf_links(pdf.read_bytes())
        assert str(tmp_path) not in link and not link.startswith("file:")
    unprinted = f"{printed.as_uri()}/r.xlsx"
    assert pdf_links(_pdf_with_link(unprinted)) == [unprinted]
    pdf.write_bytes(_pdf_with_link(f"{tmp_path.as_uri()}/docs/statistics.md#weights"))
    relative_links(pdf, printed)
    assert pdf_links(pdf.read_bytes()) == ["../docs/statistics.md#weights"]
