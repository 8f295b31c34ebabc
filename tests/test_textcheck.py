"""The check of a built chapter's visible text: internal identifiers and ungrouped numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from fouanalys.build.textcheck import text_problems, visible_text
from fouanalys.present.text import format_number


def found(document: str) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in text_problems(document)]


def page(body: str) -> str:
    return f"<html><head><style>.a_b {{}}</style></head><body><main>{body}</main></body></html>"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<td>priority_factors (256 rader)</td>", [("identifier", "priority_factors")]),
        ("<p>Läs gaps.parquet och manifest.json</p>", [("file", "gaps.parquet"),
                                                     ("file", "manifest.json")]),
        ("<p>Se push_pull.</p>", [("identifier", "push_pull")]),
        ("<p>Totalt 9603 elever</p>", [("number", "9603")]),
        ("<p>Totalt 123456 kronor</p>", [("number", "123456")]),
        ("<p>Bland 12 000, varav 1234 flickor</p>", [("number", "1234")]),
    ],
)  # fmt: skip
def test_flags_identifiers_file_names_and_ungrouped_numbers(body, expected):
    assert found(page(body)) == expected


@pytest.mark.parametrize(
    "body",
    [
        f"<p>Totalt {format_number(9603)} elever och {format_number(1234567)} kronor</p>",
        "<p>Totalt 9 603 elever, 9\u00a0603 elever</p>",
        "<p>År 2024 och 2022–2024, jämfört med 1999</p>",
        "<p>Kommunkod 0123 (Järfälla)</p>",
        "<p>Nyckeltalet N07907 och U07452</p>",
        "<p>Kodad som Windows-1252</p>",
        "<p>Andelen är 0,12345 och 3.14159</p>",
        "<p>En fil</p><code>processed_dir = data/processed/gaps.parquet 98765</code>",
        '<section class="fou-provenance-block"><td>processed_dir</td><td>feedc0ffee12</td>'
        "<td>2916</td></section>",
        '<img alt="bild" src="data:image/png;base64,AAAA_bbbb1234567">',
        '<p class="fou_internal" data-x="priority_factors">Läsbar text</p>',
        "<script>var priority_factors = 123456;</script>",
        "<p>lågt–medel, risk- och skyddsfaktorer, e-post</p>",
    ],
)
def test_allows_formatted_numbers_years_codes_and_hidden_text(body):
    assert found(page(body)) == []


def test_a_year_beyond_the_window_and_a_five_digit_code_are_numbers():
    assert found(page("<p>år 2150, kod 01234</p>")) == [("number", "2150"), ("number", "01234")]


def test_visible_text_drops_exempt_parts_and_keeps_the_rest():
    text = visible_text(
        page('<p>Före</p><section class="fou-provenance-block"><p>Dold</p></section><p>Efter</p>')
    )
    assert "Före" in text and "Efter" in text
    assert "Dold" not in text and ".a_b" not in text


def test_problems_name_their_context():
    (problem,) = text_problems(page("<p>Ett långt sammanhang kring knowledge_profile här</p>"))
    assert "sammanhang kring knowledge_profile här" in problem.context
    assert "knowledge_profile" in str(problem)


@pytest.fixture(scope="module")
def built_html(tmp_path_factory) -> list:
    """One municipality's chapters and the region chapter, built as HTML on the example data."""
    from fouanalys.build.runner import build, format_summary
    from fouanalys.config import EXAMPLE_DATA_DIR

    root = tmp_path_factory.mktemp("textcheck")
    summary = build(
        municipalities=["0123"],
        data_dir=EXAMPLE_DATA_DIR,
        processed_dir=root / "processed",
        reports_dir=root / "reports",
        formats=("html",),
        jobs=2,
        progress=False,
    )
    assert summary.ok, format_summary(summary)
    return [Path(r.html) for r in summary.results]


@pytest.mark.slow
def test_built_chapters_show_no_internal_names_or_ungrouped_numbers(built_html):
    assert {p.parent.name for p in built_html} == {"0123", "region"}
    assert len(built_html) >= 5
    problems = [
        f"{p.parent.name}/{p.name}: {problem}"
        for p in built_html
        for problem in text_problems(p.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


def test_every_processed_table_has_a_swedish_name():
    from fouanalys.ingest.processing import INPUT_TABLES
    from fouanalys.present.labels import PROCESSED_TABLE_LABELS, processed_table_label

    assert set(INPUT_TABLES) <= set(PROCESSED_TABLE_LABELS)
    for name, label in PROCESSED_TABLE_LABELS.items():
        assert found(page(f"<td>{label} (12 rader)</td>")) == [], name
    assert processed_table_label("new_table") == "Övrig bearbetad tabell"


def test_chapters_03_and_04_share_one_push_pull_definition():
    from fouanalys.config import NOTEBOOKS_DIR

    for name in ("03_insatser.ipynb", "04_natverk.ipynb"):
        source = (NOTEBOOKS_DIR / name).read_text(encoding="utf-8")
        assert "push_pull_rule()" in source, name
        assert "genom det nätverket erbjuder" not in source and "är dragen" not in source


def test_kolada_titles_group_their_numbers():
    from fouanalys.chapters.nyckeltal.display import title_text

    assert title_text("Brott, antal/1000 inv") == "Brott, antal/1\u202f000 inv"
    assert title_text("Andel (%), 2024, N07907") == "Andel (%), 2024, N07907"


def test_index_table_says_what_pupils_answered_not_response_codes():
    from fouanalys.chapters.riskfaktorer.display import answered_phrase, index_table

    cells = " ".join(index_table()["Gränsvärde"])
    assert "svarskod" not in cells
    assert "svarat att det hänt" in answered_phrase(2, 5)
    assert answered_phrase(4, 5) == "där eleven valt något av de två högsta svarsalternativen av 5"
