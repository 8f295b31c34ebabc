"""What changed between a municipality's two latest mapping rounds.

A municipality that has returned its mapping more than once (see
:mod:`fouanalys.ingest.rounds`) has its rounds side by side in the ``insatser_rounds`` table.
This module compares the newest round with the one before it: which interventions are new,
which are no longer listed, which changed level, reach, ages or status
(:func:`intervention_changes`), and how the gap map changed (:func:`gap_changes`), with the
gaps of both rounds computed by the same rule from the same prioritised factors, so a changed
gap comes from the inventory and nothing else. Codes and numbers only: the chapter words them.
"""

from __future__ import annotations

import pandas as pd

from fouanalys.codebook import normalize_key
from fouanalys.coverage import GAP_STATUSES, PRESENT

#: Change codes of an intervention: listed now but not before, listed before but not now, in
#: both with a different value in one of :data:`COMPARED`.
NEW, ENDED, CHANGED = "new", "ended", "changed"
#: Change codes of a gap cell (prioritised factor × life stage): a gap before and not now, not
#: a gap before and one now, a gap in both with another status, the same status in both.
CLOSED, OPENED, SHIFTED, SAME = "closed", "opened", "shifted", "same"
#: The fields compared between rounds, in the order a change is listed.
COMPARED = (
    "niva",
    "status",
    "deltagare_per_ar",
    "alder_fran",
    "alder_till",
    "inriktning",
    "kunskapslage",
    "huvudman",
)
#: Fields kept side by side (``<field>_before``, ``<field>_after``) in the change table.
SIDE_BY_SIDE = ("niva", "status", "deltagare_per_ar", "alder_fran", "alder_till")
_GAPS = tuple(s for s in GAP_STATUSES if s != PRESENT)


def compared_rounds(rounds: pd.DataFrame) -> pd.DataFrame:
    """The two rounds compared for each municipality with two or more.

    ``rounds`` is the ``insatser_rounds`` table (``kommunkod``, ``round_id``, ``round_order``).
    Columns: ``municipality_code``, ``previous_round``, ``current_round`` (round ids),
    ``previous_interventions``, ``current_interventions`` (Int64: rows in each). Sorted by code.
    """
    columns = [
        "municipality_code",
        "previous_round",
        "current_round",
        "previous_interventions",
        "current_interventions",
    ]
    rows = []
    for code, own in rounds.groupby("kommunkod", sort=True):
        orders = sorted(own["round_order"].dropna().unique())
        if len(orders) < 2:
            continue
        before, after = (own.loc[own["round_order"] == o] for o in orders[-2:])
        rows.append(
            {
                "municipality_code": str(code),
                "previous_round": str(before["round_id"].iloc[0]),
                "current_round": str(after["round_id"].iloc[0]),
                "previous_interventions": len(before),
                "current_interventions": len(after),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    return out.astype(
        {
            "municipality_code": "str",
            "previous_round": "str",
            "current_round": "str",
            "previous_interventions": "Int64",
            "current_interventions": "Int64",
        }
    )


def previous_inventory(rounds: pd.DataFrame) -> pd.DataFrame:
    """The round before the newest, for each municipality with two or more rounds: rows of
    ``insatser_rounds`` without the round columns (the typed ``insatser`` columns)."""
    previous, _ = _latest_two(rounds)
    return previous.drop(columns=["round_id", "round_order"]).reset_index(drop=True)


def _latest_two(rounds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    newest = rounds.groupby("kommunkod")["round_order"].transform("max")
    several = newest >= 1
    after = rounds.loc[several & (rounds["round_order"] == newest)]
    before = rounds.loc[several & (rounds["round_order"] == newest - 1)]
    return before, after


def _same(a: object, b: object) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return a == b


def intervention_changes(rounds: pd.DataFrame) -> pd.DataFrame:
    """Every intervention that is new, no longer listed, or changed since the previous round.

    Interventions are matched by name within a municipality, ignoring case, spacing, dashes
    and å/ä/ö (a renamed intervention is therefore one ended and one new). Columns:
    ``municipality_code``, ``insats`` (the name as the newest round writes it, or the previous
    round for an ended one), ``change`` (:data:`NEW`, :data:`ENDED` or :data:`CHANGED`),
    ``changed`` (the :data:`COMPARED` fields that differ, ``;``-joined, "" unless changed), and
    ``<field>_before``/``<field>_after`` for each of :data:`SIDE_BY_SIDE` (NA where the
    intervention is not in that round). Sorted by municipality, change (new, changed, ended)
    and name.
    """
    before, after = _latest_two(rounds)
    key = "_key"
    before = before.assign(**{key: before["insats"].map(normalize_key)})
    after = after.assign(**{key: after["insats"].map(normalize_key)})
    merged = before.merge(
        after,
        on=["kommunkod", key],
        how="outer",
        suffixes=("_before", "_after"),
        indicator=True,
    )
    rows = []
    for _, row in merged.iterrows():
        if row["_merge"] == "right_only":
            change, changed, name = NEW, [], row["insats_after"]
        elif row["_merge"] == "left_only":
            change, changed, name = ENDED, [], row["insats_before"]
        else:
            changed = [f for f in COMPARED if not _same(row[f + "_before"], row[f + "_after"])]
            if not changed:
                continue
            change, name = CHANGED, row["insats_after"]
        out = {
            "municipality_code": str(row["kommunkod"]),
            "insats": str(name),
            "change": change,
            "changed": ";".join(changed),
        }
        for field in SIDE_BY_SIDE:
            out[field + "_before"] = row[field + "_before"]
            out[field + "_after"] = row[field + "_after"]
        rows.append(out)
    columns = ["municipality_code", "insats", "change", "changed"] + [
        f"{f}_{side}" for f in SIDE_BY_SIDE for side in ("before", "after")
    ]
    table = pd.DataFrame(rows, columns=columns)
    order = {NEW: 0, CHANGED: 1, ENDED: 2}
    table = table.assign(_order=table["change"].map(order), _name=table["insats"].str.lower())
    table = table.sort_values(["municipality_code", "_order", "_name"], kind="stable")
    table = table.drop(columns=["_order", "_name"]).reset_index(drop=True)
    dtypes = {c: "str" for c in ("municipality_code", "insats", "change", "changed")}
    for field in SIDE_BY_SIDE:
        kind = "Int64" if field in ("deltagare_per_ar", "alder_fran", "alder_till") else "str"
        dtypes |= {f"{field}_before": kind, f"{field}_after": kind}
    return table.astype(dtypes)


def gap_changes(previous_gaps: pd.DataFrame, current_gaps: pd.DataFrame) -> pd.DataFrame:
    """Each prioritised factor × life stage of the compared municipalities, before and after.

    ``previous_gaps`` is :func:`fouanalys.coverage.gap_table` of the previous rounds,
    ``current_gaps`` that of the current inventory (only the municipalities in
    ``previous_gaps`` are compared). Columns: ``municipality_code``, ``factor``, ``kind``,
    ``stage``, ``rank`` (Int64), ``status_before``, ``status_after`` (gap statuses of
    :mod:`fouanalys.coverage`), ``reach_before``, ``reach_after`` (Float64 reach per 1 000, NA
    when unknown) and ``change``: :data:`CLOSED` (a gap before, ``finns`` now), :data:`OPENED`
    (``finns`` before, a gap now), :data:`SHIFTED` (a gap in both, another status) or
    :data:`SAME`. In the current gap table's order.
    """
    keys = ["municipality_code", "factor", "stage"]
    compared = set(previous_gaps["municipality_code"])
    after = current_gaps.loc[current_gaps["municipality_code"].isin(compared)]
    before = previous_gaps[[*keys, "status", "reach_per_1000"]]
    merged = after[[*keys, "kind", "rank", "status", "reach_per_1000"]].merge(
        before, on=keys, how="left", suffixes=("_after", "_before")
    )
    merged = merged.rename(
        columns={"reach_per_1000_before": "reach_before", "reach_per_1000_after": "reach_after"}
    )
    was_gap = merged["status_before"].isin(_GAPS)
    is_gap = merged["status_after"].isin(_GAPS)
    merged["change"] = SAME
    merged.loc[was_gap & ~is_gap, "change"] = CLOSED
    merged.loc[~was_gap & is_gap, "change"] = OPENED
    merged.loc[was_gap & is_gap & (merged["status_before"] != merged["status_after"]), "change"] = (
        SHIFTED
    )
    columns = [
        *keys[:2],
        "kind",
        "stage",
        "rank",
        "status_before",
        "status_after",
        "reach_before",
        "reach_after",
        "change",
    ]
    out = merged[columns].reset_index(drop=True)
    return out.astype(
        {
            "municipality_code": "str",
            "factor": "str",
            "kind": "str",
            "stage": "str",
            "rank": "Int64",
            "status_before": "str",
            "status_after": "str",
            "reach_before": "Float64",
            "reach_after": "Float64",
            "change": "str",
        }
    )
