"""Chapter 06, Regional översikt.

The display frames, sentences and figures its notebook shows.
"""

from fouanalys.chapters.region.display import (
    COVERAGE_PROFILE_COLUMNS,
    ELEVATED_MARKS,
    HEATMAP_COLUMNS,
    MAX_NAMED_FACTORS,
    OVERVIEW_NUMERIC,
    REGION_LABEL,
    THIN_SHARE_OF_REGION,
    chapter_municipality,
    coverage_profile_table,
    factor_heatmap_table,
    forest_frame,
    latest_survey_year,
    overview_table,
    standout_sentences,
    thinnest_coverage,
)
from fouanalys.chapters.region.figures import (
    coverage_profile_figure,
    factor_heatmap_figure,
    forest_figure,
    gap_status_figure,
)

__all__ = [
    "COVERAGE_PROFILE_COLUMNS",
    "ELEVATED_MARKS",
    "HEATMAP_COLUMNS",
    "MAX_NAMED_FACTORS",
    "OVERVIEW_NUMERIC",
    "REGION_LABEL",
    "THIN_SHARE_OF_REGION",
    "chapter_municipality",
    "coverage_profile_figure",
    "coverage_profile_table",
    "factor_heatmap_figure",
    "factor_heatmap_table",
    "forest_figure",
    "forest_frame",
    "gap_status_figure",
    "latest_survey_year",
    "overview_table",
    "standout_sentences",
    "thinnest_coverage",
]
