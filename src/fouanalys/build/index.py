"""The reports index page and atomic file writes, without the notebook machinery.

Kept apart from :mod:`fouanalys.build.export` so that a rebuild with nothing to do can rewrite the
index without importing nbformat, nbconvert or WeasyPrint.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fouanalys import __version__
from fouanalys.config import SYNTHETIC_BANNER
from fouanalys.ingest.files import atomic_write
from fouanalys.present.text import DASH, NBSP, format_number

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
.cached { color: #3b5b7d; }
p.final { font-size: 1.05em; font-weight: bold; background: #f2f5f8; padding: 0.4em 0.6em; }
.failed { color: #a4000f; font-weight: bold; }
pre.error { white-space: pre-wrap; background: #fff1f0; border-left: 4px solid #a4000f;
            padding: 0.4em 0.6em; margin: 0.3em 0 0; font-size: 0.85em; }
a { color: #12559b; }
p.finding { margin: 0.2em 0 0.6em; }
p.plan { margin: 0.2em 0 0.6em; }
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
        return f"{format_number(float(value), 1)}{NBSP}s"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DASH


def _is_region(code: str) -> bool:
    """A group of region chapters (code like "NV"), not a municipality (four digits)."""
    return bool(code) and not code.isdigit()


def _final_links(paths: Mapping[str, Any] | None, base: Path) -> str:
    if not paths:
        return ""
    return " · ".join(
        s
        for s in (
            _link(paths.get("html"), base, "HTML"),
            _link(paths.get("pdf"), base, "PDF"),
        )
        if s
    )


def _entry_status(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(Swedish status text, css class) for one chapter entry."""
    status = str(entry.get("status") or "failed")
    if status != "ok":
        return _STATUS_TEXT.get(status, status), "failed"
    if entry.get("cached"):
        return "oförändrad", "cached"
    return "klar", "ok"


def _is_deck(entry: Mapping[str, Any]) -> bool:
    """A seminar deck's entry (``kind == "deck"``), not a report chapter's."""
    return entry.get("kind") == "deck"


def _status_line(entries: list[Mapping[str, Any]], groups: Mapping[str, list]) -> str:
    """The summary under the title: chapters (and seminar decks), municipalities, failures,
    reuse and run time."""
    n_decks = sum(1 for e in entries if _is_deck(e))
    n_failed = sum(1 for e in entries if e.get("status") != "ok")
    n_cached = sum(1 for e in entries if e.get("status") == "ok" and e.get("cached"))
    total_seconds = sum(float(e.get("seconds") or 0) for e in entries if not e.get("cached"))
    n_units = sum(1 for code in groups if not _is_region(code))
    return (
        f"{len(entries) - n_decks} kapitel"
        + (f" och {n_decks} bildspel" if n_decks else "")
        + f" för {n_units} {'kommun' if n_units == 1 else 'kommuner'}"
        + (" och regionen" if n_units < len(groups) else "")
        + "; "
        + (f"{n_failed} misslyckades" if n_failed else "alla klara")
        + (f", {n_cached} oförändrade sedan förra bygget" if n_cached else "")
        + f". Kapitlens sammanlagda körtid {_seconds(total_seconds)} (de körs parallellt)."
    )


def _finals_section(
    final_reports: Mapping[str, Mapping[str, Any]],
    groups: Mapping[str, list],
    names: Mapping[str, str],
    reports_dir: Path,
) -> list[str]:
    """The "Slutrapporter" table: the region's final report first, then each municipality's."""
    esc = html.escape
    out = [
        '<section id="slutrapporter"><h2>Slutrapporter</h2>',
        '<table class="finals"><thead><tr><th>Rapport</th><th>Länkar</th></tr></thead><tbody>',
    ]
    ordered = sorted(final_reports, key=lambda k: (k != "region" and not _is_region(k), k))
    for key in ordered:
        if key == "region" or _is_region(key):
            region_code = next((c for c in groups if _is_region(c)), "")
            label = names.get(key) or names.get(region_code) or "Regionen"
        else:
            label = names.get(key, key)
        links = _final_links(final_reports[key], reports_dir) or "–"
        out.append(f"<tr><td>Slutrapport – {esc(label)}</td><td>{links}</td></tr>")
    out.append("</tbody></table></section>")
    return out


def _chapter_row(entry: Mapping[str, Any], reports_dir: Path) -> str:
    """One chapter's table row: title (with the error of a failed one), status, links, time."""
    esc = html.escape
    text, css = _entry_status(entry)
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
    if css == "failed":
        detail = str(entry.get("error") or "okänt fel")
        failed_cell = entry.get("failed_cell")
        if failed_cell in (None, ""):
            failed_cell = entry.get("cell")
        if failed_cell not in (None, "") and not detail.startswith("Cell"):
            detail = f"Cell {failed_cell}: {detail}"
        cell += f'<pre class="error">{esc(detail)}</pre>'
    cell += "</td>"
    seconds = "–" if entry.get("cached") else _seconds(entry.get("seconds"))
    return (
        f"<tr>{cell}"
        f'<td class="{css}">{esc(text)}</td>'
        f"<td>{links or '–'}</td>"
        f"<td>{_link(entry.get('notebook'), reports_dir, 'ipynb') or '–'}</td>"
        f'<td class="num">{esc(seconds)}</td></tr>'
    )


def _unit_section(
    code: str,
    group: list,
    name: str,
    final: Mapping[str, Any] | None,
    reports_dir: Path,
    finding: str = "",
    action_plan: object = None,
) -> list[str]:
    """One municipality's (or the region's) section: heading, its findings in one line, final
    report, action-plan workbook, chapter table."""
    esc = html.escape
    shown_code = code and code != name and not _is_region(code)
    heading = name + (f" ({code})" if shown_code else "")
    out = [f'<section id="kommun-{esc(code)}">', f"<h2>{esc(heading)}</h2>"]
    if finding:
        out.append(f'<p class="finding">{esc(finding)}</p>')
    final_links = _final_links(final, reports_dir)
    if final_links:
        out.append(f'<p class="final">Slutrapport (alla kapitel): {final_links}</p>')
    plan_link = _link(action_plan, reports_dir, "Excel")
    if plan_link:
        out.append(f'<p class="plan">Underlag för handlingsplan: {plan_link}</p>')
    chapters = [e for e in group if not _is_deck(e)]
    decks = [e for e in group if _is_deck(e)]
    tables = (("", "Kapitel", chapters), ("Seminariematerial", "Bildspel", decks))
    for heading, label, rows in tables:
        if not rows:
            continue
        if heading:
            out.append(f'<h3 class="decks">{esc(heading)}</h3>')
        out.append(
            f"<table><thead><tr><th>{esc(label)}</th><th>Status</th><th>Rapport</th>"
            '<th>Notebook</th><th class="num">Tid</th></tr></thead><tbody>'
        )
        out += [_chapter_row(entry, reports_dir) for entry in rows]
        out.append("</tbody></table>")
    out.append("</section>")
    return out


def write_index(
    reports_dir: Path | str,
    entries: Iterable[Mapping[str, Any]],
    synthetic: bool = False,
    final_reports: Mapping[str, Mapping[str, Any]] | None = None,
    title: str = "FoU Nordväst – rapporter per kommun",
    findings: Mapping[str, str] | None = None,
    action_plans: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``reports_dir/index.html``: every chapter per municipality, with status and links.

    Entries with ``kind == "deck"`` (seminar decks) are listed in each municipality's (and the
    region's) section under *Seminariematerial*, apart from the chapters.

    ``entries`` are dicts with ``municipality_code``, ``municipality_name``, ``chapter_id``,
    ``chapter_title``, ``status`` ("ok" or "failed"), ``html``, ``pdf``, ``notebook`` (paths,
    absolute or relative to ``reports_dir``; None when not made), ``error`` (str or None),
    ``seconds`` (float), ``cached`` (reused from an earlier build) and optionally ``cell`` or
    ``failed_cell``. Status reads "klar", "oförändrad" (cached) or "misslyckades" with the
    error. ``final_reports`` maps a municipality code, or "region", to ``{"html": path, "pdf":
    path}``: linked at the top of the page and in the municipality's section. Links are
    relative, so the folder can be moved or zipped. ``findings`` maps a municipality code to one
    line under its heading (its prioritised factors and gaps). ``action_plans`` maps a
    municipality code to its action-plan workbook, linked in its section. All text is
    HTML-escaped. The page is written atomically.
    """
    reports_dir = Path(reports_dir)
    entries = list(entries)
    final_reports = dict(final_reports or {})
    groups: dict[str, list[Mapping[str, Any]]] = {}
    names: dict[str, str] = {}
    for entry in entries:
        code = str(entry.get("municipality_code") or "")
        groups.setdefault(code, []).append(entry)
        names.setdefault(code, str(entry.get("municipality_name") or code))
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
    out.append(f'<p class="summary">{esc(_status_line(entries, groups))}</p>')
    validation_index = reports_dir / "validation" / "index.html"
    if validation_index.is_file():
        out.append(
            f"<p>{_link(validation_index, reports_dir, 'Valideringsrapport för indata')}</p>"
        )
    if final_reports:
        out += _finals_section(final_reports, groups, names, reports_dir)
    for code, group in groups.items():
        final = final_reports.get(code)
        if final is None and _is_region(code):
            final = final_reports.get("region")
        finding = (findings or {}).get(code, "")
        plan = (action_plans or {}).get(code)
        out += _unit_section(code, group, names[code], final, reports_dir, finding, plan)
    built = datetime.now().strftime("%Y-%m-%d %H:%M")
    out.append(
        f"<footer>Byggd {esc(built)} med fouanalys {esc(__version__)}."
        + (f" {esc(SYNTHETIC_BANNER)}." if synthetic else "")
        + "</footer>"
    )
    out.append("</body></html>")
    return atomic_write(reports_dir / "index.html", "\n".join(out) + "\n")
