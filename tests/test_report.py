"""Report output: chapter 01 executed with papermill, exported to HTML and PDF; the index page."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from fouanalys import report
from fouanalys.codebook import load_codebook
from fouanalys.config import NOTEBOOKS_DIR, SYNTHETIC_BANNER
from fouanalys.processing import write_tables

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
    enkat = pd.DataFrame(records).astype({"ar": "Int64"})
    for item in cb.survey_items():
        enkat[item] = pd.array(rng.integers(1, 5, len(enkat)), dtype="Int64")
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
    frames = {"enkat": enkat, "insatser": insatser, "befolkning": befolkning}
    manifest = {
        "created": "2026-11-26T09:00:00+00:00",
        "package_version": "0.1.0",
        "codebook_version": cb.version,
        "data_dir": str(out.parent / "raw"),
        "synthetic": synthetic,
        "data_version": "feedc0ffee12",
        "inputs": {
            name: {"path": f"raw/{name}.csv", "rows": len(f), "sha256": f"{i}" * 64}
            for i, (name, f) in enumerate(frames.items())
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
    return report.export_chapter(executed)


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
    html, _ = report.ChapterHTMLExporter().from_notebook_node(_tiny_notebook(False))
    assert SYNTHETIC_BANNER not in html
    assert "fou-banner" in html  # the CSS rule is there, the banner element is not
    assert 'class="fou-banner"' not in html
    assert "UserWarning" not in html  # stderr dropped
    assert "import pandas" not in html
    assert "<p>Tabell</p>" in html and "&lt;Tabell&gt;" not in html
    assert "<h1>Rubrik" not in html  # the chapter-title cell gives way to the title block
    assert "Text om <strong>Järfälla</strong> med å, ä och ö." in html

    with_banner, _ = report.ChapterHTMLExporter().from_notebook_node(_tiny_notebook(True))
    assert SYNTHETIC_BANNER in with_banner


def test_pdf_exporter_returns_pdf_bytes():
    exporter = report.ChapterPDFExporter()
    assert exporter.output_mimetype == "application/pdf"
    pdf, resources = exporter.from_notebook_node(_tiny_notebook(True))
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    assert resources["output_extension"] == ".pdf"
    assert SYNTHETIC_BANNER in resources["fouanalys_html"]


def test_entry_points_registered():
    from importlib.metadata import entry_points

    eps = {e.name: e.value for e in entry_points(group="nbconvert.exporters")}
    assert eps["fouanalys_html"] == "fouanalys.report:ChapterHTMLExporter"
    assert eps["fouanalys_pdf"] == "fouanalys.report:ChapterPDFExporter"


def test_chapter_info_fallbacks_without_metadata(tmp_path):
    make_processed_dir(tmp_path / "processed", synthetic=True)
    nb = _tiny_notebook(True)
    del nb.metadata["fouanalys"]
    nb.metadata["papermill"] = {
        "parameters": {"municipality": "sollentuna", "processed_dir": str(tmp_path / "processed")}
    }
    info = report.chapter_info(nb)
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
        report.export_chapter(path, formats=("html", "docx"))
    written = report.export_chapter(path, formats=("html",))
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
    path = report.write_index(reports, entries, synthetic=True)
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
    assert ">klar<" in ok_row and "3,2\u00a0s" in ok_row
    assert ">misslyckades<" in failed_row and "Cell 7: KeyError" in failed_row
    assert "1 misslyckades" in html

    unsynthetic = report.write_index(reports, entries[:1]).read_text(encoding="utf-8")
    assert SYNTHETIC_BANNER not in unsynthetic
    assert "alla klara" in unsynthetic
