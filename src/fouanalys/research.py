"""The research behind each codebook factor: the studies RISE's table of risk and protective
factors gives for it.

``src/fouanalys/data/faktorforskning.csv`` ships with the package: for each risk and protective
factor of the codebook, one row per literature reference that RISE's table gives for the RISE
factors matching it, with the outcomes the reference studied. ``scripts/faktorforskning.py``
makes it from RISE's spreadsheet, which is not shipped (it states no licence); only facts are
kept: factor names, directions, outcomes and the reference strings, cleaned of the copying
artefacts listed in ``docs/kunskapslage.md``. Whoever shows the file credits :data:`SOURCE`.

It is checked when loaded, as the knowledge base is: every problem is listed with its file,
column and row (a spreadsheet's row number, the header being row 1), and a broken file raises
:class:`~fouanalys.exceptions.FactorResearchError` instead of reaching a report.

The file and the functions hold codes and data; a chapter words them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.exceptions import FactorResearchError, Problem
from fouanalys.knowledge import grouped_problems, read_checked, split

#: The columns of the file, in order: codebook factor id, the matching RISE factors
#: (``; ``-separated), risk or skydd as RISE classes them, the studied outcomes (``; ``-separated,
#: as RISE words them) and one literature reference.
COLUMNS = ("factor", "rise_faktor", "riktning", "utfall", "referens")
#: Columns that may be empty (RISE leaves the outcome blank in a few rows).
OPTIONAL = ("utfall",)
#: The direction a factor of each codebook kind must have in RISE's table.
DIRECTION = {"risk": "risk", "protective": "skydd"}
#: How the list columns are joined (:func:`fouanalys.knowledge.split` reads them).
JOIN = "; "
#: The credit line to show with anything taken from the file.
SOURCE = (
    "Källa: RISE och Länsstyrelsen Stockholm, sammanställning av risk- och skyddsfaktorer "
    "(underlag till rapporten Risk- och skyddsfaktorer – vad vet vi och vad kan vi göra för att "
    "påverka dem?, Data i dialog)"
)
#: Codebook factors with no counterpart in RISE's table: attachment to the neighbourhood, and
#: wellbeing (Data i Dialog's composite of school, self-image, joy of life, parents, leisure,
#: neighbours and future outlook; the table has single factors such as self-esteem and leisure
#: activities, each touching one or two of its nine items, not the composite).
UNMATCHED = ("omradesanknytning", "valbefinnande")
#: Columns of :func:`factor_research_summary`.
SUMMARY_COLUMNS = ["factor", "in_rise", "rise_factors", "outcomes", "references"]


def research_path() -> Path:
    """The packaged research per factor."""
    return Path(__file__).parent / "data" / "faktorforskning.csv"


def _check_row(row: dict[str, str], kinds: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(column, message, value, expected) for every problem of one row."""
    out = []
    for column in COLUMNS:
        if column not in OPTIONAL and not row[column].strip():
            out.append((column, "värde saknas", "", "ett värde"))
    factor = row["factor"].strip()
    if factor and factor not in kinds:
        out.append(("factor", "okänd faktor", factor, ", ".join(kinds)))
    direction = row["riktning"].strip()
    if direction and direction not in DIRECTION.values():
        out.append(("riktning", "okänd riktning", direction, " eller ".join(DIRECTION.values())))
    elif direction and factor in kinds and direction != DIRECTION[kinds[factor]]:
        expected = f"{DIRECTION[kinds[factor]]} (kodbokens {factor} är {kinds[factor]})"
        out.append(("riktning", "motsäger kodboken", direction, expected))
    return out


def _problems(raw: pd.DataFrame, name: str, codebook: Codebook) -> list[Problem]:
    """Every problem of the file, grouped by column, message and value, with their rows."""
    kinds = {i.id: i.kind for i in codebook.indices if i.kind != "outcome"}
    found: dict[tuple[str, str, str, str], list[int]] = {}
    for i, row in enumerate(raw.to_dict("records")):
        for problem in _check_row(row, kinds):
            found.setdefault(problem, []).append(i + 2)
    keys = raw["factor"].str.strip() + "\n" + raw["referens"].str.strip()
    twice = keys.duplicated(keep=False) & raw["referens"].str.strip().ne("")
    for key in keys[twice].unique():
        factor, reference = key.split("\n", 1)
        rows = [i + 2 for i in keys.index[keys == key]]
        message = f"samma referens två gånger för {factor}"
        found[("referens", message, reference, "en rad per faktor och referens")] = rows
    return grouped_problems(found, name)


def load_factor_research(
    path: Path | str | None = None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The research per factor (the packaged file unless ``path`` is given), checked.

    Columns as :data:`COLUMNS`, all text, stripped: ``factor`` (a risk or protective factor
    id of the codebook), ``rise_faktor`` (RISE's factors matching it, ``; ``-separated),
    ``riktning`` (``risk`` or ``skydd``, agreeing with the codebook), ``utfall`` (the outcomes
    studied, ``; ``-separated, possibly empty) and ``referens`` (one reference, once per factor).

    Raises FactorResearchError listing every problem (file, column, rows, value, what was
    expected) when the file is missing, lacks columns or has invalid values.
    """
    codebook = codebook or load_codebook()
    path = research_path() if path is None else Path(path)
    raw = read_checked(
        path, COLUMNS, lambda frame: _problems(frame, path.name, codebook), FactorResearchError,
        "Forskningen per faktor",
    )  # fmt: skip
    return raw.apply(lambda col: col.str.strip())


def _by_references(values: Iterable[object]) -> list[str]:
    """The items of list cells, each once: those in most cells (references) first, ties in
    alphabetical order."""
    counts = Counter(item for value in values for item in set(split(value)))
    return sorted(counts, key=lambda item: (-counts[item], item.casefold()))


def factor_research_summary(
    research: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """What RISE's table holds for each risk and protective factor of the codebook.

    One row per such factor, in the codebook's order, those without research too (e.g.
    :data:`UNMATCHED`). Columns :data:`SUMMARY_COLUMNS`: ``factor`` (codebook id), ``in_rise``
    (bool: the factor has references in ``research``), ``rise_factors`` (RISE's matching
    factors) and ``outcomes`` (the distinct outcomes studied), both ``; ``-joined, the one with
    most references first, ties alphabetically (empty when the factor has none), and
    ``references`` (int: the number of distinct references). ``research`` is
    :func:`load_factor_research`'s frame.
    """
    codebook = codebook or load_codebook()
    rows = []
    for index in codebook.indices:
        if index.kind == "outcome":
            continue
        own = research.loc[research["factor"] == index.id]
        rows.append(
            {
                "factor": index.id,
                "in_rise": not own.empty,
                "rise_factors": JOIN.join(_by_references(own["rise_faktor"])),
                "outcomes": JOIN.join(_by_references(own["utfall"])),
                "references": own["referens"].nunique(),
            }
        )
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return frame.astype({"in_rise": "bool", "references": "int64"})
