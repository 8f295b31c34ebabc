"""Chapter 04, Nätverksdynamik och samverkan.

The display frames, sentences and figures its notebook shows.
"""

from fouanalys.chapters.natverk.display import (
    lever_display_table,
    parameter_display_table,
    removal_sentence,
    scenario_display_table,
    scenario_sentences,
)
from fouanalys.chapters.natverk.figures import (
    ABSENT_COLOR,
    ACTOR_COLOR,
    HIGHLIGHT_COLOR,
    ISOLATED_COLOR,
    LEVEL_COLORS,
    LINK_COLOR,
    MAX_WEIGHT_LABELS,
    OTHERS_COLOR,
    SCENARIO_COLORS,
    SSPF_COLOR,
    collaboration_comparison_figure,
    collaboration_figure,
    outcome_figure,
    scenario_figure,
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
    "ABSENT_COLOR",
    "ACTOR_COLOR",
    "ACTOR_TABLE_NOTE",
    "ACTOR_TABLE_NUMERIC",
    "EDGE_TABLE_NUMERIC",
    "HIGHLIGHT_COLOR",
    "ISOLATED_COLOR",
    "LEVEL_COLORS",
    "LINK_COLOR",
    "MAX_WEIGHT_LABELS",
    "OTHERS_COLOR",
    "PAIR_JOIN",
    "SCENARIO_COLORS",
    "SSPF_COLOR",
    "actor_display_table",
    "collaboration_comparison_figure",
    "collaboration_figure",
    "collaboration_sentences",
    "edge_display_table",
    "format_density",
    "lever_display_table",
    "outcome_figure",
    "parameter_display_table",
    "removal_sentence",
    "scenario_display_table",
    "scenario_figure",
    "scenario_sentences",
    "state_diagram_figure",
    "structure_figure",
]
