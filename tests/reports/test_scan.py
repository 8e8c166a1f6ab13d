"""lozells_analysis.reports.scan: what the disclosure and personal-data scan catches, and what it
lets through (the numbers and codes every report legitimately shows)."""

from __future__ import annotations

import pandas as pd
import pytest

from lozells_analysis import paths
from lozells_analysis.data.synthetic import PLANTED_NAMES, write_synthetic
from lozells_analysis.present import tables
from lozells_analysis.reports.scan import Finding, main, scan_folder, scan_html, scan_report


@pytest.fixture(autouse=True)
def _redaction_lists(tmp_path, monkeypatch):
    """The default redaction lists, in a temporary data folder: the synthetic data's (the
    planted names) and none from a data owner. data/synthetic/ is generated, so the tests do
    not rely on the checkout's copy being up to date."""
    lists = [tmp_path / "data" / "raw" / "redaction_list.txt"]
    lists.append(tmp_path / "data" / "synthetic" / "redaction_list.txt")
    lists[1].parent.mkdir(parents=True)
    lists[1].write_text("# planted\n" + "\n".join(PLANTED_NAMES) + "\n", encoding="utf-8")
    monkeypatch.setattr(paths, "redaction_list_paths", lambda: lists)
    return lists


def kinds(page: str, **kw) -> list[str]:
    return [f.kind for f in scan_html(page, **kw)]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Respondent LC0001234 said", "respondent-id"),
        ("write to amira.k+lc@example.org.uk today", "email"),
        ("ring 07700 900123 after six", "phone"),
        ("ring 07700900123", "phone"),
        ("ring +44 7700 900123", "phone"),
        ("ring +44 (0)121 496 0000", "phone"),
        ("the office on 0121 496 0000", "phone"),
        ("London 020 7946 0958", "phone"),
        ("Leeds (0113) 496 0000", "phone"),
        ("I live at B19 4AB, near the park", "postcode"),
        ("moved to B6 7EZ", "postcode"),
        ("SW1A 1AA is famous", "postcode"),
        ("ask for Dr Halloran", "name"),
        *[(f"I told {name} about it", "name") for name in PLANTED_NAMES],
    ],
)
def test_personal_data_is_found_in_text(text, kind):
    assert kinds(f"<p>{text}</p>") == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "W1 2016 62% (46% to 76%); W6 2019 71%",
        "2,852 survey responses from 13 neighbourhoods",
        "Git commit 0213456789abcdef0213456789abcdef; Python 3.11.7; pandas 2.2.0",
        "p = 0.0123; odds ratio 1.07 (0.98 to 1.17)",
        "Interviews 2019-10-01 to 2019-11-30",
        "Wards: B19 and B6 (postcode districts only)",
        "Redacted: [name] on [phone], [email], [postcode]",
        "n=254 respondents; based on 1,204 responses",
        "Cells resting on fewer than 10 responses are suppressed",
        "a score from 0 to 10, where 10 is completely",
        "Effective sample size 230; design effect 1.10",
        "Amira (a first name alone) and Khatun",
        "LC00012345678 is not an id of this survey",
    ],
)
def test_what_every_report_shows_is_not_flagged(text):
    assert scan_html(f"<p>{text}</p>") == []


def test_matched_values_are_masked_in_findings():
    [finding] = scan_html("<p>ring 07700 900123</p>")
    assert "07700 900123" not in str(finding) and finding.value.startswith("07")


def test_alt_and_title_text_are_scanned_but_scripts_and_styles_are_not():
    page = (
        '<img alt="Chart; quote from Grace Okafor" src="data:,"><span title="B19 4AB">'
        "x</span><script>var e = 'x@example.org';</script><style>/* LC0000001 */</style>"
    )
    found = scan_html(page)
    assert [(f.kind, f.where) for f in found] == [
        ("name", "<img alt>"),
        ("postcode", "<span title>"),
    ]


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("Wave 1 (n=4)", True),
        ("n = 9", True),
        ("based on 3 respondents", True),
        ("7 responses in wave 2", True),
        ("n=10", False),
        ("n=0", False),
        ("fewer than 5 respondents", False),
        ("at least 3 people", False),
    ],
)
def test_small_counts_in_text(text, flagged):
    assert kinds(f"<p>{text}</p>") == (["small-count"] if flagged else [])


def test_small_counts_in_code_cells_are_arguments_not_disclosures():
    page = (
        '<div class="jp-InputArea jp-Cell-inputArea"><pre>quotes(events, n=3)\n'
        "contact = 'jo@example.org'</pre></div>"
        '<div class="jp-OutputArea-output"><pre>n=3</pre></div>'
    )
    found = scan_html(page)
    assert [(f.kind, f.value) for f in found] == [
        ("email", "jo…rg (14 chars)"),
        ("small-count", "n=3"),
    ]


def count_table(values: list[int], column: str = "n", caption: str | None = None) -> str:
    frame = pd.DataFrame(
        {
            "Ward": [f"Ward {i}" for i in range(len(values))],
            column: values,
            "Share": ["50%"] * len(values),
        }
    )
    return str(tables.to_html(frame.set_index("Ward"), caption=caption))


@pytest.mark.parametrize(
    "column",
    [
        "n",
        "Respondents",
        "Responses",
        "count",
        "Number of respondents",
        "Respondents answering every item",
    ],
)
def test_a_count_column_below_min_n_is_flagged(column):
    found = scan_html(count_table([120, 4, 35], column))
    assert [(f.kind, f.value) for f in found] == [("small-count", "4")]
    assert column in found[0].where or repr(column) in found[0].where


def test_count_columns_follow_min_n():
    page = count_table([12, 15], "Respondents")
    assert scan_html(page, min_n=10) == []
    assert [f.value for f in scan_html(page, min_n=13)] == ["12"]
    with pytest.raises(ValueError):
        scan_html(page, min_n=0)


def test_a_table_of_counts_is_known_by_its_caption_or_its_lead_in():
    frame = pd.DataFrame(
        {"W1": [46, 3], "W2": [31, 12]}, index=pd.Index(["Lozells", "Aston"], name="neighbourhood")
    )
    by_caption = str(tables.to_html(frame, caption="Responses by neighbourhood and wave"))
    assert [f.value for f in scan_html(by_caption)] == ["3"]
    lead_in = "<p>Number of responses in each neighbourhood and wave.</p>" + str(
        tables.to_html(frame, caption="Lozells, waves 1-6")
    )
    assert [f.value for f in scan_html(lead_in)] == ["3"]
    estimates = "<p>Share who agree.</p>" + str(tables.to_html(frame, caption="Agree (%)"))
    assert scan_html(estimates) == []


def test_suppressed_and_estimate_cells_are_not_counts():
    frame = pd.DataFrame({"Respondents": ["suppressed", "-", "82% (79% to 85%)", "1.5"]})
    assert scan_html(str(tables.to_html(frame))) == []


def test_respondent_level_tables_are_flagged():
    ids = pd.DataFrame({"respondent_id": ["X1", "X2"], "wave": [1, 2]})
    assert kinds(str(tables.to_html(ids, index=False))) == ["respondent-column"]
    long = pd.DataFrame({"wave": range(300)})
    assert kinds(str(tables.to_html(long, index=False)), max_rows=100) == [
        "respondent-level-table"
    ]
    assert kinds(str(tables.to_html(long, index=False))) == []


def test_scan_report_names_the_file_and_scan_folder_reads_every_report(tmp_path):
    (tmp_path / "a.research.html").write_text("<p>LC1234567</p>", encoding="utf-8")
    (tmp_path / "b.briefing.html").write_text("<p>clean</p>", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("LC7654321", encoding="utf-8")
    [finding] = scan_report(tmp_path / "a.research.html")
    assert finding == Finding("respondent-id", "text", "LC…67 (9 chars)", "a.research.html")
    assert scan_folder(tmp_path) == [finding]


def test_the_command_line_exits_1_on_findings(tmp_path, capsys):
    (tmp_path / "a.html").write_text("<p>Amira Khatun</p>", encoding="utf-8")
    assert main([str(tmp_path)]) == 1
    assert "a.html: name in text" in capsys.readouterr().out
    (tmp_path / "a.html").write_text("<p>clean</p>", encoding="utf-8")
    assert main([str(tmp_path / "a.html"), "--min-n", "5"]) == 0


def test_the_scan_finds_a_planted_name_through_the_generators_redaction_list(
    tmp_path, monkeypatch
):
    out = tmp_path / "synthetic"
    written = write_synthetic(out, n=200, seed=3)
    monkeypatch.setattr(
        paths, "redaction_list_paths", lambda: [tmp_path / "raw.txt", written["redaction_list"]]
    )
    assert [(f.kind, f.value) for f in scan_html("<p>I told Shazia Begum about it</p>")] == [
        ("name", "Sh…um (12 chars)")
    ]
    written["redaction_list"].unlink()
    assert scan_html("<p>I told Shazia Begum about it</p>") == []


def test_the_data_owners_redaction_list_is_read_too(_redaction_lists):
    owner = _redaction_lists[0]
    owner.parent.mkdir(parents=True)
    owner.write_text("# real names: never commit this file\nJoan Rivers-Smith\n", encoding="utf-8")
    assert kinds("<p>Joan Rivers-Smith and Amira Khatun came</p>") == ["name", "name"]
    assert kinds("<p>Joan Rivers-Smith</p>", names=[]) == []


def test_the_command_line_reads_another_redaction_list(tmp_path, capsys):
    (tmp_path / "a.html").write_text("<p>Joan Rivers-Smith</p>", encoding="utf-8")
    assert main([str(tmp_path / "a.html")]) == 0
    listing = tmp_path / "names.txt"
    listing.write_text("Joan Rivers-Smith\n", encoding="utf-8")
    assert main([str(tmp_path / "a.html"), "--redaction-list", str(listing)]) == 1
    assert "a.html: name in text" in capsys.readouterr().out
