"""Kolada client: recorded answers built from the real extract, never the network."""

from __future__ import annotations

import copy
import gzip
import importlib.util
import json
import logging
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from recorded_api import (
    KOLADA_DATA,
    KOLADA_PREFIX,
    Answer,
    RecordedAPI,
    closed_port_url,
    kolada_metadata,
)

from fouanalys import config
from fouanalys.cli import main
from fouanalys.exceptions import FetchError
from fouanalys.ingest.fetch.client import ApiClient, ResponseCache
from fouanalys.ingest.fetch.kolada import (
    COLUMNS,
    data_urls,
    default_years,
    fetch_kolada,
    parse_kolada_page,
    read_kolada,
    resolve_areas,
    resolve_kpis,
    update_kolada,
    write_kolada,
)

ROOT = Path(__file__).resolve().parents[1]
EXTRACT = ROOT.parent / "shared" / "data" / "kolada" / "kolada_fou_nordvast_2010-2024.csv"
INDEX = json.loads((KOLADA_DATA / "index.json").read_text(encoding="utf-8"))
EIGHT = ["0114", "0123", "0125", "0139", "0163", "0183", "0184", "0191"]
ALL_KPIS = urlsplit(INDEX[0]["path"]).path.split("/")[4].split(",")  # the 23 recorded KPIs
YEARS = (2010, 2024)


def _record_module():
    spec = importlib.util.spec_from_file_location("kolada_record", KOLADA_DATA / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def api():
    with RecordedAPI() as server:
        server.load(KOLADA_DATA)
        server.handle(KOLADA_PREFIX + "/kpi/", kolada_metadata())
        server.handle(KOLADA_PREFIX + "/municipality/", kolada_metadata())
        yield server


@pytest.fixture
def base(api) -> str:
    return api.url + KOLADA_PREFIX


def client(**kw) -> ApiClient:
    kw.setdefault("backoff_factor", 0)
    kw.setdefault("retries", 2)
    return ApiClient("Kolada", **kw)


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    """The real extract, read independently of the client (pandas, round-trip floats)."""
    if not EXTRACT.is_file():
        pytest.skip(f"real Kolada extract not found at {EXTRACT}")
    frame = pd.read_csv(
        EXTRACT,
        dtype={"municipality_id": str, "kpi": str, "gender": str, "status": str},
        keep_default_na=False,
        na_values={"value": [""]},
    )
    frame = frame[list(COLUMNS)].sort_values(["kpi", "municipality_id", "year", "gender"])
    return frame.reset_index(drop=True)


def fetch_all(base: str, **kw) -> pd.DataFrame:
    kw.setdefault("client", client())
    return fetch_kolada(ALL_KPIS, EIGHT, YEARS, base, per_page=1000, **kw)


def assert_same_values(frame: pd.DataFrame, extract: pd.DataFrame) -> None:
    assert list(frame.columns) == list(COLUMNS)
    for col in ("kpi", "municipality_id", "gender", "status"):
        assert frame[col].tolist() == extract[col].tolist(), col
    assert frame["year"].tolist() == extract["year"].tolist()
    got, want = frame["value"].to_numpy(float), extract["value"].to_numpy(float)
    assert np.array_equal(got, want, equal_nan=True)  # exact, bit for bit
    assert np.array_equal(np.isnan(got), extract["status"].ne("").to_numpy())


# --- the real values -------------------------------------------------------------------------


def test_recorded_pages_reproduce_the_real_extract_exactly(api, base, extract):
    c = client()
    frame = fetch_all(base, client=c)
    assert len(frame) == 3832
    assert_same_values(frame, extract)
    assert frame["status"].value_counts().to_dict() == {"": 3792, "Missing": 27, "Privacy": 13}
    assert set(frame.loc[frame["status"] == "Privacy", "kpi"]) <= {"N09805", "N09811", "N09890"}
    # metadata twice, then three data pages, following next_page
    data = [r.path for r in api.requests if r.path.startswith("/v2/data/")]
    assert data == [e["path"] for e in INDEX[:3]]
    assert "page=3" in data[2] and c.requests_sent == 5


def test_written_csv_reads_back_exactly(api, base, extract, tmp_path):
    path = write_kolada(fetch_all(base), tmp_path)
    assert path == tmp_path / "kolada.csv"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("kpi,municipality_id,year,gender,value,status\n")
    assert ",T,,Missing\n" in text and ";" not in text  # Kolada's status kept, blank value
    back = pd.read_csv(
        path,
        dtype={"municipality_id": str},
        keep_default_na=False,
        na_values={"value": [""]},
    )
    assert_same_values(back, extract)
    assert_same_values(read_kolada(path), extract)


def test_written_csv_passes_validation_beside_the_example(api, base, tmp_path):
    from fouanalys.ingest.validation import validate_data_dir

    for name in ("insatser.csv", "befolkning.csv"):
        shutil.copy(config.EXAMPLE_DATA_DIR / name, tmp_path / name)
    with gzip.open(config.EXAMPLE_DATA_DIR / "enkat.csv.gz", "rt", encoding="utf-8") as fh:
        head = [line for _, line in zip(range(400), fh, strict=False)]  # enough, and fast
    (tmp_path / "enkat.csv").write_text("".join(head), encoding="utf-8")
    write_kolada(fetch_all(base), tmp_path)
    report, frames = validate_data_dir(tmp_path, report_dir=tmp_path / "rapport")
    assert report.ok, [str(p) for p in report.problems]
    assert len(frames["kolada"]) == 3832
    assert frames["kolada"]["municipality_id"].str.len().eq(4).all()


# --- URLs and pages --------------------------------------------------------------------------


def test_data_urls_fit_and_cover_every_combination_once():
    kpis = [f"N{i:05d}" for i in range(60)]
    years = list(range(2010, 2025))
    urls = data_urls("https://api.kolada.se/v2", kpis, EIGHT, years, 5000, max_length=300)
    assert len(urls) > 1 and all(len(u) <= 300 for u in urls)
    seen = []
    for url in urls:
        parts = urlsplit(url).path.split("/")
        assert urlsplit(url).query == "per_page=5000"
        seen += [
            (k, m, int(y))
            for k in parts[4].split(",")
            for m in parts[6].split(",")
            for y in parts[8].split(",")
        ]
    assert len(seen) == len(set(seen)) == 60 * 8 * 15


def test_data_url_too_long_even_for_one_combination():
    with pytest.raises(FetchError) as exc:
        data_urls("https://api.kolada.se/v2", ["N15428"], ["0114"], [2024], max_length=40)
    assert "för lång" in str(exc.value)


def test_chunked_fetch_gives_the_same_values(api, base, extract):
    record = _record_module()
    rows = record.read_extract(EXTRACT)

    def data(request):  # Kolada's data route for any comma lists, one page
        parts = urlsplit(request.path).path.split("/")
        kpis, areas, years = parts[4].split(","), parts[6].split(","), parts[8].split(",")
        chosen = record.items(
            [
                r
                for r in rows
                if r["kpi"] in kpis and r["municipality_id"] in areas and r["year"] in years
            ]
        )
        return Answer.json({"values": chosen, "count": len(chosen)})

    api.routes.clear()
    api.handle(KOLADA_PREFIX + "/data/", data)
    frame = fetch_kolada(
        ALL_KPIS, EIGHT, YEARS, base, max_url_length=len(base) + 200, client=client()
    )
    data_requests = [r.path for r in api.requests if r.path.startswith("/v2/data/")]
    assert len(data_requests) > 2
    assert all(len(api.url + p) <= len(base) + 200 for p in data_requests)
    assert all(p.endswith("?per_page=5000") for p in data_requests)
    assert_same_values(frame, extract)


def page(values, **extra):
    return {"values": values, "count": len(values), **extra}


ITEM = {
    "kpi": "N09805",
    "municipality": "0114",
    "period": 2015,
    "values": [
        {"count": 1, "gender": "T", "status": "Privacy", "value": None},
        {"count": 1, "gender": "K", "status": "", "value": 12.5},
    ],
}


def test_parse_page_keeps_status_and_null():
    parsed = parse_kolada_page(page([ITEM], next_page="http://x/2"), "http://x/1")
    assert parsed.next_page == "http://x/2"
    (kpi, area, year, gender, value, status), second = parsed.rows
    assert (kpi, area, year, gender, status) == ("N09805", "0114", 2015, "T", "Privacy")
    assert np.isnan(value) and second[4] == 12.5 and second[5] == ""


@pytest.mark.parametrize("field", ["kpi", "municipality", "period", "values"])
def test_parse_page_item_missing_a_field(field):
    item = {k: v for k, v in ITEM.items() if k != field}
    with pytest.raises(FetchError) as exc:
        parse_kolada_page(page([ITEM, item]), "http://x/data?page=2")
    message = str(exc.value)
    assert "http://x/data?page=2" in message and "post 2 av 2" in message
    assert f"'{field}'" in message and "Kolada svarade oväntat" in message


@pytest.mark.parametrize("field", ["count", "gender", "status", "value"])
def test_parse_page_value_missing_a_field(field):
    item = copy.deepcopy(ITEM)
    del item["values"][1][field]
    with pytest.raises(FetchError) as exc:
        parse_kolada_page(page([item]), "http://x/d")
    assert "post 1 av 1" in str(exc.value) and "värde 2" in str(exc.value)
    assert f"'{field}'" in str(exc.value)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ([], "inte ett JSON-objekt"),
        ({"values": []}, "'count'"),
        ({"count": 0}, "'values'"),
        ({"values": [ITEM], "count": 2}, "'count' är 2"),
        (page([{**ITEM, "values": [{**ITEM["values"][0], "value": "12,5"}]}]), "inget tal"),
        (page([{**ITEM, "values": [{**ITEM["values"][0], "gender": "X"}]}]), "okänt kön"),
    ],
)
def test_parse_page_rejects_unexpected_shapes(payload, words):
    with pytest.raises(FetchError) as exc:
        parse_kolada_page(payload, "http://x/d")
    assert words in str(exc.value)


# --- ids -------------------------------------------------------------------------------------


def test_defaults_come_from_the_codebook(codebook):
    assert resolve_kpis(None, codebook) == [k.id for k in codebook.kolada_kpis]
    assert resolve_areas(None, codebook) == [
        *(m.code for m in codebook.municipalities),
        "0001",
        "0000",
    ]
    assert default_years()[0] == 2010
    assert resolve_kpis(["n15428,N17625", "N15428"], codebook) == ["N15428", "N17625"]
    assert resolve_areas(["Järfälla", "123", "riket"], codebook) == ["0123", "0000"]


@pytest.mark.parametrize("bad", ["15428", "NN1542", "N1542"])
def test_malformed_kpi_is_refused_locally(bad, codebook):
    with pytest.raises(FetchError) as exc:
        resolve_kpis([bad], codebook)
    assert bad in str(exc.value)


def test_unknown_kpi_names_the_id(api, base):
    with pytest.raises(FetchError) as exc:
        fetch_kolada(["N15428", "N99999"], EIGHT, YEARS, base, client=client())
    assert "N99999" in str(exc.value) and "N15428" not in str(exc.value).split("(")[0]
    assert api.count("/v2/data/") == 0


def test_unknown_municipality_names_the_code(api, base):
    with pytest.raises(FetchError) as exc:
        fetch_kolada(["N15428"], ["0114", "0999"], YEARS, base, client=client())
    assert "0999" in str(exc.value) and "känner inte till kommunkoden" in str(exc.value)
    assert api.count("/v2/data/") == 0


def test_municipality_outside_the_codebook_is_refused(api, base):
    with pytest.raises(FetchError) as exc:
        fetch_kolada(["N15428"], ["0180"], YEARS, base, client=client())
    assert "0180 Stockholm" in str(exc.value) and "kodboken" in str(exc.value)


# --- cache -----------------------------------------------------------------------------------


def test_second_fetch_comes_from_the_cache_and_refresh_asks_again(api, base, tmp_path, extract):
    cache = ResponseCache(tmp_path / "cache")
    fetch_all(base, client=client(cache=cache))
    before = len(api.requests)
    assert before == 5
    second = client(cache=cache)
    assert_same_values(fetch_all(base, client=second), extract)
    assert len(api.requests) == before and second.cache_hits == 5
    fetch_all(base, client=client(cache=cache, refresh=True))
    assert len(api.requests) == 2 * before


# --- writing ---------------------------------------------------------------------------------


@pytest.fixture
def existing(api, base, tmp_path) -> Path:
    """A real-data folder whose kolada.csv holds the whole extract."""
    folder = tmp_path / "underlag"
    write_kolada(fetch_all(base), folder)
    api.requests.clear()
    return folder / "kolada.csv"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_fetching_one_kpi_keeps_the_others(api, base, existing, extract):
    _edit(existing, "N15428,0114,2010,K,90.41666667,", "N15428,0114,2010,K,1.5,")
    _edit(existing, "N00943,0114,2010,T,23.29010814,", "N00943,0114,2010,T,99.0,")
    summary = update_kolada(existing.parent, ["N15428"], EIGHT, YEARS, base, client=client())
    assert (summary.rows, summary.new, summary.changed, summary.unchanged) == (3832, 0, 1, 359)
    assert summary.removed == 0 and summary.empty == ()
    frame = read_kolada(existing)
    assert frame["kpi"].nunique() == 23
    n15428 = frame[frame["kpi"] == "N15428"].reset_index(drop=True)
    assert_same_values(n15428, extract[extract["kpi"] == "N15428"].reset_index(drop=True))
    edited = frame[(frame["kpi"] == "N00943") & (frame["year"] == 2010)]
    assert 99.0 in edited["value"].tolist()  # outside the fetched selection: kept as it was
    assert "Skrev" in summary.text() and "1 ändrade" in summary.text()


def test_rows_kolada_no_longer_has_are_removed_rows_outside_kept(api, base, existing):
    existing.write_text(existing.read_text(encoding="utf-8") + "N15428,0114,2009,T,50.0,\n")
    payload = json.loads(gzip.decompress((KOLADA_DATA / INDEX[3]["file"]).read_bytes()))
    dropped = payload["values"].pop(0)  # Kolada no longer has this item
    payload["count"] -= 1
    api.add("GET", INDEX[3]["path"], Answer.json(payload))
    summary = update_kolada(existing.parent, ["N15428"], EIGHT, YEARS, base, client=client())
    assert summary.removed == len(dropped["values"]) == 3
    assert (summary.unchanged, summary.rows) == (357, 3832 + 1 - 3)
    frame = read_kolada(existing)
    gone = (frame["kpi"] == "N15428") & (frame["municipality_id"] == dropped["municipality"])
    assert not (gone & (frame["year"] == dropped["period"])).any()
    assert ((frame["year"] == 2009) & (frame["value"] == 50.0)).sum() == 1  # outside: kept


def test_summary_names_kpis_without_any_value(api, base, tmp_path):
    payload = json.loads(gzip.decompress((KOLADA_DATA / INDEX[3]["file"]).read_bytes()))
    path = INDEX[3]["path"].replace("/kpi/N15428/", "/kpi/N15428,N17625/")
    api.add("GET", path, Answer.json(payload))  # Kolada has nothing for N17625 here
    summary = update_kolada(tmp_path, ["N15428", "N17625"], EIGHT, YEARS, base, client=client())
    assert summary.empty == ("N17625",) and summary.rows == 360
    assert "Nyckeltal utan några värden: N17625." in summary.text()


def test_unreadable_gender_in_existing_file_stops_before_fetching(api, base, existing):
    existing.write_text(existing.read_text(encoding="utf-8") + "N15428,0114,2009,X,1.0,\n")
    before = existing.read_bytes()
    with pytest.raises(FetchError) as exc:
        update_kolada(existing.parent, ["N15428"], EIGHT, YEARS, base, client=client())
    assert (
        "'gender'" in str(exc.value) and "'X'" in str(exc.value) and str(existing) in str(exc.value)
    )
    assert api.count() == 0 and existing.read_bytes() == before


@pytest.mark.parametrize(
    "failure",
    ["unknown_kpi", "unknown_area", "missing_field", "offline", "not_json", "unavailable"],
)
def test_existing_file_is_untouched_on_every_failure(api, base, existing, failure):
    before = existing.read_bytes()
    kpis, areas, url = ["N15428"], EIGHT, base
    if failure == "unknown_kpi":
        kpis = ["N15428", "N00000"]
    elif failure == "unknown_area":
        areas = [*EIGHT, "0999"]
    elif failure == "missing_field":
        path = INDEX[3]["path"]
        payload = json.loads(gzip.decompress((KOLADA_DATA / INDEX[3]["file"]).read_bytes()))
        del payload["values"][5]["values"][0]["status"]
        api.add("GET", path, Answer.json(payload))
    elif failure == "offline":
        url = closed_port_url() + KOLADA_PREFIX
    elif failure == "not_json":
        api.add("GET", INDEX[3]["path"], Answer(200, b"<html>", "text/html"))
    elif failure == "unavailable":
        api.fail(50, 503)
    with pytest.raises(FetchError) as exc:
        update_kolada(existing.parent, kpis, areas, YEARS, url, client=client(retries=1))
    assert existing.read_bytes() == before
    assert sorted(p.name for p in existing.parent.iterdir()) == ["kolada.csv"]
    if failure == "missing_field":
        assert "'status'" in str(exc.value) and "post 6" in str(exc.value)
        assert "/v2/data/kpi/N15428/" in str(exc.value)


def test_synthetic_example_is_refused_before_any_request(api, base, tmp_path):
    folder = tmp_path / "exempel"
    folder.mkdir()
    (folder / config.SYNTHETIC_MARKER).write_text("syntetiskt")
    with pytest.raises(FetchError) as exc:
        update_kolada(folder, ["N15428"], EIGHT, YEARS, base, client=client())
    assert "syntetiska data" in str(exc.value) and "--data-dir" in str(exc.value)
    assert api.count() == 0 and not (folder / "kolada.csv").exists()


def test_kolada_in_another_format_is_refused(api, base, tmp_path):
    (tmp_path / "kolada.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(FetchError) as exc:
        update_kolada(tmp_path, ["N15428"], EIGHT, YEARS, base, client=client())
    assert "kolada.xlsx" in str(exc.value) and api.count() == 0
    assert not (tmp_path / "kolada.csv").exists()


def test_unreadable_existing_file_is_named_and_kept(api, base, tmp_path):
    path = tmp_path / "kolada.csv"
    path.write_bytes(b"kpi,kommun,ar\nN15428,0114,2020\n")
    with pytest.raises(FetchError) as exc:
        update_kolada(tmp_path, ["N15428"], EIGHT, YEARS, base, client=client())
    assert str(path) in str(exc.value) and "municipality_id" in str(exc.value)
    assert path.read_bytes() == b"kpi,kommun,ar\nN15428,0114,2020\n" and api.count() == 0


def test_new_folder_is_created(api, base, tmp_path):
    folder = tmp_path / "nya" / "underlag"
    summary = update_kolada(folder, ["N15428"], EIGHT, YEARS, base, client=client())
    assert summary.path == folder / "kolada.csv" and summary.new == summary.rows == 360


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "FETCH_CACHE_DIR", tmp_path / "cache")
    monkeypatch.delenv(config.DATA_DIR_ENV, raising=False)


def test_cli_fetches_and_summarises(api, base, tmp_path, cli_env, capsys, caplog):
    caplog.set_level(logging.INFO, logger="fouanalys")
    folder = tmp_path / "underlag"
    argv = ["fetch", "kolada", "--kpi", "N15428", "--years", "2010-2024", "--data-dir"]
    argv += [str(folder), "--base-url", base]
    for code in EIGHT:
        argv += ["--municipality", code]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "kolada.csv: 360 rader (360 nya, 0 ändrade, 0 oförändrade)" in out.out
    assert "Hämtar Kolada, sida 1 …" in caplog.messages and "Traceback" not in out.err
    assert len(read_kolada(folder / "kolada.csv")) == 360
    assert (tmp_path / "cache" / "kolada").is_dir()  # answers cached where config says
    requests = len(api.requests)
    assert main(argv) == 0  # from the cache: no request at all, nothing changed
    assert len(api.requests) == requests
    assert "0 nya, 0 ändrade, 360 oförändrade" in capsys.readouterr().out
    assert main([*argv, "--refresh"]) == 0 and len(api.requests) == 2 * requests


def test_cli_unknown_kpi_exits_1_without_traceback(api, base, tmp_path, cli_env, capsys):
    existing = tmp_path / "kolada.csv"
    existing.write_bytes(b"kpi,municipality_id,year,gender,value,status\nN15428,0114,2020,T,1.5,\n")
    before = existing.read_bytes()
    argv = ["fetch", "kolada", "--kpi", "N99999", "-m", "0114", "--years", "2020"]
    assert main([*argv, "--data-dir", str(tmp_path), "--base-url", base]) == 1
    err = capsys.readouterr().err
    assert "N99999" in err and "Traceback" not in err and err.startswith("fouanalys: ")
    assert existing.read_bytes() == before


def test_cli_offline_exits_1_naming_the_url(tmp_path, cli_env, capsys):
    url = closed_port_url() + "/v2"
    argv = ["fetch", "kolada", "--kpi", "N15428", "--data-dir", str(tmp_path), "--base-url", url]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"Kunde inte nå Kolada på {url}/kpi/N15428" in err and "Traceback" not in err


@pytest.mark.parametrize("years", ["20x5", "2024-2015", "15-24", "1800"])
def test_cli_bad_years_is_a_usage_error(years, tmp_path, cli_env, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fetch", "kolada", "--years", years, "--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--years" in err and "Traceback" not in err


def test_cli_refuses_the_example_folder(tmp_path, cli_env, capsys):
    argv = ["fetch", "kolada", "--data-dir", str(config.EXAMPLE_DATA_DIR), "--base-url"]
    assert main([*argv, closed_port_url()]) == 1
    assert "syntetiska data" in capsys.readouterr().err
