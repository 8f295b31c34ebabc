"""Chapter 05, Nätverksdynamik och samverkan.

The display frames, sentences and figures its notebook shows.
"""

from fouanalys.chapters.natverk.display import (
    PARAMETER_TABLE_NOTE,
    format_relative,
    lever_display_table,
    parameter_display_table,
    removal_sentence,
    scenario_display_table,
    scenario_sentences,
    scenario_table_legend,
    scenario_table_note,
)
from fouanalys.chapters.natverk.figures import (
    HIGHLIGHT_COLOR,
    LEVEL_COLORS,
    MISSING_COLOR,
    OTHERS_COLOR,
    SCENARIO_COLORS,
    SSPF_COLOR,
    collaboration_comparison_figure,
    collaboration_figure,
    outcome_figure,
    scenario_figure,
    sspf_pair_figure,
    state_diagram_figure,
    structure_figure,
)
from fouanalys.chapters.natverk.samverkan import (
    ACTOR_TABLE_NOTE,
    ACTOR_TABLE_NUMERIC,
    EDGE_TABLE_NUMERIC,
    PAIR_JOIN,
    actor_display_table,
    collaboration_sentences,
    edge_display_table,
    format_density,
)

__all__ = [
    "ACTOR_TABLE_NOTE",
    "ACTOR_TABLE_NUMERIC",
    "EDGE_TABLE_NUMERIC",
    "HIGHLIGHT_COLOR",
    "LEVEL_COLORS",
    "MISSING_COLOR",
    "OTHERS_COLOR",
    "PAIR_JOIN",
    "PARAMETER_TABLE_NOTE",
    "SCENARIO_COLORS",
    "SSPF_COLOR",
    "actor_display_table",
    "collaboration_comparison_figure",
    "collaboration_figure",
    "collaboration_sentences",
    "edge_display_table",
    "format_density",
    "format_relative",
    "lever_display_table",
    "outcome_figure",
    "parameter_display_table",
    "removal_sentence",
    "scenario_display_table",
    "scenario_figure",
    "scenario_sentences",
    "scenario_table_legend",
    "scenario_table_note",
    "sspf_pair_figure",
    "state_diagram_figure",
    "structure_figure",
]
