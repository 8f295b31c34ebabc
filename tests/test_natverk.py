"""Chapter 05: its tables, sentences and figures, and the notebook end to end."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from support import run_chapter, write_example_processed

from fouanalys import config
from fouanalys import recruitment as rec
from fouanalys.chapters import natverk as nv
from fouanalys.codebook import load_codebook
from fouanalys.present.text import format_number

CB = load_codebook()
CHAPTER = config.NOTEBOOKS_DIR / "05_natverk.ipynb"


def summary_frame() -> pd.DataFrame:
    """A hand-made scenario summary (the shape of recruitment.scenario_summary)."""
    rows = []
    for sc, share, rel in [
        ("nulage", 0.01549, 0.0),
        ("forebygga", 0.01451, -0.05),
        ("forhindra", 0.01245, -0.30),
        ("riskreducera", 0.0150, -0.10),
        ("alla", 0.0110, -0.42),
    ]:
        row = {
            "scenario": sc,
            "label": next(s.label for s in rec.SCENARIOS if s.id == sc),
            "replicates": 12,
            "share_involved_by_21": share,
            "share_involved_by_21_low": share * 0.8,
            "share_involved_by_21_high": share * 1.2,
            "share_involved_by_21_change": share - 0.01549,
        }
        for m in rec.RELATIVE_OUTCOMES:
            row |= {f"{m}_rel": rel, f"{m}_rel_low": rel - 0.1, f"{m}_rel_high": rel + 0.04}
        rows.append(row)
    return pd.DataFrame(rows)


def _percent(cell: str) -> Decimal:
    """The first number of a printed cell ("1,5 % (1,2–1,9)" -> 1.5, "−0,1" -> -0.1)."""
    number = re.match(r"[+−-]?[0-9\u202f]+(,[0-9]+)?", cell).group(0)
    return Decimal(number.replace("\u2212", "-").replace("\u202f", "").replace(",", "."))


def test_parameter_table_formats_in_swedish():
    table = nv.parameter_display_table({"rekrytering_bakgrund": 0.0003, "omrade_storlek": 1200})
    meaning = {p.name: p.meaning for p in rec.PARAMETERS}
    value = dict(zip(table["Parameter"], table["Värde"], strict=True))
    assert value[meaning["rekrytering_bakgrund"]] == "0,0003"
    assert value[meaning["omrade_storlek"]] == "1\u202f200"
    assert value[meaning["skala"]] == "1"
    assert value[meaning["startandel_natverk"]] == "0,03"
    assert list(table.columns) == ["Parameter", "Värde", "Osäkerhet", "Källa"]
    # the reader sees what a parameter means, never its internal name
    assert not set(meaning) & set(table["Parameter"])
    spread = dict(zip(table["Parameter"], table["Osäkerhet"], strict=True))
    assert spread[meaning["rekrytering"]] == "0,003–0,012" and spread[meaning["skala"]] == "fast"
    assert (table["Källa"] == "antagande").sum() > len(table) / 2


def test_scenario_table_rows_add_up_as_printed():
    table = nv.scenario_display_table(summary_frame())
    share, diff = nv.display.SHARE_COLUMN, nv.display.DIFFERENCE_COLUMN
    assert (
        table.loc[0, diff] == "ej tillämpligt"
    )  # the comparison itself; "–" is only for suppressed values
    reference = _percent(table.loc[0, share])
    for _, row in table.iloc[1:].iterrows():
        # printed scenario share − printed nuläge share == printed difference, on every row
        assert _percent(row[share]) - reference == _percent(row[diff]), row.to_dict()
    # 1,451 % and 1,549 % both print 1,5 %: the row reads 0,0, not −0,1.
    assert table.loc[1, diff] == "0,0"


def test_scenario_display_and_sentences_by_hand():
    summary = summary_frame()
    table = nv.scenario_display_table(summary)
    assert table.loc[0, nv.display.SHARE_COLUMN] == "1,5\u00a0% (1,2–1,9)"
    assert table.loc[2, nv.display.RELATIVE_COLUMNS["recruited"]] == (
        "−30\u00a0% (−40\u00a0till\u00a0−26)"
    )
    sentences = nv.scenario_sentences(summary, "Ekerö")
    assert sentences[0].startswith("Med dagens räckvidd har i modellen 1,5\u00a0% av de unga")
    assert "inte en uppskattning" in sentences[0]
    assert "*förhindra*" in sentences[1]
    assert "minskar antalet rekryterade med omkring 30\u00a0%" in sentences[1]
    assert "(80\u00a0% av körningarna: 26–40\u00a0%)" in sentences[1]
    assert "minskar antalet allvarligt skadade med omkring 10\u00a0%" in sentences[2]


def test_the_scenario_note_explains_what_the_table_shows():
    """Nuläge's difference cells read "ej tillämpligt", so the note explains that, not "–"
    (which the table never shows)."""
    from fouanalys.present.tables import table

    frame = nv.scenario_display_table(summary_frame())
    cells = set(frame.to_numpy().ravel())
    assert "ej tillämpligt" in cells and "–" not in cells
    assert "– =" not in nv.scenario_table_note(12, 60)
    shown = table(
        frame, note=nv.scenario_table_note(12, 60), legend=nv.scenario_table_legend()
    ).note
    assert shown.endswith("värden. ej tillämpligt = nuläget är jämförelsen.")
    assert "saknas =" not in shown  # no change is missing here
    missing = summary_frame()
    missing.loc[1, [f"{m}_rel" for m in rec.RELATIVE_OUTCOMES]] = np.nan
    with_missing = nv.scenario_display_table(missing)
    assert with_missing.loc[1, nv.display.RELATIVE_COLUMNS["recruited"]] == "saknas"
    note = table(with_missing, legend=nv.scenario_table_legend()).note
    assert note.startswith("ej tillämpligt = nuläget är jämförelsen. saknas = förändringen går")


def test_no_forecast_wording():
    summary = summary_frame()
    text = " ".join(nv.scenario_sentences(summary, "Ekerö"))
    text += " " + nv.scenario_table_note(12, 60) + " " + " ".join(summary_frame()["label"])
    text += " " + " ".join(nv.scenario_display_table(summary).columns)
    notebook = CHAPTER.read_text(encoding="utf-8")
    for words in (text, notebook):
        assert "uppräknade till kommunens befolkning" not in words
        assert not re.search(r"omkring \d+ (personer )?skadas", words)
        assert not re.search(r"\d+ skadas allvarligt", words)
    # No column of people counts: only the share and changes against nuläge.
    assert not any("antal" in c.lower() for c in nv.scenario_display_table(summary).columns)


def test_displayed_ranges_are_percentiles_over_the_runs():
    rng = np.random.default_rng(3)
    replicates = 11
    rows = []
    base = rng.integers(20, 60, replicates).astype(float)
    for k, sc in enumerate(rec.SCENARIOS):
        values = base * (1 - 0.08 * k) + rng.normal(0, 3, replicates)
        for r in range(replicates):
            rows.append(
                {"scenario": sc.id, "replicate": r, "share_involved_by_21": values[r] / 1000}
                | {m: values[r] for m in rec.RELATIVE_OUTCOMES}
            )
    runs = pd.DataFrame(rows)
    summary = rec.scenario_summary(rec.ScenarioResults(runs, pd.DataFrame(), {}))
    table = nv.scenario_display_table(summary).set_index("Scenario")
    reference = runs[runs["scenario"] == "nulage"].sort_values("replicate")
    for sc in rec.SCENARIOS[1:]:
        own = runs[runs["scenario"] == sc.id].sort_values("replicate")
        change = own["recruited"].to_numpy() / reference["recruited"].to_numpy() - 1
        low, mid, high = np.percentile(change, [10, 50, 90])
        expected = nv.format_relative(mid, low, high)
        assert table.loc[sc.label, nv.display.RELATIVE_COLUMNS["recruited"]] == expected
        share = own["share_involved_by_21"].to_numpy()
        lo, hi = np.percentile(share, [10, 90])
        assert table.loc[sc.label, nv.display.SHARE_COLUMN].endswith(
            f"({format_number(100 * lo, 1)}–{format_number(100 * hi, 1)})"
        )


def _series(scenarios: list[str], months: int = 13) -> pd.DataFrame:
    n = len(scenarios)
    return pd.DataFrame(
        {
            "scenario": np.repeat(scenarios, months * 2 * 5),
            "replicate": np.tile(np.repeat([0, 1], months * 5), n),
            "month": np.tile(np.repeat(np.arange(months), 5), 2 * n),
            "state": np.tile(rec.STATES, months * 2 * n),
            "count": np.linspace(1.0, 9.0, months * 2 * 5 * n),
        }
    )


def test_scenario_figure_bands_are_readable():
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgba

    from fouanalys.present.style import FIG_WIDTH

    ids = [sc.id for sc in rec.SCENARIOS]
    fig = nv.scenario_figure(rec.ScenarioResults(pd.DataFrame(), _series(ids), {}))
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(ids) - 1  # one panel per strengthened scenario
    fills = []
    for ax in axes:
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bands) == 1  # one filled band a panel: nuläge is dotted lines, not a fill
        fills.append(tuple(np.round(bands[0].get_facecolor()[0], 3)))
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["Nuläge", ax.get_title(loc="left")]
        assert 0.2 <= bands[0].get_alpha() <= 0.5
    assert len(set(fills)) == len(fills)  # every scenario's band its own colour
    grey = to_rgba(nv.SCENARIO_COLORS["nulage"])[:3]
    assert all(tuple(np.round(grey, 3)) != f[:3] for f in fills)
    width, height = fig.get_size_inches()
    assert width <= FIG_WIDTH and height <= 6.5  # fits an A4 text block with its caption


def test_figures_are_figures():
    assert isinstance(nv.state_diagram_figure(), Figure)
    assert isinstance(nv.outcome_figure(summary_frame()), Figure)
    results = rec.ScenarioResults(pd.DataFrame(), _series(["nulage", "alla"]), {})
    fig = nv.scenario_figure(results)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "Nuläge",
        "Alla tre förstärkta",
    ]
    removal = pd.DataFrame(
        {
            "strategy": ["central", "central", "random", "random"],
            "removed": [0, 5, 0, 5],
            "runs": [1, 1, 20, 20],
            "cascade_mean": [40.0, 10.0, 40.0, 30.0],
            "cascade_p5": [40.0, 10.0, 40.0, 20.0],
            "cascade_p95": [40.0, 10.0, 40.0, 38.0],
            "final_share_mean": [0.1, 0.05, 0.1, 0.08],
        }
    )
    assert isinstance(nv.structure_figure(removal), Figure)


@pytest.mark.slow
def test_notebook_executes_on_the_example(tmp_path):

    write_example_processed(tmp_path / "processed", CB)
    run = run_chapter(
        CHAPTER,
        tmp_path / "05_natverk.ipynb",
        municipality="Ekerö",
        processed_dir=str(tmp_path / "processed"),
        replicates=3,
        model={"skala": 0.5, "manader": 60, "utfall_manader": 36},
    )
    # state diagram, scenario curves, outcomes, structure, collaboration (the comparison with
    # the other municipalities is the regional chapter's)
    assert run.figures == 5
    source = "".join(c.source for c in run.notebook.cells)
    assert "visar kapitlet *Regional översikt*" in " ".join(source.split())
    text = run.text
    assert "En skiss, inte en prognos" in text
    assert "Syntetiska exempeldata" in text
    assert "Med dagens räckvidd har i modellen" in text
    assert "uppräknade till kommunens befolkning" not in text
    assert not re.search(r"omkring \d+ skadas", text)
    source = "".join(c.source for c in run.notebook.cells)
    assert "Vad modellen är och inte är" in source
    assert "Samverkan i Ekerö" in text
    assert "antagande" in text and "Modellens parametrar" in text
    # the override reached the model (the parameter table names it in Swedish)
    assert '<td>Antal simulerade månader</td><td class="num">60</td>' in text
