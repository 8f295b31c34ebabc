"""The codebook: the workbench's vocabulary, read once from YAML and validated.

``load_codebook()`` returns a :class:`Codebook`; a malformed file raises
:class:`~fouanalys.exceptions.CodebookError` naming the file and the offending entry.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fouanalys.config import codebook_path
from fouanalys.exceptions import CodebookEntryError, CodebookError, UnknownMunicipalityError


def normalize_key(text: object) -> str:
    """Fold a header or label for tolerant matching: case, spaces, å/ä/ö and accents.

    ``"  Ålder Från "`` and ``"alder_fran"`` both become ``"alder_fran"``.
    """
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    s = s.strip().lower().replace("-", "_").replace(" ", "_")
    while "__" in s:
        s = s.replace("__", "_")
    return s


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Model):
    """A coded value with its Swedish label."""

    id: str
    label: str
    description: str | None = None
    label_en: str | None = None


class Municipality(_Model):
    code: str = Field(pattern=r"^\d{4}$")
    name: str


class Area(_Model):
    code: str
    name: str
    kolada_id: str | None = None


class Grade(_Model):
    id: str
    label: str
    age: int
    aliases: list[str] = []


class Sex(_Model):
    id: str
    label: str
    aliases: list[str] = []


class Survey(_Model):
    name: str
    years: list[int]
    grades: list[Grade]
    sexes: list[Sex]
    other_sex_values: list[str] = []
    all_label: str = "Alla"


class Item(_Model):
    """A survey item of an index: its codes 1..n are the answers of its ``scale`` in order.

    For a ``rasch`` index, ``categories`` gives RISE's response category (0..m, after RISE's
    recoding and merging; null: treated as not answered) for each code 1..n, and
    ``thresholds`` the item's partial-credit thresholds (logits) in that index.
    """

    id: str
    label: str
    reverse: bool = False
    #: The answer scale (``answer_scales``) whose texts the codes 1..n stand for.
    scale: str | None = None
    #: Codes when the item has another number than its index's ``levels``.
    levels: int | None = Field(default=None, ge=2)
    categories: list[int | None] | None = None
    thresholds: list[float] | None = None


class Index(_Model):
    """A survey index: items, scoring and the cut-point(s) that define its levels.

    ``mean`` and ``count`` indices have one ``cut_point`` (a flag: at or above it). A ``rasch``
    index is scored as RISE's *Data i Dialog* does (a Warm estimate under the partial credit
    model) and has two ``cut_points`` on the logit scale, which make three levels; ``source``
    names RISE's index.
    """

    id: str
    label: str
    label_en: str | None = None
    domain: str
    kind: Literal["risk", "protective", "outcome"]
    scoring: Literal["mean", "count", "rasch"]
    levels: int | None = Field(default=None, ge=2)
    min_answered: int = Field(ge=1)
    cut_point: float | None = None
    cut_points: tuple[float, float] | None = None
    source: str | None = None
    item_threshold: int | None = None
    stages: list[str]
    items: list[Item] = Field(min_length=1)

    def item_levels(self, item: Item) -> int:
        """How many answer codes (1..n) the item has."""
        if item.categories is not None:
            return len(item.categories)
        return item.levels or self.levels or 0

    @model_validator(mode="after")
    def _consistent(self) -> Index:
        if self.min_answered > len(self.items):
            raise CodebookEntryError(
                f"index {self.id}: min_answered={self.min_answered} exceeds its "
                f"{len(self.items)} items"
            )
        if self.scoring == "count" and self.item_threshold is None:
            raise CodebookEntryError(f"index {self.id}: scoring 'count' needs item_threshold")
        if self.scoring in ("mean", "count") and (self.cut_point is None or self.levels is None):
            raise CodebookEntryError(
                f"index {self.id}: scoring '{self.scoring}' needs levels and cut_point"
            )
        if self.scoring == "mean" and not 0 <= self.cut_point <= 1:
            raise CodebookEntryError(f"index {self.id}: a 'mean' cut_point must lie in 0..1")
        if self.scoring == "rasch":
            self._rasch_consistent()
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise CodebookEntryError(f"index {self.id}: an item is listed twice")
        return self

    def _rasch_consistent(self) -> None:
        if self.cut_points is None or not self.cut_points[0] < self.cut_points[1]:
            raise CodebookEntryError(
                f"index {self.id}: scoring 'rasch' needs two increasing cut_points"
            )
        for item in self.items:
            if item.categories is None or item.thresholds is None:
                raise CodebookEntryError(
                    f"index {self.id}, item {item.id}: scoring 'rasch' needs categories "
                    "and thresholds"
                )
            top = max((c for c in item.categories if c is not None), default=-1)
            used = {c for c in item.categories if c is not None}
            if used != set(range(top + 1)) or top != len(item.thresholds):
                raise CodebookEntryError(
                    f"index {self.id}, item {item.id}: categories {item.categories} must use "
                    f"every category 0..m once or more, m = its {len(item.thresholds)} "
                    "thresholds"
                )


class LifeStage(_Model):
    id: str
    label: str
    age_from: int = Field(ge=0)
    age_to: int

    @model_validator(mode="after")
    def _ordered(self) -> LifeStage:
        if self.age_from > self.age_to:
            raise CodebookEntryError(f"life stage {self.id}: age_from > age_to")
        if self.id != f"{self.age_from}-{self.age_to}":
            raise CodebookEntryError(
                f"life stage {self.id}: its id must carry its ages, '{self.age_from}-{self.age_to}'"
            )
        return self


class Actor(_Model):
    id: str
    label: str
    sspf: bool = False


class PushPull(_Model):
    id: str
    label: str
    kind: Literal["push", "pull"]


class KoladaUnit(_Model):
    """A unit Kolada values come in, with the range a value in it can take."""

    id: str
    label: str
    low: float | None = None
    high: float | None = None


#: What a Kolada KPI id looks like: a capital letter and five digits, e.g. N15428.
KOLADA_KPI_PATTERN = r"[A-Z]\d{5}"


class KoladaRate(_Model):
    """A count KPI shown also per 1 000 inhabitants of some ages, from the population table.

    ``ages`` is the inclusive age band the count is of (e.g. 0–20 for placements of children
    and young people); ``label``, ``title`` and ``note`` are how reports name the rate.
    """

    ages: tuple[int, int]
    unit: str
    label: str
    title: str
    note: str | None = None


class KoladaKpi(_Model):
    """A Kolada key figure the reports show: Kolada's title, a short label and its unit."""

    id: str = Field(pattern=rf"^{KOLADA_KPI_PATTERN}$")
    title: str
    label: str
    unit: str
    higher_is_better: bool
    by_gender: bool = False
    plausible: tuple[float, float] | None = None
    note: str | None = None
    #: For a count: the rate per 1 000 inhabitants of its ages that reports show beside it.
    rate: KoladaRate | None = None


class Source(_Model):
    """Where published material in the codebook comes from, and its licence."""

    name: str
    url: str
    licence: str
    note: str | None = None


class StraightLining(_Model):
    """Straight-lining: the same extreme answer to every statement of one answer scale.

    A respondent who answered at least ``min_answered`` of the scored items whose scale is
    ``scale`` and gave every one of them the same answer, that answer one of ``codes``.
    """

    scale: str
    min_answered: int = Field(ge=2)
    codes: list[int] = Field(min_length=1)

    @property
    def answer_codes(self) -> list[int]:
        return self.codes

    @property
    def least(self) -> int:
        """How many items of the scale the rule needs at the least."""
        return self.min_answered


class ImplausibleAnswers(_Model):
    """Implausible answers: answer ``code`` to at least ``min_items`` of the scored items
    whose scale is ``scale`` (the top answer to most offending questions)."""

    scale: str
    code: int
    min_items: int = Field(ge=1)

    @property
    def answer_codes(self) -> list[int]:
        return [self.code]

    @property
    def least(self) -> int:
        """How many items of the scale the rule needs at the least."""
        return self.min_items


class Unserious(_Model):
    """The rules that exclude a respondent as not serious, before any index is scored
    (:func:`fouanalys.response.unserious`); a rule left out excludes nobody."""

    straight_lining: StraightLining | None = None
    implausible_offending: ImplausibleAnswers | None = None


class Codebook(_Model):
    """The validated codebook. Lookups are by id; labels are Swedish."""

    version: str
    #: Answer texts of the survey's response scales, in code order (code 1 first).
    answer_scales: dict[str, list[str]] = {}
    #: Answer texts that mean "no answer" wherever they occur (besides codes 990–999).
    missing_answers: list[str] = []
    #: Who is excluded as not serious before scoring (None: nobody).
    unserious: Unserious | None = None
    #: The source of the ``rasch`` indices' parameters and cut-points.
    rasch_source: Source | None = None
    #: Where Warm's estimate is sought (an estimate beyond it is the range's end).
    theta_range: tuple[float, float] = (-4.0, 4.0)
    municipalities: list[Municipality] = Field(min_length=1)
    region: Area
    county: Area
    country: Area
    survey: Survey
    domains: list[Entry]
    indices: list[Index] = Field(min_length=1)
    life_stages: list[LifeStage]
    levels: list[Entry]
    targeting: list[Entry]
    knowledge_levels: list[Entry]
    statuses: list[Entry]
    #: Data i Dialog's quality questions (one inventory column each) and their answers.
    quality_questions: list[Entry] = []
    quality_answers: list[Entry] = []
    actors: list[Actor]
    push_pull: list[PushPull]
    push_pull_kinds: list[Entry]
    kolada_kpis: list[KoladaKpi] = []
    kolada_units: list[KoladaUnit] = []
    kolada_statuses: list[Entry] = []

    @model_validator(mode="after")
    def _cross_references(self) -> Codebook:
        for name in (
            "municipalities",
            "indices",
            "life_stages",
            "levels",
            "targeting",
            "knowledge_levels",
            "statuses",
            "quality_questions",
            "quality_answers",
            "actors",
            "push_pull",
            "domains",
            "kolada_kpis",
            "kolada_units",
            "kolada_statuses",
        ):
            keys = [getattr(e, "code", None) or e.id for e in getattr(self, name)]
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise CodebookEntryError(f"{name}: duplicate ids {dupes}")
        domains = {d.id for d in self.domains}
        stages = {s.id for s in self.life_stages}
        self._items_consistent()
        self._unserious_consistent()
        for idx in self.indices:
            if idx.domain not in domains:
                raise CodebookEntryError(f"index {idx.id}: unknown domain '{idx.domain}'")
            bad = [s for s in idx.stages if s not in stages]
            if bad:
                raise CodebookEntryError(f"index {idx.id}: unknown life stages {bad}")
        units = {u.id: u for u in self.kolada_units}
        for kpi in self.kolada_kpis:
            unit = units.get(kpi.unit)
            if unit is None:
                raise CodebookEntryError(f"kolada_kpis {kpi.id}: unknown unit '{kpi.unit}'")
            if kpi.rate is not None and kpi.rate.unit not in units:
                raise CodebookEntryError(
                    f"kolada_kpis {kpi.id}: unknown rate unit '{kpi.rate.unit}'"
                )
            if kpi.rate is not None and not 0 <= kpi.rate.ages[0] <= kpi.rate.ages[1]:
                raise CodebookEntryError(
                    f"kolada_kpis {kpi.id}: rate ages {list(kpi.rate.ages)} are not a band"
                )
            if kpi.plausible is not None:
                low, high = kpi.plausible
                if not (low <= high and (unit.low is None or low >= unit.low)) or (
                    unit.high is not None and high > unit.high
                ):
                    raise CodebookEntryError(
                        f"kolada_kpis {kpi.id}: plausible {list(kpi.plausible)} does not lie "
                        f"within its unit '{unit.id}'"
                    )
        ordered = sorted(self.life_stages, key=lambda s: s.age_from)
        for a, b in itertools.pairwise(ordered):
            if b.age_from != a.age_to + 1:
                raise CodebookEntryError(f"life stages {a.id} and {b.id} leave a gap or overlap")
        return self

    def _items_consistent(self) -> None:
        """An item's scale exists and fits its codes; an item in two indices has one coding."""
        codes: dict[str, tuple[int, str | None, tuple | None]] = {}
        for idx in self.indices:
            if idx.scoring == "rasch" and self.rasch_source is None:
                raise CodebookEntryError(f"index {idx.id}: a 'rasch' index needs rasch_source")
            for item in idx.items:
                n = idx.item_levels(item)
                if item.scale is not None:
                    scale = self.answer_scales.get(item.scale)
                    if scale is None:
                        raise CodebookEntryError(
                            f"index {idx.id}, item {item.id}: unknown scale '{item.scale}'"
                        )
                    if len(scale) != n:
                        raise CodebookEntryError(
                            f"index {idx.id}, item {item.id}: scale '{item.scale}' has "
                            f"{len(scale)} answers, the item {n} codes"
                        )
                cats = tuple(item.categories) if item.categories is not None else None
                seen = codes.setdefault(item.id, (n, item.scale, cats))
                if seen[:2] != (n, item.scale) or (cats and seen[2] and cats != seen[2]):
                    raise CodebookEntryError(
                        f"index {idx.id}, item {item.id}: coded otherwise than in another "
                        "index (codes, scale or categories differ)"
                    )

    def _unserious_consistent(self) -> None:
        """Each rule of ``unserious`` names a scale of scored items, answers of that scale and
        no more items than the codebook scores on it."""
        for name in ("straight_lining", "implausible_offending"):
            rule = getattr(self.unserious, name, None)
            if rule is None:
                continue
            answers = self.answer_scales.get(rule.scale)
            if answers is None:
                raise CodebookEntryError(f"unserious.{name}: unknown scale '{rule.scale}'")
            bad = [c for c in rule.answer_codes if not 1 <= c <= len(answers)]
            if bad:
                raise CodebookEntryError(
                    f"unserious.{name}: codes {bad} are not answers of scale '{rule.scale}' "
                    f"(1–{len(answers)})"
                )
            items = self.scale_items(rule.scale)
            if rule.least > len(items):
                raise CodebookEntryError(
                    f"unserious.{name}: asks for {rule.least} items, but the codebook scores "
                    f"only {len(items)} items of scale '{rule.scale}'"
                )

    # --- lookups -------------------------------------------------------------------------
    @property
    def primary_outcome(self) -> str:
        """The outcome the association analysis and the trends use unless told otherwise: the
        first index of kind ``outcome`` (self-reported offending)."""
        return next(i.id for i in self.indices if i.kind == "outcome")

    def outcomes(self) -> list[str]:
        """Every outcome index, in codebook order (the primary one first)."""
        return [i.id for i in self.indices if i.kind == "outcome"]

    def item_levels(self) -> dict[str, int]:
        """Item id -> how many answer codes it has, for every scored item."""
        out: dict[str, int] = {}
        for idx in self.indices:
            for item in idx.items:
                out.setdefault(item.id, idx.item_levels(item))
        return out

    def scale_items(self, scale: str) -> list[str]:
        """The scored items whose answers are those of ``scale``, in codebook order, each once."""
        return list(
            dict.fromkeys(
                item.id for idx in self.indices for item in idx.items if item.scale == scale
            )
        )

    def item_answers(self) -> dict[str, list[str]]:
        """Item id -> its answer texts in code order, for every scored item with a scale."""
        out: dict[str, list[str]] = {}
        for idx in self.indices:
            for item in idx.items:
                if item.scale is not None:
                    out.setdefault(item.id, self.answer_scales[item.scale])
        return out

    @property
    def municipality_codes(self) -> list[str]:
        return [m.code for m in self.municipalities]

    def municipality_name(self, code: str) -> str:
        if code == self.region.code:
            return self.region.name
        for m in self.municipalities:
            if m.code == code:
                return m.name
        raise UnknownMunicipalityError(self._unknown_municipality(code))

    def resolve_municipalities(self, selection: Iterable[object] | None) -> list[str]:
        """Codes for the selected municipalities (codes or names), each once, in the order
        given; every municipality when none is given."""
        if not selection:
            return self.municipality_codes
        return list(dict.fromkeys(self.resolve_municipality(s) for s in selection))

    def resolve_municipality(self, value: object) -> str:
        """Return the four-digit code for a code or a name (tolerant of case and å/ä/ö)."""
        text = str(value).strip()
        if text.isdigit() and len(text) <= 4:
            text = text.zfill(4)
        for m in self.municipalities:
            if text == m.code or normalize_key(text) == normalize_key(m.name):
                return m.code
        raise UnknownMunicipalityError(self._unknown_municipality(value))

    def _unknown_municipality(self, value: object) -> str:
        known = ", ".join(f"{m.code} {m.name}" for m in self.municipalities)
        return f"Okänd kommun '{value}'. Kända kommuner: {known}."

    def municipality_lookup(self) -> dict[str, str]:
        """Map every accepted spelling (code, name, folded name) to the code."""
        out: dict[str, str] = {}
        for m in self.municipalities:
            out[m.code] = m.code
            out[m.code.lstrip("0")] = m.code
            out[normalize_key(m.name)] = m.code
        return out

    def kolada_kpi(self, kpi_id: str) -> KoladaKpi | None:
        """The codebook's entry for a Kolada KPI, or None when the codebook does not list it."""
        return next((k for k in self.kolada_kpis if k.id == kpi_id), None)

    def kolada_unit(self, unit_id: str) -> KoladaUnit:
        return next(u for u in self.kolada_units if u.id == unit_id)

    @property
    def reference_codes(self) -> tuple[str, ...]:
        """The areas a municipality's chapter compares it with, as processed tables code them:
        the region (survey tables), and the county and the country (Kolada)."""
        codes = (self.region.code, self.county.kolada_id, self.country.kolada_id)
        return tuple(dict.fromkeys(c for c in codes if c))

    def kolada_areas(self) -> dict[str, str]:
        """Kolada id -> name for the municipalities, the county and the country, in order."""
        out = {m.code: m.name for m in self.municipalities}
        for area in (self.county, self.country):
            if area.kolada_id:
                out[area.kolada_id] = area.name
        return out

    def index(self, index_id: str) -> Index:
        for i in self.indices:
            if i.id == index_id:
                return i
        raise CodebookError(f"Okänt index '{index_id}' (finns: {self.ids('indices')})")

    def ids(self, section: str) -> list[str]:
        """The ids of one list section, e.g. ``ids('levels')``."""
        return [getattr(e, "code", None) or e.id for e in getattr(self, section)]

    def labels(self, section: str) -> dict[str, str]:
        """id -> Swedish label for one list section."""
        return {
            (getattr(e, "code", None) or e.id): getattr(e, "label", None) or e.name
            for e in getattr(self, section)
        }

    def survey_items(self) -> list[str]:
        """Every item id any index scores, in codebook order, without repeats."""
        seen: dict[str, None] = {}
        for idx in self.indices:
            for item in idx.items:
                seen.setdefault(item.id, None)
        return list(seen)

    def alias_map(self, section: Literal["grades", "sexes"]) -> dict[str, str]:
        """Folded spelling -> canonical id, for survey grades or sexes."""
        out: dict[str, str] = {}
        for e in getattr(self.survey, section):
            for spelling in [e.id, e.label, *e.aliases]:
                out[normalize_key(spelling)] = e.id
        return out


def split_codes(value: object) -> list[str]:
    """Split a ``;``-separated code list (as the inventory writes factors and partners) into
    its stripped, non-empty parts; a missing value is an empty list."""
    from pandas import isna  # here, not at the top: the no-change rebuild never needs pandas

    if value is None or (not isinstance(value, str) and bool(isna(value))):
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def load_codebook(path: Path | str | None = None) -> Codebook:
    """Read and validate the codebook (the packaged one unless ``path`` is given)."""
    if path is None:
        return _load_default(codebook_path())
    return _load(Path(path))


@lru_cache(maxsize=4)
def _load_default(path: Path) -> Codebook:
    """The codebook at ``path``, read once per path (the one in use is looked up per call)."""
    return _load(path)


def _load(path: Path) -> Codebook:
    try:
        # libyaml's safe loader when there is one: eight times faster, and every chapter
        # reads the codebook.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except FileNotFoundError as exc:
        raise CodebookError(f"Kodboken saknas: {path}") from exc
    except yaml.YAMLError as exc:
        raise CodebookError(f"Kodboken {path} är inte giltig YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CodebookError(f"Kodboken {path} ska vara en YAML-mappning på toppnivå.")
    try:
        return Codebook.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(toppnivå)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise CodebookError(f"Kodboken {path} är felaktig: {details}") from exc
