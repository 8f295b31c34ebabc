"""SCB population client: PxWeb answers in SCB's exact shapes, served on loopback."""

from __future__ import annotations

import copy
import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from recorded_api import SCB_DATA, SCB_PREFIX, Answer, RecordedAPI, closed_port_url

from fouanalys import config
from fouanalys.cli import main
from fouanalys.exceptions import FetchError
from fouanalys.ingest.fetch.client import ApiClient
from fouanalys.ingest.fetch.scb import (
    TABLE,
    build_query,
    fetch_befolkning,
    parse_jsonstat2,
    parse_table_metadata,
    read_befolkning,
    split_queries,
    update_befolkning,
    write_befolkning,
)

DATA = json.loads((SCB_DATA / "data.json").read_text(encoding="utf-8"))
META = json.loads((SCB_DATA / "metadata.json").read_text(encoding="utf-8"))
PATH = f"{SCB_PREFIX}/{TABLE}"
QUERY = json.loads((SCB_DATA / "index.json").read_text(encoding="utf-8"))[1]["query"]
EIGHT = ["0114", "0123", "0125", "0139", "0163", "0183", "0184", "0191"]


def _record_module():
    spec = importlib.util.spec_from_file_location("scb_record", SCB_DATA / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def api():
    with RecordedAPI() as server:
        server.load(SCB_DATA)
        yield server


@pytest.fixture
def base(api) -> str:
    return api.url + SCB_PREFIX


def client(**kw) -> ApiClient:
    kw.setdefault("backoff_factor", 0)
    kw.setdefault("retries", 2)
    return ApiClient("SCB", **kw)


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    """The population the recorded answer was built from, read independently."""
    frame = pd.read_csv(config.EXAMPLE_DATA_DIR / "befolkning.csv", dtype={"kommunkod": str})
    frame = frame.sort_values(["kommunkod", "ar", "alder", "kon"]).reset_index(drop=True)
    return frame[["kommunkod", "ar", "alder", "kon", "antal"]]


def assert_same(frame: pd.DataFrame, source: pd.DataFrame) -> None:
    assert list(frame.columns) == ["kommunkod", "ar", "alder", "kon", "antal"]
    pd.testing.assert_frame_equal(
        frame.reset_index(drop=True), source, check_dtype=False, check_exact=True
    )


# --- json-stat2 ------------------------------------------------------------------------------


def test_parse_jsonstat2_dict_index(source):
    frame = parse_jsonstat2(DATA, "u")
    assert list(frame.columns) == ["Region", "Alder", "Kon", "ContentsCode", "Tid", "value"]
    assert len(frame) == 8 * 26 * 2 * 7
    # row-major, last dimension fastest
    assert frame.iloc[:2][["Region", "Alder", "Kon", "Tid"]].values.tolist() == [
        ["0114", "0", "1", "2018"],
        ["0114", "0", "1", "2019"],
    ]
    kon = frame["Kon"].map({"1": "Pojke", "2": "Flicka"})
    mine = pd.DataFrame(
        {
            "kommunkod": frame["Region"],
            "ar": frame["Tid"].astype(int),
            "alder": frame["Alder"].astype(int),
            "kon": kon,
        }
    )
    merged = source.merge(mine.assign(value=frame["value"]), on=["kommunkod", "ar", "alder", "kon"])
    assert len(merged) == len(source)
    assert np.array_equal(merged["antal"].to_numpy(float), merged["value"].to_numpy())


def test_parse_jsonstat2_list_index_and_sparse_values_give_the_same():
    expected = parse_jsonstat2(DATA, "u")
    listed = copy.deepcopy(DATA)
    for dim in listed["dimension"].values():
        index = dim["category"]["index"]
        dim["category"]["index"] = sorted(index, key=index.get)
    pd.testing.assert_frame_equal(parse_jsonstat2(listed, "u"), expected)
    sparse = copy.deepcopy(DATA)
    sparse["value"] = {str(i): v for i, v in enumerate(DATA["value"]) if i % 3}
    parsed = parse_jsonstat2(sparse, "u")
    assert parsed["value"].isna().sum() == len(DATA["value"]) - len(sparse["value"])
    kept = parsed["value"].notna()
    assert parsed["value"][kept].equals(expected["value"][kept])


def test_parse_jsonstat2_single_category_without_index():
    one = copy.deepcopy(DATA)
    del one["dimension"]["ContentsCode"]["category"]["index"]
    assert set(parse_jsonstat2(one, "u")["ContentsCode"]) == {"BE0101N1"}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.pop("value"), "'value'"),
        (lambda d: d.pop("dimension"), "'dimension'"),
        (lambda d: d["size"].__setitem__(0, 9), "'size' säger 9"),
        (lambda d: d["value"].pop(), "tabellen 2912 celler"),
        (lambda d: d["value"].__setitem__(3, "12"), "inte är ett tal"),
        (lambda d: d["dimension"].pop("Kon"), "'Kon' saknas"),
    ],
)
def test_parse_jsonstat2_rejects_broken_answers(change, words):
    broken = copy.deepcopy(DATA)
    change(broken)
    with pytest.raises(FetchError) as exc:
        parse_jsonstat2(broken, "http://scb/x")
    assert words in str(exc.value) and "http://scb/x" in str(exc.value)


def test_parse_metadata_needs_the_variables():
    meta = parse_table_metadata(META, "u")
    assert meta["Kon"].texts == ("män", "kvinnor") and meta["Tid"].time
    broken = copy.deepcopy(META)
    broken["variables"] = [v for v in broken["variables"] if v["code"] != "Tid"]
    with pytest.raises(FetchError) as exc:
        parse_table_metadata(broken, "http://scb/m")
    assert "'Tid'" in str(exc.value) and "http://scb/m" in str(exc.value)


# --- queries ---------------------------------------------------------------------------------


def test_split_queries_respects_the_cell_limit():
    years = [str(y) for y in range(2000, 2025)]
    parts = split_queries(EIGHT, years, 52, max_cells=1000)
    assert all(len(r) * len(y) * 52 <= 1000 for r, y in parts)
    assert [y for _, ys in parts for y in ys] == years and all(r == EIGHT for r, _ in parts)
    parts = split_queries(EIGHT, years[:2], 52, max_cells=200)  # one year alone is too big
    assert all(len(r) * len(y) * 52 <= 200 for r, y in parts)
    assert sorted((c, y) for r, ys in parts for c in r for y in ys) == sorted(
        (c, y) for c in EIGHT for y in years[:2]
    )
    with pytest.raises(FetchError):
        split_queries(EIGHT, years, 52, max_cells=10)


def test_query_is_the_documented_pxweb_query():
    query = build_query(["0114"], ["0", "1"], ["1", "2"], ["2024"])
    codes = [q["code"] for q in query["query"]]
    assert codes == ["Region", "Alder", "Kon", "ContentsCode", "Tid"]  # no Civilstand: summed
    assert query["query"][0]["selection"] == {"filter": "vs:RegionKommun07", "values": ["0114"]}
    assert query["query"][3]["selection"]["values"] == ["BE0101N1"]
    assert query["response"] == {"format": "json-stat2"}


# --- fetching --------------------------------------------------------------------------------


def test_fetch_reproduces_the_source_with_codebook_sexes(api, base, source):
    frame = fetch_befolkning(base_url=base, client=client())
    assert_same(frame, source)
    assert set(frame["kon"]) == {"Pojke", "Flicka"}
    assert [r.method for r in api.requests] == ["GET", "POST"]
    # defaults: the codebook's municipalities, ages 0-25, first survey year to latest in table
    ages, years = [str(a) for a in range(26)], [str(y) for y in range(2018, 2025)]
    assert api.requests[1].json() == _record_module().query(EIGHT, ages, years)


def test_query_split_by_years_under_a_cell_limit(api, base, source):
    record = _record_module()
    population = record.read_population()

    def answer(request):
        query = {q["code"]: q["selection"]["values"] for q in request.json()["query"]}
        return Answer.json(
            record.jsonstat2(population, query["Region"], query["Alder"], query["Tid"])
        )

    api.routes = {k: v for k, v in api.routes.items() if k[0] == "GET"}
    api.handle(PATH, answer)
    frame = fetch_befolkning(base_url=base, client=client(), max_cells=1000)
    posts = [r.json() for r in api.requests if r.method == "POST"]
    assert len(posts) == 4  # 416 cells a year: two years per query
    for post in posts:
        sizes = [len(q["selection"]["values"]) for q in post["query"]]
        assert np.prod(sizes) <= 1000
    assert_same(frame, source)


def test_null_value_names_the_cell_and_nothing_is_written(api, base, tmp_path):
    existing = tmp_path / "befolkning.csv"
    existing.write_bytes(b"kommunkod,ar,alder,kon,antal\n0114,2017,0,Pojke,300\n")
    broken = copy.deepcopy(DATA)
    broken["value"][1] = None  # Region 0114, Alder 0, Kon 1, Tid 2019
    api.add("POST", PATH, Answer.json(broken), query=QUERY)
    with pytest.raises(FetchError) as exc:
        update_befolkning(tmp_path, base_url=base, client=client())
    message = str(exc.value)
    assert "region 0114, ålder 0, kön 1, år 2019" in message and PATH in message
    assert existing.read_bytes() == b"kommunkod,ar,alder,kon,antal\n0114,2017,0,Pojke,300\n"


def test_unknown_municipality_names_the_code(api, base):
    with pytest.raises(FetchError) as exc:
        fetch_befolkning(["0114", "9999"], base_url=base, client=client())
    assert "9999" in str(exc.value) and "SCB känner inte till" in str(exc.value)
    assert api.count(method="POST") == 0


def test_municipality_outside_the_codebook_is_refused(api, base):
    with pytest.raises(FetchError) as exc:
        fetch_befolkning(["0180"], base_url=base, client=client())
    assert "0180 Stockholm" in str(exc.value) and "kodboken" in str(exc.value)


def test_names_resolve_through_the_codebook(api, base, source):
    record = _record_module()
    ages = [str(a) for a in range(26)]
    query = record.query(["0123"], ages, ["2024"])
    answer = record.jsonstat2(record.read_population(), ["0123"], ages, ["2024"])
    api.add("POST", PATH, Answer.json(answer), query=query)
    frame = fetch_befolkning(["Järfälla"], (2024, 2024), base_url=base, client=client())
    want = source[(source["kommunkod"] == "0123") & (source["ar"] == 2024)]
    assert_same(frame, want.reset_index(drop=True))


def test_year_not_in_the_table(api, base):
    with pytest.raises(FetchError) as exc:
        fetch_befolkning(years=(2024, 2026), base_url=base, client=client())
    assert "2025, 2026" in str(exc.value) and "1968–2024" in str(exc.value)


def test_offline_is_a_plain_error():
    url = closed_port_url()
    with pytest.raises(FetchError) as exc:
        fetch_befolkning(base_url=url, client=client(retries=0))
    assert f"Kunde inte nå SCB på {url}/{TABLE}" in str(exc.value)


# --- writing ---------------------------------------------------------------------------------


def test_merge_replaces_fetched_years_and_keeps_others(api, base, tmp_path, source):
    existing = tmp_path / "befolkning.csv"
    existing.write_text(
        "kommunkod;ar;alder;kon;antal\r\n"  # the Swedish spreadsheet dialect, names and aliases
        "Järfälla;2017;3;kvinnor;310\r\n"
        "0114;2018;0;Pojke;1\r\n",
        encoding="cp1252",
    )
    summary = update_befolkning(tmp_path, base_url=base, client=client())
    assert (summary.rows, summary.new, summary.changed, summary.unchanged) == (2913, 2911, 1, 0)
    frame = read_befolkning(existing)
    old = frame[frame["ar"] == 2017]
    assert old.values.tolist() == [["0123", 2017, 3, "Flicka", 310]]
    assert_same(frame[frame["ar"] > 2017], source)
    assert existing.read_bytes().startswith(b"kommunkod,ar,alder,kon,antal\n0114,2018,0,Flicka,")


def test_befolkning_in_another_format_is_refused(api, base, tmp_path):
    (tmp_path / "befolkning.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(FetchError) as exc:
        update_befolkning(tmp_path, base_url=base, client=client())
    assert "befolkning.xlsx" in str(exc.value) and api.count() == 0
    assert not (tmp_path / "befolkning.csv").exists()


def test_write_refuses_the_synthetic_example(source):
    before = (config.EXAMPLE_DATA_DIR / "befolkning.csv").read_bytes()
    with pytest.raises(FetchError) as exc:
        write_befolkning(source, config.EXAMPLE_DATA_DIR)
    assert "syntetiska data" in str(exc.value)
    assert (config.EXAMPLE_DATA_DIR / "befolkning.csv").read_bytes() == before


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "FETCH_CACHE_DIR", tmp_path / "cache")
    monkeypatch.delenv(config.DATA_DIR_ENV, raising=False)


def test_cli_writes_befolkning(api, base, tmp_path, cli_env, capsys, source):
    folder = tmp_path / "underlag"
    assert main(["fetch", "befolkning", "--data-dir", str(folder), "--base-url", base]) == 0
    out = capsys.readouterr()
    assert "befolkning.csv: 2912 rader (2912 nya" in out.out and "Traceback" not in out.err
    back = pd.read_csv(folder / "befolkning.csv", dtype={"kommunkod": str})
    assert_same(back, source)


def test_cli_unknown_municipality_exits_1(api, base, tmp_path, cli_env, capsys):
    argv = ["fetch", "befolkning", "-m", "9999", "--data-dir", str(tmp_path), "--base-url", base]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "9999" in err and "Traceback" not in err
    assert not (tmp_path / "befolkning.csv").exists()


def test_cli_bad_years_exits_2(tmp_path, cli_env, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fetch", "befolkning", "--years", "förra året", "--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    assert "--years" in capsys.readouterr().err
