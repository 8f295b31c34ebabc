"""Kolada key figures, a section of chapters 01 and 05.

The display frames, sentences and figures chapters 01 and 05 show.
"""

from fouanalys.chapters.nyckeltal.display import (
    NO_KOLADA_TEXT,
    UNIT_DECIMALS,
    absent_kpis_sentence,
    comparison_sentences,
    format_value,
    notes,
    regional_sentences,
    regional_table,
    role_values,
    short_status,
    source_caption,
    trend_table,
    unit_notes,
    unit_text,
    unknown_kpis_sentence,
)
from fouanalys.chapters.nyckeltal.figures import (
    TICK_STEPS,
    regional_figure,
    trend_figure,
)

__all__ = [
    "NO_KOLADA_TEXT",
    "TICK_STEPS",
    "UNIT_DECIMALS",
    "absent_kpis_sentence",
    "comparison_sentences",
    "format_value",
    "notes",
    "regional_figure",
    "regional_sentences",
    "regional_table",
    "role_values",
    "short_status",
    "source_caption",
    "trend_figure",
    "trend_table",
    "unit_notes",
    "unit_text",
    "unknown_kpis_sentence",
]
