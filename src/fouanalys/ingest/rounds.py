"""Mapping rounds: the dated inventories a municipality has returned, kept side by side.

A data folder holds the first inventory of every municipality in ``insatser.csv`` (or
``.xlsx``). Each later return, read by ``fouanalys mapping import``, is stored as a new round
in a folder of its own, never over an earlier one::

    <data_dir>/kartlaggning/<kommunkod>/<YYYY-MM-DD>.csv       a round (UTF-8, codebook codes)
    <data_dir>/kartlaggning/<kommunkod>/<YYYY-MM-DD>-2.csv     a second round the same day
    <data_dir>/kartlaggning/<kommunkod>/<YYYY-MM-DD>.json      where the round came from

A round file has the columns of ``insatser`` (``kommunkod`` included) and passes the same
validation gate. The build uses each municipality's newest round; its rows in ``insatser``
count as the municipality's first round, dated by nothing but the file's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fouanalys.exceptions import Problem

if TYPE_CHECKING:  # the build's freshness check imports this module: no pandas at import
    import pandas as pd

    from fouanalys.codebook import Codebook

#: The folder under a data folder that holds the mapping rounds, one subfolder per municipality.
ROUNDS_FOLDER = "kartlaggning"
#: The round id of a municipality's rows in ``insatser`` (its first round).
BASE_ROUND = "insatser"
_ROUND_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.csv$")


@dataclass(frozen=True)
class MappingRound:
    """One stored round: the municipality, its id (``2026-12-05`` or ``2026-12-05-2``) and file."""

    #: The key of the round's file in a validation report's and manifest's ``inputs``.
    @property
    def input_name(self) -> str:
        return f"{ROUNDS_FOLDER}/{self.municipality_code}/{self.round_id}"

    municipality_code: str
    round_id: str
    path: Path

    @property
    def order(self) -> tuple[str, int]:
        """Sort key: the date, then the same day's number (1 for the day's first round)."""
        day, n = self.round_id[:10], self.round_id[11:]
        return day, int(n or 1)

    @property
    def relative_name(self) -> str:
        """The file as named in problems and reports: ``kartlaggning/0114/2026-12-05.csv``."""
        return f"{ROUNDS_FOLDER}/{self.municipality_code}/{self.path.name}"


def rounds_dir(data_dir: Path) -> Path:
    """The folder of every municipality's rounds in ``data_dir``."""
    return Path(data_dir) / ROUNDS_FOLDER


def find_rounds(data_dir: Path) -> tuple[list[MappingRound], list[Problem]]:
    """The stored rounds in ``data_dir``, oldest first per municipality (municipalities by
    code), and a problem for anything in the rounds folder that is not a round: a subfolder not
    named by a four-digit municipality code, or a ``.csv``/``.xlsx`` file not named by a date.
    Only the names are checked here; validation checks the codes and the contents."""
    root = rounds_dir(data_dir)
    rounds: list[MappingRound] = []
    problems: list[Problem] = []
    if not root.is_dir():
        return rounds, problems
    for folder in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        if not folder.is_dir() or not re.fullmatch(r"\d{4}", folder.name):
            problems.append(
                Problem(
                    file=f"{ROUNDS_FOLDER}/{folder.name}",
                    message="Mappen för kartläggningsomgångar innehåller något som inte är en "
                    "kommunmapp.",
                    expected="en mapp per kommun, namngiven med kommunkoden (t.ex. 0114)",
                )
            )
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.suffix.lower() not in (".csv", ".xlsx"):
                continue
            match = _ROUND_FILE.match(path.name)
            if match is None or not _is_date(match.group(1)):
                problems.append(
                    Problem(
                        file=f"{ROUNDS_FOLDER}/{folder.name}/{path.name}",
                        message="Filen ser ut som en kartläggningsomgång men är inte namngiven "
                        "efter ett datum, så den används inte.",
                        expected="ÅÅÅÅ-MM-DD.csv, skriven av 'fouanalys mapping import'",
                    )
                )
                continue
            rounds.append(MappingRound(folder.name, path.stem, path))
    rounds.sort(key=lambda r: (r.municipality_code, r.order))
    return rounds, problems


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def next_round_path(data_dir: Path, municipality_code: str, day: date) -> Path:
    """Where a round imported on ``day`` goes: ``<day>.csv``, or ``<day>-2.csv`` and so on when
    that day already has one. Never an existing file."""
    folder = rounds_dir(data_dir) / municipality_code
    name = day.isoformat()
    n = 1
    while (folder / f"{name}.csv").exists() or (folder / f"{name}.json").exists():
        n += 1
        name = f"{day.isoformat()}-{n}"
    return folder / f"{name}.csv"


def latest_inventory(
    data_dir: Path, municipality_code: str, codebook: Codebook
) -> tuple[pd.DataFrame, str]:
    """The municipality's interventions in its newest round, typed as ``insatser`` (codebook
    ids), with the round's id (:data:`BASE_ROUND` for its rows in ``insatser``).

    Read without the validation gate (the template prefills from it; validation and the build
    check the same files): a value the codebook does not know is blank here.
    """
    from fouanalys.ingest.readers import find_input, read_raw, to_typed

    rounds = [r for r in find_rounds(data_dir)[0] if r.municipality_code == municipality_code]
    if rounds:
        path, round_id = rounds[-1].path, rounds[-1].round_id
    else:
        path, round_id = find_input(Path(data_dir), "insatser"), BASE_ROUND
    typed = to_typed(read_raw(path, "insatser", codebook), "insatser", codebook)
    rows = typed.loc[typed["kommunkod"] == municipality_code].reset_index(drop=True)
    return rows, round_id


def combine_rounds(
    base: pd.DataFrame, rounds: list[tuple[MappingRound, pd.DataFrame]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The inventory the build uses and every round side by side, from typed frames.

    ``base`` is the typed ``insatser`` input (every municipality's first round), ``rounds`` the
    stored rounds with their typed rows, oldest first per municipality (as :func:`find_rounds`
    orders them). Returns:

    - the current inventory: each municipality's rows of its newest round (``base`` rows for a
      municipality without stored rounds), columns as ``base``, sorted by municipality code
      (rows of one municipality in their file's order);
    - all rounds: ``base`` and every round's rows, with ``round_id`` (str; :data:`BASE_ROUND`
      for ``base``) and ``round_order`` (Int64: 0 for ``base``, then 1, 2, … per municipality).
    """
    import pandas as pd

    parts = [base.assign(round_id=BASE_ROUND, round_order=0)]
    order: dict[str, int] = {}
    for mapping_round, rows in rounds:
        code = mapping_round.municipality_code
        order[code] = order.get(code, 0) + 1
        parts.append(rows.assign(round_id=mapping_round.round_id, round_order=order[code]))
    every = pd.concat(parts, ignore_index=True)
    every["round_id"] = every["round_id"].astype("str")
    every["round_order"] = every["round_order"].astype("Int64")
    newest = every.groupby("kommunkod", sort=False)["round_order"].transform("max")
    current = every.loc[every["round_order"] == newest, list(base.columns)]
    current = current.sort_values("kommunkod", kind="stable")
    return current.reset_index(drop=True).astype(base.dtypes.to_dict()), every
