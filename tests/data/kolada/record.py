"""Rebuild the recorded Kolada answers in this folder from the real Kolada extract.

    .venv/bin/python tests/data/kolada/record.py

Reads ``../shared/data/kolada/kolada_fou_nordvast_2010-2024.csv`` (real values, 2010–2024, the
eight municipalities) and ``kpi_selected.csv`` beside it, and writes, in Kolada API v2's JSON:

- ``kpi.json`` — KPI metadata (``GET /v2/kpi``) for every KPI in the extract and the codebook;
- ``municipality.json`` — municipality metadata (``GET /v2/municipality``);
- ``data_*.json.gz`` — the answers of the data requests listed in ``index.json``: all 23 KPIs
  of the extract with ``per_page=1000`` (three pages), and N15428 alone with Kolada's default
  ``per_page=5000`` (one page).

Kolada's item order (by KPI, then the extract's row order) and value order (K, M, T) are kept;
``next_page`` URLs start with ``{base}``, which the test server replaces by its own address.
The output is deterministic (gzip without a timestamp).
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SHARED = ROOT.parent / "shared" / "data" / "kolada"
EXTRACT = SHARED / "kolada_fou_nordvast_2010-2024.csv"
SELECTED = SHARED / "kpi_selected.csv"
CODEBOOK = ROOT / "src" / "fouanalys" / "data" / "codebook.yaml"

YEARS = list(range(2010, 2025))
#: Kolada's names for the county and the country, and two municipalities outside the codebook.
OTHER_AREAS = [
    {"id": "0001", "title": "Region Stockholm", "type": "L"},
    {"id": "0000", "title": "Riket", "type": "L"},
    {"id": "0180", "title": "Stockholm", "type": "K"},
    {"id": "0186", "title": "Lidingö", "type": "K"},
]


def read_extract(path: Path = EXTRACT) -> list[dict[str, str]]:
    """The extract's rows as text, exactly as written."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def items(rows: list[dict[str, str]]) -> list[dict]:
    """Kolada data items: one per (kpi, municipality, year), genders in the extract's order."""
    out: dict[tuple[str, str, int], dict] = {}
    for row in rows:
        key = (row["kpi"], row["municipality_id"], int(row["year"]))
        item = out.setdefault(
            key, {"kpi": key[0], "municipality": key[1], "period": key[2], "values": []}
        )
        item["values"].append(
            {
                "count": int(row["count"]),
                "gender": row["gender"],
                "status": row["status"],
                "value": float(row["value"]) if row["value"] else None,
            }
        )
    return sorted(out.values(), key=lambda i: i["kpi"])  # stable: the extract's order within


def data_path(
    kpis: list[str], areas: list[str], years: list[int], per_page: int, page: int = 1
) -> str:
    """The request path of a data page, as Kolada spells it (page 1 without ``page=``)."""
    path = (
        f"/v2/data/kpi/{','.join(kpis)}/municipality/{','.join(areas)}"
        f"/year/{','.join(str(y) for y in years)}"
    )
    return f"{path}?per_page={per_page}" if page == 1 else f"{path}?page={page}&per_page={per_page}"


def pages(
    all_items: list[dict], kpis: list[str], areas: list[str], years: list[int], per_page: int
) -> list[tuple[str, dict]]:
    """(request path, envelope) for each page of ``per_page`` items."""
    chunks = [all_items[i : i + per_page] for i in range(0, len(all_items), per_page)] or [[]]
    out = []
    for n, chunk in enumerate(chunks, start=1):
        envelope: dict = {"count": len(chunk), "values": chunk}
        if n > 1:
            envelope["previous_page"] = "{base}" + data_path(kpis, areas, years, per_page, n - 1)
        if n < len(chunks):
            envelope["next_page"] = "{base}" + data_path(kpis, areas, years, per_page, n + 1)
        out.append((data_path(kpis, areas, years, per_page, n), envelope))
    return out


def kpi_metadata(rows: list[dict[str, str]]) -> list[dict]:
    """KPI metadata: kpi_selected.csv where it has the KPI, else the codebook, else a
    placeholder title (marked as such)."""
    with open(SELECTED, encoding="utf-8", newline="") as fh:
        selected = {r["id"]: r for r in csv.DictReader(fh)}
    codebook = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    listed = {k["id"]: k for k in codebook.get("kolada_kpis", [])}
    gendered = {r["kpi"] for r in rows if r["gender"] != "T"}
    ids = sorted({r["kpi"] for r in rows} | set(selected) | set(listed))
    out = []
    for kpi in ids:
        if kpi in selected:
            s = selected[kpi]
            title, mtype = s["title"], s["municipality_type"]
            divided, area = int(s["is_divided_by_gender"]), s["operating_area"]
        elif kpi in listed:
            title, mtype = listed[kpi]["title"], "K"
            divided, area = int(bool(listed[kpi].get("by_gender"))), ""
        else:
            title, mtype, divided, area = f"[platshållare: titel saknas för {kpi}]", "K", 0, ""
            divided = int(kpi in gendered)
        out.append(
            {
                "id": kpi,
                "title": title,
                "description": "",
                "is_divided_by_gender": divided,
                "municipality_type": mtype,
                "operating_area": area,
            }
        )
    return out


def municipality_metadata(rows: list[dict[str, str]]) -> list[dict]:
    names = {r["municipality_id"]: r["municipality"] for r in rows}
    ours = [{"id": c, "title": names[c], "type": "K"} for c in sorted(names)]
    return sorted(ours + OTHER_AREAS, key=lambda a: a["id"])


def _write_json(path: Path, payload: object) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    path.write_text(text, encoding="utf-8")


def _write_gz(path: Path, payload: object) -> None:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> None:
    rows = read_extract()
    areas = sorted({r["municipality_id"] for r in rows})
    all_kpis = sorted({r["kpi"] for r in rows})
    _write_json(HERE / "kpi.json", {"values": (k := kpi_metadata(rows)), "count": len(k)})
    munis = municipality_metadata(rows)
    _write_json(HERE / "municipality.json", {"values": munis, "count": len(munis)})
    index = []
    for name, kpis, per_page in (("all", all_kpis, 1000), ("N15428", ["N15428"], 5000)):
        chosen = items([r for r in rows if r["kpi"] in kpis])
        recorded = pages(chosen, kpis, areas, YEARS, per_page)
        for n, (path, envelope) in enumerate(recorded, start=1):
            file = f"data_{name}_{n}.json.gz"
            _write_gz(HERE / file, envelope)
            index.append({"method": "GET", "path": path, "file": file})
    _write_json(HERE / "index.json", index)


if __name__ == "__main__":
    main()
