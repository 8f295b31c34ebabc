"""*Resultat i korthet*: the final report opens with points whose every number is the one the
report shows where the point links to.

The slow test reads Järfälla's final report from the test run's full build on the example
(``full_build`` in ``conftest``) as a reader would: each point's sentence, and every number in
it, must be found in the chapter section its link points to.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from support import prepared  # noqa: F401 (a fixture)

from fouanalys.chapters import korthet
from fouanalys.codebook import load_codebook

CODE = "0123"
_TAGS = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"\d+(?:[\u202f\u00a0 ]\d{3})*(?:,\d+)?")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def test_a_municipalitys_summary_from_its_own_rows_is_the_one_from_the_whole_tables(
    prepared,  # noqa: F811 (the fixture)
):
    """The final report's summary reads the municipality's rows (and the region's, county's
    and country's) and its Kolada places, as chapter 01 does: for every municipality, the same
    points as from the whole tables."""
    _, processed = prepared

    def whole(name: str) -> pd.DataFrame | None:
        path = processed / f"{name}.parquet"
        return pd.read_parquet(path) if path.is_file() and name != "kolada_places" else None

    codebook = load_codebook()
    for code in codebook.municipality_codes:
        expected = korthet.municipality_points(whole, code, codebook)
        assert "Vad nyckeltalen säger" in expected
        assert korthet.summary_points(processed, code) == expected


def test_points_html_links_each_point_and_escapes_it():
    points = {
        "Rubrik": [
            korthet.Point("Ett <b>fett</b> påstående 12 %.", "02_riskfaktorer", "Sammanfattning"),
            korthet.Point("Utan länk.", "02_riskfaktorer", "Finns inte"),
        ]
    }
    out = korthet.points_html(points, {("02_riskfaktorer", "Sammanfattning"): "k2-avsnitt-1"})
    assert "<h2>Rubrik</h2>" in out and "&lt;b&gt;fett&lt;/b&gt;" in out
    assert '(<a class="fou-ref" href="#k2-avsnitt-1">se Riskfaktorer: Sammanfattning</a>)' in out
    assert "<li>Utan länk.</li>" in out  # a section the report lacks: no dead link


@pytest.fixture(scope="module")
def report(full_build) -> str:
    from fouanalys.build.runner import format_summary

    summary, _ = full_build
    assert summary.ok, format_summary(summary)
    return Path(summary.final_reports[CODE]["html"]).read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_report_opens_with_results_in_brief_that_agree_with_the_chapters(report):
    toc = re.search(r'<nav class="fou-toc".*?</nav>', report, re.DOTALL).group(0)
    first = re.search(r'<li class="fou-toc-1"><a href="#([^"]+)">([^<]*)</a>', toc)
    assert first.groups() == ("korthet", "Resultat i korthet")
    start = report.index('id="korthet"')
    end = report.index('<section class="fou-chapter" id="k1"')
    brief = report[start:end]
    items = re.findall(r"<li>(.*?)</li>", brief, re.DOTALL)
    assert len(items) >= 5  # prioritised factors, gaps, what works and key figures
    headings = re.findall(r"<h2>([^<]+)</h2>", brief)
    assert headings == [
        "Prioriterade risk- och skyddsfaktorer",
        "De viktigaste luckorna längs livsförloppet",
        "Vad forskningen säger om luckorna",
        "Vad nyckeltalen säger",
    ]
    for item in items:
        link = re.search(r'href="#([^"]+)"', item)
        assert link, item
        anchor = link.group(1)
        sentence = _text(item.split(" (<a")[0])
        # the section the link points to, up to the next h2 of the report
        at = report.index(f'id="{anchor}"')
        after = report.find("<h2", at + 1)
        section = _text(report[at : after if after > 0 else len(report)])
        assert anchor.startswith("k") and at > end, anchor  # in a chapter, not the summary
        if sentence.startswith(("Övriga", "Det övriga", "Ytterligare")):
            continue  # a count of what the summary leaves out, not a sentence of the chapter
        if "nyckeltal" in section[:80]:
            # a key figure in brief: the chapter's own sentence on it has the same verdict and
            # every number of the brief one
            label, brief = sentence.split(": ", 1)
            at_label = section.index(f"{label}: ")
            full = section[at_label : section.index("(1 = bäst)", at_label)]
            verdict = brief.split(",")[0]
            assert verdict in ("sämre än länet", "bättre än länet"), sentence
            assert f": {verdict} (" in full, (sentence, full)
            for number in _NUMBER.findall(brief):
                assert number in full, (number, sentence, full)
            continue
        assert sentence in section, (anchor, sentence)
        for number in _NUMBER.findall(sentence):
            assert number in section, (anchor, number, sentence)
