"""Chapter 01, Underlag och datakvalitet.

The display frames, sentences and figures its notebook shows.
"""

from fouanalys.chapters.underlag.display import (
    analysed_respondents,
    input_summary,
    inventory_by_level,
    latest_year,
    population_pyramid,
    response_counts,
    response_counts_table,
    response_rate_legend,
    response_rate_note,
    response_rate_table,
    response_rate_text,
    response_rates,
    too_few_answers,
    unserious_rule_text,
    validation_problems,
    validation_summary,
    validation_text,
)
from fouanalys.chapters.underlag.figures import (
    inventory_by_level_figure,
    population_pyramid_figure,
    response_counts_figure,
)

__all__ = [
    "analysed_respondents",
    "input_summary",
    "inventory_by_level",
    "inventory_by_level_figure",
    "latest_year",
    "population_pyramid",
    "population_pyramid_figure",
    "response_counts",
    "response_counts_figure",
    "response_counts_table",
    "response_rate_legend",
    "response_rate_note",
    "response_rate_table",
    "response_rate_text",
    "response_rates",
    "too_few_answers",
    "unserious_rule_text",
    "validation_problems",
    "validation_summary",
    "validation_text",
]
