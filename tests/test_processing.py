"""Processed tables are written whole or not at all, and the manifest describes them."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from fouanalys.codebook import load_codebook
from fouanalys.config import MANIFEST_FILE
from fouanalys.exceptions import FouanalysError
from fouanalys.ingest.catalog import sha256_file
from fouanalys.ingest.processing import (
    data_version,
    load_manifest,
    load_table,
    write_tables,
)

CB = load_codebook()


def _frames(value: int) -> dict[str, pd.DataFrame]:
    return {
        "insatser": pd.DataFrame({"kommunkod": ["0123", "0125"], "antal": [value, value + 1]}),
        "befolkning": pd.DataFrame({"kommunkod": ["0123"], "antal": [value * 10]}),
    }


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_write_tables_writes_tables_and_a_manifest_that_describes_them(tmp_path):
    manifest = {"data_version": "abc", "tables": {}}
    write_tables(_frames(1), tmp_path, manifest)
    on_disk = load_manifest(tmp_path)
    assert set(on_disk["tables"]) == {"insatser", "befolkning"}
    for name, meta in on_disk["tables"].items():
        path = tmp_path / meta["file"]
        assert meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert meta["rows"] == len(load_table(name, tmp_path))
    assert load_table("insatser", tmp_path)["antal"].tolist() == [1, 2]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]


def test_a_failure_midway_leaves_the_previous_tables_as_they_were(tmp_path, monkeypatch):
    write_tables(_frames(1), tmp_path, {"tables": {}})
    before = _snapshot(tmp_path)
    calls = {"n": 0}
    original = pd.DataFrame.to_parquet

    def failing_to_parquet(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing_to_parquet)
    with pytest.raises(OSError, match="disk full"):
        write_tables(_frames(2), tmp_path, {"tables": {}})
    assert _snapshot(tmp_path) == before
    assert load_table("insatser", tmp_path)["antal"].tolist() == [1, 2]


def test_a_table_no_longer_produced_is_removed(tmp_path):
    frames = _frames(1) | {"kolada": pd.DataFrame({"kpi": ["N15428"]})}
    write_tables(frames, tmp_path, {"tables": {}})
    write_tables(_frames(1), tmp_path, {"tables": {}})
    assert not (tmp_path / "kolada.parquet").exists()
    assert "kolada" not in json.loads((tmp_path / MANIFEST_FILE).read_text())["tables"]


def test_missing_processed_tables_say_what_to_run(tmp_path):
    with pytest.raises(FouanalysError, match="fouanalys build"):
        load_manifest(tmp_path)
    with pytest.raises(FouanalysError, match="enkat.parquet saknas"):
        load_table("enkat", tmp_path)


def test_data_version_changes_with_any_input_hash(tmp_path):
    a = {"enkat": {"sha256": "1"}, "insatser": {"sha256": "2"}}
    b = {"enkat": {"sha256": "1"}, "insatser": {"sha256": "3"}}
    assert data_version(a) != data_version(b)
    assert data_version(a) == data_version(dict(reversed(a.items())))
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    assert sha256_file(path) == hashlib.sha256(b"abc").hexdigest()


def test_narrowed_answers_are_int8_with_the_same_values():
    """While the tables are derived the survey's answers are Int8 (2 bytes a cell, not 9);
    the values, blanks and other columns are those of the typed survey."""
    from fouanalys.codebook import load_codebook
    from fouanalys.ingest.processing import narrow_answers

    cb = load_codebook()
    item, other = cb.survey_items()[:2]
    enkat = pd.DataFrame(
        {
            "ar": pd.array([2024, 2024, 2022], dtype="Int64"),
            item: pd.array([1, None, 4], dtype="Int64"),
            other: pd.array([1, 2, 300], dtype="Int64"),  # does not fit: left as it is
        }
    )
    narrowed = narrow_answers(enkat, cb)
    assert narrowed.dtypes.astype(str).tolist() == ["Int64", "Int8", "Int64"]
    pd.testing.assert_frame_equal(narrowed.astype(enkat.dtypes.to_dict()), enkat)


def test_a_table_read_for_one_municipality_is_its_rows_of_the_whole(tmp_path):
    """The survey's own rows, filtered as the file is read, equal the whole table's rows of
    that municipality (values and types; a new index); a table without municipalities says
    so, and a code with no rows gives an empty frame of the same columns."""
    import numpy as np

    rng = np.random.default_rng(0)
    codes = rng.choice(["0114", "0123", "0125"], size=500)
    enkat = pd.DataFrame(
        {
            "kommunkod": pd.Categorical(codes),
            "ar": pd.array(rng.choice([2022, 2024], size=500), dtype="Int64"),
            "f1": pd.array(rng.integers(0, 4, size=500), dtype="Int8"),
        }
    )
    frames = {"enkat": enkat, "kolada": pd.DataFrame({"kpi": ["N15428"], "varde": [1.5]})}
    write_tables(frames, tmp_path, {"tables": {}})
    whole = load_table("enkat", tmp_path)
    for code in ("0114", "0123", "0125"):
        own = load_table("enkat", tmp_path, municipality=code)
        expected = whole.loc[whole["kommunkod"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(own, expected)
        assert len(own) == (codes == code).sum() > 0
    none = load_table("enkat", tmp_path, municipality="0191")
    assert none.empty and list(none.columns) == list(whole.columns)
    with pytest.raises(FouanalysError, match="kolada.parquet har ingen kolumn med kommunkod"):
        load_table("kolada", tmp_path, municipality="0123")


def test_a_large_survey_is_stored_in_one_row_group_per_municipality(tmp_path):
    """Stored municipality by municipality, a large table gets a row group each (so one
    municipality's read skips the rest) and reads back unchanged, whole or in part; a table
    whose municipalities are interleaved keeps one group."""
    import numpy as np
    import pyarrow.parquet as pq

    from fouanalys.ingest.processing import ROW_GROUPS_FROM

    n = ROW_GROUPS_FROM + 2_000
    rng = np.random.default_rng(1)
    codes = np.repeat(["0114", "0123", "0125"], [n // 2, n // 4, n - n // 2 - n // 4])
    survey = pd.DataFrame(
        {
            "ar": pd.array(rng.choice([2022, 2024], size=n), dtype="Int64"),
            "kommunkod": codes,
            "kon": pd.Categorical(rng.choice(["Pojke", "Flicka"], size=n)),
            "f1": pd.array(rng.integers(0, 4, size=n), dtype="Int8"),
        }
    )
    mixed = survey.assign(kommunkod=rng.permutation(codes))
    write_tables({"enkat": survey, "elever": mixed}, tmp_path, {"tables": {}})
    assert pq.ParquetFile(tmp_path / "enkat.parquet").metadata.num_row_groups == 3
    assert pq.ParquetFile(tmp_path / "elever.parquet").metadata.num_row_groups == 1
    pd.testing.assert_frame_equal(load_table("enkat", tmp_path), survey)
    pd.testing.assert_frame_equal(load_table("elever", tmp_path), mixed)
    for code in ("0114", "0123", "0125"):
        for name, frame in (("enkat", survey), ("elever", mixed)):
            own = load_table(name, tmp_path, municipality=code)
            expected = frame.loc[frame["kommunkod"] == code].reset_index(drop=True)
            pd.testing.assert_frame_equal(own, expected)


def test_a_table_read_with_its_reference_areas_adds_the_region_county_and_country(tmp_path):
    """``reference=True`` adds the rows of the region (survey tables, ``municipality_code``)
    and of the county and the country (Kolada, ``municipality_id``), never another
    municipality's."""
    region, county, country = CB.reference_codes
    associations = pd.DataFrame(
        {"municipality_code": ["0114", region, "0123", region], "rr": [1.0, 2.0, 3.0, 4.0]}
    )
    kolada = pd.DataFrame(
        {"municipality_id": ["0123", county, "0114", country, "0123"], "value": [1, 2, 3, 4, 5]}
    )
    write_tables({"associations": associations, "kolada": kolada}, tmp_path, {"tables": {}})
    own = load_table("associations", tmp_path, municipality="0123")
    assert own["rr"].tolist() == [3.0]
    with_region = load_table("associations", tmp_path, municipality="0123", reference=True)
    assert with_region["municipality_code"].tolist() == [region, "0123", region]
    assert with_region["rr"].tolist() == [2.0, 3.0, 4.0]
    areas = load_table("kolada", tmp_path, municipality="0123", reference=True)
    assert areas["value"].tolist() == [1, 2, 4, 5]
