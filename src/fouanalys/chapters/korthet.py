"""*Resultat i korthet*: the points a final report opens with, each the chapter's own sentence.

A municipality's report opens with its prioritised factors against the rest of the region
(chapter 02's sentences), its most important gaps along the life course (chapter 03's), what
is known to work for them and any harmful approach in its inventory (chapter 04's), and what
the key figures say (chapter 01's); the region's with each municipality's standout
sentence (chapter 06's). Every point is made by the function the chapter itself calls, with the
same arguments, so every number in it is the number the chapter prints, to the digit; each
point names the chapter and section where it is shown, for a link.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fouanalys import keyfigures
from fouanalys.chapters import insatser, kunskapslaget, nyckeltal, region, riskfaktorer
from fouanalys.chapters.registry import title
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.exceptions import FouanalysError
from fouanalys.present.text import number_word

#: How many prioritised factors and gaps the summary names at most (the rest are counted).
MAX_POINTS = 5

TITLE = "Resultat i korthet"


@dataclass(frozen=True)
class Point:
    """One sentence of the summary (plain text) and where the report shows it."""

    text: str
    chapter_id: str
    section: str


def _plain(sentences: list[str]) -> list[str]:
    """Sentences made for Markdown (HTML-escaped) back to plain text."""
    return [html.unescape(s) for s in sentences]


def municipality_points(
    load: Callable[[str], pd.DataFrame | None], code: str, codebook: Codebook | None = None
) -> dict[str, list[Point]]:
    """The summary of one municipality's report, by heading; ``load(name)`` gives a processed
    table (None when it is missing): whole, or the municipality's rows with those of the
    region, the county and the country (then ``kolada_places`` is needed for Kolada's places,
    as in chapter 01)."""
    codebook = codebook or load_codebook()
    out: dict[str, list[Point]] = {}
    prevalence, priorities, chosen = (
        load("prevalence"),
        load("priorities"),
        load("priority_factors"),
    )
    if prevalence is not None and priorities is not None and chosen is not None:
        year = riskfaktorer.survey_year(prevalence, code, None)
        sentences = riskfaktorer.priority_sentences(
            priorities, chosen, codebook, code, year, limit=MAX_POINTS
        )
        out["Prioriterade risk- och skyddsfaktorer"] = [
            Point(s, "02_riskfaktorer", "Sammanfattning") for s in sentences
        ]
    gaps = load("gaps")
    if gaps is not None and chosen is not None:
        if (gaps["municipality_code"] == code).any():
            sentences = _plain(insatser.gap_list(gaps, code, codebook, limit=MAX_POINTS))
        else:
            year = insatser.priority_year(chosen, code)
            sentences = [insatser.gap_summary(gaps, code, codebook, year=year)]
        out["De viktigaste luckorna längs livsförloppet"] = [
            Point(s, "03_insatser", "Luckor") for s in sentences
        ]
    fits, approaches, links = load("gap_approaches"), load("approaches"), load("approach_links")
    if gaps is not None and fits is not None and approaches is not None and links is not None:
        harmful = kunskapslaget.harmful_in_use(links, approaches, code)
        sentences = kunskapslaget.summary_sentences(gaps, fits, harmful, code, codebook)
        out["Vad forskningen säger om luckorna"] = [
            Point(s, "04_kunskapslaget", "Sammanfattning") for s in _plain(sentences)
        ]
    kolada, befolkning = load("kolada"), load("befolkning")
    if kolada is not None and befolkning is not None:
        trend = keyfigures.kpi_trends(
            keyfigures.with_rates(kolada, befolkning, codebook),
            code,
            codebook,
            places=load("kolada_places"),
        )
        # the figures that differ from the county by the chapter's rule; the rest are counted
        sentences = _plain(nyckeltal.brief_comparisons(trend)) if len(trend) else []
        section = "Kommunens sammanhang: nyckeltal från Kolada"
        points = [Point(s, "01_underlag", section) for s in sentences]
        kpis = trend["kpi"].nunique() if len(trend) else 0
        rest = kpis - len(points)
        if rest:
            who = (
                "Det övriga nyckeltalet ligger"
                if rest == 1
                else f"Övriga {number_word(rest)} nyckeltal ligger"
            )
            points.append(
                Point(
                    f"{who} i nivå med länet, följs över tid eller kan inte jämföras.",
                    "01_underlag",
                    section,
                )
            )
        out["Vad nyckeltalen säger"] = points
    return {heading: points for heading, points in out.items() if points}


def region_points(
    load: Callable[[str], pd.DataFrame | None], codebook: Codebook | None = None
) -> dict[str, list[Point]]:
    """The summary of the region's report: each municipality's standout sentence."""
    from fouanalys.collaboration import regional_collaboration

    codebook = codebook or load_codebook()
    tables = {n: load(n) for n in ("prevalence", "priorities", "priority_factors", "coverage")}
    insatser_table = load("insatser")
    if any(t is None for t in tables.values()) or insatser_table is None:
        return {}
    year = region.latest_survey_year(tables["prevalence"], codebook)
    sentences = region.standout_sentences(
        tables["priorities"],
        tables["priority_factors"],
        tables["coverage"],
        regional_collaboration(insatser_table, codebook),
        codebook,
        year=year,
    )
    return {"Kommunerna": [Point(s, "06_region", "Sammanfattning") for s in sentences]}


def summary_points(processed_dir: Path | str, code: str) -> dict[str, list[Point]]:
    """The summary for ``code`` (a municipality, or the region's code) from the processed
    tables in ``processed_dir``."""
    from fouanalys.ingest.processing import load_table

    folder = Path(processed_dir)
    codebook = load_codebook()
    regional = code == codebook.region.code

    def load(name: str) -> pd.DataFrame | None:
        """The table whole for the region; for a municipality its own rows and those of the
        areas it is compared with, as its chapters read them, so that a report's cost does
        not grow with the number of municipalities."""
        path = folder / f"{name}.parquet"
        if not path.is_file():
            return None
        if regional:
            return pd.read_parquet(path)
        try:
            return load_table(name, folder, municipality=code, reference=True)
        except FouanalysError:  # a table without municipalities: the knowledge base
            return pd.read_parquet(path)

    if regional:
        return region_points(load, codebook)
    return municipality_points(load, code, codebook)


def points_html(points: Mapping[str, list[Point]], anchors: Mapping[tuple[str, str], str]) -> str:
    """The summary as HTML: a heading per group, a list of its sentences, each with a link to
    the section that shows it (``anchors``: (chapter id, section) → anchor id; a point whose
    section is not in the report gets no link). Text is escaped here."""
    parts = []
    for heading, group in points.items():
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        items = []
        for point in group:
            anchor = anchors.get((point.chapter_id, point.section))
            where = f"{title(point.chapter_id)}: {point.section}"
            link = (
                f' (<a class="fou-ref" href="#{html.escape(anchor)}">se {html.escape(where)}</a>)'
                if anchor
                else ""
            )
            items.append(f"<li>{html.escape(point.text)}{link}</li>")
        parts.append(f'<ul class="fou-summary">{"".join(items)}</ul>')
    return "".join(parts)
