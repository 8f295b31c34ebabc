"""Report output: executed chapter notebooks to HTML and PDF, and the reports index page.

``ChapterHTMLExporter`` renders a notebook with the project's nbconvert template
(``templates/fouanalys``): no code, no prompts, no stderr, no scripts or external resources,
a title block and a provenance footer. ``ChapterPDFExporter`` prints that same HTML to an A4
PDF with WeasyPrint (CSS paged media: running header with municipality and chapter, the
synthetic-data banner, "Sida N av M"). Both are registered as nbconvert exporters, so
``jupyter nbconvert --to fouanalys_pdf chapter.ipynb`` works too.

The title block comes from ``nb.metadata["fouanalys"]`` (set by the build before execution);
when it is absent, :func:`chapter_info` falls back to the papermill parameters, the processed
tables' manifest and the notebook's first heading.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
from nbconvert.exporters import HTMLExporter
from traitlets import default

from fouanalys import __version__
from fouanalys.config import (
    PROCESSED_DATA_DIR,
    SYNTHETIC_BANNER,
    TEMPLATE_DIR,
)
from fouanalys.exceptions import FouanalysError

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
    from fouanalys.processing import load_manifest

    processed = params.get("processed_dir") or PROCESSED_DATA_DIR
    try:
        return load_manifest(Path(processed))
    except (FouanalysError, OSError, ValueError):
        return {}


def chapter_info(nb: nbformat.NotebookNode, path: Path | None = None) -> dict[str, Any]:
    """The title-block facts for one chapter notebook, with fallbacks for each missing key.

    Returns a dict with every key of :data:`INFO_KEYS` plus ``banner`` and ``series``. Order
    of sources: ``nb.metadata["fouanalys"]``; the papermill parameters (``municipality``,
    ``processed_dir``) with the codebook and the manifest; the first ``#`` heading and the
    file name; today's date.
    """
    meta = dict(nb.metadata.get("fouanalys", {}) or {})
    info: dict[str, Any] = {k: meta.get(k) for k in INFO_KEYS}
    missing = [k for k in INFO_KEYS if info[k] in (None, "")]
    if missing:
        params = _papermill_parameters(nb)
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
    info["banner"] = SYNTHETIC_BANNER
    info["series"] = SERIES
    return info


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

    def from_notebook_node(  # type: ignore[override]
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        resources = dict(resources or {})
        path = resources.get("metadata", {}).get("path")
        name = resources.get("metadata", {}).get("name")
        source = Path(path, name) if path and name else None
        resources["fouanalys"] = chapter_info(nb, source)
        return super().from_notebook_node(nb, resources, **kw)


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


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def export_chapter(
    notebook_path: Path | str, formats: Sequence[str] = ("html", "pdf")
) -> dict[str, Path]:
    """Export an executed chapter notebook to ``<stem>.html`` and/or ``<stem>.pdf`` beside it.

    The HTML is rendered once; the PDF is printed from that same HTML. Each file is written
    atomically. Returns ``{"html": path, "pdf": path}`` for the formats asked for. Raises
    :class:`FouanalysError` for an unknown format or an unreadable notebook.
    """
    notebook_path = Path(notebook_path)
    unknown = sorted(set(formats) - {"html", "pdf"})
    if unknown:
        raise FouanalysError(f"Okänt rapportformat: {', '.join(unknown)}. Välj bland: html, pdf.")
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except (OSError, ValueError) as exc:
        raise FouanalysError(f"Kan inte läsa notebooken {notebook_path}: {exc}") from exc

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


# --- index page -----------------------------------------------------------------------------

_STATUS_TEXT = {"ok": "klar", "failed": "misslyckades"}

_INDEX_CSS = """
body { font-family: "DejaVu Sans", Verdana, Helvetica, Arial, sans-serif; font-size: 15px;
       line-height: 1.45; color: #1d1d1d; margin: 0 auto; padding: 1.5rem; max-width: 60rem; }
h1 { color: #12355b; margin-bottom: 0.2em; }
h2 { color: #12355b; border-bottom: 1px solid #c9d3de; margin-top: 1.6em; }
.banner { background: #fff1f0; border: 2px solid #a4000f; color: #a4000f; font-weight: bold;
          text-align: center; padding: 0.45em 0.8em; margin: 0 0 1em; }
.summary { color: #444; }
table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
th, td { text-align: left; padding: 0.35em 0.6em; border-bottom: 1px solid #dde3ea;
         vertical-align: top; }
th { background: #f2f5f8; border-bottom: 1.5px solid #12355b; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ok { color: #0a6b2d; font-weight: bold; }
.failed { color: #a4000f; font-weight: bold; }
pre.error { white-space: pre-wrap; background: #fff1f0; border-left: 4px solid #a4000f;
            padding: 0.4em 0.6em; margin: 0.3em 0 0; font-size: 0.85em; }
a { color: #12559b; }
footer { margin-top: 2em; color: #666; font-size: 0.85em; }
"""


def _href(target: object, base: Path) -> str | None:
    """A relative, URL-quoted link from ``base`` to ``target`` (None when there is no file)."""
    if not target:
        return None
    target = Path(str(target))
    if not target.is_absolute():
        target = base / target
    rel = os.path.relpath(target, base)
    return quote(Path(rel).as_posix())


def _link(target: object, base: Path, text: str) -> str:
    href = _href(target, base)
    if href is None:
        return ""
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _seconds(value: object) -> str:
    try:
        return f"{float(value):.1f}\u00a0s".replace(".", ",")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"


def write_index(
    reports_dir: Path | str,
    entries: Iterable[Mapping[str, Any]],
    synthetic: bool = False,
    title: str = "FoU Nordväst – rapporter per kommun",
) -> Path:
    """Write ``reports_dir/index.html``: every chapter per municipality, with status and links.

    ``entries`` are dicts with ``municipality_code``, ``municipality_name``, ``chapter_id``,
    ``chapter_title``, ``status`` ("ok" or "failed"), ``html``, ``pdf``, ``notebook`` (paths,
    absolute or relative to ``reports_dir``; None when not made), ``error`` (str or None),
    ``seconds`` (float) and optionally ``failed_cell``. Links are relative, so the folder can
    be moved or zipped. All text is HTML-escaped. The page is written atomically.
    """
    reports_dir = Path(reports_dir)
    entries = list(entries)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    names: dict[str, str] = {}
    for entry in entries:
        code = str(entry.get("municipality_code") or "")
        groups.setdefault(code, []).append(entry)
        names.setdefault(code, str(entry.get("municipality_name") or code))

    n_failed = sum(1 for e in entries if e.get("status") != "ok")
    total_seconds = sum(float(e.get("seconds") or 0) for e in entries)
    esc = html.escape
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="sv">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f"<title>{esc(title)}</title>",
        f"<style>{_INDEX_CSS}</style>",
        "</head>",
        "<body>",
    ]
    if synthetic:
        out.append(f'<div class="banner" role="note">{esc(SYNTHETIC_BANNER)}</div>')
    out.append(f"<h1>{esc(title)}</h1>")
    status_line = (
        f"{len(entries)} kapitel för {len(groups)} kommuner; "
        + (f"{n_failed} misslyckades. " if n_failed else "alla klara. ")
        + f"Kapitlens sammanlagda körtid {_seconds(total_seconds)} (de körs parallellt)."
    )
    out.append(f'<p class="summary">{esc(status_line)}</p>')
    validation_index = reports_dir / "validation" / "index.html"
    if validation_index.is_file():
        out.append(
            f"<p>{_link(validation_index, reports_dir, 'Valideringsrapport för indata')}</p>"
        )

    for code, group in groups.items():
        heading = names[code] + (f" ({code})" if code and code != names[code] else "")
        out.append(f'<section id="kommun-{esc(code)}">')
        out.append(f"<h2>{esc(heading)}</h2>")
        out.append(
            "<table><thead><tr><th>Kapitel</th><th>Status</th><th>Rapport</th>"
            '<th>Notebook</th><th class="num">Tid</th></tr></thead><tbody>'
        )
        for entry in group:
            status = str(entry.get("status") or "failed")
            css = "ok" if status == "ok" else "failed"
            chapter = str(entry.get("chapter_title") or entry.get("chapter_id") or "")
            links = " · ".join(
                s
                for s in (
                    _link(entry.get("html"), reports_dir, "HTML"),
                    _link(entry.get("pdf"), reports_dir, "PDF"),
                )
                if s
            )
            cell = f"<td>{esc(chapter)}"
            if status != "ok":
                detail = str(entry.get("error") or "okänt fel")
                failed_cell = entry.get("failed_cell")
                if failed_cell not in (None, ""):
                    detail = f"Cell {failed_cell}: {detail}"
                cell += f'<pre class="error">{esc(detail)}</pre>'
            cell += "</td>"
            out.append(
                f"<tr>{cell}"
                f'<td class="{css}">{esc(_STATUS_TEXT.get(status, status))}</td>'
                f"<td>{links or '–'}</td>"
                f"<td>{_link(entry.get('notebook'), reports_dir, 'ipynb') or '–'}</td>"
                f'<td class="num">{esc(_seconds(entry.get("seconds")))}</td></tr>'
            )
        out.append("</tbody></table></section>")

    built = datetime.now().strftime("%Y-%m-%d %H:%M")
    out.append(
        f"<footer>Byggd {esc(built)} med fouanalys {esc(__version__)}."
        + (f" {esc(SYNTHETIC_BANNER)}." if synthetic else "")
        + "</footer>"
    )
    out.append("</body></html>")
    return atomic_write(reports_dir / "index.html", "\n".join(out) + "\n")
