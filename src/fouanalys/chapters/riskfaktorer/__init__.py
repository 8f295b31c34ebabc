"""Chapter 02, Riskfaktorer.

The display frames, sentences and figures its notebook shows.
"""

from fouanalys.chapters.riskfaktorer.display import (
    PROFILE_KINDS,
    association_display,
    association_frame,
    denominator_sentence,
    factor_frame,
    grades,
    index_table,
    level_table,
    outcome_table,
    paf_overlap_sentence,
    prioritised_factors,
    priority_matrix,
    priority_sentences,
    priority_table,
    profile_frame,
    survey_year,
    trend_frame,
    trend_table,
)
from fouanalys.lazy import lazy_names

#: The figures, imported when first used (:mod:`fouanalys.lazy`).
_FIGURES = (
    "association_figure",
    "ctc_profile_figure",
    "level_figure",
    "trend_figure",
)
__getattr__ = lazy_names(__name__, f"{__name__}.figures", _FIGURES)

__all__ = [
    "PROFILE_KINDS",
    "association_display",
    "association_figure",
    "association_frame",
    "ctc_profile_figure",
    "denominator_sentence",
    "factor_frame",
    "grades",
    "index_table",
    "level_figure",
    "level_table",
    "outcome_table",
    "paf_overlap_sentence",
    "prioritised_factors",
    "priority_matrix",
    "priority_sentences",
    "priority_table",
    "profile_frame",
    "survey_year",
    "trend_figure",
    "trend_frame",
    "trend_table",
]
