"""Chapter 06, Regional översikt: side-by-side tables, sentences and figures (fouanalys.region)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib import colors as mpl_colors
from matplotlib.figure import Figure
from support import run_chapter, write_example_processed

from fouanalys import config
from fouanalys.chapters import region as rg
from fouanalys.codebook import load_codebook
from fouanalys.priority import priority_factors

CB = load_codebook()
CHAPTER = config.PROJ_ROOT / "notebooks" / "06_region.ipynb"
CODES = CB.municipality_codes
RISK = [i.id for i in CB.indices if i.kind == "risk"]
PROTECTIVE = [i.id for i in CB.indices if i.kind == "protective"]
FACTORS = RISK + PROTECTIVE
KIND = {i.id: i.kind for i in CB.indices}
YEAR = 2024


# --- hand-made frames -----------------------------------------------------------------------


def prevalence_frame(overrides: dict | None = None) -> pd.DataFrame:
    """All students, 2022 and 2024: every area has share 0.20 (risk) or 0.60 (protective), the
    municipality's index in codebook order adds 0.01 per step; ``overrides`` maps
    (code, factor) to a dict of column values."""
    overrides = overrides or {}
    rows = []
    for year in (2022, YEAR):
        for k, code in enumerate([*CODES, CB.region.code]):
            for factor in [*FACTORS, "kriminalitet"]:
                base = 0.2 if KIND[factor] != "protective" else 0.6
                share = base + 0.01 * k
                row = {
                    "municipality_code": code,
                    "year": year,
                    "grade": "Alla",
                    "sex": "Alla",
                    "factor": factor,
                    "domain": CB.index(factor).domain,
                    "kind": KIND[factor],
                    "n": 400,
                    "cases": round(400 * share),
                    "share": share,
                    "ci_low": share - 0.04,
                    "ci_high": share + 0.04,
                    "suppressed": False,
                }
                if year == YEAR:
                    row.update(overrides.get((code, factor), {}))
                rows.append(row)
    frame = pd.DataFrame(rows)
    frame["n"] = frame["n"].astype("Int64")
    frame["cases"] = frame["cases"].astype("Int64")
    return frame


def priorities_frame(elevated: dict[str, list[str]], suppressed=()) -> pd.DataFrame:
    """All-students priorities for 2024; ``elevated`` maps a code to its elevated factors in
    rank order; (code, factor) pairs in ``suppressed`` are suppressed (and flagged elevated, to
    prove the flag is ignored)."""
    rows = []
    for k, code in enumerate(CODES):
        order = elevated.get(code, [])
        for factor in FACTORS:
            risk = KIND[factor] == "risk"
            share = (0.2 if risk else 0.6) + 0.01 * k
            is_elevated = factor in order
            reference = share - 0.05 if (is_elevated == risk) else share + 0.05
            hidden = (code, factor) in suppressed
            rank = (
                order.index(factor) + 1 if is_elevated else len(order) + 1 + FACTORS.index(factor)
            )
            rows.append(
                {
                    "municipality_code": code,
                    "year": YEAR,
                    "grade": "Alla",
                    "sex": "Alla",
                    "factor": factor,
                    "kind": KIND[factor],
                    "share": np.nan if hidden else share,
                    "reference_share": np.nan if hidden else reference,
                    "difference": np.nan if hidden else share - reference,
                    "diff_low": np.nan,
                    "diff_high": np.nan,
                    "elevated": is_elevated or hidden,
                    "rank": pd.NA if hidden else rank,
                    "suppressed": hidden,
                }
            )
    frame = pd.DataFrame(rows)
    frame["rank"] = frame["rank"].astype("Int64")
    return frame


def coverage_frame(
    cells: dict[tuple[str, str, str], tuple[int, float | None, bool]],
) -> pd.DataFrame:
    """Coverage per municipality × stage × level: by default 2 interventions reaching 100 per
    1 000 of 1 000 inhabitants, complete; ``cells`` maps (code, stage, level) to
    (interventions, participants or None, complete)."""
    rows = []
    for code in CODES:
        for stage in CB.ids("life_stages"):
            for level in CB.ids("levels"):
                n, participants, complete = cells.get((code, stage, level), (2, 100.0, True))
                rows.append(
                    {
                        "municipality_code": code,
                        "stage": stage,
                        "level": level,
                        "interventions": n,
                        "with_participants": n if complete else 0,
                        "without_participants": 0 if complete else n,
                        "participants": participants,
                        "population": 1000,
                        "reach_per_1000": None if participants is None else participants,
                        "reach_complete": complete,
                        "planned": 0,
                        "best_knowledge": "kunskapsbaserad" if n else None,
                    }
                )
    frame = pd.DataFrame(rows)
    for col in ("interventions", "with_participants", "without_participants", "planned"):
        frame[col] = frame[col].astype("Int64")
    for col in ("participants", "reach_per_1000"):
        frame[col] = frame[col].astype("Float64")
    return frame


def collab_frame(**changes) -> pd.DataFrame:
    rows = []
    for k, m in enumerate(CB.municipalities):
        row = {
            "municipality_code": m.code,
            "municipality": m.name,
            "interventions": 10,
            "actors": 8,
            "links": 12,
            "density": 0.5 + 0.01 * k,
            "isolated": 0,
            "sspf_links": 6,
            "sspf_pairs": 6,
            "sspf_complete": True,
            "sspf_missing": "",
            "most_central": "Socialtjänst",
        }
        row.update(changes.get(m.code, {}))
        rows.append(row)
    return pd.DataFrame(rows)


# --- heatmap table --------------------------------------------------------------------------


def test_heatmap_table_values_order_and_elevated():
    table = rg.factor_heatmap_table(
        prevalence_frame(), priorities_frame({"0123": ["kamrater_normbrott", "foraldrastod"]}), CB
    )
    areas = [*CODES, CB.region.code]
    assert len(table) == len(areas) * len(FACTORS)
    assert list(dict.fromkeys(table["municipality_code"])) == areas
    assert list(table["factor"].iloc[: len(FACTORS)]) == FACTORS  # risk first, then protective
    assert (table["year"] == YEAR).all()
    jarfalla = table.loc[table["municipality_code"] == "0123"].set_index("factor")
    assert jarfalla.at["impulsivitet", "share"] == pytest.approx(0.21)
    assert jarfalla.at["impulsivitet", "text"] == "21\u00a0%"
    assert jarfalla.at["foraldrastod", "text"] == "61\u00a0%"
    assert set(table.loc[table["elevated"], "factor"]) == {"kamrater_normbrott", "foraldrastod"}
    assert set(table.loc[table["elevated"], "municipality_code"]) == {"0123"}
    last = table.iloc[-1]
    assert last["is_region"] and last["municipality"] == rg.REGION_LABEL
    assert "kriminalitet" not in set(table["factor"])  # outcomes are not factors


def test_heatmap_table_suppressed_cell_never_shows_its_number():
    prevalence = prevalence_frame({("0125", "impulsivitet"): {"suppressed": True}})
    # a suppressed row that still carries numbers, and is flagged elevated in priorities
    table = rg.factor_heatmap_table(
        prevalence, priorities_frame({}, suppressed=[("0125", "impulsivitet")]), CB, year=YEAR
    )
    cell = table.loc[(table["municipality_code"] == "0125") & (table["factor"] == "impulsivitet")]
    cell = cell.iloc[0]
    assert cell["state"] == "suppressed" and cell["suppressed"]
    assert cell["text"] == "–"
    assert pd.isna(cell["share"]) and pd.isna(cell["ci_low"]) and pd.isna(cell["ci_high"])
    assert pd.isna(cell["n"])
    assert not cell["elevated"]
    assert not table["elevated"].any()


def test_heatmap_table_missing_area_and_default_year():
    prevalence = prevalence_frame()
    prevalence = prevalence.loc[
        ~((prevalence["municipality_code"] == "0191") & (prevalence["year"] == YEAR))
    ]
    table = rg.factor_heatmap_table(prevalence, priorities_frame({}), CB)
    sigtuna = table.loc[table["municipality_code"] == "0191"]
    assert (sigtuna["state"] == "missing").all() and (sigtuna["text"] == "–").all()
    assert not sigtuna["suppressed"].any()
    assert rg.latest_survey_year(prevalence, CB) == YEAR


def test_forest_frame_carries_the_region():
    frame = rg.forest_frame(prevalence_frame(), CB, priorities=priorities_frame({}))
    assert set(frame["municipality_code"]) == set(CODES)
    first = frame.loc[frame["factor"] == "impulsivitet"].iloc[0]
    assert first["region_share"] == pytest.approx(0.2 + 0.01 * len(CODES))


def test_forest_without_priorities_marks_nothing_elevated():
    # priorities is optional in the public functions; it used to fail with KeyError.
    frame = rg.forest_frame(prevalence_frame(), CB)
    assert set(frame["municipality_code"]) == set(CODES) and not frame["elevated"].any()
    assert rg.forest_figure(prevalence_frame(), CB) is not None


def test_chapter_municipality():
    assert rg.chapter_municipality("NV", CB) is None
    assert rg.chapter_municipality(None, CB) is None
    assert rg.chapter_municipality("Ekerö", CB) == "0125"


# --- coverage -------------------------------------------------------------------------------


def test_coverage_profile_table_states_and_region():
    cov = coverage_frame(
        {
            ("0114", "13-15", "förhindra"): (0, None, True),
            ("0123", "13-15", "förhindra"): (3, None, False),
            ("0125", "13-15", "förhindra"): (3, 40.0, False),
        }
    )
    table = rg.coverage_profile_table(cov, CB)
    assert len(table) == (len(CODES) + 1) * 5 * 3
    cell = table.set_index(["municipality_code", "stage", "level"])
    assert cell.loc[("0114", "13-15", "förhindra"), "state"] == "empty"
    assert cell.loc[("0114", "13-15", "förhindra"), "text"] == "0"
    assert cell.loc[("0123", "13-15", "förhindra"), "text"] == "okänd"
    assert cell.loc[("0125", "13-15", "förhindra"), "text"] == "≥40"
    assert cell.loc[("0114", "0-5", "förebygga"), "text"] == "100"
    region = cell.loc[(CB.region.code, "13-15", "förhindra")]
    # known participants pooled: 5 × 100 + 40 over 8 × 1 000 inhabitants, a lower bound
    assert region["reach_per_1000"] == pytest.approx(540 / 8)
    assert region["state"] == "partial" and region["text"] == "≥68"
    assert region["interventions"] == 2 * 5 + 3 + 3
    assert cell.loc[(CB.region.code, "0-5", "förebygga"), "text"] == "100"


def test_thinnest_coverage_empty_and_thin_known():
    cov = coverage_frame(
        {
            ("0114", "19-25", "riskreducera"): (0, None, True),  # others all have one: named
            ("0123", "16-18", "förhindra"): (1, 20.0, True),  # 20 against 80: thin
            ("0125", "16-18", "förhindra"): (1, 20.0, False),  # a lower bound: never thin
        }
    )
    thin = rg.thinnest_coverage(rg.coverage_profile_table(cov, CB)).set_index("municipality_code")
    assert set(thin.index) == {"0114", "0123"}
    assert thin.at["0114", "state"] == "empty" and thin.at["0114", "others_with"] == 7
    assert thin.at["0123", "stage"] == "16-18" and thin.at["0123", "level"] == "förhindra"
    assert thin.at["0123", "ratio"] == pytest.approx(20 / (640 / 8))


# --- sentences and overview -----------------------------------------------------------------


def test_standout_sentences_content():
    priorities = priorities_frame(
        {
            "0114": ["impulsivitet", "foraldrastod"],
            "0191": ["narsamhalle_brister", "impulsivitet", "skolmisslyckande", "foraldrastod"],
        },
        suppressed=[("0125", f) for f in FACTORS],
    )
    cov = coverage_frame({("0123", "16-18", "förhindra"): (1, 20.0, True)})
    collab = collab_frame(
        **{
            "0114": {
                "sspf_links": 4,
                "isolated": 1,
                "sspf_missing": "skola|fritid;polis|fritid",
            },
            "0139": {"interventions": 0, "actors": 0, "sspf_links": 0},
            "0183": {"density": 0.2},
        }
    )
    table = priority_factors(priorities, CB)
    sentences = rg.standout_sentences(priorities, table, cov, collab, CB, year=YEAR)
    assert len(sentences) == len(CODES)
    by_code = dict(zip(CODES, sentences, strict=True))
    vasby = by_code["0114"]
    assert vasby.startswith(
        "Upplands Väsby har 2024 två prioriterade faktorer: impulsivitet och normbrytande "
        "attityder (20\u00a0% mot 15\u00a0%) och stöd och värme från föräldrar "
        "(60\u00a0% mot 65\u00a0%);"
    )
    assert (
        "; i samverkan saknar 2 av 6 SSPF-par en gemensam insats (Skola–Fritid och "
        "Polis–Fritid) och saknar 1 aktör samverkanspartner." in vasby
    )
    assert by_code["0125"].startswith("Ekerö har för få svarande 2024")
    assert "%" not in by_code["0125"].split(";")[0]  # no number from a suppressed row
    assert by_code["0163"].startswith("Sollentuna har ingen prioriterad risk- eller skyddsfaktor")
    assert "fyra prioriterade faktorer" in by_code["0191"]
    assert "och ytterligare en;" in by_code["0191"]
    assert "vantrivsel i skolan" in by_code["0191"]
    assert "föräldrar" not in by_code["0191"]  # fourth by rank: counted, not named
    assert (
        "ligger längst under regionens på nivån förhindra för 16–18 år: 20 per" in by_code["0123"]
    )
    assert "tunn" not in " ".join(sentences)  # "tunn" is a gap status, used for nothing else
    assert "mot 90 i hela regionen" in by_code["0123"]  # (7 × 100 + 20) / 8
    assert "inga pågående insatser att samverka kring" in by_code["0139"]
    assert "i samverkan nätverket är det glesaste i regionen (täthet 0,20" not in by_code["0183"]
    assert "; i samverkan är nätverket det glesaste i regionen (täthet 0,20" in by_code["0183"]
    # a municipality where nothing in its collaboration stands out gets no clause on it
    assert "samverkan" not in by_code["0163"]
    assert all(s.endswith(".") for s in sentences)


def test_overview_table():
    priorities = priorities_frame(
        {"0114": ["impulsivitet", "foraldrastod"]}, suppressed=[("0125", f) for f in FACTORS]
    )
    gaps = pd.DataFrame(
        {
            "municipality_code": ["0114"] * 4 + ["0123"],
            "status": ["saknas", "saknas", "okänd", "finns", "tunn"],
        }
    )
    collab = collab_frame(**{"0114": {"sspf_links": 5, "sspf_missing": "polis|fritid"}})
    table = rg.overview_table(priority_factors(priorities, CB), gaps, collab, CB)
    assert list(table["Kommun"]) == [m.name for m in CB.municipalities]
    row = table.iloc[0]
    assert row["Prioriterade faktorer"] == 2
    assert (row["Saknas"], row["Tunn"], row["Okänd"]) == (2, 0, 1)
    assert (table.iloc[1]["Tunn"], table.iloc[1]["Prioriterade faktorer"]) == (1, 0)
    # which part of SSPF is missing, by name; "inga" where every pair works together
    assert row["SSPF-par utan gemensam insats"] == "Polis–Fritid"
    assert table.iloc[1]["SSPF-par utan gemensam insats"] == "inga"
    assert row["Pågående insatser"] == 10
    assert table.iloc[2]["Prioriterade faktorer"] == 0  # suppressed rows never count
    assert set(rg.OVERVIEW_NUMERIC) <= set(table.columns)


def test_gap_status_figure_uses_the_status_colours():
    from fouanalys.present.style import GAP_COLORS

    gaps = pd.DataFrame(
        {
            "municipality_code": ["0114"] * 3 + ["0123"],
            "status": ["saknas", "okänd", "okänd", "tunn"],
        }
    )
    fig = rg.gap_status_figure(gaps, CB)
    bars = [p for p in fig.axes[0].patches if p.get_gid()]
    assert sorted(p.get_gid() for p in bars) == ["gap-okänd", "gap-saknas", "gap-tunn"]
    for bar in bars:
        status = bar.get_gid().removeprefix("gap-")
        assert mpl_colors.to_hex(bar.get_facecolor()) == GAP_COLORS[status]
    widths = {bar.get_gid(): bar.get_width() for bar in bars}
    assert widths["gap-okänd"] == 2
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("ingen prioriterad faktor") == len(CB.municipalities) - 2


# --- figures --------------------------------------------------------------------------------


def _gids(fig: Figure) -> list[str]:
    return [a.get_gid() for ax in fig.axes for a in ax.get_children() if a.get_gid()]


def test_figures_are_figures_and_mark_cells():
    prevalence = prevalence_frame({("0125", "impulsivitet"): {"suppressed": True}})
    priorities = priorities_frame({"0123": ["kamrater_normbrott"]})
    heat = rg.factor_heatmap_figure(rg.factor_heatmap_table(prevalence, priorities, CB))
    assert isinstance(heat, Figure)
    gids = _gids(heat)
    assert gids.count("elevated") == 1 and gids.count("suppressed") == 1
    texts = [t.get_text() for t in heat.axes[0].texts]
    assert "▲ 21\u00a0%" in texts and "–" in texts
    assert "20\u00a0%" in texts  # Upplands Väsby, impulsivitet
    forest = rg.forest_figure(prevalence, CB, priorities=priorities)
    assert isinstance(forest, Figure)
    assert _gids(forest).count("suppressed") == 1
    assert _gids(forest).count("region") == len(FACTORS)
    cov = rg.coverage_profile_figure(
        coverage_frame({("0114", "13-15", "förhindra"): (2, None, False)}), CB
    )
    assert isinstance(cov, Figure)
    assert _gids(cov).count("unknown") == 1


# --- the chapter ----------------------------------------------------------------------------


@pytest.mark.slow
def test_notebook_executes_on_the_example(tmp_path):
    write_example_processed(tmp_path / "processed", CB)
    run = run_chapter(
        CHAPTER,
        tmp_path / "06_region.ipynb",
        municipality="NV",
        processed_dir=str(tmp_path / "processed"),
    )
    # heatmap, forest plot, coverage profiles, gap statuses, collaboration comparison, SSPF pairs
    assert run.figures == 6
    captions = [
        o.get("metadata", {}).get("fouanalys", {}).get("caption")
        for o in run.outputs
        if "image/png" in o.get("data", {})
    ]
    assert all(captions), captions
    text = run.text
    assert "Syntetiska exempeldata" in text
    assert "Kommunerna i korthet" in text
    for m in CB.municipalities:
        assert f"- {m.name} " in text  # one sentence per municipality
    assert "prioriterade faktorer:" in text, text[:3000]
    assert "enkäten 2024" in text
    cells = run.notebook.cells
    assert cells[0].metadata.get("tags") == ["chapter-title"]
    assert not any(
        "def " in c.source or "class " in c.source for c in cells if c.cell_type == "code"
    )


def test_a_factor_prioritised_in_one_group_is_shown_with_that_groups_numbers():
    """The all-students share may even be the better one; the sentence shows the group that
    made the factor prioritised, so the numbers agree with the word."""
    priorities = priorities_frame({})
    group = priorities.loc[
        (priorities["municipality_code"] == "0114") & (priorities["factor"] == "impulsivitet")
    ].assign(grade="Åk 9", sex="Pojke", share=0.30, reference_share=0.20, elevated=True)
    priorities = pd.concat([priorities, group], ignore_index=True)
    table = priority_factors(priorities, CB)
    sentences = rg.standout_sentences(
        priorities, table, coverage_frame({}), collab_frame(), CB, year=YEAR
    )
    assert sentences[0].startswith(
        "Upplands Väsby har 2024 en prioriterad faktor: impulsivitet och normbrytande attityder "
        "(pojkar i årskurs 9: 30\u00a0% mot 20\u00a0%);"
    )
