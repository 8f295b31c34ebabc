"""The text check of built reports (internal names, number and percent notation, terms,
headings, table notes): on crafted HTML and PDF, and (slow) on every report of a full build."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fouanalys.build.textcheck import text_problems, visible_text
from fouanalys.present.text import format_number, format_participants, format_share


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
        ("<p>Andelen är 23 procent.</p>", [("percent", "23 procent")]),
        ("<p>Andelen är 12,5\u00a0procent och 9 603 procent</p>",
         [("percent", "12,5\u00a0procent"), ("percent", "9 603 procent")]),
        ("<p>Andelen är 23% och 4,5%.</p>", [("percent", "23%"), ("percent", "4,5%")]),
        ("<p>Andelen är 0.5 och 3.14159.</p>", [("decimal", "0.5"), ("decimal", "3.14159")]),
        ("<p>Licens CC BY 4.0, men 4.0 procentenheter.</p>", [("decimal", "4.0")]),
        ("<p>CC\u00a0BY\n4.0 och CC BY-SA 3.0</p>", []),
        ("<p>De tunna strecken är intervall.</p>", [("term", "tunna")]),
        ("<p>Tunt underlag, tunnare än i fjol</p>", [("term", "Tunt"), ("term", "tunnare")]),
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
        "<p>Andelen är 0,12345</p>",
        # percent: one notation, "23 %"; procentenheter is another unit and compounds and the
        # genitive of a fixed expression are not "a number and the unit"
        f"<p>Andelen är {format_share(0.23)}, 4,5\u00a0% och 12 %</p>",
        "<p>Skillnaden är 0,4 procentenheter, 3 procentenheter</p>",
        "<p>med 95-procentsintervall, med 95 procents säkerhet, i procent av nuläget</p>",
        "<p>minst två procent av åldersgruppen</p>",
        # decimal points in versions and ids are not decimal numbers
        "<p>fouanalys 0.1.0, kodboksversion 2026.11.1, v0.5 och 1.2.3.4</p>",
        "<p>Slutet av en mening 12. Nästa mening.</p>",
        # the gap status itself
        "<p>I 2 är täckningen tunn; saknas, tunn eller okänd. Tunn: når för få.</p>",
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


def test_a_heading_repeated_as_a_bold_lead_in_is_flagged():
    repeated = (
        '<div class="fou-markdown"><h2 id="avsnitt-6">Luckor</h2></div>'
        '<div class="fou-cell"><div class="fou-output fou-markdown">'
        "<p><strong>Luckor.</strong> Varje kombination …</p></div></div>"
    )
    assert found(page(repeated)) == [("heading", "Luckor.")]
    assert found(page("<h3>Metod</h3><p><b>Metod:</b> så här</p>")) == [("heading", "Metod:")]
    for body in (
        "<h2>Metod och förbehåll</h2><ul><li><strong>Luckor.</strong> Varje …</li></ul>",
        "<h2>Luckor</h2><p>Inledning. <strong>Luckor.</strong> Sedan</p>",
        "<h2>Riskprofil</h2><p>Text</p><h2>Luckor</h2><p>Text <b>Luckor</b></p>",
    ):
        assert found(page(body)) == [], body


def fou_table(cells: list[str], note: str | None) -> str:
    """A table as present.tables renders it, one column, with its note."""
    rows = "".join(f"<tr><td>{c}</td></tr>" for c in cells)
    tail = f'<p class="fou-note">{note}</p>' if note is not None else ""
    return (
        '<table class="fou-table" id="tabell-2"><caption><span class="fou-tabnum">Tabell 2.'
        f"</span> Utfall</caption><thead><tr><th>Värde</th></tr></thead><tbody>{rows}"
        f"</tbody></table>{tail}"
    )


@pytest.mark.parametrize(
    ("cells", "note", "expected"),
    [
        # chapter 05 before the fix: the table shows "ej tillämpligt", the note explains "–"
        (["ej tillämpligt", "+1,2"], "Alla tal gäller modellen. – = nuläget är jämförelsen.",
         [("note", "– =")]),
        (["+9", "−2"], "* = statistiskt säkert sämre.", [("note", "* =")]),
        (["12"], "okänt = ingen anger antal.", [("note", "okänt =")]),
        (["12"], "färre\u00a0än\u00a05 = 1–4 deltagare per år.", [("note", "färre än 5 =")]),
        # a "–" nobody explains
        (["–", "31 %"], "Andelar.", [("note", "–")]),
        (["–*"], None, [("note", "–")]),
    ],
)  # fmt: skip
def test_a_table_note_explains_what_the_table_shows(cells, note, expected):
    assert found(page(fou_table(cells, note))) == expected


def test_table_notes_that_match_their_tables_pass():
    from fouanalys.present.tables import table

    legend = {
        "–": "– = visas inte.",
        "ej tillämpligt": "ej tillämpligt = nuläget är jämförelsen.",
        "*": "* = statistiskt säkert sämre.",
    }
    for cells in (["ej tillämpligt", "+1,2*"], ["–", "31 %"], ["(27–35)", "+3"]):
        rendered = table(pd.DataFrame({"Värde": cells}), "Utfall", note="Andelar.", legend=legend)
        assert found(page(rendered._repr_html_())) == [], cells
    protected = fou_table(["minst\u00a0222", "≥12 (2 insatser)"], "minst = utan de små. ≥ = …")
    assert found(page(protected)) == []
    # an explanation in the running text of a note, not of a symbol, is not read
    assert found(page(fou_table(["12"], "Plats: 1 är bäst; antal rangordnas inte."))) == []


def test_a_protected_count_in_a_cell_must_not_break():
    cells = ["färre än 5", "minst 340", format_participants(3), format_participants(340, few=1)]
    cells.append("medelvärde minst 0,60 på skalan 0–1")  # words in a cell, not a count
    problems = text_problems(page(fou_table(cells, None)))
    assert [(p.kind, p.text) for p in problems] == [
        ("break", "färre än 5"),
        ("break", "minst 340"),
    ]


def write_pdf(body: str, path: Path) -> Path:
    """A small PDF printed by WeasyPrint from ``body``."""
    from weasyprint import HTML

    HTML(string=f"<html><body>{body}</body></html>").write_pdf(path)
    return path


def test_pdf_text_is_checked_up_to_the_provenance(tmp_path):
    from fouanalys.build.textcheck import pdf_problems, pdf_text

    pdf = write_pdf(
        "<h1>Innehåll</h1><p>Proveniens ...... 3</p>"
        "<h2>Resultat</h2><p>Andelen är 23 procent, 0.5 av 9603 elever, se push_pull.</p>"
        "<h2>Proveniens</h2><table><tr><td>processed_dir</td><td>20261126</td></tr>"
        "<tr><td>fouanalys</td><td>0.1.0</td></tr></table>",
        tmp_path / "kapitel.pdf",
    )
    text = pdf_text(pdf)
    assert "Resultat" in text and "processed_dir" not in text
    assert [(p.kind, p.text) for p in pdf_problems(pdf)] == [
        ("identifier", "push_pull"),
        ("number", "9603"),
        ("percent", "23 procent"),
        ("decimal", "0.5"),
    ]
    clean = write_pdf(f"<p>Andelen är {format_share(0.23)} av {format_number(9603)}.</p>",
                      tmp_path / "ren.pdf")  # fmt: skip
    assert pdf_problems(clean) == []


def test_a_word_hyphenated_at_a_line_end_reads_as_printed(tmp_path):
    """PDFium marks a hyphen at a line's end (U+FFFE) and joins the lines, as if it were a
    break inside a word, also in "stöld- och"; the text keeps the hyphen and the line break,
    as the page shows them."""
    from fouanalys.build.textcheck import pdf_text

    pdf = write_pdf(
        '<p style="width: 1.5cm; font-size: 12pt">Anmälda stöld- och skadegörelsebrott</p>',
        tmp_path / "avstavat.pdf",
    )
    lines = pdf_text(pdf).split("\n")
    assert "\ufffe" not in "".join(lines)
    assert any(line.endswith("stöld-") for line in lines), lines
    assert any(line.startswith("och") for line in lines), lines


def test_tables_of_references_are_a_sources_words_in_html_and_pdf(tmp_path):
    """A DOI, a report number and a web address in a table of references are not findings;
    the same in the report's own text, or in a table after the references, are."""
    from fouanalys.build.textcheck import pdf_problems
    from fouanalys.present import table

    refs = pd.DataFrame({"Studie": ["Hu (2020). Review, 83, 101930. https://x.org/a_b/10665"]})
    cited = table(refs, caption="Studier om impulsivitet", numeric=[], citations=True)
    plain = table(refs, caption="Tabell med text", numeric=[])
    assert found(page(cited._repr_html_())) == []
    assert ("number", "101930") in found(page(plain._repr_html_()))
    pdf = write_pdf(
        f"<p>Text före.</p>{cited._repr_html_()}"
        "<table><caption>Tabell 9. Nästa tabell</caption><tr><td>se a_b och 9603</td></tr>"
        "</table>",
        tmp_path / "kallor.pdf",
    )
    assert [(p.kind, p.text) for p in pdf_problems(pdf)] == [
        ("identifier", "a_b"),
        ("number", "9603"),
    ]


@pytest.fixture(scope="module")
def reports(full_build) -> Path:
    """The reports folder of the test run's full build (``conftest``), asserted complete."""
    from fouanalys.build.runner import format_summary

    summary, root = full_build
    assert summary.ok, format_summary(summary)
    return root / "reports"


def built_pages(reports: Path, codebook, suffix: str) -> list[Path]:
    """Every chapter, seminar deck and final report of every municipality and of the region,
    with one ``suffix`` (``html`` or ``pdf``); asserted to be all of them."""
    from fouanalys.chapters import registry

    folders = [*codebook.municipality_codes, "region"]
    pages = [p for folder in folders for p in sorted((reports / folder).glob(f"*.{suffix}"))]
    chapters = len(codebook.municipality_codes) * len(registry.entry_ids("municipality"))
    chapters += len(registry.entry_ids("region"))
    assert len(pages) == chapters + len(folders), [p.name for p in pages]
    assert sum(p.stem == "slutrapport" for p in pages) == len(folders)
    return pages


def _listed(problems: dict[str, list]) -> str:
    return "\n".join(f"{name}: {problem}" for name, found in problems.items() for problem in found)


@pytest.mark.slow
def test_built_html_shows_no_internal_names_or_inconsistent_text(reports, codebook):
    """Every chapter, final report and the index page of a real build (all eight
    municipalities and the region) passes the text check."""
    pages = [*built_pages(reports, codebook, "html"), reports / "index.html"]
    problems = {
        p.relative_to(reports).as_posix(): text_problems(p.read_text(encoding="utf-8"))
        for p in pages
    }
    assert not any(problems.values()), _listed(problems)


@pytest.mark.slow
def test_built_pdfs_show_no_internal_names_or_inconsistent_text(reports, codebook):
    """The same rules on the text of every built PDF, up to its provenance (PDFium reads all
    of them in about 3 s)."""
    from fouanalys.build.textcheck import pdf_problems

    pdfs = built_pages(reports, codebook, "pdf")
    problems = {p.relative_to(reports).as_posix(): pdf_problems(p) for p in pdfs}
    assert not any(problems.values()), _listed(problems)


def test_every_processed_table_has_a_swedish_name():
    from fouanalys.ingest.processing import INPUT_TABLES
    from fouanalys.present.labels import PROCESSED_TABLE_LABELS, processed_table_label

    assert set(INPUT_TABLES) <= set(PROCESSED_TABLE_LABELS)
    for name, label in PROCESSED_TABLE_LABELS.items():
        assert found(page(f"<td>{label} (12 rader)</td>")) == [], name
    assert processed_table_label("new_table") == "Övrig bearbetad tabell"


def test_chapters_03_and_05_share_one_push_pull_definition():
    from fouanalys.config import NOTEBOOKS_DIR

    for name in ("03_insatser.ipynb", "05_natverk.ipynb"):
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


def test_tunn_means_only_the_gap_status_in_notebooks_and_chapter_code():
    """One meaning per word: "tunn" is a gap status, so no notebook or chapter text uses
    its other forms ("de tunna strecken" became "de smala strecken")."""
    from fouanalys.build.textcheck import OTHER_SENSE
    from fouanalys.config import NOTEBOOKS_DIR

    package = Path(__file__).resolve().parents[1] / "src" / "fouanalys"
    sources = [*NOTEBOOKS_DIR.glob("*.ipynb"), *(package / "chapters").rglob("*.py")]
    sources += [*(package / "present").rglob("*.py"), package / "data" / "codebook.yaml"]
    found = {
        p.name: OTHER_SENSE.findall(p.read_text(encoding="utf-8"))
        for p in sources
        if OTHER_SENSE.search(p.read_text(encoding="utf-8"))
    }
    assert found == {}
