"""data/neighbourhoods.yaml: every area as its pack describes it, and errors that name the
file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lozells_analysis.data.codebook import load_codebook
from lozells_analysis.data.neighbourhoods import load_neighbourhoods
from lozells_analysis.exceptions import NeighbourhoodsError, ParameterError
from lozells_analysis.paths import data_dir

SHIPPED = data_dir() / "neighbourhoods.yaml"


def _raw() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "neighbourhoods.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_every_codebook_neighbourhood_has_an_entry_in_its_nation():
    hoods = load_neighbourhoods()
    cb = load_codebook()
    assert set(hoods.areas) == set(cb.neighbourhoods)
    for name, area in hoods.areas.items():
        assert area.nation == cb.neighbourhoods[name].nation
        assert area.local_authority and area.audience


def test_audience_is_the_commission_for_lozells_and_a_neutral_default_elsewhere():
    hoods = load_neighbourhoods()
    assert hoods.get("Lozells").audience == "Lozells Health Commission"
    assert {a.audience for n, a in hoods.areas.items() if n != "Lozells"} == {"local partners"}
    assert hoods.get("all").is_programme


def test_listening_events_cover_lozells_only_and_interviews_no_area():
    hoods = load_neighbourhoods()
    assert [n for n in hoods.areas if hoods.covers("listening_events", n)] == ["Lozells"]
    assert not any(hoods.covers("stakeholder_interviews", n) for n in hoods.areas)


def test_comparators_come_from_the_areas_own_nation():
    hoods = load_neighbourhoods()
    england = hoods.comparators_for("Hartcliffe", "change_area_run")
    assert {f.name for f in england} == {"England", "Similarly deprived areas in England"}
    assert {f.value for f in england} == {0.54, 0.51}  # data/benchmarks/benchmarks.csv
    scotland = hoods.comparators_for("Niddrie", "belong_neighbourhood")
    assert [(f.name, f.value, f.period) for f in scotland] == [("Scotland", 0.78, "2019")]
    assert scotland[0].url.startswith("https://www.gov.scot/")
    assert hoods.comparators_for("Govanhill", "change_area_run") == ()
    assert hoods.comparators_for("Rhyl West", "belong_neighbourhood") == ()
    assert "not used" in hoods.nation_comparators("Caia Park").note


def test_unknown_area_is_refused_with_the_names():
    with pytest.raises(ParameterError, match="'Lozels' is not a neighbourhood.*Lozells"):
        load_neighbourhoods().get("Lozels")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: r["neighbourhoods"][2].update(nation="Wales"),
            r"neighbourhoods\[2\] \(Hartcliffe\): nation 'Wales' differs",
        ),
        (
            lambda r: r["neighbourhoods"][1].pop("local_authority"),
            r"neighbourhoods\[1\] \(Anfield\): 'local_authority' is missing",
        ),
        (
            lambda r: r["neighbourhoods"][3].update(name="Clifton"),
            r"neighbourhoods\[3\] \(Clifton\): 'Clifton' is not a neighbourhood",
        ),
        (
            lambda r: r["neighbourhoods"][4].update(qualitative_sources=["diaries"]),
            r"neighbourhoods\[4\] \(Ore Valley\): qualitative source 'diaries' is not defined",
        ),
        (
            lambda r: r["neighbourhoods"].pop(),
            r"neighbourhoods: no entry for Caia Park",
        ),
        (
            lambda r: r["neighbourhoods"][0].update(colour="red"),
            r"neighbourhoods\[0\] \(Lozells\): unknown key\(s\) colour",
        ),
        (
            lambda r: r["comparators"]["Scotland"]["figures"][0].pop("url"),
            r"comparators.Scotland.figures\[0\]: a figure typed here needs the 'url'",
        ),
        (
            lambda r: r["comparators"]["England"]["figures"][0].update(period="1999"),
            r"comparators.England.figures\[0\]: no single row in data/benchmarks",
        ),
        (
            lambda r: r["comparators"].pop("Wales"),
            r"comparators: no entry for Wales",
        ),
        (
            lambda r: r["qualitative_sources"]["listening_events"].update(covers=["Govanhill"]),
            r"qualitative_sources.listening_events: covers Govanhill but Govanhill's entry",
        ),
    ],
)
def test_a_wrong_entry_is_named_with_the_file(tmp_path, edit, message):
    raw = _raw()
    edit(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(NeighbourhoodsError, match=message) as err:
        load_neighbourhoods(path)
    assert str(err.value).startswith(str(path))


def test_missing_file_says_what_it_is_for(tmp_path):
    with pytest.raises(NeighbourhoodsError, match="briefing packs need it"):
        load_neighbourhoods(tmp_path / "nowhere.yaml")
