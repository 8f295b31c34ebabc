"""The recruitment model: parameters, inputs from the tables, population, dynamics, scenarios."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from support import example_tables, insatser_frame, intervention

from fouanalys import recruitment as rec
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import NetworkModelError

CB = load_codebook()
F = len([ix for ix in CB.indices if ix.kind in ("risk", "protective")])


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """The example data's typed and derived tables, as the build writes them (without GX)."""
    return example_tables(CB)


def flat_profile(share: float = 0.2, crime: float = 0.1, weight: float = 0.0) -> rec.RiskProfile:
    """A profile with the same share for every factor, sex and age group."""
    kinds = [ix for ix in CB.indices if ix.kind in ("risk", "protective")]
    return rec.RiskProfile(
        factors=tuple(ix.id for ix in kinds),
        shares=np.full((2, 2, F), share),
        weights=np.array([weight if ix.kind == "risk" else 0.0 for ix in kinds]),
        sign=np.array([1.0 if ix.kind == "risk" else -1.0 for ix in kinds]),
        pull=np.array([ix.domain in rec.PULL_DOMAINS for ix in kinds]),
        crime_share=np.full((2, 2), crime),
        year=2024,
    )


def no_levers() -> rec.Levers:
    return rec.Levers(
        np.zeros((rec.N_AGES, F)),
        np.zeros(rec.N_AGES),
        np.zeros(rec.N_AGES),
        dict.fromkeys(rec.LEVELS, 0),
        dict.fromkeys(rec.LEVELS, 0),
    )


COUNTS = np.array([[60] * 9, [55] * 9])  # 1 035 young people


# --- parameters -------------------------------------------------------------------------------


def test_defaults_and_overrides():
    values = rec.model_parameters({"rekrytering": 0.01, "manader": 24})
    assert values["rekrytering"] == 0.01 and values["manader"] == 24
    assert values["avhopp"] == rec.PARAMETER_INDEX["avhopp"].default


@pytest.mark.parametrize(
    "override, words",
    [
        ({"rekrytering": 1.5}, ["'rekrytering'", "1.5", "0–1"]),
        ({"skada_vid_vald": -0.1}, ["'skada_vid_vald'", "-0.1"]),
        ({"manader": 12.5}, ["'manader'", "heltal"]),
        ({"avhopp": "mycket"}, ["'avhopp'", "tal"]),
        ({"rekrytring": 0.1}, ["'rekrytring'", "Menade du 'rekrytering'"]),
        ({"vald": float("nan")}, ["'vald'"]),
    ],
)
def test_bad_parameters_are_named(override, words):
    with pytest.raises(NetworkModelError) as err:
        rec.model_parameters(override)
    for word in words:
        assert word in str(err.value)


def test_parameter_table_has_meaning_and_source_for_every_parameter():
    table = rec.parameter_table({"vald": 0.02})
    assert len(table) == len(rec.PARAMETERS) and table["parameter"].is_unique
    assert (table["meaning"].str.len() > 10).all()
    assert table["source"].str.len().gt(0).all()
    assert table.loc[table["parameter"] == "vald", "value"].item() == 0.02
    # Every default lies in its own range.
    for p in rec.PARAMETERS:
        assert p.low <= p.default <= p.high, p.name


# --- inputs from the tables -------------------------------------------------------------------


def test_risk_profile_reads_the_municipality_cells(tables):
    prev = tables["prevalence"]
    profile = rec.risk_profile(prev, tables["associations"], "0123", CB)
    year = prev.loc[prev["municipality_code"] == "0123", "year"].max()
    assert profile.year == year

    def cell(code, grade, sex, factor):
        return prev[
            (prev["municipality_code"] == code)
            & (prev["year"] == year)
            & (prev["grade"] == grade)
            & (prev["sex"] == sex)
            & (prev["factor"] == factor)
        ]

    for s, sex in enumerate(rec.SEXES):
        for g, grade in enumerate(("Åk 9", "Gy 2")):
            for f, factor in enumerate(profile.factors):
                own = cell("0123", grade, sex, factor)
                source = profile.sources[f"{factor}/{sex}/{grade}"]
                if not own["suppressed"].item():
                    assert source == f"0123/{grade}"
                    assert profile.shares[s, g, f] == pytest.approx(own["share"].item())
                else:  # a suppressed cell falls back, and says where from
                    code, fallback = source.split("/")
                    assert (code, fallback) != ("0123", grade)
                    used = cell(code, fallback, sex, factor)
                    assert not used["suppressed"].item()
                    assert profile.shares[s, g, f] == pytest.approx(used["share"].item())
    assoc = tables["associations"]
    rr = assoc[
        (assoc["municipality_code"] == "0123")
        & (assoc["year"] == year)
        & (assoc["grade"] == "Alla")
        & (assoc["factor"] == "skolmisslyckande")
    ]["risk_ratio"].item()
    f = profile.factors.index("skolmisslyckande")
    assert profile.weights[f] == pytest.approx(math.log(rr))
    assert profile.pull[profile.factors.index("kamrater_normbrott")]
    assert not profile.pull[f]


def test_suppressed_cell_falls_back_to_the_grade_total(tables):
    prev = tables["prevalence"].copy()
    year = prev.loc[prev["municipality_code"] == "0123", "year"].max()
    girls = prev[
        (prev["municipality_code"] == "0123")
        & (prev["year"] == year)
        & (prev["grade"] == "Alla")
        & (prev["sex"] == "Flicka")
    ]
    # a factor whose girls' total is published (the other-sex remainder hides some)
    factors = [ix.id for ix in CB.indices if ix.kind in ("risk", "protective")]
    published = set(girls.loc[~girls["suppressed"], "factor"])
    factor = next(f for f in factors if f in published)
    hide = (
        (prev["municipality_code"] == "0123")
        & (prev["year"] == year)
        & (prev["grade"] == "Gy 2")
        & (prev["sex"] == "Flicka")
        & (prev["factor"] == factor)
    )
    prev.loc[hide, "suppressed"] = True
    prev.loc[hide, "share"] = np.nan
    profile = rec.risk_profile(prev, tables["associations"], "0123", CB)
    total = girls.loc[girls["factor"] == factor, "share"].item()
    assert profile.shares[1, 1, factors.index(factor)] == pytest.approx(total)
    assert profile.sources[f"{factor}/Flicka/Gy 2"] == "0123/Alla"


def test_unknown_municipality_has_a_clear_error(tables):
    with pytest.raises(NetworkModelError, match="9999"):
        rec.risk_profile(tables["prevalence"], tables["associations"], "9999", CB)
    with pytest.raises(NetworkModelError, match="9999"):
        rec.population_counts(tables["befolkning"], "9999")


def befolkning(ages: dict[int, int], code: str = "0123") -> pd.DataFrame:
    rows = [
        {"kommunkod": code, "ar": 2024, "alder": a, "kon": sex, "antal": n // 2}
        for a, n in ages.items()
        for sex in ("Pojke", "Flicka")
    ]
    rows.append({"kommunkod": code, "ar": 2020, "alder": 12, "kon": "Pojke", "antal": 99_999})
    return pd.DataFrame(rows).astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})


def test_lever_inputs_by_hand():
    pop = befolkning({a: 100 for a in range(0, 26)} | {13: 200})
    inventory = insatser_frame(
        [
            # 10–14: population 100+100+100+200+100 = 600, 120 participants -> 0.2 per age.
            intervention(
                "A",
                niva="förebygga",
                alder_fran=10,
                alder_till=14,
                faktorer="skolmisslyckande",
                deltagare_per_ar=120,
            ),
            # 12–13: 60 places spread by population 100 : 200 -> 20 at 12, 40 at 13.
            intervention(
                "B",
                niva="förhindra",
                alder_fran=12,
                alder_till=13,
                faktorer="kamrater_normbrott",
                deltagare_per_ar=60,
            ),
            intervention(
                "C",
                niva="riskreducera",
                alder_fran=15,
                alder_till=25,
                faktorer="kamrater_normbrott",
                deltagare_per_ar=None,
            ),
            intervention(
                "D",
                niva="riskreducera",
                alder_fran=18,
                alder_till=23,
                faktorer="kamrater_normbrott",
                deltagare_per_ar=60,
            ),
            intervention(
                "E",
                niva="förhindra",
                alder_fran=12,
                alder_till=20,
                faktorer="kamrater_normbrott",
                deltagare_per_ar=500,
                status="planerad",
            ),
            intervention(
                "F",
                niva="förebygga",
                alder_fran=0,
                alder_till=5,
                faktorer="bristande_tillsyn",
                deltagare_per_ar=500,
            ),
        ]
    )
    profile = flat_profile()
    levers = rec.lever_inputs(inventory, pop, "0123", profile)
    f = profile.factors.index("skolmisslyckande")
    expected = np.zeros(9)
    expected[[0, 1, 2]] = 0.2  # ages 12, 13, 14
    np.testing.assert_allclose(levers.prevent[:, f], expected)
    assert levers.prevent[:, profile.factors.index("bristande_tillsyn")].sum() == 0
    np.testing.assert_allclose(levers.hinder, [20, 40, 0, 0, 0, 0, 0, 0, 0])
    # D: 60 places over 18..23 (6 ages of 100): 10 at each of 18, 19, 20.
    np.testing.assert_allclose(levers.reduce, [0] * 6 + [10, 10, 10])
    assert levers.without_participants["riskreducera"] == 1
    assert levers.interventions == {"förebygga": 1, "förhindra": 1, "riskreducera": 1}


def test_strengthen_never_lowers_and_adds_at_least_the_floor():
    params = rec.model_parameters()
    levers = no_levers()
    levers = rec.Levers(
        levers.prevent + 0.3,
        levers.hinder + 5,
        levers.reduce,
        levers.interventions,
        levers.without_participants,
    )
    more = rec.strengthen(levers, "förebygga", params, COUNTS)
    np.testing.assert_allclose(more.prevent, 0.6)  # 0.3 × 2
    more = rec.strengthen(levers, "riskreducera", params, COUNTS)
    np.testing.assert_allclose(more.reduce, 0.02 * COUNTS.sum(axis=0))  # from 0: the floor
    more = rec.strengthen(levers, "förhindra", params, COUNTS)
    np.testing.assert_allclose(more.hinder, np.maximum(10, 5 + 0.02 * 115))
    with pytest.raises(NetworkModelError, match="'fel'"):
        rec.strengthen(levers, "fel", params, COUNTS)


# --- the population -----------------------------------------------------------------------------


def test_population_matches_counts_and_network_is_simple():
    params = rec.model_parameters()
    pop = rec.build_population(COUNTS, flat_profile(), params, np.random.default_rng(3))
    n = COUNTS.sum()
    assert len(pop.sex) == n
    for s in (0, 1):
        ages = np.bincount(pop.age_months[pop.sex == s] // 12 - 12, minlength=9)
        assert ages.tolist() == COUNTS[s].tolist()
    adj = pop.adjacency
    assert adj.shape == (n, n)
    assert (adj != adj.T).nnz == 0 and adj.diagonal().sum() == 0 and adj.max() == 1
    expected = (
        params["kontakter_arskull"] + params["kontakter_aldrar"] + params["kontakter_utanfor"]
    )
    assert adj.nnz / n == pytest.approx(expected, rel=0.15)


def test_scaled_population_and_too_small_population():
    params = rec.model_parameters({"skala": 0.5})
    pop = rec.build_population(COUNTS, flat_profile(), params, np.random.default_rng(3))
    assert len(pop.sex) == np.rint(COUNTS * 0.5).sum()
    with pytest.raises(NetworkModelError, match="skala"):
        rec.build_population(
            np.array([[1] + [0] * 8, [0] * 9]), flat_profile(), params, np.random.default_rng(3)
        )


def test_flags_have_the_profile_shares_and_go_together():
    profile = flat_profile(share=0.25)
    counts = COUNTS * 40  # 41 400 people: shares within a percentage point
    pop = rec.build_population(counts, profile, rec.model_parameters(), np.random.default_rng(5))
    shares = pop.flags.mean(axis=0)
    np.testing.assert_allclose(shares, 0.25, atol=0.01)
    corr = np.corrcoef(pop.flags.T)
    risk = profile.sign > 0
    assert (corr[np.ix_(risk, risk)][np.triu_indices(risk.sum(), 1)] > 0.05).all()
    assert (corr[np.ix_(risk, ~risk)] < -0.05).all()


def test_drift_is_calibrated_to_the_crime_share():
    """With no factor weights (and protection weighing nothing) everyone has the same hazard,
    so the equilibrium share d / (d + r) must equal the target: d = r · p / (1 − p)."""
    params = rec.model_parameters({"skyddsvikt": 0.0})
    pop = rec.build_population(COUNTS, flat_profile(crime=0.2), params, np.random.default_rng(1))
    rates = rec.calibrate_drift(pop, flat_profile(crime=0.2), params)
    back = params["atergang_risk"]
    np.testing.assert_allclose(rates, back * 0.2 / 0.8, rtol=1e-6)


# --- dynamics -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    profile = flat_profile(share=0.3, crime=0.2, weight=0.7)
    params = rec.model_parameters({"startandel_natverk": 0.1, "rekrytering": 0.02})
    pop = rec.build_population(COUNTS, profile, params, np.random.default_rng(11))
    return pop, profile, params


def test_states_partition_the_population_and_counts_are_not_negative(small):
    pop, profile, params = small
    run = rec.simulate(pop, profile, no_levers(), params, np.random.default_rng(1))
    assert run.counts.shape == (params["manader"] + 1, len(rec.STATES))
    assert (run.counts.sum(axis=1) == len(pop.sex)).all()
    assert (run.counts >= 0).all()
    assert run.counts[:, rec.IN_NETWORK].max() > 0 and run.recruited > 0
    assert run.aged_out > 0 and 0 <= run.ever_involved <= run.aged_out
    # Harmed people stay harmed until they age out: the harmed count never exceeds events.
    assert run.counts[:, rec.HARMED].max() <= run.harmed


def test_simulation_is_deterministic_for_a_seed_and_leaves_population_untouched(small):
    pop, profile, params = small
    before = (pop.age_months.copy(), pop.flags.copy())
    a = rec.simulate(pop, profile, no_levers(), params, np.random.default_rng(7))
    b = rec.simulate(pop, profile, no_levers(), params, np.random.default_rng(7))
    c = rec.simulate(pop, profile, no_levers(), params, np.random.default_rng(8))
    assert np.array_equal(a.counts, b.counts)
    assert (a.recruited, a.exits, a.harmed, a.ever_involved) == (
        b.recruited,
        b.exits,
        b.harmed,
        b.ever_involved,
    )
    assert not np.array_equal(a.counts, c.counts)
    assert np.array_equal(pop.age_months, before[0]) and np.array_equal(pop.flags, before[1])


def test_no_network_without_recruitment(small):
    pop, profile, _ = small
    params = rec.model_parameters(
        {"startandel_natverk": 0.0, "rekrytering": 0.0, "rekrytering_bakgrund": 0.0}
    )
    run = rec.simulate(pop, profile, no_levers(), params, np.random.default_rng(1))
    assert run.counts[:, rec.IN_NETWORK :].sum() == 0
    assert run.harmed == run.exits == run.recruited == run.ever_involved == 0
    assert run.entered_risk > 0


def test_ageing_replaces_everyone_who_turns_21(small):
    pop, profile, _ = small
    params = rec.model_parameters({"manader": 24, "utfall_manader": 24})
    run = rec.simulate(pop, profile, no_levers(), params, np.random.default_rng(1))
    # Everyone aged 19 or 20 at the start turns 21 within 24 months; nobody else does.
    assert run.aged_out == int((pop.age_months >= 19 * 12).sum())


def reach_levers(prevent: float, hinder: float, reduce: float) -> rec.Levers:
    return rec.Levers(
        np.full((rec.N_AGES, F), prevent),
        np.full(rec.N_AGES, hinder),
        np.full(rec.N_AGES, reduce),
        dict.fromkeys(rec.LEVELS, 1),
        dict.fromkeys(rec.LEVELS, 0),
    )


def run_fields(run: rec.Run) -> tuple:
    """A run's outcomes, comparable with ``==`` (its counts as a tuple of rows)."""
    return (
        tuple(map(tuple, run.counts.tolist())),
        run.entered_risk,
        run.recruited,
        run.exits,
        run.harmed,
        run.aged_out,
        run.ever_involved,
        run.scale,
    )


def example_scenario_case(tables) -> tuple:
    """Population, profile, parameters and the scenarios' levers of one example municipality
    (a quarter of its young people, as a model with ``skala`` 0.25)."""
    inputs = rec.model_inputs(tables, "0123", CB)
    params = rec.model_parameters({"skala": 0.25, "manader": 60, "utfall_manader": 36})
    pop = rec.build_population(inputs.counts, inputs.profile, params, np.random.default_rng(3))
    levers = [rec.scenario_levers(inputs, sc, params) for sc in rec.SCENARIOS]
    return pop, inputs.profile, params, levers


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("case", ["flat", "example"])
def test_scenarios_run_together_equal_each_run_alone(small, tables, case, seed):
    """One stacked simulation of several lever sets gives, bit for bit, each set's run alone
    with the same seed: no draw depends on the levers."""
    if case == "flat":
        pop, profile, params = small
        levers = [
            no_levers(),
            reach_levers(0.3, 0.0, 0.0),
            reach_levers(0.0, 5.0, 0.0),
            reach_levers(0.0, 0.0, 5.0),
            reach_levers(0.3, 5.0, 5.0),
        ]
    else:
        pop, profile, params, levers = example_scenario_case(tables)
    together = rec.simulate_scenarios(pop, profile, levers, params, np.random.default_rng(seed))
    alone = [rec.simulate(pop, profile, lv, params, np.random.default_rng(seed)) for lv in levers]
    assert [run_fields(r) for r in together] == [run_fields(r) for r in alone]
    # The levers make a difference, so equality is not that of identical scenarios.
    assert len({run_fields(r) for r in alone}) == len(levers)


def test_simulating_no_scenario_is_an_error(small):
    pop, profile, params = small
    with pytest.raises(NetworkModelError, match="minst en"):
        rec.simulate_scenarios(pop, profile, [], params, np.random.default_rng(1))


@pytest.fixture(scope="module")
def ensemble(small):
    _, profile, params = small
    inputs = rec.ModelInputs("0123", profile, COUNTS, reach_levers(0.1, 2.0, 1.0))
    return rec.run_scenarios(inputs, params, replicates=8, seed=42)


def test_each_strengthened_lever_does_not_worsen_its_own_target(ensemble):
    means = ensemble.runs.groupby("scenario").mean(numeric_only=True)
    now = means.loc["nulage"]
    # förebygga: fewer drift into the risk zone.
    assert means.loc["forebygga", "entered_risk"] < now["entered_risk"]
    # förhindra: fewer recruited into the network.
    assert means.loc["forhindra", "recruited"] < now["recruited"]
    # riskreducera: fewer harmed, more exits per person in the network.
    assert means.loc["riskreducera", "harmed"] <= now["harmed"]
    rr = ensemble.runs[ensemble.runs["scenario"] == "riskreducera"].set_index("replicate")
    base = ensemble.runs[ensemble.runs["scenario"] == "nulage"].set_index("replicate")
    assert (rr["exits"] / rr["recruited"]).mean() > (base["exits"] / base["recruited"]).mean()
    # All three together: fewer ever involved than now.
    assert means.loc["alla", "share_involved_by_21"] < now["share_involved_by_21"]


def test_ensemble_shapes_and_bands(ensemble, small):
    _, _, params = small
    runs, ts = ensemble.runs, ensemble.timeseries
    assert len(runs) == 5 * 8
    assert set(runs["scenario"]) == {sc.id for sc in rec.SCENARIOS}
    months = params["manader"] + 1
    assert len(ts) == 5 * 8 * months * len(rec.STATES)
    totals = ts.groupby(["scenario", "replicate", "month"])["count"].sum()
    assert (totals == COUNTS.sum()).all()
    bands = rec.scenario_bands(ensemble)
    assert len(bands) == 5 * months
    assert (bands["low"] <= bands["mean"] + 1e-9).all()
    assert (bands["mean"] <= bands["high"] + 1e-9).all()
    summary = rec.scenario_summary(ensemble).set_index("scenario")
    assert summary.loc["nulage", "share_involved_by_21_change"] == 0
    assert summary.loc["nulage", "harmed_rel"] == 0
    m = "share_involved_by_21"
    direct = (
        runs[runs["scenario"] == "alla"][m].to_numpy()
        - runs[runs["scenario"] == "nulage"][m].to_numpy()
    ).mean()
    assert summary.loc["alla", f"{m}_change"] == pytest.approx(direct)


def test_model_inputs_from_example_tables(tables):
    inputs = rec.model_inputs(tables, "0125", CB)
    assert inputs.counts.sum() > 1000
    assert inputs.levers.interventions["förebygga"] > 0
    results = rec.run_scenarios(
        inputs, {"skala": 0.2, "manader": 36, "utfall_manader": 36}, replicates=2
    )
    assert results.runs["aged_out"].gt(0).all()


def test_draws_stay_in_their_documented_ranges_and_fixed_ones_stay():
    params = rec.model_parameters()
    draws = [rec.draw_parameters(params, np.random.default_rng(k)) for k in range(30)]
    for spec in rec.PARAMETERS:
        values = np.array([d[spec.name] for d in draws])
        if spec.spread == 1:
            assert (values == params[spec.name]).all(), spec.name
        else:
            low, high = params[spec.name] / spec.spread, params[spec.name] * spec.spread
            assert (values >= max(spec.low, low) - 1e-12).all(), spec.name
            assert (values <= min(spec.high, high) + 1e-12).all(), spec.name
            assert values.std() > 0, spec.name
    # An override moves the range with it.
    moved = rec.draw_parameters({"rekrytering": 0.02}, np.random.default_rng(1))
    assert 0.01 <= moved["rekrytering"] <= 0.04


def test_replicates_draw_parameters_shared_by_every_scenario(ensemble):
    draws = ensemble.draws
    assert len(draws) == 8 and draws["rekrytering"].nunique() == 8
    assert draws["manader"].nunique() == 1  # fixed parameters are the same in every run


def test_summary_bands_are_percentiles_over_the_runs(ensemble):
    runs = ensemble.runs
    summary = rec.scenario_summary(ensemble).set_index("scenario")
    base = runs[runs["scenario"] == "nulage"].sort_values("replicate")
    for sc in rec.SCENARIOS:
        own = runs[runs["scenario"] == sc.id].sort_values("replicate")
        share = own["share_involved_by_21"].to_numpy()
        np.testing.assert_allclose(
            summary.loc[sc.id, ["share_involved_by_21_low", "share_involved_by_21_high"]],
            np.percentile(share, [10, 90]),
        )
        for m in rec.RELATIVE_OUTCOMES:
            keep = base[m].to_numpy() > 0
            change = own[m].to_numpy()[keep] / base[m].to_numpy()[keep] - 1
            np.testing.assert_allclose(
                summary.loc[sc.id, [f"{m}_rel_low", f"{m}_rel", f"{m}_rel_high"]].astype(float),
                np.percentile(change, [10, 50, 90]),
                err_msg=f"{sc.id} {m}",
            )


def test_bands_are_per_1000_young_people(ensemble):
    bands = rec.scenario_bands(ensemble)
    ts = ensemble.timeseries
    one = ts[(ts["scenario"] == "alla") & (ts["month"] == 5)]
    per_1000 = [
        1000 * g.loc[g["state"] == rec.STATES[rec.IN_NETWORK], "count"].sum() / g["count"].sum()
        for _, g in one.groupby("replicate")
    ]
    row = bands[(bands["scenario"] == "alla") & (bands["month"] == 5)].iloc[0]
    assert row["mean"] == pytest.approx(np.mean(per_1000))
    assert row["low"] == pytest.approx(np.percentile(per_1000, 10))


# --- structure ----------------------------------------------------------------------------------


def test_structure_experiment_passes_its_matrix_and_gets_the_graph_frame(small, monkeypatch):
    """The youth network goes to removal_experiment as the matrix it is drawn as; the frame is
    the one the networkx graph made from that matrix gives (the way it went before)."""
    import networkx as nx

    from fouanalys import network

    _, profile, params = small
    inputs = rec.ModelInputs("0123", profile, COUNTS, reach_levers(0.1, 2.0, 1.0))
    calls = []
    real = network.removal_experiment

    def recorded(graph, *args, **kwargs):
        calls.append((graph, args, kwargs))
        return real(graph, *args, **kwargs)

    monkeypatch.setattr(network, "removal_experiment", recorded)
    frame = rec.structure_experiment(inputs, params, seed=3, n_random=3)
    ((matrix, (thresholds, members, removed, _), kwargs),) = calls
    assert not isinstance(matrix, nx.Graph) and matrix.shape[0] > 300  # betweenness sampled
    graph = nx.from_scipy_sparse_array(matrix)
    rng = np.random.default_rng([3, 0, 2])
    expected = real(graph, thresholds, members, removed, rng, **kwargs)
    pd.testing.assert_frame_equal(frame, expected)
    assert len(removed) > 1 and frame["cascade_size"].max() > 0
