"""Swedish labels of codebook things: grades, sexes, groups, life stages, factor kinds."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fouanalys.codebook import Codebook
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.coverage import MIN_STAGE_SHARE, THIN_REACH_PER_1000
from fouanalys.present.text import NBSP, UNKNOWN, format_number, is_missing, lower_first
from fouanalys.priority import group_rank
from fouanalys.quality import NOT_ANSWERED, TOTAL_LEVEL

SEX_LABELS = {"Pojke": "Pojkar", "Flicka": "Flickor"}
#: Legend text for a 95 % confidence interval.
CI_LABEL = "95\u00a0% konfidensintervall"

#: Plural headings for the kinds of index.
KIND_LABELS = {"risk": "Riskfaktorer", "protective": "Skyddsfaktorer", "outcome": "Utfall"}
#: Short kind labels for table cells.
KIND_SHORT = {"risk": "Risk", "protective": "Skydd", "outcome": "Utfall"}

#: The three levels of a Rasch index (``levels.parquet``, levels 0, 1, 2), as RISE's *Data i
#: Dialog* names them for a risk index, and the mirror for a protective index.
LEVEL_LABELS = {
    "risk": ("Låg risk", "Något förhöjd risk", "Förhöjd risk"),
    "protective": ("Låg skyddsnivå", "Medelhög skyddsnivå", "Hög skyddsnivå"),
}
#: Respondents without a score on an index (fewer answered items than it needs).
TOO_FEW_LABEL = "För få svar"

#: Legend label of the comparison in the profile and the priority list.
REST_OF_REGION = "Övriga regionen"
#: The word for a prioritised factor (:mod:`fouanalys.priority`): used for nothing else.
PRIORITISED = "prioriterad"
#: The gap statuses of ``gaps.parquet`` (:func:`fouanalys.coverage.gap_table`) as a report
#: shows them, in the order a list gives them, with what each means (legends, method text).
GAP_STATUS_LABELS = {"saknas": "saknas", "tunn": "tunn", "okänd": "okänd", "finns": "finns"}
#: How the captions of tables of literature references and web addresses begin (chapter 04's
#: sources): the build's text check reads them as a source's own words (``fou-citations``).
CITATION_CAPTIONS = ("Studier om ", "Källor till arbetssätten")
#: How large an effect the knowledge base reports (``effekt``,
#: :data:`fouanalys.knowledge.EFFECT_LEVELS`), as a report writes it.
EFFECT_LABELS = {
    "ingen": "ingen effekt",
    "låg": "låg effekt",
    "måttlig": "måttlig effekt",
    "hög": "hög effekt",
    "okänd": "okänd effekt",
}

#: The quality profile's own codes (:mod:`fouanalys.quality`): the rows over all prevention
#: levels and a quality question left blank, as a report writes them.
QUALITY_CODE_LABELS = {TOTAL_LEVEL: "Alla nivåer", NOT_ANSWERED: "Ej besvarad"}

#: The raw inputs (``data/raw/<mapp>/<namn>.*``) as a reader knows them.
INPUT_LABELS = {
    "enkat": "Ungdomsenkät (Stockholmsenkäten)",
    "insatser": "Kartläggning av insatser",
    "befolkning": "Befolkning",
    "kolada": "Nyckeltal (Kolada)",
    "elever": "Inskrivna elever",
}

#: The notebooks' papermill parameters in words, for the provenance block (which also gives
#: each parameter's name, so that a researcher can re-run a chapter with the same values).
PARAMETER_LABELS = {
    "municipality": "Kommun",
    "data_dir": "Rådatamapp",
    "processed_dir": "Mapp för bearbetade tabeller",
    "seed": "Slumpfrö",
    "year": "Enkätår",
    "replicates": "Körningar per scenario",
    "model": "Ändrade modellparametrar",
}

#: The processed tables (``data/processed/<namn>.parquet``) as a reader knows them; a report
#: never shows a table's file or internal name.
PROCESSED_TABLE_LABELS = {
    "enkat": "Enkätsvar",
    "insatser": "Insatser (senaste kartläggningen)",
    "insatser_rounds": "Alla kartläggningsomgångar",
    "compared_rounds": "Jämförda kartläggningsomgångar",
    "intervention_changes": "Ändrade insatser sedan förra omgången",
    "gap_changes": "Luckor före och efter senaste omgången",
    "befolkning": "Befolkning",
    "kolada": "Nyckeltal från Kolada",
    "elever": "Inskrivna elever",
    "response": "Svarande, uteslutna svar och svarsfrekvens",
    "prevalence": "Andelar per faktor och grupp",
    "levels": "Nivåer som i Data i Dialog",
    "priorities": "Jämförelser med övriga regionen",
    "priority_factors": "Prioriterade faktorer",
    "associations": "Samband med brott",
    "outcome_associations": "Samband med utfallen",
    "coverage": "Insatsernas täckning",
    "factor_coverage": "Täckning per faktor",
    "targeting_coverage": "Täckning per inriktning",
    "knowledge_profile": "Insatsernas kunskapsläge",
    "quality_profile": "Insatsernas förutsättningar och uppföljning",
    "gaps": "Luckor",
    "approaches": "Kunskapsbasen om arbetssätt",
    "approach_links": "Insatsernas arbetssätt",
    "gap_approaches": "Arbetssätt som passar luckorna",
    "need_capacity": "Behov och kapacitet",
    "factor_research": "Forskningen om faktorerna",
    "kolada_places": "Kommunernas placering i nyckeltalen",
}

#: What an effect estimate rests on (:data:`fouanalys.knowledge.EVIDENCE_BASES`), in words.
EVIDENCE_BASE_LABELS = {
    "översikt": "systematisk översikt",
    "få studier": "få studier",
    "svagt": "ingen kontrollerad studie",
}
#: The knowledge base's cost levels (:data:`fouanalys.knowledge.COST_LEVELS`) in words.
COST_LABELS = {
    "låg": "låg kostnad",
    "måttlig": "måttlig kostnad",
    "hög": "hög kostnad",
    "okänd": "kostnad okänd",
}


def input_label(name: str) -> str:
    """A raw input's Swedish name; a stored mapping round (``kartlaggning/<kod>/<omgång>``)
    reads "Kartläggning av insatser, omgång 2026-12-01"."""
    if name.startswith("kartlaggning/"):
        return f"{INPUT_LABELS['insatser']}, omgång {name.rsplit('/', 1)[-1]}"
    return INPUT_LABELS.get(name, name)


def processed_table_label(name: str) -> str:
    """A processed table's Swedish name; an unknown table gets a generic name, never its id."""
    return PROCESSED_TABLE_LABELS.get(name, "Övrig bearbetad tabell")


def gap_meaning(status: str) -> str:
    """What a gap status means, for legends and method text ("tunn: alla insatser …")."""
    limit = f"{format_number(THIN_REACH_PER_1000)} per 1{NBSP}000"
    return {
        "saknas": "ingen pågående insats",
        "tunn": f"alla insatser anger deltagare och räckvidden är under {limit}",
        "okänd": f"någon insats anger inte deltagare och den kända räckvidden är under {limit}",
        "finns": f"känd räckvidd minst {limit}",
    }[status]


def grade_label(grade: str, codebook: Codebook) -> str:
    """Swedish label of a grade id; the all-grades label becomes "Båda årskurserna"."""
    if grade == codebook.survey.all_label:
        return "Båda årskurserna" if len(codebook.survey.grades) == 2 else "Alla årskurser"
    return {g.id: g.label for g in codebook.survey.grades}.get(grade, str(grade))


def sex_label(sex: str, codebook: Codebook) -> str:
    """Swedish plural label of a sex id ("Pojkar", "Flickor"); all sexes are "Alla elever"."""
    if sex == codebook.survey.all_label:
        return "Alla elever"
    return {s.id: s.label for s in codebook.survey.sexes}.get(sex, str(sex))


def group_label(grade: str, sex: str, codebook: Codebook) -> str:
    """A group of students as a table cell: "Flickor, gymnasiet år 2", "Alla elever"."""
    all_label = codebook.survey.all_label
    who = sex_label(sex, codebook)
    if grade == all_label:
        return who
    return f"{who}, {lower_first(grade_label(grade, codebook))}"


def group_phrase(grade: str, sex: str, codebook: Codebook) -> str:
    """A group of students as the opening of a sentence.

    "Bland pojkar i årskurs 9", "Bland alla elever i årskurs 9", "Bland flickor i båda
    årskurserna", "Bland alla elever".
    """
    all_label = codebook.survey.all_label
    who = lower_first(sex_label(sex, codebook))
    if grade == all_label and sex == all_label:
        return f"Bland {who}"
    return f"Bland {who} i {lower_first(grade_label(grade, codebook))}"


def group_order(grade: str, sex: str, codebook: Codebook) -> int:
    """Broad groups first: all students, then by sex, then by grade, then grade × sex."""
    return group_rank(grade, sex, codebook)


def age_span(age_from: object, age_to: object) -> str:
    """An age span in words: ``(13, 15) -> "13–15 år"``, ``(4, 4) -> "4 år"``.

    A no-break space keeps the number and "år" together.
    """
    if is_missing(age_from) or is_missing(age_to):
        return UNKNOWN
    a, b = int(age_from), int(age_to)  # type: ignore[call-overload]
    return f"{a}{NBSP}år" if a == b else f"{a}–{b}{NBSP}år"


def stage_label(stage: str, codebook: Codebook | None = None, ages: bool = True) -> str:
    """A life stage as text: ``"13-15" -> "Högstadium (13–15 år)"`` (``ages=False``: name only)."""
    codebook = codebook or load_codebook()
    for s in codebook.life_stages:
        if s.id == stage:
            return f"{s.label} ({age_span(s.age_from, s.age_to)})" if ages else s.label
    return str(stage)


def stage_phrase(stage: str, codebook: Codebook) -> str:
    """A life stage as Swedish text: ``"13-15" -> "13–15 år"``."""
    for s in codebook.life_stages:
        if s.id == stage:
            return f"{s.age_from}–{s.age_to} år"
    return f"{stage} år"


def priority_rule() -> str:
    """The one definition of *prioriterad* (:mod:`fouanalys.priority`), for every chapter's
    method text."""
    return (
        f"**Prioriterad faktor.** En risk- eller skyddsfaktor är {PRIORITISED} i en kommun när "
        "den ligger statistiskt säkert sämre till än i övriga regionen (en riskfaktor "
        "vanligare, en skyddsfaktor ovanligare; hela 95-procentsintervallet för skillnaden på "
        "den ogynnsamma sidan) för alla elever eller för minst en grupp efter kön och årskurs, "
        "och inte ligger statistiskt säkert bättre till för alla elever tillsammans. Samma "
        "regel gäller i alla kapitel, i regionöversikten och på startsidan. Har kommunen ingen "
        f"{PRIORITISED} faktor står det så."
    )


def push_pull_rule() -> str:
    """The one definition of push and pull factors, for every chapter that uses them."""
    return (
        "*Pullfaktorer* drar en ung person mot ett kriminellt nätverk genom det som nätverket "
        "erbjuder, som pengar, respekt och tillhörighet. *Pushfaktorer* driver bort från en "
        "konventionell väg, som dåliga framtidsutsikter eller erfarenheter av diskriminering."
    )


def gap_rule(lead_in: bool = True) -> str:
    """The one definition of the gap statuses and of what covers a life stage
    (:func:`fouanalys.coverage.gap_table`), for method text.

    It opens with the bold lead-in "**Luckor.**" for a paragraph among others (the region's
    method section); ``lead_in=False`` leaves it out where the paragraph stands right under a
    heading "Luckor" (chapter 03), which would otherwise say the word twice."""
    share = format_number(MIN_STAGE_SHARE * 100)
    statuses = "; ".join(f"**{GAP_STATUS_LABELS[s]}**: {gap_meaning(s)}" for s in GAP_STATUS_LABELS)
    return ("**Luckor.** " if lead_in else "") + (
        f"Varje kombination av {PRIORITISED} faktor och livsskede där faktorn går "
        "att påverka får en status utifrån de pågående insatser som anger faktorn och täcker "
        f"livsskedet: {statuses}. En insats täcker ett livsskede när dess åldersspann omfattar "
        f"minst {share}{NBSP}% av livsskedets år (hela år, båda ändarna medräknade), eller när "
        "hela spannet ligger inom livsskedet. Räckvidden räknas bara på de insatser som anger "
        "antal deltagare."
    )
