"""Figures: type, labels, number of bars, and that nothing is left open in pyplot."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from fouanalys import plots


@pytest.fixture(autouse=True)
def _no_pyplot_leak():
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before, "a figure was left open in pyplot"


def _bars(ax) -> list:
    """The bars an axes draws (seaborn also keeps legend handles among ``ax.patches``)."""
    return [bar for container in ax.containers for bar in container]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_population_pyramid_figure():
    df = pd.DataFrame(
        [(2024, a, k, 100 + a) for a in range(26) for k in ("Pojke", "Flicka")],
        columns=["ar", "alder", "kon", "antal"],
    )
    fig = plots.population_pyramid_figure(df)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Antal invånare"
    assert ax.get_ylabel() == "Ålder (år)"
    assert ax.get_title() == "Befolkning 0–25 år, 2024"
    bars = _bars(ax)
    assert len(bars) == 52
    widths = [b.get_width() for b in bars]
    assert sum(w < 0 for w in widths) == 26  # boys to the left
    assert sum(w > 0 for w in widths) == 26  # girls to the right
    assert min(widths) == -125 and max(widths) == 125
    assert _png(fig).startswith(b"\x89PNG")


def test_response_counts_figure_bars_per_grade():
    df = pd.DataFrame(
        [
            (2022, "Åk 9", "Pojke", 20, False),
            (2022, "Åk 9", "Flicka", 22, False),
            (2022, "Åk 9", "Alla", 44, False),
            (2024, "Åk 9", "Pojke", pd.NA, True),
            (2024, "Åk 9", "Flicka", pd.NA, True),
            (2024, "Åk 9", "Alla", 9, False),
            (2024, "Gy 2", "Pojke", 30, False),
            (2024, "Gy 2", "Flicka", 31, False),
            (2024, "Gy 2", "Alla", 61, False),
        ],
        columns=["ar", "arskurs", "kon", "n", "suppressed"],
    ).astype({"ar": "Int64", "n": "Int64"})
    fig = plots.response_counts_figure(df)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["Åk 9", "Gy 2"]
    assert fig.axes[0].get_ylabel() == "Antal svarande"
    assert all(ax.get_xlabel() == "År" for ax in fig.axes)
    # two years x two sexes for åk 9, one year for gy 2; the all-sexes rows are not drawn
    assert [len(_bars(ax)) for ax in fig.axes] == [4, 2]
    assert sorted(b.get_height() for b in _bars(fig.axes[1])) == [30, 31]
    heights = sorted(b.get_height() for b in _bars(fig.axes[0]))
    assert heights == [0, 0, 20, 22]  # suppressed counts draw no bar
    assert _png(fig).startswith(b"\x89PNG")


def test_inventory_by_level_figure():
    df = pd.DataFrame(
        {
            "Nivå": ["Förebygga", "Förhindra", "Riskreducera"],
            "Pågående": [2, 0, 0],
            "Planerad": [0, 1, 0],
            "Avslutad": [1, 0, 0],
            "Totalt": [3, 1, 0],
        }
    ).astype({c: "Int64" for c in ("Pågående", "Planerad", "Avslutad", "Totalt")})
    fig = plots.inventory_by_level_figure(df)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Antal insatser"
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Förebygga",
        "Förhindra",
        "Riskreducera",
    ]
    bars = _bars(ax)
    assert len(bars) == 9  # three levels x three statuses
    assert sorted(b.get_width() for b in bars) == [0, 0, 0, 0, 0, 0, 1, 1, 2]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["totalt 3", "totalt 1", "totalt 0"]
    assert _png(fig).startswith(b"\x89PNG")


def test_table_escapes_and_formats():
    df = pd.DataFrame({"Namn": ["<b>x</b>", "Å"], "Antal": pd.array([1200, None], dtype="Int64")})
    html = plots.table(df, caption="Rubrik & mer", note="Not")._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "<caption>Rubrik &amp; mer</caption>" in html
    assert '<td class="num">1\u202f200</td>' in html
    assert '<td class="num">–</td>' in html
    assert '<th class="num">Antal</th>' in html
