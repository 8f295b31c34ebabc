"""Rebuild the SCB answers in this folder, in PxWeb API v1's exact shapes.

    .venv/bin/python tests/data/scb/record.py

SCB cannot be reached from where these tests were written, so the values are NOT recorded from
SCB: they are the synthetic example's population (``data/raw/example/befolkning.csv``, eight
municipalities, ages 0–25, both sexes, 2018–2024) put into the shapes SCB answers with:

- ``metadata.json`` — ``GET …/BE/BE0101/BE0101A/BefolkningNy``: the table's variables (Region
  with the county's municipalities, Civilstand, Alder 0–100+ and tot, Kon, ContentsCode, Tid
  1968–2024);
- ``data.json`` — the json-stat2 answer to the default query (the eight municipalities, ages
  0–25, both sexes, Folkmängd, 2018–2024), with ``category.index`` as an object like SCB's;
- ``index.json`` — the routes the test server answers, the POST with its exact query.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLE = ROOT / "data" / "raw" / "example" / "befolkning.csv"
PATH = "/OV0104/v1/doris/sv/ssd/BE/BE0101/BE0101A/BefolkningNy"

#: Stockholm county's municipalities (code, name) as SCB lists them.
REGIONS = [
    ("00", "Riket"),
    ("01", "Stockholms län"),
    ("0114", "Upplands Väsby"),
    ("0115", "Vallentuna"),
    ("0117", "Österåker"),
    ("0120", "Värmdö"),
    ("0123", "Järfälla"),
    ("0125", "Ekerö"),
    ("0126", "Huddinge"),
    ("0127", "Botkyrka"),
    ("0128", "Salem"),
    ("0136", "Haninge"),
    ("0138", "Tyresö"),
    ("0139", "Upplands-Bro"),
    ("0140", "Nykvarn"),
    ("0160", "Täby"),
    ("0162", "Danderyd"),
    ("0163", "Sollentuna"),
    ("0180", "Stockholm"),
    ("0181", "Södertälje"),
    ("0182", "Nacka"),
    ("0183", "Sundbyberg"),
    ("0184", "Solna"),
    ("0186", "Lidingö"),
    ("0187", "Vaxholm"),
    ("0188", "Norrtälje"),
    ("0191", "Sigtuna"),
    ("0192", "Nynäshamn"),
]
SEXES = {"Pojke": "1", "Flicka": "2"}
SEX_TEXTS = {"1": "män", "2": "kvinnor"}
TITLE = "Folkmängden efter region, civilstånd, ålder och kön. År 1968 - 2024"


def metadata() -> dict:
    ages = [str(a) for a in range(100)] + ["100+", "tot"]
    age_texts = [f"{a} år" for a in range(100)] + ["100+ år", "totalt ålder"]
    years = [str(y) for y in range(1968, 2025)]
    return {
        "title": TITLE,
        "variables": [
            {
                "code": "Region",
                "text": "region",
                "values": [c for c, _ in REGIONS],
                "valueTexts": [n for _, n in REGIONS],
                "elimination": True,
            },
            {
                "code": "Civilstand",
                "text": "civilstånd",
                "values": ["OG", "G", "ÄNKL", "SK"],
                "valueTexts": ["ogifta", "gifta", "änkor/änklingar", "skilda"],
                "elimination": True,
            },
            {
                "code": "Alder",
                "text": "ålder",
                "values": ages,
                "valueTexts": age_texts,
                "elimination": True,
            },
            {
                "code": "Kon",
                "text": "kön",
                "values": ["1", "2"],
                "valueTexts": ["män", "kvinnor"],
                "elimination": True,
            },
            {
                "code": "ContentsCode",
                "text": "tabellinnehåll",
                "values": ["BE0101N1", "BE0101N2"],
                "valueTexts": ["Folkmängd", "Folkökning"],
            },
            {
                "code": "Tid",
                "text": "år",
                "values": years,
                "valueTexts": years,
                "time": True,
            },
        ],
    }


def read_population(path: Path = EXAMPLE) -> dict[tuple[str, str, str, str], int]:
    """(region, age, Kon code, year) -> count from the synthetic example."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {
            (r["kommunkod"], r["alder"], SEXES[r["kon"]], r["ar"]): int(r["antal"])
            for r in csv.DictReader(fh)
        }


def query(regions: list[str], ages: list[str], years: list[str]) -> dict:
    """The query fouanalys posts (Civilstand left out, so SCB sums over it)."""

    def item(code: str, values: list[str], filter_: str = "item") -> dict:
        return {"code": code, "selection": {"filter": filter_, "values": values}}

    return {
        "query": [
            item("Region", regions, "vs:RegionKommun07"),
            item("Alder", ages),
            item("Kon", ["1", "2"]),
            item("ContentsCode", ["BE0101N1"]),
            item("Tid", years),
        ],
        "response": {"format": "json-stat2"},
    }


def jsonstat2(
    population: dict[tuple[str, str, str, str], int | None],
    regions: list[str],
    ages: list[str],
    years: list[str],
) -> dict:
    """The json-stat2 dataset SCB answers ``query(regions, ages, years)`` with."""
    names = dict(REGIONS)

    def dimension(label: str, codes: list[str], texts: dict[str, str]) -> dict:
        return {
            "label": label,
            "category": {
                "index": {c: i for i, c in enumerate(codes)},
                "label": {c: texts[c] for c in codes},
            },
            "extension": {"show": "value"},
        }

    values = [
        population.get((r, a, s, y))
        for r in regions
        for a in ages
        for s in ("1", "2")
        for _ in ("BE0101N1",)
        for y in years
    ]
    contents = dimension("tabellinnehåll", ["BE0101N1"], {"BE0101N1": "Folkmängd"})
    contents["category"]["unit"] = {"BE0101N1": {"base": "antal", "decimals": 0}}
    return {
        "version": "2.0",
        "class": "dataset",
        "label": "Folkmängden efter region, ålder, kön, tabellinnehåll och år",
        "source": "SCB",
        "updated": "2025-02-21T07:00:00Z",
        "id": ["Region", "Alder", "Kon", "ContentsCode", "Tid"],
        "size": [len(regions), len(ages), 2, 1, len(years)],
        "dimension": {
            "Region": dimension("region", regions, names),
            "Alder": dimension("ålder", ages, {a: f"{a} år" for a in ages}),
            "Kon": dimension("kön", ["1", "2"], SEX_TEXTS),
            "ContentsCode": contents,
            "Tid": dimension("år", years, {y: y for y in years}),
        },
        "value": values,
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "extension": {
            "px": {
                "infofile": "BE0101",
                "tableid": "TAB638",
                "decimals": 0,
                "official-statistics": True,
                "aggregallowed": True,
                "language": "sv",
                "matrix": "BefolkningNy",
                "subject-code": "BE",
            }
        },
    }


def main() -> None:
    population = read_population()
    regions = sorted({k[0] for k in population})
    years = sorted({k[3] for k in population})
    ages = [str(a) for a in range(26)]
    (HERE / "metadata.json").write_text(
        json.dumps(metadata(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (HERE / "data.json").write_text(
        json.dumps(jsonstat2(population, regions, ages, years), ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    index = [
        {"method": "GET", "path": PATH, "file": "metadata.json"},
        {"method": "POST", "path": PATH, "query": query(regions, ages, years), "file": "data.json"},
    ]
    (HERE / "index.json").write_text(
        json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
