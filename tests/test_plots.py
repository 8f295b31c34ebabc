"""Figures: type, labels, number of bars, and that nothing is left open in pyplot."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from support import insatser_frame, intervention

from fouanalys.chapters import insatser, riskfaktorer, underlag
from fouanalys.present import style, tables


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
    fig = underlag.population_pyramid_figure(df)
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
    fig = underlag.response_counts_figure(df)
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
    fig = underlag.inventory_by_level_figure(df)
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
    html = tables.table(df, caption="Rubrik & mer", note="Not")._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "<caption>Rubrik &amp; mer</caption>" in html
    assert '<td class="num">1\u202f200</td>' in html
    assert '<td class="num">saknas</td>' in html  # missing, not suppressed: never "–"
    assert '<th class="num">Antal</th>' in html


# --- chapter 02, Riskfaktorer -----------------------------------------------------------------

_RISK = ["impulsivitet", "kamrater_normbrott", "bristande_tillsyn"]
_PROTECTIVE = ["foraldrastod", "skolanknytning"]
_DOMAINS = {
    "impulsivitet": ("individ", "Individ"),
    "kamrater_normbrott": ("kamrater_fritid", "Kamrater och fritid"),
    "bristande_tillsyn": ("familj", "Familj och föräldraskap"),
    "foraldrastod": ("familj", "Familj och föräldraskap"),
    "skolanknytning": ("skola", "Skola"),
}


def _profile() -> pd.DataFrame:
    """A hand-made ``riskfaktorer.profile_frame``: 5 factors x 2 sexes, one cell suppressed."""
    rows = []
    for order, factor in enumerate(_RISK + _PROTECTIVE):
        kind = "risk" if factor in _RISK else "protective"
        for sex, sex_label in (("Pojke", "Pojkar"), ("Flicka", "Flickor")):
            share = 0.10 + 0.05 * order + (0.02 if sex == "Flicka" else 0.0)
            hidden = factor == "bristande_tillsyn" and sex == "Flicka"
            rows.append(
                {
                    "municipality_code": "0123",
                    "municipality_name": "Järfälla",
                    "year": 2024,
                    "grade": "Alla",
                    "grade_label": "Båda årskurserna",
                    "sex": sex,
                    "sex_label": sex_label,
                    "factor": factor,
                    "label": f"Faktor {factor}",
                    "domain": _DOMAINS[factor][0],
                    "domain_label": _DOMAINS[factor][1],
                    "kind": kind,
                    "kind_label": "Riskfaktorer" if kind == "risk" else "Skyddsfaktorer",
                    "order": order,
                    "n": pd.NA if hidden else 100,
                    "share": np.nan if hidden else share,
                    "ci_low": np.nan if hidden else share - 0.04,
                    "ci_high": np.nan if hidden else share + 0.04,
                    "suppressed": hidden,
                    "reference_share": np.nan if hidden else 0.2,
                    "reference_ci_low": np.nan if hidden else 0.19,
                    "reference_ci_high": np.nan if hidden else 0.21,
                    "elevated": False,
                }
            )
    return pd.DataFrame(rows).astype({"n": "Int64"})


def _segments(ax, gid: str) -> int:
    return sum(len(c.get_segments()) for c in ax.collections if c.get_gid() == gid)


def test_ctc_profile_figure():
    fig = riskfaktorer.ctc_profile_figure(_profile())
    assert isinstance(fig, Figure)
    risk, protective = fig.axes
    assert [risk.get_title(loc="left"), protective.get_title(loc="left")] == [
        "Riskfaktorer",
        "Skyddsfaktorer",
    ]
    assert fig.get_suptitle() == "Riskprofil Järfälla 2024: båda årskurserna"
    assert protective.get_xlabel() == "Andel elever över gränsvärdet"
    assert len(_bars(risk)) == 6 and len(_bars(protective)) == 4  # factors x sexes
    widths = [b.get_width() for b in _bars(risk)]
    assert sorted(round(w, 6) for w in widths)[0] == 0  # the suppressed cell: no bar
    assert round(max(b.get_width() for b in _bars(protective)), 6) == 32.0  # percent
    # whiskers and rest-of-region marks for every published cell, none for the suppressed one
    assert _segments(risk, "ci") == 5 and _segments(protective, "ci") == 4
    assert _segments(risk, "reference") == 5 and _segments(protective, "reference") == 4
    assert [t.get_text() for t in risk.texts] == ["–"]
    assert not protective.texts
    labels = [t.get_text() for t in risk.get_yticklabels()]
    assert labels == [
        "Faktor impulsivitet",
        "Faktor kamrater_normbrott",
        "Faktor bristande_tillsyn",
    ]
    domains = [t.get_text() for t in risk.get_yticklabels(minor=True)]
    assert domains == ["INDIVID", "KAMRATER OCH FRITID", "FAMILJ OCH FÖRÄLDRASKAP"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Pojkar", "Flickor", "Övriga regionen", "95\u00a0% konfidensintervall"]
    assert _png(fig).startswith(b"\x89PNG")


def test_ctc_profile_figure_all_students_first_in_grey():
    """With all-students rows (``profile_frame``'s default) their bars come first in each
    factor, in the neutral grey, and the legend names them before the sexes."""
    two = _profile()
    everyone = two.loc[two["sex"] == "Pojke"].assign(sex="Alla", sex_label="Alla elever", share=0.3)
    profile = pd.concat([everyone, two]).sort_values("order", kind="stable")
    fig = riskfaktorer.ctc_profile_figure(profile)
    risk, _protective = fig.axes
    alla = [b for b in risk.patches if b.get_gid() == "bar-Alla"]
    assert len(alla) == 3 and all(b.get_width() == pytest.approx(30) for b in alla)
    assert {to_hex(b.get_facecolor()) for b in alla} == {style.ALL_COLOR}
    boys = [b for b in risk.patches if b.get_gid() == "bar-Pojke"]
    assert all(a.get_y() < b.get_y() for a, b in zip(alla, boys, strict=True))  # above
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == ["Alla elever", "Pojkar", "Flickor"]


def test_ctc_profile_figure_all_suppressed_panel():
    profile = _profile()
    hidden = profile["kind"] == "protective"
    profile.loc[hidden, ["share", "ci_low", "ci_high", "reference_share"]] = np.nan
    profile.loc[hidden, "suppressed"] = True
    risk, protective = riskfaktorer.ctc_profile_figure(profile, title="Rubrik").axes
    assert risk.figure.get_suptitle() == "Rubrik"
    assert all(b.get_width() == 0 for b in _bars(protective))
    assert _segments(protective, "ci") == 0 and _segments(protective, "reference") == 0
    notes = [t.get_text() for t in protective.texts if t.get_gid() == "all-suppressed"]
    assert notes == ["Inga värden kan visas: för få svarande"]
    assert not [t for t in risk.texts if t.get_gid() == "all-suppressed"]


def _trend_prevalence() -> pd.DataFrame:
    rows = []
    for code in ("0123", "NV"):
        for year in (2020, 2022, 2024):
            for factor in ("impulsivitet", "foraldrastod"):
                hidden = code == "0123" and year == 2022 and factor == "impulsivitet"
                share = 0.2 if factor == "impulsivitet" else 0.6
                rows.append(
                    {
                        "municipality_code": code,
                        "year": year,
                        "grade": "Alla",
                        "sex": "Alla",
                        "factor": factor,
                        "domain": "individ",
                        "kind": "risk" if factor == "impulsivitet" else "protective",
                        "n": pd.NA if hidden else 200,
                        "cases": pd.NA,
                        "missing": pd.NA,
                        "share": np.nan if hidden else share + 0.01 * (year - 2020),
                        "n_eff": np.nan,
                        "ci_low": np.nan if hidden else share - 0.03,
                        "ci_high": np.nan if hidden else share + 0.08,
                        "suppressed": hidden,
                    }
                )
    return pd.DataFrame(rows).astype({"n": "Int64", "cases": "Int64", "missing": "Int64"})


def _trend_priorities() -> pd.DataFrame:
    """Järfälla's priorities rows for ``_trend_prevalence``: the rest of the region at 15 % and
    55 % (below the whole region's 20–24 % and 60–64 %), withheld with the hidden 2022 cell."""
    rows = []
    for year in (2020, 2022, 2024):
        for factor, ref in (("impulsivitet", 0.15), ("foraldrastod", 0.55)):
            hidden = year == 2022 and factor == "impulsivitet"
            rows.append(
                {
                    "municipality_code": "0123",
                    "year": year,
                    "grade": "Alla",
                    "sex": "Alla",
                    "factor": factor,
                    "reference_share": np.nan if hidden else ref,
                    "reference_ci_low": np.nan if hidden else ref - 0.02,
                    "reference_ci_high": np.nan if hidden else ref + 0.02,
                    "suppressed": hidden,
                }
            )
    return pd.DataFrame(rows)


def test_trend_figure():
    fig = riskfaktorer.trend_figure(
        _trend_prevalence(), _trend_priorities(), "0123", factors=["impulsivitet", "foraldrastod"]
    )
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in axes]
    assert titles == ["Impulsivitet och normbrytande attityder", "Stöd och värme från föräldrar"]
    assert fig.get_suptitle() == "Andel över gränsvärdet per enkätår, alla elever, båda årskurserna"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["2020", "2022", "2024"]
    for ax in axes:  # a band for the municipality and one for the rest of the region
        assert {c.get_gid() for c in ax.collections} >= {"band-municipality", "band-rest"}
        assert len(ax.get_lines()) == 2
    lines = {ln.get_gid(): ln for ln in axes[0].get_lines()}
    own_line, rest_line = lines["line-municipality"], lines["line-rest"]
    assert list(own_line.get_xdata()) == [2020, 2024]  # the suppressed year is not drawn
    assert list(own_line.get_ydata()) == pytest.approx([20, 24])
    # the rest of the region from the priorities table, not the region's prevalence rows
    assert list(rest_line.get_xdata()) == [2020, 2024]
    assert list(rest_line.get_ydata()) == pytest.approx([15, 15])
    (rest_line,) = [ln for ln in axes[1].get_lines() if ln.get_gid() == "line-rest"]
    assert list(rest_line.get_ydata()) == pytest.approx([55, 55, 55])
    assert [t.get_text() for t in axes[0].texts] == ["–"]
    assert not axes[1].texts
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == ["Järfälla", "Övriga regionen"]
    assert _png(fig).startswith(b"\x89PNG")


def _associations() -> pd.DataFrame:
    rows = []
    for code in ("0123", "NV"):
        for k, factor in enumerate(
            [
                "impulsivitet",
                "kamrater_normbrott",
                "bristande_tillsyn",
                "skolmisslyckande",
                "narsamhalle_brister",
            ]
        ):
            hidden = code == "0123" and factor == "skolmisslyckande"
            rows.append(
                {
                    "municipality_code": code,
                    "year": 2024,
                    "grade": "Alla",
                    "sex": "Alla",
                    "factor": factor,
                    "n_exposed": pd.NA if hidden else 50,
                    "cases_exposed": pd.NA if hidden else 20,
                    "n_unexposed": pd.NA if hidden else 150,
                    "cases_unexposed": pd.NA if hidden else 15,
                    "share_exposed": np.nan if hidden else 0.4,
                    "share_unexposed": np.nan if hidden else 0.1,
                    "risk_ratio": np.nan if hidden else 2.0 + 0.3 * k,
                    "rr_low": np.nan if hidden else 1.4 + 0.3 * k,
                    "rr_high": np.nan if hidden else 2.9 + 0.3 * k,
                    "paf": np.nan,
                    "paf_low": np.nan,
                    "paf_high": np.nan,
                    "suppressed": hidden,
                }
            )
    frame = pd.DataFrame(rows)
    for col in ("n_exposed", "cases_exposed", "n_unexposed", "cases_unexposed"):
        frame[col] = frame[col].astype("Int64")
    return frame


def test_association_figure():
    fig = riskfaktorer.association_figure(_associations(), "0123", 2024)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel().startswith("Relativ risk för självrapporterad brottslighet")
    # the figure's title, centred on the figure (as an axes title it ran off the edge)
    title = "Riskfaktorer och brottslighet i Järfälla 2024, båda årskurserna"
    assert fig._suptitle.get_text() == title and ax.get_title() == ""
    assert len(ax.get_yticklabels()) == 5
    assert _segments(ax, "ci") == 9  # 5 region + 4 municipality (one suppressed)
    points = sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() != "ci")
    assert points == 9
    assert [t.get_text() for t in ax.texts] == ["–"]
    assert _png(fig).startswith(b"\x89PNG")


# --- chapter 03, Insatser längs livsförloppet ---------------------------------------------------


def _intervention(name: str, level: str, targeting: str, ages: tuple, **kw) -> dict:
    return intervention(
        name, niva=level, inriktning=targeting, alder_fran=ages[0], alder_till=ages[1], **kw
    )


def _inventory() -> pd.DataFrame:
    return insatser_frame(
        [
            _intervention(
                "Familjecentral", "förebygga", "universell", (0, 5), kunskapslage="evidensbaserad"
            ),
            _intervention("Kostar $5 och $$ <b>", "förebygga", "selektiv", (6, 15)),
            _intervention("Fältare", "förhindra", "selektiv", (12, 20), status="planerad"),
            _intervention("Avhopp", "riskreducera", "indikerad", (15, 25)),
            _intervention("Gammal", "förebygga", "universell", (13, 18), status="avslutad"),
            _intervention("Annan kommun", "förebygga", "universell", (0, 25), kommunkod="0114"),
        ]
    )


def _gid(ax, gid: str) -> list:
    return [p for p in ax.patches if p.get_gid() == gid]


def test_life_course_figure_bars_names_and_levels():
    fig = insatser.life_course_figure(_inventory(), "0123")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    ongoing, planned = _gid(ax, "intervention"), _gid(ax, "planned")
    assert len(ongoing) == 3 and len(planned) == 1  # the ended one and 0114's are left out
    spans = sorted((b.get_x(), b.get_x() + b.get_width()) for b in ongoing)
    assert spans == [(0, 6), (6, 16), (15, 26)]  # each covers every year of its last age
    assert (planned[0].get_x(), planned[0].get_width()) == (12, 9)
    assert planned[0].get_hatch() == style.PLANNED_HATCH
    assert planned[0].get_facecolor()[:3] == (1.0, 1.0, 1.0)  # outlined, not filled
    assert all(not b.get_hatch() for b in ongoing)
    colors = {matplotlib.colors.to_hex(b.get_facecolor()) for b in ongoing}
    assert colors == {style.TARGETING_COLORS[t] for t in ("universell", "selektiv", "indikerad")}
    names = [t.get_text() for t in ax.texts if t.get_gid() == "name"]
    assert sorted(names) == sorted(
        ["Familjecentral", r"Kostar \$5 och \$\$ <b>", "Fältare", "Avhopp"]
    )
    levels = [t.get_text() for t in ax.texts if t.get_gid() == "level"]
    assert levels == ["FÖREBYGGA", "FÖRHINDRA", "RISKREDUCERA"]
    stages = [t.get_text() for t in ax.texts if t.get_gid() == "stage"]
    assert len(stages) == 5 and stages[2] == "Högstadium\n13–15\u00a0år"
    assert ax.get_xlim() == (0, 26)
    assert ax.get_xlabel() == "Ålder (år)"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Universell", "Selektiv", "Indikerad", "planerad (streckad)"]
    assert fig._suptitle.get_text() == "Insatser längs livsförloppet i Järfälla"
    assert _png(fig).startswith(b"\x89PNG")  # "$" in a name does not start mathtext


def test_life_course_figure_by_knowledge_and_height():
    fig = insatser.life_course_figure(_inventory(), "0123", color_by="kunskapslage")
    ax = fig.axes[0]
    first = min(_gid(ax, "intervention"), key=lambda b: b.get_x())
    assert (
        matplotlib.colors.to_hex(first.get_facecolor()) == style.KNOWLEDGE_COLORS["evidensbaserad"]
    )
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == ["Evidensbaserad", "Kunskapsbaserad"]
    many = insatser_frame(
        [
            _intervention(f"Insats {i}", "förebygga", "universell", (i % 20, i % 20 + 5))
            for i in range(40)
        ]
    )
    few = many.iloc[:15]
    tall = insatser.life_course_figure(many, "0123").get_size_inches()[1]
    short = insatser.life_course_figure(few, "0123").get_size_inches()[1]
    assert tall > short + 4  # height grows with the number of interventions
    from fouanalys.exceptions import FouanalysError

    with pytest.raises(FouanalysError, match="inriktning"):
        insatser.life_course_figure(many, "0123", color_by="färg")


def _coverage_grid(dim: str, values: list[str], cells: dict) -> pd.DataFrame:
    rows = []
    for value in values:
        for stage in ("0-5", "6-12", "13-15", "16-18", "19-25"):
            row = {
                "municipality_code": "0123",
                "stage": stage,
                dim: value,
                "interventions": 0,
                "with_participants": 0,
                "without_participants": 0,
                "participants": pd.NA,
                "population": 1000,
                "reach_per_1000": pd.NA,
                "reach_complete": True,
                "planned": 0,
                "best_knowledge": None,
            }
            row.update(cells.get((value, stage), {}))
            rows.append(row)
    frame = pd.DataFrame(rows)
    for col in ("interventions", "population", "planned"):
        frame[col] = frame[col].astype("Int64")
    for col in ("participants", "reach_per_1000"):
        frame[col] = frame[col].astype("Float64")
    return frame


def test_coverage_heatmap_shows_unknown_reach_apart_from_zero():
    coverage = _coverage_grid(
        "level",
        ["förebygga", "förhindra", "riskreducera"],
        {
            ("förebygga", "0-5"): {
                "interventions": 2,
                "participants": 300.0,
                "reach_per_1000": 300.0,
            },
            ("förebygga", "6-12"): {"interventions": 1, "reach_complete": False},
            ("förhindra", "13-15"): {
                "interventions": 2,
                "participants": 12.0,
                "reach_per_1000": 12.0,
                "reach_complete": False,
                "planned": 1,
            },
        },
    )
    fig = insatser.coverage_heatmap(coverage, "0123")
    ax = fig.axes[0]
    values = ax.collections[0].get_array()  # rows: levels, columns: stages
    grid = np.ma.getdata(values).reshape(3, 5)
    mask = np.ma.getmaskarray(values).reshape(3, 5)
    assert grid[0, 0] == 300 and grid[1, 2] == 12
    assert mask[0, 1] and not mask[0, 0]  # unknown reach is no colour, not zero
    assert grid[2, 4] == 0 and not mask[2, 4]  # an empty cell is a real zero
    assert len(_gid(ax, "unknown")) == 1
    unknown = _gid(ax, "unknown")[0]
    assert (round(unknown.get_x()), round(unknown.get_y())) == (1, 0)
    texts = {t.get_gid(): [] for t in ax.texts}
    for t in ax.texts:
        texts[t.get_gid()].append(t.get_text())
    assert texts["reach-unknown"] == ["okänd"]
    assert texts["reach-partial"] == ["≥12"]
    assert texts["reach-known"] == ["300"]
    assert texts["reach-empty"] == ["0"] * 12
    assert "2 insatser\n+1 planerad" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Förebygga",
        "Förhindra",
        "Riskreducera",
    ]
    assert fig.axes[1].get_ylabel() == "Deltagare per år per 1\u00a0000 invånare"
    assert _png(fig).startswith(b"\x89PNG")


def test_factor_coverage_heatmap_marks_priorities_gaps_and_grey_stages():
    from fouanalys.codebook import load_codebook

    cb = load_codebook()
    factors = [i.id for i in cb.indices if i.kind in ("risk", "protective")]
    factor_coverage = _coverage_grid(
        "factor", factors, {("skolmisslyckande", "6-12"): {"interventions": 3}}
    )
    gaps = pd.DataFrame(
        {
            "municipality_code": ["0123"] * 3,
            "factor": ["skolmisslyckande"] * 3,
            "kind": ["risk"] * 3,
            "stage": ["6-12", "13-15", "16-18"],
            "elevated": [True] * 3,
            "rank": pd.array([1, 1, 1], dtype="Int64"),
            "status": ["finns", "saknas", "tunn"],
            "text": ["", "x", "y"],
        }
    )
    fig = insatser.factor_coverage_heatmap(factor_coverage, gaps, "0123", cb)
    ax = fig.axes[0]
    n_grey = sum(5 - len(cb.index(f).stages) for f in factors)
    assert len(_gid(ax, "not-applicable")) == n_grey
    assert len(_gid(ax, "gap-saknas")) == 1 and len(_gid(ax, "gap-tunn")) == 1
    missing = _gid(ax, "gap-saknas")[0]
    row = factors.index("skolmisslyckande")
    assert (round(missing.get_x()), round(missing.get_y())) == (2, row)
    labels = ax.get_yticklabels()
    marked = [t.get_text() for t in labels if t.get_fontweight() == "bold"]
    assert marked == ["★ Vantrivsel i skolan"]
    assert sum(t.get_text().startswith("★") for t in labels) == 1
    assert "3" in [t.get_text() for t in ax.texts]
    assert _png(fig).startswith(b"\x89PNG")


def test_targeting_pyramid_figure():
    fig = insatser.targeting_pyramid_figure(_inventory(), "0123")
    ax = fig.axes[0]
    bars = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("targeting-")}
    assert list(bars) == ["targeting-universell", "targeting-selektiv", "targeting-indikerad"]
    # universell at the base: bars bottom up, centred, as wide as the ongoing interventions
    assert [round(b.get_y() + b.get_height() / 2) for b in bars.values()] == [0, 1, 2]
    assert [b.get_width() for b in bars.values()] == [1, 1, 1]
    assert all(b.get_x() == -b.get_width() / 2 for b in bars.values())
    counts = [t.get_text() for t in ax.texts if t.get_gid() == "count"]
    assert counts == ["1 insats", "1 insats", "1 insats"]
    reach = [t.get_text() for t in ax.texts if t.get_gid() == "reach"]
    assert reach[0] == "100 deltagare per år"
    assert reach[1] == "100 deltagare per år\n1 planerad"
    assert [t.get_text().split("\n")[0] for t in ax.get_yticklabels()] == [
        "Universell",
        "Selektiv",
        "Indikerad",
    ]
    assert _png(fig).startswith(b"\x89PNG")


# --- layout faults --------------------------------------------------------------------------


def _figure(width: float = 4.0) -> Figure:
    from fouanalys.present.style import new_figure

    return new_figure(height=2.0, width=width)


def test_layout_faults_finds_a_title_cut_at_the_edge():
    from fouanalys.present.figures import layout_faults

    fig = _figure()
    fig.axes[0].set_title("En mycket lång titel som inte får plats i en smal figur " * 2)
    faults = layout_faults(fig)
    assert len(faults) == 1 and "går utanför figurens kant" in faults[0]
    fig.axes[0].set_title("Kort titel")
    assert layout_faults(fig) == []


def test_layout_faults_finds_texts_drawn_over_each_other():
    from fouanalys.present.figures import layout_faults

    fig = _figure()
    ax = fig.axes[0]
    ax.text(0.5, 0.5, "0,41", transform=ax.transAxes)
    ax.text(0.51, 0.5, "medel", transform=ax.transAxes)
    (fault,) = layout_faults(fig)
    assert "'0,41' och 'medel' ligger över varandra" in fault
    ax.texts[1].set_position((0.8, 0.5))  # moved apart: clean
    assert layout_faults(fig) == []


def test_layout_faults_ignores_what_is_not_drawn():
    from fouanalys.present.figures import layout_faults

    fig = _figure()
    ax = fig.axes[0]
    ax.set_yticks([])
    ax.set_xticks([0, 0.5, 1, 30, 40])
    ax.set_xlim(0, 1)  # ticks outside the view are not drawn
    ax.text(0.5, 0.5, "dold", visible=False)
    ax.text(0.5, 0.5, "synlig")
    assert layout_faults(fig) == []
    ax.set_axis_off()  # an axes without axis draws no tick labels
    assert layout_faults(fig) == []


def test_a_captioned_figure_checks_the_texts_of_the_png_it_shows(monkeypatch):
    """The display draws as savefig does (a layout pass and the print) and reads the texts'
    boxes from that print: the faults are those of the PNG, found without a third draw."""
    import base64

    from fouanalys.present.figures import captioned, layout_faults

    fig = _figure()
    fig.axes[0].set_title("En mycket lång titel som inte får plats i en smal figur " * 2)
    draws = []
    real_draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, r: draws.append(r) or real_draw(self, r))
    data, meta = captioned(fig, "Titeln")._repr_mimebundle_()
    assert len(draws) == 2
    assert base64.b64decode(data["image/png"]) == _png(fig)
    monkeypatch.undo()
    (fault,) = meta["fouanalys"]["layout_faults"]
    assert "går utanför figurens kant" in fault and [fault] == layout_faults(fig)
    fig.axes[0].set_title("Kort titel")
    assert "layout_faults" not in captioned(fig, "Titeln")._repr_mimebundle_()[1]["fouanalys"]
