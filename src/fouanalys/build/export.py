"""Report output: executed chapter notebooks to HTML and PDF, final reports, the index page.

``ChapterHTMLExporter`` renders a notebook with the project's nbconvert template
(``templates/fouanalys``): no code, no prompts, no streams or bare reprs, no scripts or
external resources, a title block and a provenance footer. :func:`finish_chapter` then numbers
the figures and tables ("Figur N.", "Tabell N."), gives every h2/h3 heading an anchor, adds a
table of contents and the "Proveniens" block, and escapes any active element (``<script>``,
``<iframe>`` …) that free text may have smuggled into a Markdown output. ``ChapterPDFExporter``
prints that same HTML to an A4 PDF with WeasyPrint (CSS paged media: running header with
municipality and chapter, the synthetic-data banner, "Sida N av M", page numbers in the table
of contents). Both are registered as nbconvert exporters, so
``jupyter nbconvert --to fouanalys_pdf chapter.ipynb`` works too.

:func:`write_final_report` puts several executed chapters into one document
(``slutrapport.html``/``.pdf``) with a title page, one table of contents and numbering that
runs through the whole report. :func:`write_index` writes ``reports/index.html``.

The title block comes from ``nb.metadata["fouanalys"]`` (set by the build before execution);
when it is absent, :func:`chapter_info` falls back to the papermill parameters, the processed
tables' manifest and the notebook's first heading.

Every file is written atomically (temporary file in the same folder, then ``os.replace``); a
failed write (a full disk) raises :class:`FouanalysError` naming the file and leaves the
previous file in place.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import logging
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter
from traitlets import default

from fouanalys import __version__
from fouanalys.config import (
    PATH_PARAMETERS,
    SYNTHETIC_BANNER,
    TEMPLATE_DIR,
    processed_data_dir,
    shown_path,
)
from fouanalys.exceptions import FouanalysError
from fouanalys.ingest.files import atomic_write
from fouanalys.present.labels import PARAMETER_LABELS, input_label
from fouanalys.present.text import DASH, format_number

log = logging.getLogger("fouanalys")

#: Series line above every chapter title.
SERIES = "FoU Nordväst · Kartläggning av arbetet mot rekrytering till kriminalitet"

#: Keys of ``nb.metadata["fouanalys"]`` that the title block uses.
INFO_KEYS = (
    "municipality_code",
    "municipality_name",
    "chapter_id",
    "chapter_title",
    "synthetic",
    "data_version",
    "built",
    "package_version",
)

#: Keys of ``nb.metadata["fouanalys"]`` that the provenance block uses (all optional).
PROVENANCE_KEYS = ("git_commit", "inputs", "parameters")

#: The stylesheet shared by chapters and final reports (screen and print).
CSS_PATH = TEMPLATE_DIR / "fouanalys" / "report.css"

#: Template of the combined final report.
FINAL_TEMPLATE = "slutrapport.html.j2"

FORMATS = ("html", "pdf")


@functools.cache
def report_css() -> str:
    """The report stylesheet (``templates/fouanalys/report.css``)."""
    return CSS_PATH.read_text(encoding="utf-8")


# --- title block ----------------------------------------------------------------------------


def _first_heading(nb: nbformat.NotebookNode) -> str | None:
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def _papermill_parameters(nb: nbformat.NotebookNode) -> dict[str, Any]:
    return dict(nb.metadata.get("papermill", {}).get("parameters", {}) or {})


def _manifest_for(params: Mapping[str, Any]) -> dict:
    from fouanalys.ingest.processing import load_manifest

    processed = params.get("processed_dir") or processed_data_dir()
    try:
        return load_manifest(Path(processed))
    except (FouanalysError, OSError, ValueError):
        return {}


def _manifest_inputs(manifest: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The manifest's input files as the build records them: name -> {file, sha256, rows}."""
    inputs = {}
    for name, meta in (manifest.get("inputs") or {}).items():
        if not isinstance(meta, Mapping):
            continue
        file = meta.get("file") or (Path(str(meta["path"])).name if meta.get("path") else None)
        inputs[str(name)] = {"file": file, "sha256": meta.get("sha256"), "rows": meta.get("rows")}
    return inputs


def chapter_info(nb: nbformat.NotebookNode, path: Path | None = None) -> dict[str, Any]:
    """The title-block facts for one chapter notebook, with fallbacks for each missing key.

    Returns a dict with every key of :data:`INFO_KEYS` and :data:`PROVENANCE_KEYS` plus
    ``git_commit_short`` (or "okänd"), ``banner``, ``series`` and ``css``. Order of sources:
    ``nb.metadata["fouanalys"]``; the papermill parameters (``municipality``,
    ``processed_dir``) with the codebook and the manifest; the first ``#`` heading and the
    file name; today's date. ``inputs`` is a dict (possibly empty), ``parameters`` too.
    """
    meta = dict(nb.metadata.get("fouanalys", {}) or {})
    info: dict[str, Any] = {k: meta.get(k) for k in (*INFO_KEYS, *PROVENANCE_KEYS)}
    params = _papermill_parameters(nb)
    if not isinstance(info["parameters"], Mapping) or not info["parameters"]:
        info["parameters"] = params
    if not isinstance(info["inputs"], Mapping) or not info["inputs"]:
        info["inputs"] = _manifest_inputs(_manifest_for(params)) if params else {}
    missing = [k for k in INFO_KEYS if info[k] in (None, "")]
    if missing:
        if info["municipality_code"] in (None, "") and params.get("municipality"):
            info["municipality_code"] = str(params["municipality"])
        if info["municipality_code"] and not info["municipality_name"]:
            try:
                from fouanalys.codebook import load_codebook

                cb = load_codebook()
                info["municipality_code"] = cb.resolve_municipality(info["municipality_code"])
                info["municipality_name"] = cb.municipality_name(info["municipality_code"])
            except FouanalysError:
                info["municipality_name"] = str(info["municipality_code"])
        if info["synthetic"] is None or not info["data_version"]:
            manifest = _manifest_for(params)
            if info["synthetic"] is None:
                info["synthetic"] = bool(manifest.get("synthetic", False))
            info["data_version"] = info["data_version"] or manifest.get("data_version")
        info["chapter_title"] = info["chapter_title"] or _first_heading(nb)
        if not info["chapter_id"] and path is not None:
            info["chapter_id"] = Path(path).stem
    info["municipality_name"] = info["municipality_name"] or "Okänd kommun"
    info["chapter_title"] = info["chapter_title"] or info["chapter_id"] or "Kapitel"
    info["data_version"] = info["data_version"] or "okänd"
    info["built"] = info["built"] or date.today().isoformat()
    info["package_version"] = info["package_version"] or __version__
    info["synthetic"] = bool(info["synthetic"])
    info["git_commit"] = str(info["git_commit"]) if info["git_commit"] else None
    info["git_commit_short"] = info["git_commit"][:12] if info["git_commit"] else "okänd"
    info["inputs"] = dict(info["inputs"] or {})
    info["parameters"] = dict(info["parameters"] or {})
    info["banner"] = SYNTHETIC_BANNER
    info["series"] = SERIES
    info["css"] = report_css()
    return info


# --- numbering, table of contents, provenance -------------------------------------------------

#: Elements that must never be live in a report: escaped wherever they appear in the content.
_ACTIVE = re.compile(
    r"<(/?)(script|iframe|object|embed|link|meta|base|form|frame|frameset|applet)\b",
    re.IGNORECASE,
)
_FIGNUM = '<span class="fou-fignum"></span>'
_TABLE_CAPTION = re.compile(r'<table class="fou-table"><caption>')
_HEADING = re.compile(r"<h([23])(\s[^>]*)?>(.*?)</h\1>", re.DOTALL)
_ID_ATTR = re.compile(r"""\sid\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_TAG = re.compile(r"<[^>]*>")


def neutralize(fragment: str) -> str:
    """Escape active elements (``<script>``, ``<iframe>``, ``<object>`` …) so they print as text.

    Tables and Markdown from the package escape free text already; this is the safety net for
    Markdown outputs, where raw HTML passes through nbconvert's renderer.
    """
    return _ACTIVE.sub(lambda m: f"&lt;{m.group(1)}{m.group(2)}", fragment)


@dataclass
class Heading:
    """One table-of-contents entry: level (1 chapter, 2, 3), anchor id, text as safe HTML."""

    level: int
    anchor: str
    text: str


@dataclass
class Numbering:
    """Counters that run through a chapter, or through a whole final report."""

    figures: int = 0
    tables: int = 0
    headings: list[Heading] = field(default_factory=list)


def number_content(fragment: str, numbering: Numbering, prefix: str = "") -> str:
    """Number figures and tables and anchor h2/h3 headings in a chapter's content.

    Captioned figures (an empty ``fou-fignum`` span from the template) get "Figur N.",
    captioned ``present.table`` tables get "Tabell N." and ``id="{prefix}tabell-N"``, and each
    h2/h3 gets ``id="{prefix}avsnitt-N"`` (an existing id is replaced) and is appended to
    ``numbering.headings``. Counters continue from ``numbering``; returns the new fragment.
    """

    def figure(_m: re.Match) -> str:
        numbering.figures += 1
        return f'<span class="fou-fignum">Figur {numbering.figures}.</span> '

    def table(_m: re.Match) -> str:
        numbering.tables += 1
        n = numbering.tables
        return (
            f'<table class="fou-table" id="{prefix}tabell-{n}">'
            f'<caption><span class="fou-tabnum">Tabell {n}.</span> '
        )

    def heading(m: re.Match) -> str:
        level, attrs, inner = int(m.group(1)), _ID_ATTR.sub("", m.group(2) or ""), m.group(3)
        anchor = f"{prefix}avsnitt-{next(counter)}"
        text = " ".join(_TAG.sub("", inner).replace("\u00b6", "").split())
        numbering.headings.append(Heading(level, anchor, text))
        return f'<h{level} id="{anchor}"{attrs}>{inner}</h{level}>'

    own = sum(1 for h in numbering.headings if h.anchor.startswith(f"{prefix}avsnitt-"))
    counter = itertools.count(own + 1)
    fragment = re.sub(re.escape(_FIGNUM), figure, fragment)
    fragment = _TABLE_CAPTION.sub(table, fragment)
    return _HEADING.sub(heading, fragment)


def toc_html(headings: Sequence[Heading], title: str = "Innehåll") -> str:
    """A ``<nav class="fou-toc">`` over ``headings`` (empty string when there are none)."""
    if not headings:
        return ""
    items = "".join(
        f'<li class="fou-toc-{h.level}"><a href="#{html.escape(h.anchor)}">{h.text}</a></li>'
        for h in headings
    )
    return (
        f'<nav class="fou-toc" aria-label="{html.escape(title)}">'
        f"<h2>{html.escape(title)}</h2><ol>{items}</ol></nav>"
    )


def _number_text(value: object) -> str:
    try:
        return format_number(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return DASH


def _parameter_text(value: object) -> str:
    if value is None:
        return "standard"
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def provenance_html(infos: Sequence[Mapping[str, Any]], anchor: str | None = None) -> str:
    """The "Proveniens" block for one chapter's info, or merged over a final report's chapters.

    Lists the input files (name, file, rows, first 12 hex digits of the SHA-256), the package
    version, the git commit (short) or "okänd", the data version, the build date and the
    papermill parameters. With several chapters, parameters that differ between chapters are
    listed per chapter. All text is escaped; absent keys give "okänd" or an empty list.
    """
    esc = html.escape
    inputs: dict[tuple, dict[str, Any]] = {}
    for info in infos:
        for name, meta in (info.get("inputs") or {}).items():
            meta = meta if isinstance(meta, Mapping) else {}
            key = (str(name), str(meta.get("file") or ""), str(meta.get("sha256") or ""))
            inputs.setdefault(key, dict(meta))

    def distinct(key: str, default: str = "okänd") -> str:
        values = [str(i.get(key)) for i in infos if i.get(key)]
        return ", ".join(dict.fromkeys(values)) or default

    commits = [str(i["git_commit"])[:12] for i in infos if i.get("git_commit")]
    id_attr = f' id="{esc(anchor)}"' if anchor else ""
    out = [f'<section class="fou-provenance-block"{id_attr}>']
    out.append("<h2>Proveniens</h2>")
    out.append(
        "<p>Rapporten kan återskapas ur samma indatafiler (samma kontrollsummor), samma version "
        "av fouanalys och samma parametrar.</p>"
    )
    if inputs:
        out.append(
            '<table class="fou-prov-table"><thead><tr><th>Underlag</th><th>Fil</th>'
            '<th class="num">Rader</th><th>SHA-256 (början)</th></tr></thead><tbody>'
        )
        for (name, file, sha), meta in inputs.items():
            out.append(
                f"<tr><td>{esc(input_label(name))}</td><td>{esc(file or '–')}</td>"
                f'<td class="num">{esc(_number_text(meta.get("rows")))}</td>'
                f"<td><code>{esc(sha[:12] or '–')}</code></td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>Indatafilerna är inte kända för den här rapporten.</p>")
    facts = [
        ("fouanalys", distinct("package_version")),
        ("Git-commit", ", ".join(dict.fromkeys(commits)) or "okänd"),
        ("Dataversion", distinct("data_version")),
        ("Byggd", distinct("built")),
    ]
    out.append('<dl class="fou-meta">')
    out += [f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts]
    out.append("</dl>")

    rows: dict[tuple[str, str], list[str]] = {}
    for info in infos:
        for name, value in (info.get("parameters") or {}).items():
            chapter = str(info.get("chapter_title") or info.get("chapter_id") or "")
            if name in PATH_PARAMETERS and value:
                value = shown_path(value)
            rows.setdefault((str(name), _parameter_text(value)), []).append(chapter)
    if rows:
        several = len(infos) > 1
        out.append(
            '<table class="fou-prov-table"><caption>Parametrar</caption><thead><tr>'
            "<th>Parameter</th><th>Värde</th>"
            + ("<th>Kapitel</th>" if several else "")
            + "</tr></thead><tbody>"
        )
        for (name, value), chapters in rows.items():
            where = "alla" if len(chapters) == len(infos) else ", ".join(chapters)
            out.append(
                f"<tr><td>{esc(PARAMETER_LABELS.get(name, name))} (<code>{esc(name)}</code>)</td>"
                f"<td><code>{esc(value)}</code></td>"
                + (f"<td>{esc(where)}</td>" if several else "")
                + "</tr>"
            )
        out.append("</tbody></table>")
    out.append("</section>")
    return "".join(out)


#: Sections a final report moves from its chapters into one appendix at the end, beside the
#: provenance: how things were computed, the model's parameters and the caveats.
APPENDIX_SECTIONS = frozenset(
    {
        *("Indata", "Validering", "Om underlaget"),  # chapter 01: the files and their check
        *("Metod", "Metod och förbehåll", "Modellens parametrar", "Förbehåll"),
    }
)
APPENDIX_TITLE = "Bilaga: metod, parametrar och proveniens"
_CELL_START = re.compile(r'(?=<div class="fou-(?:cell|markdown)">)')
_H2 = re.compile(r"<h2(?:\s[^>]*)?>(.*?)</h2>", re.DOTALL)


def split_appendix(content: str) -> tuple[str, str]:
    """A chapter's content as (main text, appendix part).

    The appendix part is every cell from an h2 titled one of :data:`APPENDIX_SECTIONS` up to
    the next other h2 (cells follow each other as ``<div class="fou-markdown">`` and
    ``<div class="fou-cell">`` blocks).
    """
    main: list[str] = []
    appendix: list[str] = []
    target = main
    for cell in _CELL_START.split(content):
        found = _H2.search(cell)
        if found:
            title = html.unescape(_TAG.sub("", found.group(1))).replace("\u00b6", "").strip()
            target = appendix if title in APPENDIX_SECTIONS else main
        target.append(cell)
    return "".join(main), "".join(appendix)


def _demote(fragment: str) -> str:
    """h2 → h3 and h3 → h4, for a chapter's method sections under the appendix's chapter
    heading."""
    fragment = re.sub(r"<(/?)h3\b", r"<\1h4", fragment)
    return re.sub(r"<(/?)h2\b", r"<\1h3", fragment)


def _split_main(document: str) -> tuple[str, str, str]:
    """``(before, content, after)`` around the template's ``<main>`` element."""
    head, found, rest = document.partition("<main>")
    content, found_end, tail = rest.rpartition("</main>")
    if not found or not found_end:
        raise FouanalysError("Rapportmallen gav ingen <main>-del; mallen är trasig.")
    return head, content, tail


def finish_chapter(document: str, info: Mapping[str, Any]) -> str:
    """Number, anchor, add the table of contents and the provenance block to a chapter page."""
    head, content, tail = _split_main(document)
    numbering = Numbering()
    content = number_content(neutralize(content) + provenance_html([info]), numbering)
    return f"{head}{toc_html(numbering.headings)}<main>{content}</main>{tail}"


# --- exporters ------------------------------------------------------------------------------


class ChapterHTMLExporter(HTMLExporter):
    """A report chapter as one self-contained Swedish HTML page (no code, no CDN)."""

    export_from_notebook = "fouanalys-kapitel (HTML)"

    @default("template_name")
    def _template_name_default(self) -> str:
        return "fouanalys"

    @default("template_file")
    def _template_file_default(self) -> str:
        return "index.html.j2"  # the PDF exporter prints this same HTML

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [str(TEMPLATE_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self) -> bool:
        return True

    @default("language_code")
    def _language_code_default(self) -> str:
        return "sv"

    def render_raw(
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """The template's HTML before :func:`finish_chapter`; ``resources["fouanalys"]`` is
        the chapter's :func:`chapter_info`."""
        resources = dict(resources or {})
        path = resources.get("metadata", {}).get("path")
        name = resources.get("metadata", {}).get("name")
        source = Path(path, name) if path and name else None
        resources["fouanalys"] = chapter_info(nb, source)
        return super().from_notebook_node(nb, resources, **kw)

    def from_notebook_node(  # type: ignore[override]
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        document, resources = self.render_raw(nb, resources, **kw)
        return finish_chapter(document, resources["fouanalys"]), resources


def html_to_pdf(html_text: str) -> bytes:
    """Print report HTML to PDF bytes with WeasyPrint (A4, paged media from the template CSS)."""
    with warnings.catch_warnings():
        # WeasyPrint warns at import when the system lacks HarfBuzz-Subset; fontTools stands in.
        warnings.simplefilter("ignore", DeprecationWarning)
        import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    # Only data: URIs resolve, so a report never reaches the network (or the local disk).
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html_text, url_fetcher=fetcher)
    return document.write_pdf()


class ChapterPDFExporter(ChapterHTMLExporter):
    """The chapter's HTML printed to PDF with WeasyPrint; output is bytes."""

    export_from_notebook = "fouanalys-kapitel (PDF)"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    def from_notebook_node(  # type: ignore[override]
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        html_text, resources = super().from_notebook_node(nb, resources, **kw)
        resources["fouanalys_html"] = html_text
        resources["output_extension"] = ".pdf"
        return html_to_pdf(html_text), resources


# --- writing --------------------------------------------------------------------------------


def _check_formats(formats: Sequence[str]) -> None:
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise FouanalysError(f"Okänt rapportformat: {', '.join(unknown)}. Välj bland: html, pdf.")


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:
        raise FouanalysError(f"Kan inte läsa notebooken {path}: {exc}") from exc


def export_chapter(
    notebook_path: Path | str, formats: Sequence[str] = ("html", "pdf")
) -> dict[str, Path]:
    """Export an executed chapter notebook to ``<stem>.html`` and/or ``<stem>.pdf`` beside it.

    The HTML is rendered once; the PDF is printed from that same HTML. Each file is written
    atomically. Returns ``{"html": path, "pdf": path}`` for the formats asked for. Raises
    :class:`FouanalysError` for an unknown format, an unreadable notebook or a failed write.
    """
    notebook_path = Path(notebook_path)
    _check_formats(formats)
    nb = _read_notebook(notebook_path)

    started = time.perf_counter()
    resources = {"metadata": {"name": notebook_path.stem, "path": str(notebook_path.parent)}}
    html_text, _ = ChapterHTMLExporter().from_notebook_node(nb, resources)
    written: dict[str, Path] = {}
    if "html" in formats:
        written["html"] = atomic_write(notebook_path.with_suffix(".html"), html_text)
    if "pdf" in formats:
        written["pdf"] = atomic_write(notebook_path.with_suffix(".pdf"), html_to_pdf(html_text))
    log.debug(
        "Exported %s to %s in %.2f s",
        notebook_path,
        ", ".join(sorted(written)),
        time.perf_counter() - started,
    )
    return written


# --- final report ---------------------------------------------------------------------------


def _final_template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR / "fouanalys")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(FINAL_TEMPLATE)


def _region_code() -> str:
    from fouanalys.codebook import load_codebook

    return load_codebook().region.code


def _contents(summary: bool, chapters: int) -> str:
    """What a final report holds, for its cover: "Resultat i korthet, 4 kapitel och en bilaga"."""
    parts = ["Resultat i korthet"] if summary else []
    parts.append(f"{chapters} kapitel och en bilaga")
    return ", ".join(parts)


def render_final_report(
    notebooks: Sequence[Path | str],
    title: str,
    subtitle: str | None = None,
    summary: Mapping[str, Sequence[Any]] | None = None,
) -> str:
    """The HTML of a final report over executed chapter notebooks, in the given order.

    Each chapter is rendered with the chapter template (nothing is executed), numbered with
    counters that run through the report, and given anchors prefixed ``k{n}-``. One title page
    (title, subtitle, data version, date, the synthetic banner when any chapter is
    synthetic), one table of contents (chapters and their h2 headings) and one appendix at the
    end: each chapter's method, parameter and caveat sections (:func:`split_appendix`), then
    one provenance block. ``summary`` (``chapters.korthet`` points by heading) opens the report
    as *Resultat i korthet*, each point linked to the section that shows it.
    """
    from markupsafe import Markup

    paths = [Path(p) for p in notebooks]
    if not paths:
        raise FouanalysError(f"Slutrapporten '{title}' har inga kapitel att sätta ihop.")
    exporter = ChapterHTMLExporter()
    numbering = Numbering()
    chapters, infos, methods = [], [], []
    chapter_numbers: dict[str, int] = {}
    for n, path in enumerate(paths, start=1):
        chapter_numbers[path.stem] = n
        nb = _read_notebook(path)
        resources = {"metadata": {"name": path.stem, "path": str(path.parent)}}
        document, resources = exporter.render_raw(nb, resources)
        info = resources["fouanalys"]
        numbering.headings.append(Heading(1, f"k{n}", html.escape(info["chapter_title"])))
        main, method = split_appendix(neutralize(_split_main(document)[1]))
        content = number_content(main, numbering, f"k{n}-")
        chapters.append({"number": n, "anchor": f"k{n}", "info": info, "content": Markup(content)})
        infos.append(info)
        if method:
            methods.append((n, info["chapter_title"], method))
    # One appendix: each chapter's method, parameters and caveats, then the provenance.
    numbering.headings.append(Heading(1, "bilaga", html.escape(APPENDIX_TITLE)))
    appendix = "".join(
        number_content(
            f"<h2>Kapitel {n}: {html.escape(title)}</h2>{_demote(method)}", numbering, f"b{n}-"
        )
        for n, title, method in methods
    )
    numbering.headings.append(Heading(2, "proveniens", "Proveniens"))
    opening = ""
    if summary:
        from fouanalys.chapters.korthet import TITLE, points_html

        anchors = {
            (chapter_id, h.text): h.anchor
            for chapter_id, n in chapter_numbers.items()
            for h in numbering.headings
            if h.anchor.startswith(f"k{n}-avsnitt-")
        }
        opening = points_html(summary, anchors)
        numbering.headings.insert(0, Heading(1, "korthet", TITLE))
    toc = [h for h in numbering.headings if h.level <= 2]

    def distinct(key: str) -> str:
        return ", ".join(dict.fromkeys(str(i[key]) for i in infos if i.get(key))) or "okänd"

    municipalities = distinct("municipality_name")
    region = {str(i.get("municipality_code")) for i in infos} == {_region_code()}
    commits = ", ".join(dict.fromkeys(i["git_commit_short"] for i in infos))
    return _final_template().render(
        title=title,
        subtitle=subtitle,
        series=SERIES,
        banner=SYNTHETIC_BANNER,
        synthetic=any(i["synthetic"] for i in infos),
        municipalities=municipalities,
        area_label="Område" if region else "Kommun",
        data_version=distinct("data_version"),
        built=max(str(i["built"]) for i in infos),
        package_version=distinct("package_version"),
        git_commit=commits,
        chapters=chapters,
        contents=_contents(bool(summary), len(chapters)),
        appendix=Markup(appendix),
        summary=Markup(opening),
        appendix_title=APPENDIX_TITLE,
        toc=Markup(toc_html(toc)),
        provenance=Markup(provenance_html(infos, anchor="proveniens")),
        figures=numbering.figures,
        tables=numbering.tables,
        css=Markup(report_css()),
    )


def write_final_report(
    notebooks: Sequence[Path | str],
    out_dir: Path | str,
    title: str,
    subtitle: str | None = None,
    formats: Sequence[str] = ("html", "pdf"),
    summary: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Path]:
    """Write ``out_dir/slutrapport.html`` and/or ``.pdf``: several chapters as one document.

    See :func:`render_final_report` for the content; each chapter starts on a new PDF page.
    Each file is written atomically, so a failed write (a full disk) raises
    :class:`FouanalysError` naming the file and leaves the earlier report in place. Returns
    ``{"html": path, "pdf": path}`` for the formats asked for.
    """
    _check_formats(formats)
    out_dir = Path(out_dir)
    started = time.perf_counter()
    document = render_final_report(notebooks, title, subtitle, summary)
    written: dict[str, Path] = {}
    if "html" in formats:
        written["html"] = atomic_write(out_dir / "slutrapport.html", document)
    if "pdf" in formats:
        written["pdf"] = atomic_write(out_dir / "slutrapport.pdf", html_to_pdf(document))
    log.debug(
        "Wrote final report %s (%d chapters) in %.2f s",
        out_dir,
        len(notebooks),
        time.perf_counter() - started,
    )
    return written
