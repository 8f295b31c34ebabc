"""Regenerate src/fouanalys/data/faktorforskning.csv from RISE's table of risk and protective
factors.

    .venv/bin/python scripts/faktorforskning.py XLSX [--out CSV]

XLSX is RISE's spreadsheet, e.g. ../shared/data/reference/rise_risk_protective_factors.xlsx;
CSV defaults to the packaged file.

The spreadsheet (RISE and Länsstyrelsen Stockholm, background material to the Data i dialog
report on risk and protective factors) states no licence, so it is not shipped: this script
keeps only facts from it, for the codebook's risk and protective factors: which RISE factors
match each one, their direction, the outcomes studied and the literature references, one
cleaned reference per factor and row. The cleaning rules and the mapping are explained in
docs/kunskapslage.md. The written file is checked with fouanalys.research.load_factor_research.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from fouanalys.research import COLUMNS, JOIN, load_factor_research, research_path

SHEET = "RS-faktorer"
#: The columns of RISE's sheet this script reads; a row may cite up to three references.
SOURCE_COLUMNS = ("Source", "Source2", "Source3")
RISE_COLUMNS = ("Faktor", "Studerat_utfall", "RSfaktor", *SOURCE_COLUMNS)
#: RISE's RSfaktor → the file's riktning.
DIRECTION = {"Riskfaktor": "risk", "Skyddsfaktor": "skydd"}

#: Codebook factor → the RISE factors (spelled as in column Faktor) whose research it takes.
#: Chosen from the items of each codebook index (src/fouanalys/data/codebook.yaml).
#: omradesanknytning (attachment to the neighbourhood) has no counterpart: RISE's nearest,
#: "Bristande samhörighet", is a risk factor under peers and leisure whose one reference is on
#: suicide risk among college students. valbefinnande (Data i Dialog's wellbeing) is a composite
#: of nine items across school, self-image, parents, leisure, neighbours and the future; the
#: table's single factors (self-esteem, leisure activities) touch one or two of them, so it is
#: left unmatched rather than mapped to a part. The outcomes are not factors.
MAPPING: dict[str, tuple[str, ...]] = {
    # Defies to provoke, seeks thrills, hits back, ignores rules, takes things: impulsivity,
    # defiance and norm-breaking behaviour.
    "impulsivitet": ("Impulsivitet", "Trotsighet", "Normbrytande beteende"),
    # Friends who shoplift, fight, get drunk, use drugs, skip school, rob.
    "kamrater_normbrott": ("Problematiska kamratrelationer",),
    # Parents do not know where, with whom, on what; threats not carried out, unpredictable,
    # mood-driven reactions: poor supervision and (harsh or inconsistent) parenting.
    "bristande_tillsyn": ("Bristande föräldratillsyn", "Uppfostringsstrategier"),
    # Does not enjoy school, finds schoolwork meaningless or confusing, truants, cheats.
    "skolmisslyckande": (
        "Låga skolprestationer",
        "Vantrivsel i skolan",
        "Negativ attityd till skolan",
    ),
    # Vandalism, drug dealing, drunk people outdoors, violence in the area.
    "narsamhalle_brister": ("Växa upp i utsatt område", "Upplevd tillgång till droger"),
    # Can ask the parents for help; parents praise, encourage, notice the good, set an example.
    "foraldrastod": (
        "Föräldrarnas engagemang och stöd",
        "Pappans engagemang",
        "Positiva uppfostringsstrategier",
    ),
    # Knows the school's rules; teachers praise, explain limits, help; adults stop bullying.
    "skolanknytning": ("Positiv skolanknytning", "Stöd från lärare", "Stöd från skolan"),
}

#: A bare "https://" (or "http://") left where a URL was cut off.
_DANGLING_URL = re.compile(r"\s*https?://$")
#: The number a reference ends with (a DOI's, URN's or handle's last digits, "/" allowed after).
_TRAILING_NUMBER = re.compile(r"^(?P<stem>.*?)(?P<number>\d+)(?P<end>/?)$")


def clean(reference: str) -> str:
    """A reference without the narrow no-break space before colons or a cut-off URL."""
    text = reference.replace("\u202f:", ":").replace("\u202f", " ").strip()
    return _DANGLING_URL.sub("", text).strip()


def canonical(references: Iterable[str]) -> dict[str, str]:
    """Each reference → the one it stands for: references that differ only in their trailing
    number (a citation dragged down in Excel, its DOI or URN counting up a row at a time) are
    one reference, the one with the lowest number."""
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    out = {}
    for reference in set(references):
        match = _TRAILING_NUMBER.match(reference)
        if match:
            key = (match["stem"], match["end"])
            groups.setdefault(key, []).append((int(match["number"]), reference))
        else:
            out[reference] = reference
    for members in groups.values():
        lowest = min(members)[1]
        out.update({reference: lowest for _, reference in members})
    return out


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value).strip()


def build(xlsx: Path | str) -> pd.DataFrame:
    """The research per codebook factor, columns fouanalys.research.COLUMNS, from RISE's sheet.

    One row per factor and cleaned reference; the RISE factors and outcomes of the rows citing
    it are joined with "; " (RISE factors in MAPPING's order, outcomes as first met in the
    sheet). Rows are ordered by factor (MAPPING's order), then by the first RISE factor citing
    the reference, then by reference.
    """
    sheet = pd.read_excel(xlsx, sheet_name=SHEET, dtype=object, engine="openpyxl")
    missing = [c for c in RISE_COLUMNS if c not in sheet.columns]
    if missing:
        raise SystemExit(f"{xlsx}: sheet {SHEET} lacks columns {', '.join(missing)}")
    sheet = sheet.map(_text)
    unknown = [n for names in MAPPING.values() for n in names if n not in set(sheet["Faktor"])]
    if unknown:
        raise SystemExit(f"{xlsx}: no rows for the mapped RISE factors {', '.join(unknown)}")
    cleaned = {s: clean(s) for column in SOURCE_COLUMNS for s in sheet[column] if s}
    to_one = canonical(cleaned.values())

    found: dict[tuple[str, str], dict[str, dict[str, None]]] = {}
    for factor, names in MAPPING.items():
        rows = sheet.loc[sheet["Faktor"].isin(names)]
        for row in rows.to_dict("records"):
            for column in SOURCE_COLUMNS:
                if not row[column]:
                    continue
                entry = found.setdefault(
                    (factor, to_one[cleaned[row[column]]]),
                    {"rise_faktor": {}, "riktning": {}, "utfall": {}},
                )
                entry["rise_faktor"][row["Faktor"]] = None
                entry["riktning"][DIRECTION[row["RSfaktor"]]] = None
                if row["Studerat_utfall"]:
                    entry["utfall"][row["Studerat_utfall"]] = None

    records = []
    for (factor, reference), entry in found.items():
        if len(entry["riktning"]) != 1:
            raise SystemExit(f"{factor}: RISE gives both directions for {reference!r}")
        order = MAPPING[factor]
        names = sorted(entry["rise_faktor"], key=order.index)
        records.append(
            {
                "factor": factor,
                "rise_faktor": JOIN.join(names),
                "riktning": next(iter(entry["riktning"])),
                "utfall": JOIN.join(entry["utfall"]),
                "referens": reference,
                "_factor": list(MAPPING).index(factor),
                "_rise": order.index(names[0]),
                "_sort": reference.casefold(),
            }
        )
    frame = pd.DataFrame(records).sort_values(["_factor", "_rise", "_sort"])
    return frame[list(COLUMNS)].reset_index(drop=True)


def write(frame: pd.DataFrame, path: Path | str) -> None:
    """The frame as UTF-8 CSV with Unix line ends."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write faktorforskning.csv from RISE's table of risk and protective factors."
    )
    parser.add_argument("xlsx", type=Path, help="RISE's rise_risk_protective_factors.xlsx")
    parser.add_argument(
        "--out", type=Path, default=research_path(), help="the CSV to write (the packaged one)"
    )
    args = parser.parse_args(argv)
    frame = build(args.xlsx)
    write(frame, args.out)
    load_factor_research(args.out)
    counts = frame["factor"].value_counts(sort=False)
    print(f"{args.out}: {len(frame)} rows", *(f"  {f}: {n}" for f, n in counts.items()), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
