"""Chapter 04, Kunskapsläget: what is known to work for each gap of a prioritised factor.

The display frames, sentences and figures its notebook shows.
"""

from fouanalys.chapters.kunskapslaget.display import (
    APPROACH_COLUMNS,
    APPROACH_LEGEND,
    SHARED_GAPS_LEGEND,
    SOURCES_CAPTION,
    approach_note,
    approach_table,
    approach_use_table,
    factor_heading,
    factor_label,
    gap_line,
    harm_warning,
    harmful_in_use,
    link_table,
    need_rows,
    need_sentence,
    prioritised_factors,
    references_table,
    research_sentence,
    shared_gaps_table,
    source_table,
    studies_caption,
    summary_sentences,
    uncovered_ages_sentence,
)
from fouanalys.chapters.kunskapslaget.figures import (
    effect_evidence_figure,
    need_capacity_figure,
)

__all__ = [
    "APPROACH_COLUMNS",
    "APPROACH_LEGEND",
    "SHARED_GAPS_LEGEND",
    "SOURCES_CAPTION",
    "approach_note",
    "approach_table",
    "approach_use_table",
    "effect_evidence_figure",
    "factor_heading",
    "factor_label",
    "gap_line",
    "harm_warning",
    "harmful_in_use",
    "link_table",
    "need_capacity_figure",
    "need_rows",
    "need_sentence",
    "prioritised_factors",
    "references_table",
    "research_sentence",
    "shared_gaps_table",
    "source_table",
    "studies_caption",
    "summary_sentences",
    "uncovered_ages_sentence",
]
