"""One-call Swedish views of the main results, for exploring them in a notebook.

Each returns a :class:`fouanalys.present.tables.Table` (an HTML table when displayed) whose frame
is in ``.frame``; they reuse the display frames the report chapters show. ``workbench``
offers them to notebooks.
"""

from __future__ import annotations

import pandas as pd

from fouanalys import config
from fouanalys import recruitment as rec
from fouanalys.chapters.insatser.display import coverage_cells
from fouanalys.chapters.natverk.display import (
    scenario_display_table,
    scenario_table_legend,
    scenario_table_note,
)
from fouanalys.chapters.riskfaktorer.display import priority_table, survey_year
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.present.labels import KIND_SHORT, age_span, group_label
from fouanalys.present.tables import Table, unbroken
from fouanalys.present.text import DASH, format_interval, format_number, format_share


def prevalence_display(
    prevalence: pd.DataFrame,
    municipality: object,
    year: int | None = None,
    grade: str | None = None,
    sex: str | None = None,
    codebook: Codebook | None = None,
) -> Table:
    """The prevalence table for one municipality, survey year and group, in Swedish.

    ``municipality`` is a code or a name; ``year`` defaults to the latest survey;
    ``grade``/``sex`` to all students (the codebook's all-label). One row per index in codebook
    order. Columns (text): ``Faktor``, ``Typ`` (Risk / Skydd / Utfall), ``Område``,
    ``Svarande`` (respondents with a score), ``Andel`` (share above the cut-point, ``"31 %"``)
    and ``95 % konfidensintervall`` (``"(27–35)"``); ``"–"`` where the cell is suppressed.
    """
    codebook = codebook or load_codebook()
    code = codebook.resolve_municipality(municipality)
    year = survey_year(prevalence, code, year)
    all_label = codebook.survey.all_label
    grade = all_label if grade is None else grade
    sex = all_label if sex is None else sex
    rows = prevalence.loc[
        (prevalence["municipality_code"] == code)
        & (prevalence["year"] == year)
        & (prevalence["grade"] == grade)
        & (prevalence["sex"] == sex)
    ]
    order = {idx.id: n for n, idx in enumerate(codebook.indices)}
    rows = rows.assign(_o=rows["factor"].map(order)).sort_values("_o", kind="stable")
    hidden = rows["suppressed"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    labels = {idx.id: idx.label for idx in codebook.indices}
    domains = codebook.labels("domains")
    frame = pd.DataFrame(
        {
            "Faktor": [labels.get(f, f) for f in rows["factor"]],
            "Typ": [KIND_SHORT.get(k, k) for k in rows["kind"]],
            "Område": [domains.get(d, d) for d in rows["domain"]],
            "Svarande": [
                DASH if h else format_number(n) for h, n in zip(hidden, rows["n"], strict=True)
            ],
            "Andel": [
                DASH if h else format_share(s) for h, s in zip(hidden, rows["share"], strict=True)
            ],
            "95\u00a0% konfidensintervall": [
                DASH if h else format_interval(lo, hi)
                for h, lo, hi in zip(hidden, rows["ci_low"], rows["ci_high"], strict=True)
            ],
        },
        dtype=object,
    )
    group = group_label(grade, sex, codebook)
    return Table(
        unbroken(frame),
        caption=f"Andel över gränsvärdet i {codebook.municipality_name(code)} {year}, "
        f"{group[:1].lower()}{group[1:]}",
        note="Andelen räknas på de elever som besvarat faktorns frågor (Svarande).",
        legend={
            DASH: f"– = visas inte: färre än {config.DISCLOSURE_THRESHOLD} svarande, eller så "
            "skulle värdet kunna räknas fram ur andra redovisade värden."
        },
        numeric=["Svarande", "Andel"],
    )


def priorities_display(
    priorities: pd.DataFrame,
    municipality: object,
    year: int | None = None,
    grade: str | None = None,
    sex: str | None = None,
    codebook: Codebook | None = None,
    priority_factors: pd.DataFrame | None = None,
) -> Table:
    """The municipality's factors ranked against the rest of the region (chapter 02's table,
    :func:`fouanalys.chapters.riskfaktorer.priority_table`): Rang, Faktor, Typ, the
    municipality's share with its interval, Övriga regionen, Skillnad, Förändring and, given
    the ``priority_factors`` table, Prioriterad."""
    codebook = codebook or load_codebook()
    code = codebook.resolve_municipality(municipality)
    year = survey_year(priorities, code, year)
    return Table(
        priority_table(
            priorities,
            codebook,
            code,
            year,
            grade=grade,
            sex=sex,
            priority_factors=priority_factors,
        ),
        caption=f"Risk- och skyddsfaktorer i {codebook.municipality_name(code)} {year} "
        "jämfört med övriga regionen",
        note="Andelar i procent, skillnader i procentenheter, med 95-procentsintervall.",
        numeric=[],
    )


def coverage_display(
    coverage: pd.DataFrame, municipality: object, codebook: Codebook | None = None
) -> Table:
    """Reach of the ongoing interventions per prevention level and life stage, in Swedish.

    One row per level (``Nivå``), one column per life stage with its ages (``"13–15 år"``
    after the name). A cell is the reach per 1 000 inhabitants of the stage and, in brackets,
    the number of ongoing interventions: ``"12 (2 insatser)"``; ``"okänd"`` when none reports
    participants, ``"≥12"`` when some do not, ``"0 (inga insatser)"`` when there is none
    (:func:`fouanalys.chapters.insatser.coverage_cells`).
    """
    codebook = codebook or load_codebook()
    code = codebook.resolve_municipality(municipality)
    cells = coverage_cells(coverage, code, codebook)
    stages = {s.id: f"{s.label} ({age_span(s.age_from, s.age_to)})" for s in codebook.life_stages}
    cells = cells.assign(
        _stage=cells["stage"].map(stages),
        _text=[f"{r} ({c})" for r, c in zip(cells["reach_text"], cells["count_text"], strict=True)],
    )
    wide = cells.pivot(index="level_label", columns="_stage", values="_text")
    wide = wide.reindex(index=list(dict.fromkeys(cells["level_label"])))
    wide = wide[list(dict.fromkeys(cells["_stage"]))]
    frame = wide.rename_axis(index="Nivå", columns=None).reset_index().astype(object)
    return Table(
        frame,
        caption=f"Pågående insatsers räckvidd per 1\u202f000 invånare i "
        f"{codebook.municipality_name(code)}, per nivå och livsskede",
        note="Deltagarplatser per år per 1 000 invånare i livsskedets åldrar (antal pågående "
        "insatser inom parentes). okänd = ingen insats anger antal deltagare; ≥ = någon saknar "
        f"uppgiften eller har färre än {config.DISCLOSURE_THRESHOLD} deltagare, räckvidden är "
        f"minst så stor; under = räckvidden vilar på färre än {config.DISCLOSURE_THRESHOLD} "
        "deltagare och redovisas bara grovt.",
        numeric=[],
    )


def scenario_display(summary: pd.DataFrame, outcome_months: int | None = None) -> Table:
    """The recruitment model's scenario outcomes (chapter 05's table,
    :func:`fouanalys.chapters.natverk.scenario_display_table` over
    :func:`fouanalys.recruitment.scenario_summary`): per scenario the share in the model that
    has been in the network by 21 and the changes against nuläge in percent, with the 10th–90th
    percentile over the runs. What the model shows under its assumptions, not a forecast.
    ``outcome_months`` is the run's ``utfall_manader`` (default: the model's default)."""
    replicates = int(summary["replicates"].max()) if "replicates" in summary else 0
    return Table(
        scenario_display_table(summary),
        caption="Utfall per scenario i modellen: andel och förändring mot nuläget",
        note=scenario_table_note(
            replicates, outcome_months or int(rec.model_parameters()["utfall_manader"])
        ),
        legend=scenario_table_legend(),
        numeric=[],
    )
