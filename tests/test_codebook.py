"""The codebook loads, is consistent, refers to real survey items, and rejects bad YAML."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from fouanalys.codebook import load_codebook, normalize_key
from fouanalys.config import codebook_path
from fouanalys.exceptions import CodebookError, UnknownMunicipalityError


def test_eight_municipalities_with_scb_codes(codebook):
    assert codebook.labels("municipalities") == {
        "0114": "Upplands Väsby",
        "0123": "Järfälla",
        "0125": "Ekerö",
        "0139": "Upplands-Bro",
        "0163": "Sollentuna",
        "0183": "Sundbyberg",
        "0184": "Solna",
        "0191": "Sigtuna",
    }
    assert codebook.region.code not in codebook.municipality_codes


def test_required_indices_exist(codebook):
    domains = {(i.domain, i.kind) for i in codebook.indices}
    for domain in ("individ", "kamrater_fritid", "familj", "skola", "narsamhalle"):
        assert (domain, "risk") in domains
    assert any(i.kind == "protective" for i in codebook.indices)
    assert any(i.kind == "outcome" for i in codebook.indices)


def test_items_are_real_stockholmsenkaten_ids_without_copied_wordings(codebook, shared_data):
    with open(shared_data / "stockholmsenkaten" / "items.csv", encoding="utf-8") as fh:
        wordings = {row["itemnr"]: row["item"] for row in csv.DictReader(fh)}
    for index in codebook.indices:
        for item in index.items:
            assert item.id in wordings, f"{index.id}: {item.id} is not a survey item"
            assert item.label != wordings[item.id], f"{item.id}: label copies the wording"


def test_life_stages_cover_0_to_25_without_gaps(codebook):
    stages = sorted(codebook.life_stages, key=lambda s: s.age_from)
    assert stages[0].age_from == 0 and stages[-1].age_to == 25
    assert [s.id for s in stages] == ["0-5", "6-12", "13-15", "16-18", "19-25"]


def test_push_pull_factors_are_the_decks_25_with_a_classification(codebook):
    assert len(codebook.push_pull) == 25
    assert {p.kind for p in codebook.push_pull} == {"push", "pull"}
    assert "Tillhörighet" in {p.label for p in codebook.push_pull}


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Järfälla", "0123"),
        ("jarfalla", "0123"),
        ("123", "0123"),
        ("0114", "0114"),
        (" upplands-bro ", "0139"),
        ("UPPLANDS VÄSBY", "0114"),
    ],
)
def test_resolve_municipality(codebook, spelling, code):
    assert codebook.resolve_municipality(spelling) == code


def test_unknown_municipality_lists_the_known_ones(codebook):
    with pytest.raises(UnknownMunicipalityError, match="Okänd kommun 'Uppsala'.*0123 Järfälla"):
        codebook.resolve_municipality("Uppsala")


def test_normalize_key_folds_case_spaces_and_swedish_letters():
    assert normalize_key("  Ålder Från ") == "alder_fran"
    assert normalize_key("KÖN") == "kon"
    assert normalize_key("nivå") == "niva"


def _index(data: dict, index_id: str) -> dict:
    return next(i for i in data["indices"] if i["id"] == index_id)


def _move_stage(data: dict, stage_id: str, age_from: int) -> None:
    """Start a life stage at another age, renaming it everywhere it is referred to."""
    stage = next(s for s in data["life_stages"] if s["id"] == stage_id)
    new_id = f"{age_from}-{stage['age_to']}"
    stage.update(age_from=age_from, id=new_id)
    for index in data["indices"]:
        index["stages"] = [new_id if s == stage_id else s for s in index["stages"]]


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def raw_codebook() -> dict:
    return yaml.safe_load(codebook_path().read_text(encoding="utf-8"))


def test_malformed_yaml_names_the_file(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text("municipalities: [unclosed\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="inte giltig YAML"):
        load_codebook(path)


def test_missing_codebook(tmp_path):
    with pytest.raises(CodebookError, match="saknas"):
        load_codebook(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["municipalities"].append({"code": "123", "name": "X"}), "municipalities"),
        (lambda d: d["indices"][0].update(kind="maybe"), "indices.0.kind"),
        (lambda d: d["indices"][0].update(min_answered=99), "min_answered"),
        (lambda d: d["indices"][0].update(domain="rymden"), "unknown domain"),
        (lambda d: d["indices"][0].update(stages=["7-9"]), "unknown life stages"),
        (lambda d: d["indices"][1].update(cut_point=3.5), "cut_point"),
        (lambda d: d["indices"][0].update(cut_points=[0.9, 0.4]), "two increasing"),
        (lambda d: d["indices"][0]["items"][0].update(categories=[3, 2, 2, 0]), "every category"),
        (lambda d: d["indices"][0]["items"][0].update(thresholds=[0.1, 0.2]), "every category"),
        (lambda d: d["indices"][0]["items"][0].update(scale="kvallar"), "has 5 answers"),
        (lambda d: d["indices"][1]["items"][0].update(scale="okand"), "unknown scale"),
        (lambda d: d.pop("rasch_source"), "needs rasch_source"),
        (lambda d: _move_stage(d, "13-15", 14), "gap or overlap"),
        (lambda d: d["levels"].append(d["levels"][0]), "duplicate ids"),
        (lambda d: d.pop("survey"), "survey"),
        (lambda d: _index(d, "kriminalitet").pop("item_threshold"), "item_threshold"),
        (lambda d: d["kolada_kpis"][0].update(unit="promille"), "unknown unit 'promille'"),
        (lambda d: d["kolada_kpis"][0].update(plausible=[5, 150]), "does not lie within"),
        (lambda d: d["kolada_kpis"][0].update(id="15428"), "kolada_kpis.0.id"),
        (lambda d: d["kolada_kpis"].append(d["kolada_kpis"][0]), "duplicate ids"),
        (
            lambda d: d["unserious"]["straight_lining"].update(min_answered=40),
            "asks for 40 items, but the codebook scores only 39 items of scale 'instammer'",
        ),
        (lambda d: d["unserious"]["straight_lining"].update(codes=[1, 5]), r"codes \[5\]"),
        (lambda d: d["unserious"]["implausible_offending"].update(code=6), "1–5"),
        (lambda d: d["unserious"]["implausible_offending"].update(scale="okand"), "unknown scale"),
        (lambda d: d["unserious"]["straight_lining"].update(min_answered=1), "min_answered"),
    ],
)
def test_inconsistent_codebook_is_rejected_with_the_place(tmp_path, raw_codebook, mutate, message):
    mutate(raw_codebook)
    with pytest.raises(CodebookError, match=message):
        load_codebook(_write(tmp_path, raw_codebook))


def test_a_new_index_is_a_yaml_change(tmp_path, raw_codebook):
    new = dict(raw_codebook["indices"][0], id="ny_faktor", label="Ny faktor")
    raw_codebook["indices"].append(new)
    assert "ny_faktor" in load_codebook(_write(tmp_path, raw_codebook)).ids("indices")


def test_kolada_kpis_carry_kolada_titles_verbatim(codebook, shared_data):
    with open(shared_data / "kolada" / "kpi_selected.csv", encoding="utf-8") as fh:
        titles = {row["id"]: row["title"] for row in csv.DictReader(fh)}
    assert codebook.kolada_kpis
    for kpi in codebook.kolada_kpis:
        assert kpi.title == titles[kpi.id], kpi.id
        unit = codebook.kolada_unit(kpi.unit)
        if "andel (%)" in kpi.title:
            assert unit.id == "procent", kpi.id


def test_kolada_areas_are_the_municipalities_then_county_and_country(codebook):
    areas = codebook.kolada_areas()
    assert list(areas)[: len(codebook.municipalities)] == codebook.municipality_codes
    assert list(areas)[-2:] == ["0001", "0000"]
    assert areas["0000"] == "Riket"
