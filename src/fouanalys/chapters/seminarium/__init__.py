"""Seminar decks: the slide texts, dialogue questions and slide-sized figures of
``07_seminarium`` (one municipality) and ``08_tema`` (the region, one prevention level or the
shared gaps).

Every number on a slide is made by the report chapters' own display functions; this package
only chooses among their sentences, frames them for a slide and asks the questions.
"""

from fouanalys.chapters.seminarium.display import (
    THEMES,
    brief_points,
    dialogue_questions,
    level_approach_table,
    level_inventory_table,
    level_reach_table,
    missing_level_sentences,
    most_serious_gap,
    theme_questions,
    title_text,
)
from fouanalys.chapters.seminarium.figures import (
    SLIDE_SIZE,
    gap_map_figure,
    priority_figure,
    shared_gaps_figure,
)

__all__ = [
    "SLIDE_SIZE",
    "THEMES",
    "brief_points",
    "dialogue_questions",
    "gap_map_figure",
    "level_approach_table",
    "level_inventory_table",
    "level_reach_table",
    "missing_level_sentences",
    "most_serious_gap",
    "priority_figure",
    "shared_gaps_figure",
    "theme_questions",
    "title_text",
]
