"""Report output: chapter 01 executed with papermill, exported to HTML and PDF; numbering,
table of contents, provenance and escaping; the final report; atomic writes; the index page."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from fouanalys import config
from fouanalys.build import export, index
from fouanalys.codebook import load_codebook
from fouanalys.config import NOTEBOOKS_DIR, SYNTHETIC_BANNER
from fouanalys.exceptions import FouanalysError
from fouanalys.ingest import files
from fouanalys.ingest.processing import write_tables
from fouanalys.present import figures as fa_figures
from fouanalys.present import style, tables

CHAPTER = NOTEBOOKS_DIR / "01_underlag.ipynb"

META = {
    "municipality_code": "0123",
    "municipality_name": "Järfälla",
    "chapter_id": "01_underlag",
    "chapter_title": "Underlag och datakvalitet",
    "synthetic": True,
    "data_version": "feedc0ffee12",
    "built": "2026-11-26",
    "package_version": "0.1.0",
}


def make_processed_dir(out: Path, synthetic: bool = True, seed: int = 7) -> dict:
    """A small processed dir (typed frames + manifest) for two municipalities."""
    rng = np.random.default_rng(seed)
    cb = load_codebook()
    records = []
    for kod in ("0123", "0114"):
        for ar in (2022, 2024):
            for ak in ("Åk 9", "Gy 2"):
                n = int(rng.integers(25, 40))
                for kon in rng.choice(np.array(["Pojke", "Flicka", None], dtype=object), n):
                    records.append({"ar": ar, "kommunkod": kod, "arskurs": ak, "kon": kon})
    # a tiny group (3 respondents): every count in its row is suppressed
    for kon in ("Pojke", "Flicka", "Flicka"):
        records.append({"ar": 2023, "kommunkod": "0123", "arskurs": "Åk 9", "kon": kon})
    enkat = pd.DataFrame(records).astype({"ar": "Int64"})
    for item, levels in cb.item_levels().items():
        enkat[item] = pd.array(rng.integers(1, min(levels, 4) + 1, len(enkat)), dtype="Int64")
    n_ins = 5
    insatser = pd.DataFrame(
        {
            "kommunkod": ["0123"] * n_ins,
            "insats": [f"Insats {i}" for i in range(n_ins)],
            "huvudman": ["skola"] * n_ins,
            "niva": ["förebygga", "förebygga", "förhindra", "förebygga", "förhindra"],
            "inriktning": ["universell"] * n_ins,
            "alder_fran": pd.array([6, 13, 13, 16, 10], dtype="Int64"),
            "alder_till": pd.array([12, 15, 18, 18, 15], dtype="Int64"),
            "faktorer": ["impulsivitet"] * n_ins,
            "push_pull": [""] * n_ins,
            "kunskapslage": ["lovande"] * n_ins,
            "deltagare_per_ar": pd.array([10, None, 5, 20, 3], dtype="Int64"),
            "samverkan": ["polis"] * n_ins,
            "status": ["pågående", "pågående", "planerad", "avslutad", "pågående"],
            "kommentar": ["<script>alert(1)</script>", "", "", "", ""],
        }
    )
    befolkning = pd.DataFrame(
        [
            ("0123", ar, a, k, int(900 + 5 * a + rng.integers(0, 50)))
            for ar in (2023, 2024)
            for a in range(26)
            for k in ("Pojke", "Flicka")
        ],
        columns=["kommunkod", "ar", "alder", "kon", "antal"],
    ).astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})
    from fouanalys.prevalence import prevalence_table
    from fouanalys.response import response_table, unserious
    from fouanalys.scoring import score_indices

    frames = {"enkat": enkat, "insatser": insatser, "befolkning": befolkning}
    inputs = dict(frames)
    # what chapter 01 reads besides the typed inputs: who answered, and each index's missing
    frames["response"] = response_table(enkat, unserious(enkat, cb), cb)
    frames["prevalence"] = prevalence_table(score_indices(enkat, cb), cb)
    manifest = {
        "created": "2026-11-26T09:00:00+00:00",
        "package_version": "0.1.0",
        "codebook_version": cb.version,
        "data_dir": str(out.parent / "raw"),
        "synthetic": synthetic,
        "data_version": "feedc0ffee12",
        "inputs": {
            name: {"path": f"raw/{name}.csv", "rows": len(f), "sha256": f"{i}" * 64}
            for i, (name, f) in enumerate(inputs.items())
        },
        "validation": {"ok": True, "problems": [], "report": "reports/validation/index.html"},
        "tables": {},
    }
    write_tables(frames, out, manifest)
    return manifest


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    """Chapter 01 executed once by papermill on a synthetic processed dir (by name: Järfälla)."""
    import papermill as pm

    root = tmp_path_factory.mktemp("build")
    make_processed_dir(root / "processed", synthetic=True)
    nb = nbformat.read(CHAPTER, as_version=4)
    nb.metadata["fouanalys"] = dict(META)
    out = root / "reports" / "0123" / "01_underlag.ipynb"
    out.parent.mkdir(parents=True)
    pm.execute_notebook(
        nb,
        str(out),
        parameters={"municipality": "Järfälla", "processed_dir": str(root / "processed")},
        kernel_name="python3",
        progress_bar=False,
    )
    return out


@pytest.fixture(scope="module")
def exported(executed) -> dict[str, Path]:
    return export.export_chapter(executed)


def pdf_text(path: Path) -> str:
    """The text of a PDF, whitespace-normalised (pypdf, a dev dependency)."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


def test_committed_notebook_is_clean():
    nb = nbformat.read(CHAPTER, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    source = "\n".join(c.source for c in code)
    assert not re.search(r"^\s*(def|class) ", source, re.MULTILINE)
    for name in ("municipality", "data_dir", "processed_dir", "seed"):
        assert re.search(rf"^{name} = ", code[0].source, re.MULTILINE)


@pytest.mark.slow
def test_executed_notebook_has_no_stray_output(executed):
    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type in ("stream", "error", "execute_result")]
    kinds = [o.get("data", {}) for o in outputs]
    assert sum("image/png" in d for d in kinds) == 3  # three figures, each shown once
    assert all("text/html" in d or "text/markdown" in d or "image/png" in d for d in kinds)


@pytest.mark.slow
def test_html_export(exported):
    html = exported["html"].read_text(encoding="utf-8")
    assert exported["html"].name == "01_underlag.html"
    assert '<html lang="sv">' in html
    assert "Järfälla" in html and "Underlag och datakvalitet" in html
    assert SYNTHETIC_BANNER in html
    assert 'class="fou-banner"' in html
    # no code, no prompts
    assert "import " not in html and "load_table" not in html
    assert "In&nbsp;[" not in html and "Out[" not in html
    # nothing from outside: no scripts, no external src/href
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "data:image/png;base64," in html
    # title block and provenance
    assert "feedc0ffee12" in html and "2026-11-26" in html
    assert 'class="fou-provenance"' in html
    # the numbers: a table of respondents and the intervention inventory
    assert "Svarande i Järfälla per år, årskurs och kön" in html
    assert "Förebygga" in html and "Riskreducera" in html
    # numbered, captioned figures and tables
    captions = re.findall(r'<span class="fou-fignum">Figur (\d+)\.</span> ([^<]*)<', html)
    assert [n for n, _ in captions] == ["1", "2", "3"]
    assert captions[0][1] == "Svarande i ungdomsenkäten i Järfälla per år, årskurs och kön"
    assert "Tabell 3.</span> Svarande i Järfälla per år, årskurs och kön" in html
    # table of contents: every entry points at a heading that exists
    toc = re.search(r'<nav class="fou-toc".*?</nav>', html, re.DOTALL).group(0)
    anchors = re.findall(r'href="#([^"]+)">([^<]+)</a>', toc)
    assert ("avsnitt-1", "Indata") in anchors and anchors[-1][1] == "Proveniens"
    for anchor, text in anchors:
        assert re.search(rf'<h[23] id="{anchor}">{re.escape(text)}</h[23]>', html)
    # suppression: the 3-respondent row shows "–" in every count, never the count
    row = re.search(r"<tr><td>2023</td><td>Årskurs 9</td>.*?</tr>", html).group(0)
    assert row.count('<td class="num">–</td>') == 3
    # provenance block at the end (inputs from the manifest: no "inputs" key in META)
    block = html[html.index('class="fou-provenance-block"') :]
    assert "<h2" in block and "Proveniens" in block and "okänd" in block  # no git commit
    assert "enkat.csv" in block and "0" * 12 in block and "0" * 13 not in block
    assert "<td>Kommun (<code>municipality</code>)</td><td><code>Järfälla</code></td>" in block


@pytest.mark.slow
def test_pdf_export(exported):
    import weasyprint

    pdf = exported["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF")
    html = exported["html"].read_text(encoding="utf-8")
    # the running header and footer come from these rules and strings
    assert "size: A4" in html
    assert 'counter(page) " av " counter(pages)' in html
    assert "string-set: kommun content()" in html
    assert '<span class="fou-kommun">Järfälla</span>' in html
    assert '<span class="fou-kapitel">Underlag och datakvalitet</span>' in html
    pages = weasyprint.HTML(string=html).render().pages
    assert len(pages) > 1
    text = pdf_text(exported["pdf"])
    assert "Underlag och datakvalitet" in text and "Järfälla" in text
    assert "Svarande i ungdomsenkäten i Järfälla per år, årskurs och kön" in text  # å, ä
    assert "Förebygga" in text and "Figur 3." in text and "Innehåll" in text  # ö
    # the table of contents carries page numbers: "Proveniens ....... N" with N the last pages
    assert re.search(r"Proveniens \.*\s*\d+", text)


def _tiny_notebook(synthetic: bool) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["fouanalys"] = {**META, "synthetic": synthetic}
    cell = nbformat.v4.new_code_cell("import pandas\nprint('hej')")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: brus\n"),
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<p>Tabell</p>", "text/plain": "<Tabell>"}
        ),
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Rubrik", metadata={"tags": ["chapter-title"]}),
        nbformat.v4.new_markdown_cell("Text om **Järfälla** med å, ä och ö."),
        cell,
    ]
    return nb


def test_template_without_synthetic_banner_and_without_noise():
    html, _ = export.ChapterHTMLExporter().from_notebook_node(_tiny_notebook(False))
    assert SYNTHETIC_BANNER not in html
    assert "fou-banner" in html  # the CSS rule is there, the banner element is not
    assert 'class="fou-banner"' not in html
    assert "UserWarning" not in html  # stderr dropped
    assert "import pandas" not in html
    assert "<p>Tabell</p>" in html and "&lt;Tabell&gt;" not in html
    assert "<h1>Rubrik" not in html  # the chapter-title cell gives way to the title block
    assert "Text om <strong>Järfälla</strong> med å, ä och ö." in html

    with_banner, _ = export.ChapterHTMLExporter().from_notebook_node(_tiny_notebook(True))
    assert SYNTHETIC_BANNER in with_banner


def test_pdf_exporter_returns_pdf_bytes():
    exporter = export.ChapterPDFExporter()
    assert exporter.output_mimetype == "application/pdf"
    pdf, resources = exporter.from_notebook_node(_tiny_notebook(True))
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    assert resources["output_extension"] == ".pdf"
    assert SYNTHETIC_BANNER in resources["fouanalys_html"]


def test_entry_points_registered():
    from importlib.metadata import entry_points

    eps = {e.name: e.value for e in entry_points(group="nbconvert.exporters")}
    assert eps["fouanalys_html"] == "fouanalys.build.export:ChapterHTMLExporter"
    assert eps["fouanalys_pdf"] == "fouanalys.build.export:ChapterPDFExporter"


def test_chapter_info_fallbacks_without_metadata(tmp_path):
    make_processed_dir(tmp_path / "processed", synthetic=True)
    nb = _tiny_notebook(True)
    del nb.metadata["fouanalys"]
    nb.metadata["papermill"] = {
        "parameters": {"municipality": "sollentuna", "processed_dir": str(tmp_path / "processed")}
    }
    info = export.chapter_info(nb)
    assert info["municipality_code"] == "0163"
    assert info["municipality_name"] == "Sollentuna"
    assert info["chapter_title"] == "Rubrik"
    assert info["synthetic"] is True
    assert info["data_version"] == "feedc0ffee12"


def test_export_chapter_rejects_unknown_format(tmp_path):
    from fouanalys.exceptions import FouanalysError

    path = tmp_path / "x.ipynb"
    nbformat.write(_tiny_notebook(False), path)
    with pytest.raises(FouanalysError, match="docx"):
        export.export_chapter(path, formats=("html", "docx"))
    written = export.export_chapter(path, formats=("html",))
    assert set(written) == {"html"} and written["html"] == tmp_path / "x.html"
    assert not (tmp_path / "x.pdf").exists()
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def test_write_index(tmp_path):
    reports = tmp_path / "reports"
    (reports / "0123").mkdir(parents=True)
    (reports / "validation").mkdir()
    (reports / "validation" / "index.html").write_text("<html></html>", encoding="utf-8")
    entries = [
        {
            "municipality_code": "0123",
            "municipality_name": "Järfälla",
            "chapter_id": "01_underlag",
            "chapter_title": "Underlag och datakvalitet",
            "status": "ok",
            "html": reports / "0123" / "01_underlag.html",
            "pdf": reports / "0123" / "01_underlag.pdf",
            "notebook": reports / "0123" / "01_underlag.ipynb",
            "error": None,
            "seconds": 3.25,
        },
        {
            "municipality_code": "0163",
            "municipality_name": "Sollentuna <script>alert('x')</script>",
            "chapter_id": "01_underlag",
            "chapter_title": "Underlag & datakvalitet",
            "status": "failed",
            "html": None,
            "pdf": None,
            "notebook": "0163/01_underlag.ipynb",
            "error": "KeyError: '<script>alert(1)</script>'",
            "failed_cell": 7,
            "seconds": 1.5,
        },
    ]
    path = index.write_index(reports, entries, synthetic=True)
    assert path == reports / "index.html"
    html = path.read_text(encoding="utf-8")
    assert '<html lang="sv">' in html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Underlag &amp; datakvalitet" in html
    assert SYNTHETIC_BANNER in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == [
        "validation/index.html",
        "0123/01_underlag.html",
        "0123/01_underlag.pdf",
        "0123/01_underlag.ipynb",
        "0163/01_underlag.ipynb",
    ]
    ok_row, failed_row = [r for r in re.findall(r"<tr>.*?</tr>", html, re.DOTALL) if "<td" in r]
    assert ">klar<" in ok_row and "3,3\u00a0s" in ok_row  # 3.25 s, rounded half up
    assert ">misslyckades<" in failed_row and "Cell 7: KeyError" in failed_row
    assert "1 misslyckades" in html

    unsynthetic = index.write_index(reports, entries[:1]).read_text(encoding="utf-8")
    assert SYNTHETIC_BANNER not in unsynthetic
    assert "alla klara" in unsynthetic


# --- escaping, numbering, provenance: small notebooks, no kernel ------------------------------

EVIL_NAME = "<script>alert(1)</script> & co"
EVIL_COMMENT = "Bra <b>viktig</b> <iframe src=x></iframe>"


def _figure_output(caption: str | None) -> nbformat.NotebookNode:
    fig = style.new_figure(height=1.5)
    fig.axes[0].plot([0, 1], [0, 1])
    if caption is None:
        import base64
        import io

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=40)
        data = {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii")}
        return nbformat.v4.new_output("display_data", data=data)
    data, metadata = fa_figures.captioned(fig, caption)._repr_mimebundle_()
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata)


def _html_output(obj) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"text/html": obj._repr_html_()})


def _chapter_notebook(title: str = "Insatser", **meta) -> nbformat.NotebookNode:
    """A small executed-looking chapter: headings, captioned figures and tables, free text."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["fouanalys"] = {**META, "chapter_id": "03_insatser", "chapter_title": title}
    nb.metadata["fouanalys"].update(meta)
    frame = pd.DataFrame({"Insats": [EVIL_NAME, "Familjecentral"], "Kommentar": [EVIL_COMMENT, ""]})
    numbers = pd.DataFrame({"Grupp": ["Pojkar", "Flickor"], "Antal": [12345, None]})
    cells = [
        nbformat.v4.new_markdown_cell("## Första avsnittet"),
        nbformat.v4.new_code_cell("display(...)"),
        nbformat.v4.new_markdown_cell("### Ett underavsnitt med *kursiv*"),
        nbformat.v4.new_code_cell("display(...)"),
        nbformat.v4.new_markdown_cell("## Andra avsnittet"),
        nbformat.v4.new_code_cell("display(...)"),
    ]
    cells[1].outputs = [
        _figure_output("Första figuren <med> å, ä och ö"),
        _html_output(tables.table(frame, caption="Insatser & kommentarer", numeric=[])),
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": f"Namnet **{EVIL_NAME}** i löptext."}
        ),
    ]
    cells[3].outputs = [
        _figure_output(None),  # no caption: shown, not numbered
        _html_output(tables.table(numbers)),  # no caption: not numbered
        nbformat.v4.new_output("stream", name="stdout", text="print-rad\n"),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: brus\n"),
        nbformat.v4.new_output(
            "execute_result",
            data={"text/plain": "<Figure size 640x480 with 1 Axes>"},
            execution_count=3,
        ),
    ]
    cells[5].outputs = [
        _html_output(tables.table(numbers, caption="Antal per grupp")),
        _figure_output("Andra figuren"),
    ]
    nb.cells = cells
    return nb


def test_free_text_is_escaped_in_html_and_pdf(tmp_path):
    path = tmp_path / "03_insatser.ipynb"
    nbformat.write(_chapter_notebook(), path)
    written = export.export_chapter(path)
    html = written["html"].read_text(encoding="utf-8")
    assert "<script" not in html and "<iframe" not in html and "<b>viktig" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html  # the table cell
    assert "<strong>&lt;script>alert(1)&lt;/script> &amp; co</strong>" in html  # Markdown
    assert "Första figuren &lt;med&gt; å, ä och ö" in html
    text = pdf_text(written["pdf"])
    assert "<script>alert(1)</script> & co" in text
    assert "Bra <b>viktig</b> <iframe src=x></iframe>" in text
    assert "Första figuren <med> å, ä och ö" in text


def test_no_stray_output_in_the_report():
    html, _ = export.ChapterHTMLExporter().from_notebook_node(_chapter_notebook())
    assert "print-rad" not in html and "FutureWarning" not in html
    assert "Figure size" not in html and "display(...)" not in html


def test_figures_and_tables_are_numbered_and_the_toc_has_anchors():
    html, _ = export.ChapterHTMLExporter().from_notebook_node(_chapter_notebook())
    figures = re.findall(r"<figure [^>]*>.*?</figure>", html, re.DOTALL)
    assert len(figures) == 2
    assert '<span class="fou-fignum">Figur 1.</span> Första figuren' in figures[0]
    assert '<span class="fou-fignum">Figur 2.</span> Andra figuren' in figures[1]
    assert 'alt="Första figuren &lt;med&gt; å, ä och ö"' in figures[0]
    assert html.count("data:image/png;base64,") == 3  # the uncaptioned figure is still shown
    assert re.findall(r'<span class="fou-tabnum">(Tabell \d+\.)</span> ([^<]*)<', html) == [
        ("Tabell 1.", "Insatser &amp; kommentarer"),
        ("Tabell 2.", "Antal per grupp"),
    ]
    assert 'id="tabell-1"' in html and 'id="tabell-2"' in html
    assert "12\u202f345" in html  # Swedish thousands in tables
    toc = re.search(r'<nav class="fou-toc".*?</nav>', html, re.DOTALL).group(0)
    assert re.findall(r'<li class="fou-toc-(\d)"><a href="#([^"]+)">([^<]*)</a>', toc) == [
        ("2", "avsnitt-1", "Första avsnittet"),
        ("3", "avsnitt-2", "Ett underavsnitt med kursiv"),
        ("2", "avsnitt-3", "Andra avsnittet"),
        ("2", "avsnitt-4", "Proveniens"),
    ]
    assert '<h3 id="avsnitt-2">Ett underavsnitt med <em>kursiv</em></h3>' in html
    assert html.index('<nav class="fou-toc"') < html.index("<main>")


def test_provenance_block_lists_inputs_commit_version_and_parameters():
    nb = _chapter_notebook(
        git_commit="ee74a0d095e1ab",
        inputs={
            "enkat": {"file": "enkat.csv.gz", "sha256": "ab12" * 16, "rows": 32949},
            "insatser": {"file": "insatser<x>.csv", "sha256": "cd34" * 16, "rows": 216},
        },
        parameters={"municipality": "0123", "data_dir": None, "seed": 7, "model": {"a": 1}},
    )
    html, _ = export.ChapterHTMLExporter().from_notebook_node(nb)
    block = html[html.index('class="fou-provenance-block"') : html.index("</main>")]
    survey = "<td>Ungdomsenkät (Stockholmsenkäten)</td><td>enkat.csv.gz</td>"
    assert survey + '<td class="num">32\u202f949</td>' in block
    assert "<code>ab12ab12ab12</code>" in block and "ab12" * 4 not in block
    assert "insatser&lt;x&gt;.csv" in block
    assert "<dt>Git-commit</dt><dd>ee74a0d095e1</dd>" in block
    assert "<dt>fouanalys</dt><dd>0.1.0</dd>" in block
    assert "<dt>Dataversion</dt><dd>feedc0ffee12</dd>" in block
    assert "<td>Slumpfrö (<code>seed</code>)</td><td><code>7</code></td>" in block
    assert "<td>Rådatamapp (<code>data_dir</code>)</td><td><code>standard</code></td>" in block
    model = "<td>Ändrade modellparametrar (<code>model</code>)</td>"
    assert model + "<td><code>{&#x27;a&#x27;: 1}</code></td>" in block or (
        model + "<td><code>{&quot;a&quot;: 1}</code></td>" in block
    )
    assert "commit ee74a0d095e1" in html  # running footer

    # paths print relative to the project, or by their last part outside it: never absolute
    inside = {"data_dir": str(config.PROJ_ROOT / "data" / "raw" / "kommun"), "seed": 7}
    outside = {"data_dir": "/srv/secret/home/kommun_x", "processed_dir": "/tmp/p/processed"}
    for parameters, shown in ((inside, "data/raw/kommun"), (outside, "kommun_x")):
        html, _ = export.ChapterHTMLExporter().from_notebook_node(
            _chapter_notebook(parameters=parameters)
        )
        assert f"<td>Rådatamapp (<code>data_dir</code>)</td><td><code>{shown}</code></td>" in html
        assert "/srv/" not in html and "/tmp/" not in html and str(config.PROJ_ROOT) not in html

    # an older notebook without any provenance keys still renders
    bare = _tiny_notebook(False)
    html, _ = export.ChapterHTMLExporter().from_notebook_node(bare)
    block = html[html.index('class="fou-provenance-block"') :]
    assert "<dt>Git-commit</dt><dd>okänd</dd>" in block
    assert "Indatafilerna är inte kända" in block


# --- the final report -----------------------------------------------------------------------


@pytest.mark.slow
def test_final_report(executed, tmp_path):
    first = tmp_path / "ch" / "03_insatser.ipynb"
    first.parent.mkdir()
    nbformat.write(_chapter_notebook("Insatser längs livsförloppet"), first)
    out = tmp_path / "reports" / "0123"
    written = export.write_final_report(
        [first, executed], out, "Slutrapport – Järfälla", subtitle="Alla kapitel"
    )
    assert written == {"html": out / "slutrapport.html", "pdf": out / "slutrapport.pdf"}
    html = written["html"].read_text(encoding="utf-8")
    assert "<script" not in html and '<html lang="sv">' in html
    # title page: title, subtitle, data version, date, banner (a chapter is synthetic)
    title_page = html[: html.index('<nav class="fou-toc"')]
    assert '<h1 class="fou-report-title">Slutrapport – Järfälla</h1>' in title_page
    assert "Alla kapitel" in title_page and "feedc0ffee12" in title_page
    assert "2026-11-26" in title_page and 'class="fou-banner"' in title_page
    # the cover says what the report holds, not a bare "Kapitel 2" a reader takes for a chapter
    assert "<dt>Innehåll</dt><dd>2 kapitel och en bilaga</dd>" in title_page
    assert "<dt>Kapitel</dt>" not in title_page
    assert "<dt>Kommun</dt><dd>Järfälla</dd>" in title_page  # the region's says "Område"
    # one table of contents; chapters in the given order, each a section
    assert html.count('<nav class="fou-toc"') == 1
    names = re.findall(r'<span class="fou-chapter-name">([^<]+)</span>', html)
    assert names == [
        "Insatser längs livsförloppet",
        "Underlag och datakvalitet",
        "Bilaga: metod, parametrar och proveniens",
    ]
    toc = re.search(r'<nav class="fou-toc".*?</nav>', html, re.DOTALL).group(0)
    entries = re.findall(r'<li class="fou-toc-(\d)"><a href="#([^"]+)">([^<]*)</a>', toc)
    assert entries[0] == ("1", "k1", "Insatser längs livsförloppet")
    assert ("1", "k2", "Underlag och datakvalitet") in entries
    # chapter 01's files and their check go to the appendix, beside the provenance
    assert ("2", "k2-avsnitt-1", "Svarande i ungdomsenkäten") in entries
    assert not [e for e in entries if e[2] in ("Indata", "Validering")]
    # one appendix at the end: each chapter's method sections, then the provenance
    assert entries[-3:] == [
        ("1", "bilaga", "Bilaga: metod, parametrar och proveniens"),
        ("2", "b2-avsnitt-1", "Kapitel 2: Underlag och datakvalitet"),
        ("2", "proveniens", "Proveniens"),
    ]
    assert ("3", "b2-avsnitt-2", "Om underlaget") not in entries  # level 3 is not listed
    chapter_two = html[html.index('id="k2"') : html.index('id="bilaga"')]
    assert "Om underlaget" not in chapter_two  # moved, not copied
    assert html.count("Om underlaget</h3>") == 1
    assert not [e for e in entries if e[0] == "3"]  # chapters and their sections only
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert all(f'id="{anchor}"' in html for _, anchor, _ in entries)
    # numbering runs through the report: 2 figures and 2 tables in the first chapter
    figures = re.findall(r"Figur (\d+)\.</span> ([^<]*)", html)
    assert [int(n) for n, _ in figures] == [1, 2, 3, 4, 5]
    assert figures[2][1].startswith("Svarande i ungdomsenkäten i Järfälla")
    # the appendix is numbered after the chapters: its tables come last
    caption = r'id="(b2-tabell-\d+)"><caption><span class="fou-tabnum">Tabell (\d+)\.</span> '
    files = re.search(caption + "Indatafiler", html)
    assert files and html.index(files.group(1)) > html.index('id="bilaga"')
    numbers = [int(n) for n in re.findall(r"Tabell (\d+)\.</span>", html)]
    assert numbers == sorted(numbers) and int(files.group(2)) > numbers[0]
    # one provenance block, at the end, merging the chapters' parameters
    assert html.count('class="fou-provenance-block"') == 1
    assert html.index('class="fou-provenance-block"') > html.rindex('class="fou-chapter"')
    text = pdf_text(written["pdf"])
    assert "Slutrapport – Järfälla" in text and "Kapitel 2" in text
    assert text.index("Insatser längs livsförloppet") < text.index("Underlag och datakvalitet")


def test_final_report_rejects_no_chapters_and_unknown_formats(tmp_path):
    with pytest.raises(FouanalysError, match="inga kapitel"):
        export.write_final_report([], tmp_path, "Slutrapport – Järfälla", formats=("html",))
    with pytest.raises(FouanalysError, match="docx"):
        export.write_final_report([], tmp_path, "X", formats=("docx",))
    assert not list(tmp_path.iterdir())


def test_full_disk_keeps_the_old_report(tmp_path, monkeypatch):
    chapter = tmp_path / "03_insatser.ipynb"
    nbformat.write(_chapter_notebook(), chapter)
    old = tmp_path / "slutrapport.html"
    old.write_text("den gamla rapporten", encoding="utf-8")

    def full(fd, payload):
        import os

        os.write(fd, payload[:100])  # half a report reaches the temporary file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files, "_write_payload", full)
    with pytest.raises(FouanalysError) as caught:
        export.write_final_report([chapter], tmp_path, "Slutrapport", formats=("html",))
    message = str(caught.value)
    assert f"Kunde inte skriva {old}: disken är full" in message
    assert isinstance(caught.value.__cause__, OSError)
    assert old.read_text(encoding="utf-8") == "den gamla rapporten"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["03_insatser.ipynb", "slutrapport.html"]

    with pytest.raises(FouanalysError, match="03_insatser.html: disken är full"):
        export.export_chapter(chapter, formats=("html",))
    assert not (tmp_path / "03_insatser.html").exists()
    assert not list(tmp_path.glob(".*.tmp"))


# --- the index page: statuses and final reports ------------------------------------------


def test_write_index_statuses_and_final_reports(tmp_path):
    reports = tmp_path / "reports"

    def entry(code, name, chapter, status="ok", cached=False, **kw):
        folder = "region" if code == "NV" else code
        return {
            "municipality_code": code,
            "municipality_name": name,
            "chapter_id": chapter,
            "chapter_title": report_title(chapter),
            "status": status,
            "notebook": str(reports / folder / f"{chapter}.ipynb"),
            "html": str(reports / folder / f"{chapter}.html") if status == "ok" else None,
            "pdf": str(reports / folder / f"{chapter}.pdf") if status == "ok" else None,
            "error": None,
            "cell": None,
            "seconds": 2.5,
            "cached": cached,
            **kw,
        }

    def report_title(chapter):
        return {"01_underlag": "Underlag", "02_riskfaktorer": "Riskfaktorer"}.get(
            chapter, "Regional översikt"
        )

    entries = [
        entry("0123", "Järfälla", "01_underlag"),
        entry("0123", "Järfälla", "02_riskfaktorer", cached=True),
        entry("0114", "Upplands Väsby", "01_underlag"),
        entry(
            "0114",
            "Upplands Väsby",
            "02_riskfaktorer",
            status="failed",
            error="Cell [4]: ValueError: <fel>",
            cell=4,
        ),
        entry("NV", "Nordväst (regionen)", "06_region"),
    ]
    finals = {
        "0123": {
            "html": reports / "0123" / "slutrapport.html",
            "pdf": reports / "0123" / "slutrapport.pdf",
        },
        "region": {
            "html": reports / "region" / "slutrapport.html",
            "pdf": reports / "region" / "slutrapport.pdf",
        },
    }
    html = index.write_index(reports, entries, True, final_reports=finals).read_text("utf-8")
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, re.DOTALL) if "<td" in r]
    finals_rows, chapter_rows = rows[:2], rows[2:]
    # the final reports, region first, linked prominently at the top
    assert "Slutrapport – Nordväst (regionen)" in finals_rows[0]
    assert 'href="region/slutrapport.pdf"' in finals_rows[0]
    assert "Slutrapport – Järfälla" in finals_rows[1]
    assert 'href="0123/slutrapport.html"' in finals_rows[1]
    # and again in each section that has one
    sections = dict(re.findall(r'<section id="kommun-([^"]+)">(.*?)</section>', html, re.DOTALL))
    assert 'class="final"' in sections["0123"] and 'class="final"' in sections["NV"]
    assert 'class="final"' not in sections["0114"]
    assert 'href="region/slutrapport.html"' in sections["NV"]
    # statuses in Swedish
    statuses = [re.search(r'<td class="(\w+)">([^<]+)</td>', r).groups() for r in chapter_rows]
    assert statuses == [
        ("ok", "klar"),
        ("cached", "oförändrad"),
        ("ok", "klar"),
        ("failed", "misslyckades"),
        ("ok", "klar"),
    ]
    assert "Cell [4]: ValueError: &lt;fel&gt;" in chapter_rows[3]  # not prefixed twice
    assert "Cell 4: Cell" not in html
    assert "2,5\u00a0s" in chapter_rows[0]
    assert "1 misslyckades" in html and "1 oförändrade" in html and "och regionen" in html


def test_split_appendix_moves_method_sections_only():
    cells = [
        '<div class="fou-markdown"><h2>Sammanfattning</h2><p>a</p></div>',
        '<div class="fou-cell"><p>b</p></div>',
        '<div class="fou-markdown"><h2 id="x">Metod</h2><p>c</p></div>',
        '<div class="fou-cell"><table class="fou-table"><caption>T</caption></table></div>',
        '<div class="fou-markdown"><h2>Förteckning</h2><p>d</p></div>',
        '<div class="fou-markdown"><h2>Modellens parametrar</h2><p>e</p></div>',
    ]
    main, appendix = export.split_appendix("".join(cells))
    assert main == cells[0] + cells[1] + cells[4]
    assert appendix == cells[2] + cells[3] + cells[5]
    assert export.split_appendix(cells[0]) == (cells[0], "")


# --- layout: long words, captions, repeated headers (issue 17) ------------------------------

LONG_NAME = "Insats" + "x" * 10_000
LONG_URL = "https://example.org/" + "a/b-c_d" * 300


def _walk(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _walk(child)


def _inventory_with_long_words() -> pd.DataFrame:
    from fouanalys.chapters.insatser.display import inventory_sections

    n = 3
    insatser = pd.DataFrame(
        {
            "kommunkod": ["0123"] * n,
            "insats": [LONG_NAME, LONG_URL, "Familjecentral"],
            "huvudman": ["skola"] * n,
            "niva": ["förebygga"] * n,
            "inriktning": ["universell"] * n,
            "alder_fran": pd.array([6, 13, 1], dtype="Int64"),
            "alder_till": pd.array([12, 15, 2], dtype="Int64"),
            "faktorer": ["impulsivitet"] * n,
            "push_pull": [""] * n,
            "kunskapslage": ["lovande"] * n,
            "deltagare_per_ar": pd.array([10, None, 12345], dtype="Int64"),
            "samverkan": ["polis"] * n,
            "status": ["pågående"] * n,
            "kommentar": [""] * n,
        }
    )
    [(_caption, frame)] = inventory_sections(insatser, "0123")
    return frame


def test_a_long_word_in_a_table_cell_wraps_inside_its_column():
    """A 10 000-character name and a pasted URL wrap inside the printed page's width; the
    columns after them stay on the page, and no short word is broken."""
    import weasyprint

    frame = _inventory_with_long_words()
    nb = _tiny_notebook(True)
    nb.cells[-1].outputs = [_html_output(tables.table(frame, caption="Pågående insatser (3)"))]
    html, _ = export.ChapterHTMLExporter().from_notebook_node(nb)
    assert LONG_NAME not in html  # break opportunities were added …
    assert LONG_NAME in re.sub(r"<wbr\s*/?>", "", html)  # … to the name as written

    document = weasyprint.HTML(string=html).render()
    page = document.pages[0]._page_box
    right = page.position_x + page.margin_width() - page.margin_right  # the content edge
    cells = [
        box
        for p in document.pages
        for box in _walk(p._page_box)
        if type(box).__name__ == "TableCellBox" and box.element_tag in ("td", "th")
    ]
    assert cells, "the inventory table was not laid out"
    for cell in cells:
        assert cell.position_x + cell.margin_width() <= right + 1, cell.element_tag
    texts = [
        box.text
        for p in document.pages
        for box in _walk(p._page_box)
        if type(box).__name__ == "TextBox"
    ]
    # the columns after the long name are laid out, their words unbroken
    for word in ("Skola", "Förebygga,", "universell", "Familjecentral", "Lovande", "12\u202f345"):
        assert texts.count(word) + sum(word in t for t in texts if t != word) >= 1, word
    shown: dict[int, str] = {}  # each cell's text, over the pages its row runs on
    for cell in cells:
        text = "".join(b.text for b in _walk(cell) if type(b).__name__ == "TextBox")
        shown[id(cell.element)] = shown.get(id(cell.element), "") + text.replace("\u200b", "")
    assert LONG_NAME in shown.values() and LONG_URL in shown.values()  # nothing is cut


def test_a_table_caption_stays_with_its_table_and_a_long_table_repeats_its_header():
    """Wherever a table falls on the page, its caption is never the last thing on a page; a
    table over several pages shows its header row on each."""
    import weasyprint

    rows = pd.DataFrame({"Grupp": [f"Grupp {i}" for i in range(60)], "Antal": range(60)})
    body = tables.table(rows, caption="Antal per grupp " * 3)._repr_html_()
    css = export.report_css()
    for filler_mm in range(200, 250, 5):  # the caption lands at the foot of the first page
        document = weasyprint.HTML(
            string=f"<html><head><style>{css}</style></head><body>"
            f'<div style="height:{filler_mm}mm"></div>{body}</body></html>'
        ).render()
        pages = [
            [b for b in _walk(p._page_box) if type(b).__name__ == "TextBox"] for p in document.pages
        ]
        for n, texts in enumerate(pages):
            words = [b.text for b in texts]
            body_words = [w for w in words if not w.startswith(("Sida ", "Syntetiska"))]
            if "Antal per grupp" in " ".join(body_words):
                assert "Grupp 0" in body_words, (filler_mm, n)  # first row on the same page
            if any(w.startswith("Grupp ") for w in body_words):
                assert "Grupp" in body_words and "Antal" in body_words, (filler_mm, n)


def test_a_header_breaks_only_where_the_table_module_allows_it():
    """Headers are never hyphenated by dictionary ("Jär-fälla"); a long compound header may
    break at its seam, and a parser of the built tables reads it whole."""
    from fouanalys.build import audit
    from fouanalys.present.tables import header_html

    css = export.report_css()
    th_rule = re.search(r"\nth \{[^}]*\}", css).group(0)
    assert "hyphens: manual" in th_rule and "hyphens: auto" not in th_rule
    assert header_html("Samverkanspartner") == "Samverkans\u00adpartner"
    assert header_html("Järfälla & <Solna>") == "Järfälla &amp; &lt;Solna&gt;"
    frame = pd.DataFrame({"Kunskapsläge": ["Lovande"], "Deltagare/år": ["12"]})
    html_text = tables.table(frame, caption="Insatser")._repr_html_()
    assert "<th>Kunskaps\u00adläge</th>" in html_text
    parser = audit._TableParser()
    parser.feed(html_text)
    assert parser.tables[0].header == ["Kunskapsläge", "Deltagare/år"]
