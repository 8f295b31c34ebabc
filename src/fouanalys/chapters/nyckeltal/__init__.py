"""Kolada key figures, a section of chapters 01 and 05.

The display frames, sentences and figures chapters 01 and 05 show.
"""

from fouanalys.chapters.nyckeltal.display import (
    COMPARISON_WORDS,
    NO_KOLADA_TEXT,
    PLACE_COLUMN,
    UNIT_DECIMALS,
    absent_kpis_sentence,
    brief_comparisons,
    comparison_sentences,
    format_value,
    kpi_trend_table,
    method_text,
    notes,
    place_text,
    regional_sentences,
    regional_table,
    role_values,
    short_status,
    source_caption,
    unit_notes,
    unit_text,
    unknown_kpis_sentence,
)
from fouanalys.chapters.nyckeltal.figures import (
    TICK_STEPS,
    kpi_trend_figure,
    regional_figure,
)

__all__ = [
    "COMPARISON_WORDS",
    "NO_KOLADA_TEXT",
    "PLACE_COLUMN",
    "TICK_STEPS",
    "UNIT_DECIMALS",
    "absent_kpis_sentence",
    "brief_comparisons",
    "comparison_sentences",
    "format_value",
    "kpi_trend_figure",
    "kpi_trend_table",
    "method_text",
    "notes",
    "place_text",
    "regional_figure",
    "regional_sentences",
    "regional_table",
    "role_values",
    "short_status",
    "source_caption",
    "unit_notes",
    "unit_text",
    "unknown_kpis_sentence",
]
