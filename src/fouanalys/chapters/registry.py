"""Every report chapter, once: its id, Swedish title, notebook, the tables it reads and its scope.

The runner plans tasks from it, the build cache keys each chapter by the tables and the code it
lists, and the index page and final reports take titles and order from it. A new chapter is a
notebook, a package under ``fouanalys.chapters`` and one entry here.

``reads`` says which processed tables the chapter's notebook loads, and whether it needs only
the municipality's own rows and those of the areas it is compared with — the region, the
county, the country (``"own"``) — or the whole table (``"all"``, e.g. to compare with the
other municipalities); ``"manifest"`` stands for the raw files' facts shown from the manifest
(read as ``"rows"``: what :func:`~fouanalys.ingest.catalog.municipality_manifest` keeps).
``"rows"`` is a table read strictly by the municipality's rows
(``load_table(name, processed, municipality=code)``): a change to the region's rows leaves it.
``packages`` are the chapter packages its notebook and their display code use: a change to one
of them re-runs this chapter, and only the chapters that list it.

Seminar decks (``kind="deck"``) are entries too: the build runs and caches them as it does
chapters, but exports them as slides and keeps them out of the final reports.
:func:`chapter_ids` lists report chapters only; :func:`deck_ids` the decks; :func:`entry_ids`
both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from fouanalys.exceptions import BuildError

#: A table read in full rather than by the municipality's own rows.
READ_ALL = "all"
#: A table read only by the municipality's own rows and its reference areas' (the region, the
#: county, the country: ``load_table(..., reference=True)``).
READ_OWN = "own"
#: A table read strictly by the municipality's own rows, as
#: ``load_table(name, processed, municipality=code)`` reads it.
READ_ROWS = "rows"


@dataclass(frozen=True)
class Chapter:
    """One report chapter."""

    id: str
    title: str
    scope: Literal["municipality", "region"]
    reads: Mapping[str, str]
    packages: tuple[str, ...]
    notebook: str = field(default="")
    #: "chapter": a report chapter (HTML and A4 PDF, in the final reports); "deck": seminar
    #: slides (an offline reveal.js HTML deck and a 16:9 PDF, linked from the index only).
    kind: Literal["chapter", "deck"] = "chapter"
    #: Papermill parameters of this entry beyond the common ones (e.g. a deck's theme), so one
    #: notebook can serve several entries.
    parameters: Mapping[str, object] = field(default_factory=dict)

    @property
    def notebook_file(self) -> str:
        """The notebook's file name in ``notebooks/``."""
        return self.notebook or f"{self.id}.ipynb"


def _reads(own: str = "", whole: str = "", rows: str = "") -> dict[str, str]:
    """``reads`` from space-separated table names: ``_reads(own="gaps", whole="kolada")``."""
    return (
        {t: READ_OWN for t in own.split()}
        | {t: READ_ALL for t in whole.split()}
        | {t: READ_ROWS for t in rows.split()}
    )


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        id="01_underlag",
        title="Underlag och datakvalitet",
        scope="municipality",
        # Kolada's trends compare the municipality with the county and the country (their rows
        # are read as its own) and give its place among all municipalities from kolada_places,
        # made once in processing; the manifest only as far as municipality_manifest keeps it.
        reads=_reads(
            rows="manifest enkat insatser befolkning response prevalence kolada_places",
            own="kolada",
        ),
        packages=("underlag", "nyckeltal"),
    ),
    Chapter(
        id="02_riskfaktorer",
        title="Riskfaktorer",
        scope="municipality",
        reads=_reads(own="prevalence levels priorities priority_factors associations"),
        packages=("riskfaktorer",),
    ),
    Chapter(
        id="03_insatser",
        title="Insatser längs livsförloppet",
        scope="municipality",
        reads=_reads(
            own="insatser befolkning coverage factor_coverage targeting_coverage "
            "knowledge_profile quality_profile priority_factors gaps "
            "compared_rounds intervention_changes gap_changes"
        ),
        # The factor heatmap orders factors as chapter 02 does.
        packages=("insatser", "riskfaktorer"),
    ),
    Chapter(
        id="04_kunskapslaget",
        title="Kunskapsläget",
        scope="municipality",
        # The approaches and the research behind the factors are the same for every
        # municipality; the rest is the municipality's own.
        reads=_reads(
            own="gaps gap_approaches approach_links need_capacity",
            whole="approaches factor_research",
        ),
        packages=("kunskapslaget",),
    ),
    Chapter(
        id="05_natverk",
        title="Nätverksdynamik och samverkan",
        scope="municipality",
        # The model falls back on the region's survey shares where the municipality's are
        # suppressed (own rows include the region's); the comparison of the municipalities'
        # collaboration is the regional chapter's.
        reads=_reads(own="prevalence associations befolkning insatser"),
        packages=("natverk",),
    ),
    Chapter(
        id="06_region",
        title="Regional översikt",
        scope="region",
        reads=_reads(
            whole="prevalence priorities priority_factors gaps coverage insatser kolada "
            "befolkning manifest approaches approach_links gap_approaches"
        ),
        packages=("region", "insatser", "riskfaktorer", "natverk", "nyckeltal", "kunskapslaget"),
    ),
    # Seminar decks: slides whose every number is the report chapters' own (see the
    # ``seminarium`` package); built beside the chapters and linked from the index only.
    Chapter(
        id="seminarium",
        title="Seminarium",
        scope="municipality",
        kind="deck",
        notebook="07_seminarium.ipynb",
        reads=_reads(
            own="prevalence priorities priority_factors insatser knowledge_profile gaps "
            "gap_approaches approach_links need_capacity compared_rounds intervention_changes "
            "gap_changes",
            whole="approaches",
        ),
        packages=("seminarium", "riskfaktorer", "insatser", "kunskapslaget", "natverk"),
    ),
    *(
        Chapter(
            id=f"tema_{slug}",
            title=f"Seminarium: {label}",
            scope="region",
            kind="deck",
            notebook="08_tema.ipynb",
            reads=_reads(whole="coverage insatser gaps gap_approaches approaches approach_links"),
            packages=("seminarium", "region", "kunskapslaget", "insatser"),
            parameters={"tema": tema},
        )
        for slug, tema, label in (
            ("forebygga", "förebygga", "förebygga"),
            ("forhindra", "förhindra", "förhindra"),
            ("riskreducera", "riskreducera", "riskreducera"),
            ("luckor", "luckor", "gemensamma luckor"),
        )
    ),
)


def _by_id() -> dict[str, Chapter]:
    """Every entry by id (chapters and decks), read from :data:`CHAPTERS` on each call."""
    return {c.id: c for c in CHAPTERS}


def chapter(chapter_id: str) -> Chapter:
    """The registered entry ``chapter_id``; a BuildError naming the known ones otherwise."""
    entries = _by_id()
    try:
        return entries[chapter_id]
    except KeyError:
        known = ", ".join(entries)
        raise BuildError(f"Okänt kapitel '{chapter_id}'; kapitlen är {known}.") from None


def _ids(kind: str | None, scope: str | None) -> tuple[str, ...]:
    return tuple(
        c.id
        for c in CHAPTERS
        if (kind is None or c.kind == kind) and (scope is None or c.scope == scope)
    )


def chapter_ids(scope: str | None = None) -> tuple[str, ...]:
    """Report chapter ids in report order, all or those of one scope ("municipality",
    "region"). Seminar decks are not chapters: see :func:`deck_ids`."""
    return _ids("chapter", scope)


def deck_ids(scope: str | None = None) -> tuple[str, ...]:
    """Seminar deck ids in registry order, all or those of one scope."""
    return _ids("deck", scope)


def entry_ids(scope: str | None = None) -> tuple[str, ...]:
    """Every entry the build makes: the chapters in report order, then the decks."""
    return chapter_ids(scope) + deck_ids(scope)


def kind(chapter_id: str) -> str:
    """ "chapter" or "deck" ("chapter" for a notebook not registered)."""
    found = _by_id().get(chapter_id)
    return found.kind if found else "chapter"


def parameters(chapter_id: str) -> dict[str, object]:
    """The entry's own papermill parameters (empty for a notebook not registered)."""
    found = _by_id().get(chapter_id)
    return dict(found.parameters) if found else {}


def is_regional(chapter_id: str) -> bool:
    """Whether a chapter is built once for the region (a notebook not registered is not)."""
    found = _by_id().get(chapter_id)
    return found is not None and found.scope == "region"


def notebook_file(chapter_id: str) -> str:
    """The chapter's notebook file name (``<id>.ipynb`` for a notebook not registered)."""
    found = _by_id().get(chapter_id)
    return found.notebook_file if found else f"{chapter_id}.ipynb"


def title(chapter_id: str) -> str:
    """The Swedish title of a chapter; the id itself for a notebook not registered."""
    found = _by_id().get(chapter_id)
    return found.title if found else chapter_id
