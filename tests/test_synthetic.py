"""Tests for fouanalys.ingest.synthetic:
determinism, layout, validity and plausibility of the example.

The survey is scored here with a small scorer written independently of the package, straight
from the codebook's documented rules, so the plausibility checks do not test code against
itself.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fouanalys import config
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import InvalidArgumentError
from fouanalys.ingest import synthetic

SHARED_EXPORT_COLUMNS = Path("/work/shared/data/stockholmsenkaten/export_columns.csv")
FILES = (
    "enkat.csv.gz",
    "insatser.csv",
    "befolkning.csv",
    "kolada.csv",
    "elever.csv",
    config.SYNTHETIC_MARKER,
    "README.md",
    "kartlaggning/0114/2026-10-15.csv",  # the later mapping rounds
    "kartlaggning/0191/2026-10-15.csv",
)


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def frames():
    return synthetic.generate()


@pytest.fixture(scope="module")
def scored(frames, cb):
    """Per respondent: municipality, year, grade, sex, and per index its score and flag."""
    enkat = frames["enkat"]
    out = pd.DataFrame(
        {
            "kommun": enkat["Hemkommun"],
            "ar": enkat["ar"],
            "arskurs": enkat["ARSKURS"],
            "kon": enkat["Kön"],
        }
    )
    for index in cb.indices:
        score, flag = _score_index(enkat, index)
        out[f"score_{index.id}"] = score
        out[index.id] = flag
    return out


def _warm_bisection(cats: np.ndarray, thresholds: list[list[float]]) -> np.ndarray:
    """Warm's estimate for every respondent by bisection of his equation on −4..4, solved once
    per distinct answer pattern: the estimate depends on nothing else, and the example's 33 000
    respondents give 4 700–21 000 patterns per index (the same estimates, 1.5–5× faster)."""
    patterns, back = np.unique(np.nan_to_num(cats, nan=np.inf), axis=0, return_inverse=True)
    return _warm_bisection_rows(np.where(np.isinf(patterns), np.nan, patterns), thresholds)[
        back.ravel()
    ]


def _warm_bisection_rows(cats: np.ndarray, thresholds: list[list[float]]) -> np.ndarray:
    """Warm's estimate for each row of ``cats`` (categories, NaN unanswered) by bisection."""
    lo, hi = np.full(len(cats), -4.0), np.full(len(cats), 4.0)
    for _ in range(40):
        mid = (lo + hi) / 2
        total = info = third = np.zeros(len(cats))
        for j, steps in enumerate(thresholds):
            k = np.arange(len(steps) + 1)
            logits = mid[:, None] * k - np.concatenate([[0.0], np.cumsum(steps)])
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            mean = p @ k
            var = (p * (k - mean[:, None]) ** 2).sum(axis=1)
            skew = (p * (k - mean[:, None]) ** 3).sum(axis=1)
            seen = ~np.isnan(cats[:, j])
            total = total + np.where(seen, np.nan_to_num(cats[:, j]) - mean, 0.0)
            info, third = info + np.where(seen, var, 0.0), third + np.where(seen, skew, 0.0)
        up = total + third / (2 * np.maximum(info, 1e-12)) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return np.round((lo + hi) / 2, 3)


def _score_index(enkat: pd.DataFrame, index) -> tuple[np.ndarray, np.ndarray]:
    """Independent scorer: item 0..1 with reversal, mean or count, missing below min_answered;
    a Rasch index by bisection of Warm's equation, reversed when protective, its flag the top
    level (risk) or not the bottom level (protective)."""
    codes = enkat[[it.id for it in index.items]].astype("float64").to_numpy()
    answered = ~np.isnan(codes)
    enough = answered.sum(axis=1) >= index.min_answered
    if index.scoring == "rasch":
        cats = np.column_stack([
            np.where(np.isnan(codes[:, j]), np.nan,
                     np.array(it.categories, float)[np.nan_to_num(codes[:, j]).astype(int) - 1])
            for j, it in enumerate(index.items)
        ])  # fmt: skip
        score = _warm_bisection(cats, [it.thresholds for it in index.items])
        if index.kind == "protective":
            score = -score
            flag = score >= index.cut_points[0]
        else:
            flag = score >= index.cut_points[1]
    elif index.scoring == "count":
        score = (np.nan_to_num(codes, nan=0.0) >= index.item_threshold).sum(axis=1)
        flag = score >= index.cut_point
    else:
        reverse = np.array([it.reverse for it in index.items])
        levels = np.array([index.item_levels(it) for it in index.items])
        items = np.where(reverse, levels - codes, codes - 1) / (levels - 1)
        with np.errstate(invalid="ignore"):
            score = np.nansum(items, axis=1) / np.maximum(answered.sum(axis=1), 1)
        flag = score >= index.cut_point - 1e-9
    return (
        np.where(enough, score, np.nan),
        np.where(enough, flag.astype(float), np.nan),
    )


# --- determinism and the committed example ---------------------------------------------------
def _read_all(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in FILES}


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = synthetic.write_example(tmp_path / "a", seed=7, scale=0.1)
    synthetic.write_example(tmp_path / "b", seed=7, scale=0.1)
    assert set(a) == {"enkat", "insatser", "befolkning", "kolada", "elever", "marker", "readme"} | {
        "kartlaggning/0114/2026-10-15",
        "kartlaggning/0191/2026-10-15",
    }
    assert _read_all(tmp_path / "a") == _read_all(tmp_path / "b")


def test_different_seed_gives_different_data(tmp_path):
    synthetic.write_example(tmp_path / "a", seed=7, scale=0.1)
    synthetic.write_example(tmp_path / "b", seed=8, scale=0.1)
    a, b = _read_all(tmp_path / "a"), _read_all(tmp_path / "b")
    for name in ("enkat.csv.gz", "insatser.csv", "befolkning.csv", "kolada.csv"):
        assert a[name] != b[name], name


def test_gzip_is_written_deterministically(tmp_path):
    synthetic.write_example(tmp_path, seed=7, scale=0.05)
    raw = (tmp_path / "enkat.csv.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert not raw[3] & 0x08  # no file name stored


def test_committed_example_equals_fresh_regeneration(tmp_path):
    committed = config.EXAMPLE_DATA_DIR
    fresh = tmp_path / "fresh"
    synthetic.write_example(fresh)
    for name in FILES:
        old, new = (committed / name).read_bytes(), (fresh / name).read_bytes()
        if name.endswith(".gz"):
            # The compressed bytes depend on the zlib build; the content must not.
            assert gzip.decompress(old) == gzip.decompress(new), (
                f"{name} is stale: run `fouanalys synth`"
            )
        else:
            assert old == new, f"{name} is stale: run `fouanalys synth`"


def test_example_is_marked_synthetic_and_small():
    directory = config.EXAMPLE_DATA_DIR
    assert config.is_synthetic(directory)
    marker = (directory / config.SYNTHETIC_MARKER).read_text(encoding="utf-8")
    assert "fouanalys synth --seed" in marker and "inte verkliga" in marker
    assert "kolada.csv" in marker and "inte\nhämtade från Kolada" in marker
    readme = (directory / "README.md").read_text(encoding="utf-8")
    assert "`kolada.csv`" in readme and "Också syntetiska" in readme
    total = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    assert total < 5 * 2**20


def test_interrupted_write_leaves_old_files(tmp_path, monkeypatch):
    synthetic.write_example(tmp_path, seed=7, scale=0.05)
    before = _read_all(tmp_path)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    real_replace = synthetic.os.replace
    calls = []

    def replace_then_fail(src, dst):
        calls.append(dst)
        if len(calls) > 1:
            raise OSError("interrupted")
        real_replace(src, dst)

    monkeypatch.setattr(synthetic, "_insatser_bytes", boom)
    with pytest.raises(OSError):
        synthetic.write_example(tmp_path, seed=8, scale=0.05)
    assert _read_all(tmp_path) == before
    assert _written(tmp_path) == sorted(FILES)
    monkeypatch.undo()

    monkeypatch.setattr(synthetic.os, "replace", replace_then_fail)
    with pytest.raises(OSError):
        synthetic.write_example(tmp_path, seed=8, scale=0.05)
    assert _written(tmp_path) == sorted(FILES)  # no tmp files left


def test_more_municipalities_come_with_their_codebook_and_validate(tmp_path, monkeypatch):
    """``municipalities=12``: data for the example's eight and four more of the county, a
    codebook listing them that the build can use, byte for byte the same on a second run."""
    from fouanalys.ingest.validation import validate_data_dir

    paths = synthetic.write_example(tmp_path / "a", seed=7, scale=0.05, municipalities=12)
    synthetic.write_example(tmp_path / "b", seed=7, scale=0.05, municipalities=12)
    written = _written(tmp_path / "a")
    assert written == _written(tmp_path / "b") and "kodbok.yaml" in written
    for name in written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    book = load_codebook(paths["codebook"])
    codes = book.municipality_codes
    assert len(codes) == 12 and codes == sorted(codes)
    assert set(load_codebook().municipality_codes) < set(codes) < set(synthetic.COUNTY)
    frames = {
        "enkat": pd.read_csv(paths["enkat"], usecols=["Hemkommun"]),
        "insatser": pd.read_csv(paths["insatser"], sep=";", encoding="cp1252", dtype=str),
        "befolkning": pd.read_csv(paths["befolkning"], dtype={"kommunkod": str}),
    }
    assert set(frames["enkat"]["Hemkommun"]) == {m.name for m in book.municipalities}
    assert set(frames["insatser"]["kommunkod"]) == set(codes)
    assert set(frames["befolkning"]["kommunkod"]) == set(codes)
    assert "--municipalities 12" in (tmp_path / "a" / config.SYNTHETIC_MARKER).read_text("utf-8")
    monkeypatch.setenv(config.CODEBOOK_ENV, str(paths["codebook"]))
    report, _ = validate_data_dir(tmp_path / "a", report_dir=tmp_path / "v")
    assert report.ok, [p.message for p in report.problems][:5]


def test_a_hundred_municipalities_are_the_county_and_made_up_ones():
    chosen = synthetic.municipalities_for(100)
    codes = [code for code, _ in chosen]
    assert len(set(codes)) == 100 and codes == sorted(codes)
    assert dict(chosen[:26]) == synthetic.COUNTY
    assert all(code.startswith("9") and "Påhittad" in name for code, name in chosen[26:])
    book = yaml.safe_load(synthetic.codebook_text(100))
    assert len(load_codebook().model_validate(book).municipalities) == 100
    with pytest.raises(InvalidArgumentError, match="Antalet kommuner"):
        synthetic.municipalities_for(1)


def _written(directory: Path) -> list[str]:
    """Every file under ``directory``, as a path relative to it."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def test_scale_multiplies_population():
    small = synthetic.generate(seed=3, scale=0.1)
    large = synthetic.generate(seed=3, scale=0.3)
    ratio = large["befolkning"]["antal"].sum() / small["befolkning"]["antal"].sum()
    assert 2.8 < ratio < 3.2
    assert 2.5 < len(large["enkat"]) / len(small["enkat"]) < 3.5


# --- file formats ----------------------------------------------------------------------------
def test_enkat_has_the_export_layout(frames):
    assert list(frames["enkat"].columns) == list(synthetic.EXPORT_COLUMNS)
    assert len(synthetic.EXPORT_COLUMNS) == 205
    if SHARED_EXPORT_COLUMNS.is_file():
        shared = SHARED_EXPORT_COLUMNS.read_text(encoding="utf-8").strip().split(",")
        assert list(synthetic.EXPORT_COLUMNS) == shared
    with gzip.open(config.EXAMPLE_DATA_DIR / "enkat.csv.gz", "rt", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split(",")
        first = fh.readline()
    assert header == list(synthetic.EXPORT_COLUMNS)
    assert ".0," not in first  # integer codes, not floats


def test_insatser_file_is_excel_semicolon_dialect(frames):
    raw = (config.EXAMPLE_DATA_DIR / "insatser.csv").read_bytes()
    assert raw.count(b"\r\n") == len(frames["insatser"]) + 1
    assert b"\n" not in raw.replace(b"\r\n", b"")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # å/ä/ö are single Windows-1252 bytes
    back = pd.read_csv(io.BytesIO(raw), sep=";", encoding="cp1252", dtype=str,
                       keep_default_na=False)  # fmt: skip
    quality = load_codebook().ids("quality_questions")
    assert list(back.columns) == list(synthetic.INSATSER_COLUMNS) + quality
    assert (back["kommunkod"].str.len() == 4).all()
    expected = frames["insatser"].astype(object).map(lambda v: "" if pd.isna(v) else str(v))
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_one_comment_needs_html_escaping(frames):
    comments = frames["insatser"]["kommentar"]
    assert comments.str.contains("<skola & fritid>", regex=False).sum() == 1


def test_befolkning_file_keeps_leading_zeros():
    back = pd.read_csv(config.EXAMPLE_DATA_DIR / "befolkning.csv", dtype={"kommunkod": str})
    assert list(back.columns) == list(synthetic.BEFOLKNING_COLUMNS)
    assert back["kommunkod"].str.fullmatch(r"\d{4}").all()
    assert "0114" in set(back["kommunkod"])


# --- interventions ---------------------------------------------------------------------------
def test_interventions_are_valid_per_codebook(frames, cb):
    ins = frames["insatser"]
    per_muni = ins.groupby("kommunkod").size()
    assert set(per_muni.index) == set(cb.municipality_codes)
    assert per_muni.between(15, 40).all()
    # larger municipalities run more
    assert per_muni["0123"] > per_muni["0125"]
    assert not ins.duplicated(["kommunkod", "insats"]).any()
    actors = set(cb.ids("actors"))
    factors = {i.id for i in cb.indices if i.kind in ("risk", "protective")}
    assert set(ins["huvudman"]) <= actors
    assert set(ins["niva"]) == set(cb.ids("levels"))
    assert set(ins["inriktning"]) == set(cb.ids("targeting"))
    assert set(ins["kunskapslage"]) <= set(cb.ids("knowledge_levels"))
    assert set(ins["status"]) == set(cb.ids("statuses"))
    assert (ins["status"] == "pågående").mean() > 0.6
    for col, allowed in (("faktorer", factors), ("push_pull", set(cb.ids("push_pull"))),
                         ("samverkan", actors)):  # fmt: skip
        ids = {x for v in ins[col] for x in v.split(";") if x}
        assert ids and ids <= allowed, col
    assert (ins["faktorer"] != "").all()
    assert (ins["samverkan"] != "").all()
    assert ins["alder_fran"].between(0, 25).all() and ins["alder_till"].between(0, 25).all()
    assert (ins["alder_fran"] <= ins["alder_till"]).all()
    missing = ins["deltagare_per_ar"].isna().mean()
    assert 0.1 < missing < 0.35
    assert (ins["deltagare_per_ar"].dropna() >= 0).all()
    for _, g in ins.groupby("kommunkod"):
        assert set(g["niva"]) == set(cb.ids("levels"))
        assert set(g["inriktning"]) == set(cb.ids("targeting"))


def test_intervention_names_fit_level_and_ages(frames):
    ins = frames["insatser"].set_index(["kommunkod", "insats"])
    exit_work = ins.xs("Avhopparverksamhet", level="insats")
    assert (exit_work["niva"] == "riskreducera").all()
    assert (exit_work["inriktning"] == "indikerad").all()
    assert (exit_work["alder_fran"] >= 15).all()


def test_every_intervention_answers_the_quality_questions_plausibly(frames, cb):
    """Data i Dialog's five questions: codebook answers or blank; evidence- and knowledge-based
    and ongoing interventions answer "ja" more often; results are followed up more rarely than
    reach; some "delvis" and "vet ej", and 5–10 % not answered."""
    ins = frames["insatser"]
    questions = cb.ids("quality_questions")
    assert len(questions) == 5 and set(questions) <= set(ins.columns)
    answers = ins[questions].stack(future_stack=True)  # blanks kept, as None
    given = answers.dropna()
    assert set(given) == set(cb.ids("quality_answers"))
    assert 0.05 <= answers.isna().mean() <= 0.10
    assert (given == "delvis").mean() > 0.10
    assert 0.02 < (given == "vet ej").mean() < 0.10
    yes = ins[questions].eq("ja")
    well_founded = ins["kunskapslage"].isin(["evidensbaserad", "kunskapsbaserad"])
    assert yes[well_founded].mean().mean() > yes[~well_founded].mean().mean() + 0.15
    ongoing = ins["status"] == "pågående"
    assert yes[ongoing].mean().mean() > yes[~ongoing].mean().mean()
    assert yes["uppfoljning_resultat"].mean() < yes["uppfoljning_rackvidd"].mean() - 0.15
    for _, own in ins.groupby("kommunkod"):  # every municipality has answers to show
        assert own[questions].notna().to_numpy().mean() > 0.8


def test_quality_answers_leave_the_other_columns_and_files_as_they_were(monkeypatch):
    """The answers come last from the inventory's own stream: without them the inventory's
    other columns, the survey and the population are the same draws."""
    plain = synthetic.generate(seed=7, scale=0.05)
    monkeypatch.setattr(synthetic, "_quality_answers", lambda insatser, cb, rng: insatser)
    without = synthetic.generate(seed=7, scale=0.05)
    assert list(without["insatser"].columns) == list(synthetic.INSATSER_COLUMNS)
    pd.testing.assert_frame_equal(
        plain["insatser"][without["insatser"].columns], without["insatser"]
    )
    for name in ("enkat", "befolkning", "kolada", "elever"):
        pd.testing.assert_frame_equal(plain[name], without[name])


# --- population ------------------------------------------------------------------------------
def test_population_is_complete_and_plausible(frames, cb):
    pop = frames["befolkning"]
    assert list(pop.columns) == list(synthetic.BEFOLKNING_COLUMNS)
    assert not pop.duplicated(["kommunkod", "ar", "alder", "kon"]).any()
    assert len(pop) == len(cb.municipalities) * 7 * 26 * 2
    assert set(pop["ar"]) == set(range(2018, 2025))
    assert set(pop["alder"]) == set(range(26))
    assert set(pop["kon"]) == {"Pojke", "Flicka"}
    assert (pop["antal"] > 0).all()
    boys = pop.loc[pop["kon"] == "Pojke", "antal"].sum() / pop["antal"].sum()
    assert 0.505 < boys < 0.525
    # about 1.1-1.3 % of the inhabitants per year of age (Järfälla, 2024: 88 950)
    j = pop[(pop["kommunkod"] == "0123") & (pop["ar"] == 2024) & (pop["alder"] < 19)]
    per_age = j.groupby("alder")["antal"].sum() / 88_950
    assert per_age.between(0.010, 0.015).all()


def test_cohorts_age_consistently(frames):
    pop = frames["befolkning"].groupby(["kommunkod", "ar", "alder"])["antal"].sum()
    wide = pop.unstack("alder")
    for code, g in wide.groupby(level="kommunkod"):
        g = g.droplevel("kommunkod")
        ratio = g.iloc[1:, 1:18].to_numpy() / g.iloc[:-1, 0:17].to_numpy()
        assert np.all((ratio > 0.9) & (ratio < 1.12)), code


# --- survey ----------------------------------------------------------------------------------
def test_survey_values(frames, cb):
    enkat = frames["enkat"]
    names = {m.name for m in cb.municipalities}
    assert set(enkat["Hemkommun"]) == names
    assert set(enkat["DIDkommun"]) == names
    assert (enkat["Skolkommun"] == enkat["Hemkommun"]).mean() > 0.7
    assert set(enkat["ar"]) == set(cb.survey.years)
    assert set(enkat["ARSKURS"]) == {"Åk 9", "Gy 2"}
    kon = enkat["Kön"]
    assert set(kon.dropna()) <= {"Pojke", "Flicka", *cb.survey.other_sex_values}
    other = (~kon.isin(["Pojke", "Flicka"])).mean()
    assert 0.005 < other < 0.03
    for index in cb.indices:
        for item in index.items:
            values = enkat[item.id].dropna()
            assert values.between(1, index.item_levels(item)).all(), item.id
            assert values.nunique() == index.item_levels(item), item.id
    assert enkat["F3_Omkodad"].isna().all()


def test_respondents_follow_cohort_sizes(frames, cb):
    enkat, pop = frames["enkat"], frames["befolkning"]
    names = {m.name: m.code for m in cb.municipalities}
    counts = enkat.groupby(["Hemkommun", "ar", "ARSKURS"]).size()
    ages = {g.id: g.age for g in cb.survey.grades}
    cohort = pop.groupby(["kommunkod", "ar", "alder"])["antal"].sum()
    rates = {(m, y, g): n / cohort[(names[m], y, ages[g])] for (m, y, g), n in counts.items()}
    assert len(rates) == len(cb.municipalities) * len(cb.survey.years) * 2
    code, year, grade, _sex, _keep = synthetic.SMALL_CELL  # thinned on purpose (see below)
    del rates[(cb.municipality_name(code), year, grade)]
    ak9 = np.array([r for (_, _, g), r in rates.items() if g == "Åk 9"])
    gy2 = np.array([r for (_, _, g), r in rates.items() if g == "Gy 2"])
    assert ((ak9 > 0.70) & (ak9 < 0.92)).all()
    assert ((gy2 > 0.55) & (gy2 < 0.85)).all()
    assert ak9.mean() > gy2.mean()
    assert 20_000 < len(enkat) < 60_000


def test_reversed_items_point_the_other_way(frames):
    enkat = frames["enkat"]
    # Parenting: F80 (code 1 "Ja, alla" = RISE category 0) against f83b (code 1 "stämmer
    # mycket bra" = category 3, inconsistent discipline)
    pair = enkat[["F80", "f83b"]].astype("float64").dropna()
    assert pair.corr().iloc[0, 1] < -0.1
    # two negative statements of Utagerande agree with each other
    pair = enkat[["f66c", "f66d"]].astype("float64").dropna()
    assert pair.corr().iloc[0, 1] > 0.2
    # the mean-scored indices too: F82 (reversed, 2 answers) against f83a (reversed)
    pair = enkat[["F82", "f83a"]].astype("float64").dropna()
    assert pair.corr().iloc[0, 1] > 0.1


def test_missing_answers_are_present(frames, cb):
    items = [it for idx in cb.indices for it in idx.items]
    ids = [it.id for it in items]
    missing = frames["enkat"][ids].isna()
    assert 0.02 < missing.to_numpy().mean() < 0.08
    # break-offs: a block of blanks at the end of the questionnaire, answers before it
    order = [c for c in synthetic.EXPORT_COLUMNS if c in ids]
    tail = missing[order[-8:]].all(axis=1)
    head = ~missing[order[:5]].any(axis=1)
    assert 0.005 < (tail & head).mean() < 0.05


def test_risk_index_scores_correlate(scored, cb):
    risk = [i.id for i in cb.indices if i.kind == "risk"]
    corr = scored[[f"score_{r}" for r in risk]].corr().to_numpy()
    assert (corr[np.triu_indices(len(risk), 1)] > 0.15).all()
    protective = [i.id for i in cb.indices if i.kind == "protective"]
    cross = scored[[f"score_{r}" for r in risk + protective]].corr()
    assert (cross.loc[[f"score_{r}" for r in risk], [f"score_{p}" for p in protective]]
            < 0).all().all()  # fmt: skip
    assert scored["score_impulsivitet"].corr(scored["score_kriminalitet"]) > 0.2


def test_prevalence_is_plausible(scored, cb):
    ak9 = scored[scored["arskurs"] == "Åk 9"]
    by_muni = ak9.groupby("kommun")[[i.id for i in cb.indices]].mean()
    for index in cb.indices:
        share = by_muni[index.id]
        if index.kind == "risk" and index.scoring == "rasch":  # "förhöjd": Stockholm's top 10 %
            assert share.between(0.05, 0.30).all(), (index.id, share.to_dict())
        elif index.kind == "risk":
            assert share.between(0.08, 0.36).all(), (index.id, share.to_dict())
        elif index.kind == "protective" and index.scoring == "rasch":  # not "låg skyddsnivå"
            assert share.between(0.65, 0.95).all(), (index.id, share.to_dict())
        elif index.kind == "protective":
            assert share.between(0.45, 0.80).all(), (index.id, share.to_dict())
    crime = ak9["kriminalitet"]
    assert 0.20 < crime.mean() < 0.35
    assert by_muni["kriminalitet"].between(0.12, 0.40).all()
    by_sex = ak9.groupby("kon")["kriminalitet"].mean()
    assert by_sex["Pojke"] > by_sex["Flicka"] + 0.05


def test_municipalities_and_sexes_differ(scored, cb):
    ak9 = scored[scored["arskurs"] == "Åk 9"]
    risk = [i.id for i in cb.indices if i.kind == "risk"]
    by_muni = ak9.groupby("kommun")[risk].mean()
    spread = by_muni.max() - by_muni.min()
    assert (spread > 0.08).any()
    # "förhöjd" is the top tenth: Sigtuna has clearly more there than Ekerö
    assert by_muni.loc["Sigtuna", "impulsivitet"] > by_muni.loc["Ekerö", "impulsivitet"] + 0.04
    by_sex = ak9.groupby("kon")[risk].mean()
    assert (by_sex.loc["Pojke"] - by_sex.loc["Flicka"]).max() > 0.05


def test_outcomes_go_with_the_risk_factors_and_differ_by_sex_and_grade(scored, cb):
    """Every outcome is more common with more risk (as in real surveys), drinking, drugs and
    tobacco rise from åk 9 to Gy 2, and girls report more psychosomatic complaints."""
    for outcome in cb.outcomes():
        assert scored[f"score_{outcome}"].corr(scored["score_impulsivitet"]) > 0.1, outcome
        share = scored[outcome].mean()
        assert 0.03 < share < 0.40, (outcome, share)
    by_grade = scored.groupby("arskurs")[["alkohol", "narkotika", "tobak"]].mean()
    assert (by_grade.loc["Gy 2"] > by_grade.loc["Åk 9"] + 0.03).all()
    by_sex = scored.groupby("kon")["psykisk_ohalsa"].mean()
    assert by_sex["Flicka"] > by_sex["Pojke"] + 0.03


def test_offending_declines_over_time(scored):
    ak9 = scored[scored["arskurs"] == "Åk 9"]
    by_year = ak9.groupby("ar")["kriminalitet"].mean()
    assert by_year[2024] < by_year[2018] - 0.02


# --- Kolada key figures ----------------------------------------------------------------------
KOLADA_FILE = config.EXAMPLE_DATA_DIR / "kolada.csv"


@pytest.fixture(scope="module")
def kolada(cb):
    return synthetic.kolada_frame(cb, seed=config.DEFAULT_SEED)


def test_kolada_is_deterministic_with_its_own_stream(cb, kolada):
    again = synthetic._kolada_bytes(synthetic.kolada_frame(cb, config.DEFAULT_SEED), cb)
    assert again == synthetic._kolada_bytes(kolada, cb)
    assert again == KOLADA_FILE.read_bytes()  # the committed example
    other = synthetic._kolada_bytes(synthetic.kolada_frame(cb, 8), cb)
    assert other != again


def test_kolada_does_not_change_the_other_files(monkeypatch):
    """The key figures draw from their own stream: the other files do not depend on them.

    (That the committed survey, inventory and population files are byte for byte what the
    generator makes now, with the key figures, is checked by
    ``test_committed_example_equals_fresh_regeneration``.)
    """
    with_kolada = synthetic.generate(seed=7, scale=0.05)
    monkeypatch.setattr(synthetic, "kolada_frame", lambda cb, seed: pd.DataFrame())
    without = synthetic.generate(seed=7, scale=0.05)
    for name in ("enkat", "insatser", "befolkning"):
        pd.testing.assert_frame_equal(with_kolada[name], without[name])


def test_kolada_has_kolada_shape_for_every_kpi_area_and_year(cb, kolada):
    assert list(kolada.columns) == ["kpi", "municipality_id", "year", "gender", "value", "status"]
    assert list(dict.fromkeys(kolada["kpi"])) == [k.id for k in cb.kolada_kpis]
    assert (
        set(kolada["municipality_id"])
        == set(cb.kolada_areas())
        == {
            *cb.municipality_codes,
            "0001",
            "0000",
        }
    )
    assert sorted(kolada["year"].unique()) == list(range(2015, 2025))
    assert not kolada.duplicated(["kpi", "municipality_id", "year", "gender"]).any()
    for kpi in cb.kolada_kpis:
        genders = set(kolada.loc[kolada["kpi"] == kpi.id, "gender"])
        assert genders == ({"T", "K", "M"} if kpi.by_gender else {"T"}), kpi.id
        n = len(kolada.loc[kolada["kpi"] == kpi.id])
        assert n == 10 * 10 * len(genders)
    # the file reads back with its leading zeros and blank values
    back = pd.read_csv(KOLADA_FILE, dtype={"municipality_id": str}, keep_default_na=False)
    assert back["municipality_id"].str.fullmatch(r"\d{4}").all()
    assert (back["value"] == "").sum() == kolada["value"].isna().sum()
    assert set(
        back.loc[back["kpi"] == "N15428", "value"].str.extract(r"\.(\d+)$")[0].dropna().str.len()
    ) == {1}
    assert back.loc[back["kpi"] == "N33812", "value"].str.fullmatch(r"\d*").all()


def test_kolada_values_lie_in_their_unit_and_plausible_range(cb, kolada):
    for kpi in cb.kolada_kpis:
        unit = cb.kolada_unit(kpi.unit)
        values = kolada.loc[kolada["kpi"] == kpi.id, "value"].dropna().astype(float)
        assert len(values) > 0.5 * (kolada["kpi"] == kpi.id).sum(), kpi.id  # mostly published
        if unit.low is not None:
            assert (values >= unit.low).all(), kpi.id
        if unit.high is not None:
            assert (values <= unit.high).all(), kpi.id
        if kpi.plausible is not None:
            assert values.between(*kpi.plausible).all(), kpi.id
    t = kolada.loc[kolada["gender"] == "T"].set_index(["kpi", "municipality_id", "year"])["value"]
    levels = {"N15428": (75, 97), "N17625": (3, 18), "N02904": (3, 22), "N07403": (600, 1700),
              "U07417": (2500, 7500)}  # fmt: skip
    for kpi_id, (low, high) in levels.items():
        assert t.loc[kpi_id].dropna().between(low, high).all(), kpi_id


def test_kolada_has_unpublished_rows_without_values(kolada):
    for status in ("Privacy", "Missing"):
        rows = kolada.loc[kolada["status"] == status]
        assert 0 < len(rows) < 0.1 * len(kolada), status
        assert rows["value"].isna().all()
    assert kolada.loc[kolada["status"] == "", "value"].notna().all()
    # the latest year of one KPI is not yet published, for every area
    latest = kolada.loc[(kolada["kpi"] == "N02904") & (kolada["year"] == 2024)]
    assert (latest["status"] == "Missing").all()
    # protection is for small counts, and covers both sexes so neither can be subtracted out
    private = kolada.loc[kolada["status"] == "Privacy"]
    assert set(private["kpi"]) <= {"N33812", "N33813"}
    assert set(private["municipality_id"]).isdisjoint({"0001", "0000"})
    by_sex = private.loc[private["gender"] != "T"].groupby(["kpi", "municipality_id", "year"])
    assert (by_sex["gender"].apply(set) == {"K", "M"}).all()
    counts = kolada.loc[kolada["kpi"].isin(["N33812", "N33813"])]
    wide = counts.pivot_table(
        index=["kpi", "municipality_id", "year"], columns="gender", values="value", aggfunc="first"
    ).dropna()
    assert (wide["K"] + wide["M"] == wide["T"]).all()
    assert (wide[["K", "M"]] >= synthetic.KOLADA_PRIVACY_LIMIT).all().all()


def test_kolada_municipalities_differ_and_the_county_is_near_their_average(cb, kolada):
    t = kolada.loc[kolada["gender"] == "T"]
    for kpi in cb.kolada_kpis:
        if kpi.unit == "antal":
            continue
        rows = t.loc[t["kpi"] == kpi.id]
        by_area = rows.groupby("municipality_id")["value"].mean().astype(float)
        municipalities = by_area.drop(["0001", "0000"])
        assert municipalities.std() / municipalities.mean() > 0.03, kpi.id
        assert abs(by_area["0001"] / municipalities.mean() - 1) < 0.15, kpi.id
        assert abs(by_area["0000"] / municipalities.mean() - 1) < 0.30, kpi.id
        # smooth: a typical year-to-year change of the county is small
        county = rows.loc[rows["municipality_id"] == "0001"].sort_values("year")["value"]
        assert county.astype(float).pct_change().abs().median() < 0.05, kpi.id
    # the example's vulnerability: Sigtuna below Ekerö in eligibility, above it in crime
    latest = t.loc[t["year"] == 2023].set_index(["kpi", "municipality_id"])["value"]
    assert latest["N15428", "0191"] < latest["N15428", "0125"]
    assert latest["N07403", "0191"] > latest["N07403", "0125"]
    # counts scale with the municipality's size
    hvb = t.loc[t["kpi"] == "N33812"].groupby("municipality_id")["value"].mean()
    assert hvb["0123"] > 2 * hvb["0125"] and hvb["0000"] > 3 * hvb["0001"]


def test_the_example_has_small_groups_for_disclosure_control(frames, cb):
    """One survey cell under the threshold, remainders of 1–4 and a small intervention."""
    code, year, grade, sex, keep = synthetic.SMALL_CELL
    assert 0 < keep < config.DISCLOSURE_THRESHOLD
    enkat = frames["enkat"]
    name = cb.municipality_name(code)
    cell = enkat.loc[
        (enkat["Hemkommun"] == name) & (enkat["ar"] == year) & (enkat["ARSKURS"] == grade)
    ]
    assert (cell["Kön"] == sex).sum() == keep
    assert (cell["Kön"] != sex).sum() > 50  # the rest of the cell is untouched
    other = ~enkat["Kön"].isin(["Pojke", "Flicka"])
    remainder = other.groupby([enkat["Hemkommun"], enkat["ar"], enkat["ARSKURS"]]).sum()
    assert remainder.between(1, config.DISCLOSURE_THRESHOLD - 1).any()
    assert 0 < remainder[(name, year, grade)] < config.DISCLOSURE_THRESHOLD
    code, intervention, participants = synthetic.SMALL_INTERVENTION
    ins = frames["insatser"]
    row = ins.loc[(ins["kommunkod"] == code) & (ins["insats"] == intervention)]
    assert len(row) == 1
    assert row["deltagare_per_ar"].iloc[0] == participants < config.DISCLOSURE_THRESHOLD
    assert row["status"].iloc[0] == "pågående" and row["niva"].iloc[0] == "riskreducera"


# --- who answered: enrolled pupils and respondents who are not serious ------------------------


def test_enrolment_is_the_cohort_less_a_few_and_never_below_the_respondents(frames, cb):
    elever, pop, enkat = frames["elever"], frames["befolkning"], frames["enkat"]
    assert list(elever.columns) == ["kommunkod", "ar", "arskurs", "antal"]
    assert len(elever) == len(cb.municipalities) * len(cb.survey.years) * len(cb.survey.grades)
    ages = {g.id: g.age for g in cb.survey.grades}
    cohort = pop.groupby(["kommunkod", "ar", "alder"])["antal"].sum()
    names = {m.name: m.code for m in cb.municipalities}
    answered = enkat.groupby([enkat["Hemkommun"].map(names), "ar", "ARSKURS"]).size()
    for row in elever.itertuples(index=False):
        share = row.antal / cohort[(row.kommunkod, row.ar, ages[row.arskurs])]
        low, high = synthetic.ENROLLED_SHARE[0 if row.arskurs == "Åk 9" else 1]
        assert low - 0.005 <= share <= high + 0.005, row
        assert row.antal >= answered[(row.kommunkod, row.ar, row.arskurs)], row
    written = (config.EXAMPLE_DATA_DIR / "elever.csv").read_text(encoding="utf-8")
    assert written.splitlines()[:2] == ["kommunkod,ar,arskurs,antal", "0114,2018,Åk 9,587"]


def test_a_few_respondents_answer_as_no_serious_respondent_does(frames, cb):
    """Straight-liners (one extreme answer to every statement) and implausible offenders (the
    top answer to every offending question), at about the rates the generator sets, drawn after
    the rest of the survey so every other respondent keeps its answers."""
    enkat = frames["enkat"]
    statements = enkat[cb.scale_items("instammer")].astype("float64")
    offences = enkat[cb.scale_items("brott_antal")].astype("float64")
    straight = statements.notna().all(axis=1) & (statements.nunique(axis=1) == 1)
    assert set(statements.loc[straight].iloc[:, 0]) == {1.0, 4.0}
    implausible = (offences == 5).all(axis=1)
    n = len(enkat)
    assert 0.5 * synthetic.STRAIGHT_LINERS < straight.mean() < 2 * synthetic.STRAIGHT_LINERS
    assert (
        0.5 * synthetic.IMPLAUSIBLE_OFFENDERS
        < implausible.mean()
        < 2 * synthetic.IMPLAUSIBLE_OFFENDERS
    )
    assert not (straight & implausible).any() and n > 20_000


def test_unserious_respondents_leave_the_other_answers_as_they_were(monkeypatch):
    plain = synthetic.generate(seed=7, scale=0.05)
    monkeypatch.setattr(synthetic, "STRAIGHT_LINERS", 0.0)
    monkeypatch.setattr(synthetic, "IMPLAUSIBLE_OFFENDERS", 0.0)
    without = synthetic.generate(seed=7, scale=0.05)
    a, b = plain["enkat"], without["enkat"]
    changed = ~(a.eq(b).fillna(False).astype(bool) | (a.isna() & b.isna())).all(axis=1)
    assert 0 < changed.sum() < 0.02 * len(changed)
    for name in ("insatser", "befolkning", "kolada"):
        pd.testing.assert_frame_equal(plain[name], without[name])


def test_the_later_rounds_change_what_the_readme_says():
    """Two municipalities' later rounds, read with plain pandas: one intervention no longer
    listed, two new, the rest kept, and every round row for its own municipality."""
    base = pd.read_csv(config.EXAMPLE_DATA_DIR / "insatser.csv", sep=";", encoding="cp1252")
    for code in ("0114", "0191"):
        path = config.EXAMPLE_DATA_DIR / "kartlaggning" / code / "2026-10-15.csv"
        later = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype={"kommunkod": str})
        before = set(base.loc[base["kommunkod"] == int(code), "insats"])
        after = set(later["insats"])
        assert len(before - after) == 1 and len(after - before) == 2
        assert set(later["kommunkod"]) == {code}
        kept = later.loc[later["insats"].isin(before)].set_index("insats")
        old = base.loc[base["kommunkod"] == int(code)].set_index("insats").loc[kept.index]
        assert (old["status"] == "planerad").sum() - (kept["status"] == "planerad").sum() == 1
        assert (old["niva"] != kept["niva"]).sum() == 1
        participants = old["deltagare_per_ar"].fillna(-1) != kept["deltagare_per_ar"].fillna(-1)
        assert participants.sum() == 2
