"""The one number formatter: one rounding rule and one print form in tables, figure labels and
running text. Expected strings are written by hand from the rule (half away from zero on the
number as written), not computed by the code under test."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from matplotlib.ticker import FuncFormatter

from fouanalys.chapters.insatser import gap_sentence, reach_text
from fouanalys.codebook import load_codebook
from fouanalys.present.style import new_figure, percent_tick, thousands_tick
from fouanalys.present.tables import Table
from fouanalys.present.text import (
    format_number,
    format_points,
    format_reach,
    format_share,
    format_share_difference,
    format_significant,
    number_word,
    rounded,
)

CB = load_codebook()
NNB = "\u202f"  # narrow no-break space between thousands
NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.125, 2, "0,13"),  # half up; format() would give 0,12 (half to even)
        (2.675, 2, "2,68"),  # binary 2.67499… but written 2.675
        (2.5, 0, "3"),  # round() would give 2
        (3.25, 1, "3,3"),
        (-2.5, 0, "\u22123"),  # half away from zero, real minus
        (-0.04, 1, "0,0"),  # never "−0,0"
        (1234.5, 0, f"1{NNB}235"),
        (12345.678, 1, f"12{NNB}345,7"),
        (999, 0, "999"),
        (Decimal("16.5"), 0, "17"),
        (float("inf"), 0, "∞"),
        (None, 0, "–"),
        (np.nan, 1, "–"),
    ],
)
def test_format_number_rounds_half_up_and_groups_thousands(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_shares_are_scaled_exactly_before_rounding():
    # 0.145 * 100 is 14.499999999999998 in floating point; the share prints as 15 %.
    assert 0.145 * 100 < 14.5
    assert format_share(0.145) == f"15{NB}%"
    assert format_points(0.145) == "15"
    assert format_share(0.165) == f"17{NB}%"
    assert format_points(-0.025, 1, signed=True) == "\u22122,5"
    assert format_points(0.025, 0, signed=True) == "+3"


def test_small_helpers():
    assert format_significant(0.0003) == "0,0003"
    assert format_significant(1.0) == "1"
    assert format_significant(0.123456) == "0,1235"
    assert format_significant(12.5) == "12,5"
    assert number_word(2) == "två" and number_word(0) == "noll" and number_word(40) == "40"
    assert rounded(2.5) == 3 and rounded(0.5) == 1


@pytest.mark.parametrize("value", [0.125, 2.675, 16.5, 1234.55, 2.25, 12345.05])
def test_the_same_value_prints_the_same_in_a_table_a_figure_and_the_text(value):
    # A table cell (floats with one decimal, integers without).
    table = Table(pd.DataFrame({"x": [value], "n": [int(value)]}))
    html = table._repr_html_()
    assert f">{format_number(value, 1)}<" in html
    assert f">{format_number(int(value))}<" in html
    # A figure's axis labels, drawn: percent and thousands ticks use the same formatter.
    fig = new_figure()
    ax = fig.axes[0]
    ax.set_xlim(0, 2 * value)
    ax.set_xticks([value])
    ax.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    ax.set_yticks([value])
    ax.yaxis.set_major_formatter(FuncFormatter(thousands_tick))
    fig.canvas.draw()
    assert ax.get_xticklabels()[0].get_text() == f"{format_number(value)}{NB}%"
    assert ax.get_yticklabels()[0].get_text() == format_number(value)
    # Running text: a share of value/100 in a sentence prints as the tick does.
    assert format_share(value / 100) == ax.get_xticklabels()[0].get_text()


def test_a_reach_reads_the_same_in_the_heatmap_and_the_gap_sentence():
    reach = 8.25  # 1 decimal below 10: "8,3" (half up), never "8,2"
    row = {
        "factor": "kamrater_normbrott",
        "kind": "risk",
        "stage": "19-25",
        "rank": 1,
        "interventions": 1,
        "reach_per_1000": reach,
        "unknown_reach": 0,
        "best_knowledge": "evidensbaserad",
        "status": "tunn",
    }
    cell = reach_text("complete", reach)
    assert cell == format_reach(reach) == "8,3"
    assert f"och når {cell} per 1{NB}000 invånare" in gap_sentence(row, CB)


MINUS = "\u2212"


@pytest.mark.parametrize(
    ("share", "reference", "expected"),
    [
        (0.497, 0.544, f"{MINUS}4"),  # "50 %" against "54 %": −4, not the unrounded −4,7 → −5
        (0.226345, 0.2, "+3"),  # "23 %" against "20 %"
        (0.145, 0.135, "+1"),  # "15 %" against "14 %": both round half up
        (0.504, 0.496, "0"),  # "50 %" against "50 %": no difference printed, though 0,8 points
        (np.nan, 0.5, "–"),
    ],
)
def test_a_printed_difference_agrees_with_the_printed_shares(share, reference, expected):
    assert format_share_difference(share, reference) == expected
    if expected != "–":
        printed = [int(format_share(s).split(NB)[0]) for s in (share, reference)]
        assert int(expected.replace(MINUS, "-")) == printed[0] - printed[1]


def test_a_printed_difference_keeps_its_interval():
    assert format_share_difference(0.497, 0.544, -0.07, -0.02) == (
        f"{MINUS}4 ({MINUS}7{NB}till{NB}{MINUS}2)"
    )
    assert format_share_difference(0.23, 0.20, 0.01, 0.05) == "+3 (1–5)"
    assert format_share_difference(0.23, 0.20, np.nan, np.nan) == "+3"


def test_a_missing_value_that_is_not_suppressed_is_not_a_dash():
    frame = pd.DataFrame({"Kommun": ["A", "B"], "Insatser": pd.array([3, pd.NA], dtype="Int64")})
    html = Table(frame)._repr_html_()
    assert '<td class="num">saknas</td>' in html
    assert "–" not in html


def test_a_legend_entry_is_shown_only_where_its_symbol_is_used():
    legend = {
        "–": "– = visas inte: färre än 5 svarande.",
        "saknas": "saknas = ingen tidigare mätning.",
    }
    with_dash = pd.DataFrame({"Faktor": ["a", "b"], "Andel": ["31 %", "–"]})
    interval_only = pd.DataFrame(
        {"Faktor": ["a"], "Andel": [f"31{NB}% (27–35)"], "Skillnad": ["+9*"]}
    )
    starred_dash = pd.DataFrame({"Faktor": ["a"], "Skillnad": ["–*"]})
    assert Table(with_dash, note="Andelar.", legend=legend).note == (
        "Andelar. – = visas inte: färre än 5 svarande."
    )
    assert Table(interval_only, note="Andelar.", legend=legend).note == "Andelar."
    assert Table(interval_only, legend=legend).note is None
    assert "visas inte" in Table(starred_dash, legend=legend).note
    missing = pd.DataFrame({"Faktor": ["a"], "Andel": [np.nan]})  # rendered "saknas"
    assert Table(missing, legend=legend).note == "saknas = ingen tidigare mätning."
    assert '<p class="fou-note">' not in Table(interval_only, legend=legend)._repr_html_()


def test_a_mark_is_explained_only_under_a_table_with_a_marked_cell():
    legend = {"*": "* = statistiskt säkert sämre.", "–": "– = visas inte."}
    marked = pd.DataFrame({"Grupp": ["a", "b"], "Skillnad": ["+9*", "−2"]})
    unmarked = pd.DataFrame({"Grupp": ["a", "b"], "Skillnad": ["+9", "−2"]})
    dash_marked = pd.DataFrame({"Grupp": ["a"], "Skillnad": ["–*"]})
    assert Table(marked, legend=legend).note == "* = statistiskt säkert sämre."
    assert Table(unmarked, legend=legend).note is None
    assert Table(dash_marked, legend=legend).note == "* = statistiskt säkert sämre. – = visas inte."


def test_format_too_few_hides_a_small_group_behind_a_bound():
    from fouanalys.present.text import format_too_few

    nb = "\u00a0"
    assert format_too_few(0, 1669) == f"0{nb}%"
    assert format_too_few(59, 1669) == f"4{nb}%"
    # 3 of 1 669: only that it is under 5 of 1 669, rounded up (0,3 % -> 1 %)
    assert format_too_few(3, 1669) == f"under{nb}1{nb}%"
    assert format_too_few(2, 40) == f"under{nb}13{nb}%"  # 5 of 40 is 12,5 %
    assert format_too_few(None, 40) == "–" and format_too_few(1, 0) == "–"


def test_wrap_label_breaks_a_long_compound_at_its_seam():
    from fouanalys.present.text import wrap_label

    assert wrap_label("Anknytning till bostadsområdet", 12) == "Anknytning\ntill\nbostads-\nområdet"
    assert wrap_label("Anknytning till bostadsområdet", 30) == "Anknytning till bostadsområdet"
    assert wrap_label("Ett ordmedlångsammansättning", 12) == "Ett\nordmedlångsammansättning"
