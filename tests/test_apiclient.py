"""The HTTP layer of the fetchers: retries, throttle, cache, errors, and careful writing."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from recorded_api import Answer, RecordedAPI, closed_port_url

from fouanalys import config
from fouanalys.exceptions import FetchError
from fouanalys.ingest.fetch.client import (
    ApiClient,
    ResponseCache,
    Throttle,
    chunk_joined,
    csv_bytes,
    merge_rows,
    output_path,
    target_dir,
    year_list,
)
from fouanalys.ingest.files import atomic_write

PAYLOAD = {"values": [{"id": "N15428"}], "count": 1}


@pytest.fixture
def api():
    with RecordedAPI() as server:
        server.add("GET", "/ok", Answer.json(PAYLOAD))
        yield server


def client(**kw) -> ApiClient:
    kw.setdefault("backoff_factor", 0)
    kw.setdefault("retries", 3)
    kw.setdefault("timeout", 5)
    return ApiClient("Kolada", **kw)


# --- throttle --------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_throttle_allows_max_calls_in_any_window():
    clock = FakeClock()
    throttle = Throttle(3, 1.0, clock=clock, sleep=clock.sleep)
    times = []
    for step in (0.0, 0.2, 0.2, 0.1, 0.0, 0.0, 2.0):
        clock.now += step
        throttle.wait()
        times.append(clock.now)
    # the first three pass at once; the fourth waits until the first leaves the window
    assert times[:3] == [0.0, 0.2, 0.4]
    assert times[3] == pytest.approx(1.0)
    for i, t in enumerate(times):  # no window of 1 s ever holds more than 3 calls
        assert sum(1 for u in times if t - 1.0 + 1e-9 < u <= t) <= 3, (i, times)
    assert clock.slept  # it did wait, through the injected sleep
    assert times[-1] == pytest.approx(times[-2] + 2.0)  # after a pause no wait at all


def test_throttle_rejects_nonsense():
    with pytest.raises(ValueError):
        Throttle(0, 1.0)


# --- cache -----------------------------------------------------------------------------------


def test_cache_round_trip_expiry_and_keys(tmp_path):
    clock = FakeClock()
    cache = ResponseCache(tmp_path / "c", max_age=10, clock=clock)
    url = "https://api.kolada.se/v2/kpi/N15428"
    cache.put("GET", url, None, PAYLOAD)
    assert cache.get("GET", url) == PAYLOAD
    assert cache.get("POST", url) is not PAYLOAD and cache.get("POST", url) != PAYLOAD
    assert cache.get("GET", url, b"{}") != PAYLOAD  # the body is part of the key
    assert ResponseCache.key("GET", url) != ResponseCache.key("GET", url + ",N17625")
    clock.now = 11
    assert cache.get("GET", url) != PAYLOAD  # too old
    assert [p.name for p in (tmp_path / "c").iterdir()] == [f"{cache.key('GET', url)}.json"]


def test_cache_ignores_a_corrupt_file(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.path("GET", "u").write_text("{not json", encoding="utf-8")
    assert cache.get("GET", "u") != PAYLOAD


def test_client_uses_cache_and_refresh_bypasses_it(api, tmp_path):
    cache = ResponseCache(tmp_path)
    first = client(cache=cache)
    assert first.get_json(api.url + "/ok") == PAYLOAD
    second = client(cache=cache)
    assert second.get_json(api.url + "/ok") == PAYLOAD
    assert (api.count("/ok"), second.requests_sent, second.cache_hits) == (1, 0, 1)
    fresh = client(cache=cache, refresh=True)
    assert fresh.get_json(api.url + "/ok") == PAYLOAD
    assert api.count("/ok") == 2


def test_answers_rejected_by_the_parser_are_not_cached(api, tmp_path):
    cache = ResponseCache(tmp_path)

    def reject(payload):
        raise FetchError("oväntat")

    with pytest.raises(FetchError):
        client(cache=cache).get_json(api.url + "/ok", parse=reject)
    assert list(tmp_path.iterdir()) == []
    assert client(cache=cache).get_json(api.url + "/ok", parse=lambda p: p["count"]) == 1
    assert len(list(tmp_path.iterdir())) == 1


# --- retries and errors ----------------------------------------------------------------------


def test_retries_503_then_succeeds(api):
    api.fail(2, 503)
    c = client()
    assert c.get_json(api.url + "/ok") == PAYLOAD
    assert api.count() == 3 and c.requests_sent == 1


def test_retries_429_then_succeeds(api):
    api.fail(2, 429, retry_after="0")
    assert client().get_json(api.url + "/ok") == PAYLOAD
    assert api.count() == 3


def test_retry_after_is_honoured(api):
    api.fail(1, 429, retry_after="1")
    start = time.perf_counter()
    assert client(backoff_factor=0).get_json(api.url + "/ok") == PAYLOAD
    assert api.count() == 2
    assert time.perf_counter() - start >= 0.95  # waited as told, although backoff is zero


def test_a_long_retry_after_is_capped(monkeypatch):
    from urllib3.response import HTTPResponse

    from fouanalys.ingest.fetch import client as fa_client

    monkeypatch.setattr(fa_client, "RETRY_AFTER_MAX", 2.0)
    retry = fa_client.CappedRetry(3)
    assert retry.get_retry_after(HTTPResponse(headers={"Retry-After": "3600"})) == 2.0
    assert retry.new().get_retry_after(HTTPResponse(headers={"Retry-After": "1"})) == 1.0


def test_retries_exhausted_names_status_attempts_and_url(api):
    api.fail(10, 503)
    with pytest.raises(FetchError) as exc:
        client(retries=2).get_json(api.url + "/ok")
    message = str(exc.value)
    assert "Kolada svarade 503" in message and "även efter 3 försök" in message
    assert api.url + "/ok" in message
    assert api.count() == 3


def test_post_is_retried_too(api):
    api.add("POST", "/q", Answer.json({"ok": 1}), query={"a": 1})
    api.fail(1, 502)
    assert client().post_json(api.url + "/q", {"a": 1}) == {"ok": 1}
    assert [r.method for r in api.requests] == ["POST", "POST"]
    assert api.requests[-1].json() == {"a": 1}


def test_offline_names_url_and_suggests_a_mirror():
    url = closed_port_url() + "/v2/kpi/N15428"
    with pytest.raises(FetchError) as exc:
        client(retries=1).get_json(url)
    message = str(exc.value)
    assert message.startswith("Kunde inte nå Kolada på " + url)
    assert "ansluten till internet" in message and "--base-url" in message


def test_dns_failure_is_a_plain_error():
    with pytest.raises(FetchError) as exc:
        client(retries=0).get_json("http://fouanalys-test.invalid/v2/kpi")
    assert "fouanalys-test.invalid" in str(exc.value) and "Kunde inte nå" in str(exc.value)


def test_http_404_shows_status_and_body_excerpt(api):
    with pytest.raises(FetchError) as exc:
        client().get_json(api.url + "/saknas")
    message = str(exc.value)
    assert "404" in message and "/saknas" in message and "404 Not Found" in message
    assert "--base-url" in message
    assert api.count() == 1  # a 404 is not retried


def test_non_json_answer_shows_content_type(api):
    api.add("GET", "/html", Answer(200, b"<html>Underhall</html>", "text/html; charset=utf-8"))
    with pytest.raises(FetchError) as exc:
        client().get_json(api.url + "/html")
    message = str(exc.value)
    assert "inte med JSON" in message and "text/html" in message and "Underhall" in message


def test_timeout_is_a_plain_error(api):
    def slow(request):
        time.sleep(0.5)
        return Answer.json(PAYLOAD)

    api.handle("/slow", slow)
    with pytest.raises(FetchError) as exc:
        client(retries=0, timeout=0.1).get_json(api.url + "/slow")
    assert "svarade inte inom 0.1 s" in str(exc.value) and "/slow" in str(exc.value)


# --- small helpers ---------------------------------------------------------------------------


def test_chunk_joined_respects_budget_and_keeps_order():
    ids = [f"N{i:05d}" for i in range(20)]
    chunks = chunk_joined(ids, 20)
    assert [i for c in chunks for i in c] == ids
    assert all(len(",".join(c)) <= 20 for c in chunks)
    assert len(chunks) == 7  # three 6-char ids (20 chars) per chunk


def test_year_list():
    assert year_list((2015, 2018), [2000]) == [2015, 2016, 2017, 2018]
    assert year_list(None, [2000]) == [2000]
    assert year_list([2020, 2018, 2020], []) == [2018, 2020]


def test_merge_rows_replaces_the_selection_and_counts():
    old = pd.DataFrame(
        {"k": ["a", "a", "b", "c"], "y": [1, 2, 1, 1], "v": [1.0, float("nan"), 3.0, 4.0]}
    )
    new = pd.DataFrame({"k": ["a", "a", "d"], "y": [1, 2, 1], "v": [1.0, float("nan"), 9.0]})
    scope = pd.DataFrame({"k": ["a", "b", "d"]})
    merge = merge_rows(old, new, ["k", "y"], scope, sort=["k", "y"])
    assert merge.frame["k"].tolist() == ["a", "a", "c", "d"]  # b was in scope, fetched no more
    assert (merge.new, merge.changed, merge.unchanged, merge.removed) == (1, 0, 2, 1)
    changed = new.assign(v=[2.0, 0.0, 9.0])
    merge = merge_rows(old, changed, ["k", "y"], scope, sort=["k", "y"])
    assert (merge.new, merge.changed, merge.unchanged) == (1, 2, 0)


def test_target_dir_refuses_the_synthetic_example(tmp_path):
    with pytest.raises(FetchError) as exc:
        target_dir(config.EXAMPLE_DATA_DIR)
    assert "syntetiska data" in str(exc.value) and "--data-dir" in str(exc.value)
    assert target_dir(tmp_path / "ny") == tmp_path / "ny"  # may not exist yet


def test_output_path_refuses_another_format_beside(tmp_path):
    assert output_path(tmp_path, "kolada") == tmp_path / "kolada.csv"
    (tmp_path / "Kolada.CSV").write_text("x")
    assert output_path(tmp_path, "kolada") == tmp_path / "Kolada.CSV"  # same file, any case
    (tmp_path / "befolkning.xlsx").write_bytes(b"PK")
    with pytest.raises(FetchError) as exc:
        output_path(tmp_path, "befolkning")
    assert "befolkning.xlsx" in str(exc.value)


def test_atomic_write_and_csv_bytes(tmp_path):
    frame = pd.DataFrame({"a": ["x"], "v": [0.1 + 0.2], "s": [""]})
    path = tmp_path / "sub" / "t.csv"
    atomic_write(path, csv_bytes(frame))
    assert path.read_bytes() == b"a,v,s\nx,0.30000000000000004,\n"
    assert [p.name for p in path.parent.iterdir()] == ["t.csv"]  # no temp file left
    assert json.loads("0.30000000000000004") == pd.read_csv(path)["v"].iloc[0]
