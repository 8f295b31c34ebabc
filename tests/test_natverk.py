"""Chapter 04: its tables, sentences and figures, and the notebook end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from support import run_chapter, write_example_processed

from fouanalys import config
from fouanalys import recruitment as rec
from fouanalys.chapters import natverk as nv
from fouanalys.codebook import load_codebook

CB = load_codebook()
CHAPTER = config.NOTEBOOKS_DIR / "04_natverk.ipynb"


def summary_frame() -> pd.DataFrame:
    """A hand-made scenario summary (the shape of recruitment.scenario_summary)."""
    rows = []
    for sc, share, harmed in [
        ("nulage", 0.030, 10.0),
        ("forebygga", 0.028, 9.6),
        ("forhindra", 0.024, 9.0),
        ("riskreducera", 0.029, 7.0),
        ("alla", 0.020, 5.4),
    ]:
        row = {"scenario": sc, "label": next(s.label for s in rec.SCENARIOS if s.id == sc)}
        for m, v in [("share_involved_by_21", share), ("harmed", harmed), ("in_network_end", 100)]:
            base = {"share_involved_by_21": 0.030, "harmed": 10.0, "in_network_end": 100}[m]
            row |= {m: v, f"{m}_low": v * 0.8, f"{m}_high": v * 1.2, f"{m}_change": v - base}
        rows.append(row)
    return pd.DataFrame(rows)


def test_parameter_table_formats_in_swedish():
    table = nv.parameter_display_table({"rekrytering_bakgrund": 0.0003, "omrade_storlek": 1200})
    value = dict(zip(table["Parameter"], table["Värde"], strict=True))
    assert value["rekrytering_bakgrund"] == "0,0003"
    assert value["omrade_storlek"] == "1\u202f200"
    assert value["skala"] == "1"
    assert value["startandel_natverk"] == "0,03"
    assert list(table.columns) == ["Parameter", "Värde", "Betydelse", "Källa"]
    assert (table["Källa"] == "antagande").sum() > len(table) / 2


def test_scenario_display_and_sentences_by_hand():
    summary = summary_frame()
    table = nv.scenario_display_table(summary)
    assert table.loc[0, "Har varit i nätverket vid 21"] == "3,0\u00a0% (2,4\u00a0%–3,6\u00a0%)"
    assert table.loc[0, "Skillnad mot nuläget"] == "–"
    assert table.loc[2, "Skillnad mot nuläget"] == "−0,6 procentenheter"
    assert table.loc[3, "Skillnad, skadade"] == "−3"
    sentences = nv.scenario_sentences(summary, "Ekerö")
    assert sentences[0].startswith(
        "Med dagens räckvidd har i modellen 3,0\u00a0% av de unga i Ekerö"
    )
    assert "omkring 10 skadas" in sentences[0]
    # förhindra lowers the share most (−0,6 points against −0,2 and −0,1).
    assert "*förhindra*" in sentences[1] and "0,6 procentenheter" in sentences[1]
    assert "−3 personer" in sentences[2]
    assert "−1,0 procentenheter" in sentences[3] and "med −5" in sentences[3]


def test_figures_are_figures():
    assert isinstance(nv.state_diagram_figure(), Figure)
    assert isinstance(nv.outcome_figure(summary_frame()), Figure)
    months = np.arange(13)
    series = pd.DataFrame(
        {
            "scenario": np.repeat(["nulage", "alla"], 13 * 2 * 5),
            "replicate": np.tile(np.repeat([0, 1], 13 * 5), 2),
            "month": np.tile(np.repeat(months, 5), 4),
            "state": np.tile(rec.STATES, 13 * 4),
            "count": 1.0,
        }
    )
    results = rec.ScenarioResults(pd.DataFrame(), series, {})
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
        tmp_path / "04_natverk.ipynb",
        municipality="Ekerö",
        processed_dir=str(tmp_path / "processed"),
        replicates=3,
        model={"skala": 0.5, "manader": 60, "utfall_manader": 36},
    )
    # state diagram, scenario curves, outcomes, structure, collaboration, regional comparison
    assert run.figures == 6
    text = run.text
    assert "En skiss, inte en prognos" in text
    assert "Syntetiska exempeldata" in text
    assert "Med dagens räckvidd har i modellen" in text
    assert "Samverkan i Ekerö" in text
    assert "antagande" in text and "Modellens parametrar" in text
    assert '<td>manader</td><td class="num">60</td>' in text  # the override reached the model
