"""The one way a number becomes Swedish text, in tables, figure labels and running text alike.

**One rounding rule:** half away from zero on the number as it is written (the shortest decimal
form of the float), as SCB and Kolada publish: 0,125 → "0,13", 2,675 → "2,68", 16,5 % → "17 %".
Python's ``round()`` and ``format()`` round half to even on the binary value (2.675 → "2,67",
0.125 → "0,12"), so nothing a reader sees goes through them. Shares are turned into percent
exactly (``Decimal``), so 0.145 is 14,5 % before it is rounded, never 14,499999… %.

**One print form:** decimal comma, a real minus sign (U+2212), a narrow no-break space between
thousands from 1 000 up ("2 393", never broken over two lines), a no-break space before "%".
Every table cell, axis tick, bar label and sentence calls :func:`format_number` or one of the
functions built on it below.

**One symbol per meaning:** "–" (:data:`DASH`) is a value that exists but is not shown
(disclosure control), and nothing else. The formatters give "–" for a missing number because the
survey tables leave a suppressed value empty; a value that is missing for another reason gets
its own word: :data:`MISSING` ("saknas"), :data:`NOT_APPLICABLE` ("ej tillämpligt") or
:data:`UNKNOWN` ("okänt"). A table explains each symbol only when it uses it
(:class:`fouanalys.present.tables.Table`'s ``legend``).

**One rule for a printed difference:** a difference printed beside two rounded shares is the
difference of the two numbers as printed (:func:`format_share_difference`), so "50 %" against
"54 %" reads "−4", never "−5".
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from fouanalys.config import DISCLOSURE_THRESHOLD

#: Shown for a suppressed value (disclosure control), and for nothing else.
DASH = "–"
#: Shown for a value the data do not have (nobody answered, no such row).
MISSING = "saknas"
#: Shown where a value has no meaning (a change for a measure that is not compared).
NOT_APPLICABLE = "ej tillämpligt"
#: No-break space between a number and its unit ("31 %").
NBSP = "\u00a0"
#: Narrow no-break space between thousands ("2 393").
THOUSANDS = "\u202f"
MINUS = "\u2212"
#: Invisible, forbids a line break: keeps "(21–26)" on one line in a wrapping table cell.
WORD_JOINER = "\u2060"
#: An en dash between two numbers, where a word joiner keeps the range on one line.
DASH_BETWEEN = re.compile(r"(?<=[0-9∞])–(?=[0-9∞\u2212])")
#: Shown for a number nobody reported (participants of an intervention).
UNKNOWN = "okänt"
#: A reach that rests on an intervention without a participant count.
UNKNOWN_REACH = "okänd"
#: A count of 1 to ``DISCLOSURE_THRESHOLD − 1`` people, which is not published. Its words are
#: joined by no-break spaces, so a narrow table column never prints "färre" or "färre än" on
#: one line and the number on the next (:func:`fewer_than`).
FEW = f"färre{NBSP}än{NBSP}{DISCLOSURE_THRESHOLD}"


# --- numbers --------------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    """Whether a value is None, NaN, NaT or pandas' NA (strings and numbers are not)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def rounded(value: object, decimals: int = 0) -> Decimal:
    """``value`` rounded by the module's rule (half away from zero) to ``decimals`` places,
    never ``-0``: the number a reader sees, for deciding "1 person" or "personer"."""
    exact = value if isinstance(value, Decimal) else Decimal(str(float(value)))
    number = exact.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return abs(number) if number == 0 else number


def format_number(value: object, decimals: int = 0, signed: bool = False) -> str:
    """A number in Swedish print: ``1234.5 -> "1 234,5"`` with one decimal, ``-0.04 -> "0,0"``.

    The rounding rule and print form are the module's: half away from zero, decimal comma,
    real minus, narrow no-break space between thousands; ``"+"`` before a positive number
    when ``signed``; ``"∞"`` for an infinite value; ``"–"`` for a missing one.
    """
    if is_missing(value):
        return DASH
    if not isinstance(value, Decimal) and math.isinf(float(value)):
        return ("" if float(value) > 0 else MINUS) + "∞"
    number = rounded(value, decimals)
    whole, _, fraction = f"{abs(number):.{decimals}f}".partition(".")
    text = f"{int(whole):,d}".replace(",", THOUSANDS) + ("," + fraction if fraction else "")
    if number < 0:
        return MINUS + text
    return ("+" + text) if signed and number > 0 else text


def format_significant(value: object, digits: int = 4) -> str:
    """A number to ``digits`` significant digits without trailing zeros (model parameters):
    ``0.0003 -> "0,0003"``, ``1.0 -> "1"``, ``0.123456 -> "0,1235"``."""
    if is_missing(value):
        return DASH
    number = float(value)
    if number == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(number))))
    text = format_number(number, decimals)
    return text.rstrip("0").rstrip(",") if "," in text else text


def format_about(value: object) -> str:
    """An estimate for a reader who needs its size, not its digits ("omkring 300"): to the
    nearest ten from 10 to 999, to two significant digits from 1 000 (``4 380 -> "4 400"``),
    and "färre än 10" below ten, so that no small count is shown as if it were exact."""
    if is_missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    if number < 9.5:
        return f"färre{NBSP}än{NBSP}10"
    if number < 999.5:
        return format_number(int(rounded(number / 10)) * 10)
    step = 10 ** (math.floor(math.log10(number)) - 1)
    return format_number(int(rounded(number / step)) * step)


def percent_points(value: object) -> Decimal | None:
    """A share (0..1) as percent, exactly (``Decimal``), or None when missing."""
    if is_missing(value):
        return None
    return Decimal(str(float(value))) * 100


def format_points(share: object, decimals: int = 0, signed: bool = False) -> str:
    """A share (0..1) or a difference of shares as a number of percent (points), without the
    sign: ``0.165 -> "17"``; ``"–"`` when missing."""
    points = percent_points(share)
    return DASH if points is None else format_number(points, decimals, signed=signed)


def format_share(share: object, decimals: int = 0) -> str:
    """A share (0..1) as Swedish percent: ``0.312 -> "31 %"``, ``"31,2 %"`` with one decimal.

    A missing or suppressed share gives ``"–"``.
    """
    points = percent_points(share)
    if points is None:
        return DASH
    return f"{format_number(points, decimals)}{NBSP}%"


def format_percent(percent: object, decimals: int = 0) -> str:
    """A number that already is in percent (an axis value): ``20 -> "20 %"``."""
    return f"{format_number(percent, decimals)}{NBSP}%"


def format_too_few(
    missing: object, respondents: object, threshold: int = DISCLOSURE_THRESHOLD
) -> str:
    """The share of ``respondents`` who answered too few items to get a value ("3 %"): when
    only 1 to ``threshold`` − 1 lack one (a small group), just "under N %", N the share
    ``threshold`` respondents would be, rounded up; "–" without numbers. The one form every
    chapter prints this share in."""
    if is_missing(missing) or is_missing(respondents) or int(respondents) <= 0:
        return DASH
    missing, respondents = int(missing), int(respondents)
    if 0 < missing < threshold:
        return f"under{NBSP}{format_percent(math.ceil(100 * threshold / respondents))}"
    return format_share(missing / respondents)


def format_interval(low: object, high: object, decimals: int = 0, scale: float = 100) -> str:
    """An interval in brackets, by default of shares in percent: ``(0.27, 0.35) -> "(27–35)"``.

    ``scale=1`` formats the bounds as they are (e.g. a risk ratio, ``decimals=1``:
    ``"(1,9–3,0)"``). When a bound is negative the bounds are joined by "till" rather than a
    dash: ``"(−2 till 8)"``. Either bound missing gives ``"–"``.
    """
    if is_missing(low) or is_missing(high):
        return DASH
    lo_text, hi_text = (
        format_number(
            v if math.isinf(float(v)) else Decimal(str(float(v))) * Decimal(str(scale)), decimals
        )
        for v in (low, high)
    )
    joiner = f"{NBSP}till{NBSP}" if MINUS in lo_text or MINUS in hi_text else "–"
    return f"({lo_text}{joiner}{hi_text})"


def format_share_ci(share: object, low: object, high: object, decimals: int = 0) -> str:
    """Share and interval: ``"31 % (27–35)"``; ``"–"`` when the share is missing."""
    if is_missing(share):
        return DASH
    interval = format_interval(low, high, decimals)
    text = format_share(share, decimals)
    return text if interval == DASH else f"{text} {interval}"


def format_difference(diff: object, low: object, high: object, decimals: int = 0) -> str:
    """A difference of shares in percentage points with its interval: ``"+9 (4–14)"``."""
    points = percent_points(diff)
    if points is None:
        return DASH
    interval = format_interval(low, high, decimals)
    text = format_number(points, decimals, signed=True)
    return text if interval == DASH else f"{text} {interval}"


def format_share_difference(
    share: object,
    reference: object,
    low: object = None,
    high: object = None,
    decimals: int = 0,
) -> str:
    """The difference ``share − reference`` as it is printed beside the two shares, in
    percentage points, with its interval when ``low`` and ``high`` are given: ``"−4 (−7 till
    −2)"``.

    The one rule for a difference a reader sees next to two rounded shares: the difference of
    the two *printed* percentages, so 0.497 ("50 %") against 0.544 ("54 %") gives "−4", never
    the "−5" of the unrounded values. The interval is the one computed on the unrounded shares
    (it differs by less than a point). ``"–"`` when either share is missing.
    """
    first, second = percent_points(share), percent_points(reference)
    if first is None or second is None:
        return DASH
    points = rounded(first, decimals) - rounded(second, decimals)
    text = format_number(points, decimals, signed=True)
    if low is None and high is None:
        return text
    interval = format_interval(low, high, decimals)
    return text if interval == DASH else f"{text} {interval}"


def format_ratio(ratio: object, low: object, high: object, decimals: int = 1) -> str:
    """A ratio with its interval: ``"2,4 (1,9–3,0)"``; ``"–"`` when the ratio is missing."""
    if is_missing(ratio) or not math.isfinite(float(ratio)):
        return DASH
    text = format_number(ratio, decimals)
    interval = format_interval(low, high, decimals, scale=1)
    return text if interval == DASH else f"{text} {interval}"


# --- labels ---------------------------------------------------------------------------------


def lower_first(text: str) -> str:
    """The first letter in lower case, for a label inside a sentence ("Skolk" → "skolk"),
    unless the first word is an abbreviation ("HVB", "SSPF") that keeps its capitals."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


#: Where a compound too long for a figure label's line may break, with a hyphen: the seams of
#: the long words the codebook's labels use.
WORD_SEAMS = {
    "bostadsområdet": ("bostads", "området"),
    "föräldratillsyn": ("föräldra", "tillsyn"),
    "sammanhållning": ("samman", "hållning"),
    "vuxenkontroll": ("vuxen", "kontroll"),
    "psykosomatiska": ("psyko", "somatiska"),
    "intensivkonsumtion": ("intensiv", "konsumtion"),
}


def wrap_label(text: str, width: int = 30) -> str:
    """A long factor label broken over lines of at most ``width`` characters (for figures);
    a word longer than a line breaks at its seam (:data:`WORD_SEAMS`) with a hyphen."""
    words = []
    for word in str(text).split():
        seam = WORD_SEAMS.get(word.lower())
        if len(word) > width and seam:
            head = word[: len(seam[0])]
            words += [f"{head}-", word[len(head) :]]
        else:
            words.append(word)
    return textwrap.fill(" ".join(words), width=width, break_long_words=False)


def is_few(value: object, threshold: int = DISCLOSURE_THRESHOLD) -> bool:
    """Whether a count is a small group: at least one and under ``threshold`` (0 is none)."""
    return not is_missing(value) and 0 < float(value) < threshold


def fewer_than(n: object) -> str:
    """A protected count's upper bound, unbreakable: ``5 -> "färre än 5"`` with no-break
    spaces."""
    return f"färre{NBSP}än{NBSP}{format_number(n)}"


def format_participants(value: object, few: int = 0) -> str:
    """Participants a year: ``"2 393"``; ``"färre än 5"`` for 1–4 (a small group is not
    published) and ``"okänt"`` when the inventory does not say.

    ``few`` is for a sum: how many interventions reporting 1–4 participants a year are left
    out of ``value`` (so that it cannot be taken from the published counts to recover
    theirs). The sum then reads ``"minst 340"``, or, when nothing else is left,
    ``"färre än 5"`` (``"färre än 10"`` for two such interventions). The words of "färre än
    5" and "minst 340" are joined by no-break spaces (:data:`NBSP`): a table column breaks
    before or after the phrase, never inside it.
    """
    if few:
        if is_missing(value) or float(value) <= 0:
            return fewer_than(DISCLOSURE_THRESHOLD * few)
        return f"minst{NBSP}{format_number(value)}"
    if is_missing(value):
        return UNKNOWN
    return FEW if is_few(value) else format_number(value)


def format_reach(value: object) -> str:
    """Reach per 1 000 inhabitants: no decimals from 10 up, one below (``"2,5"``).

    From 1 000 up with a narrow no-break space between thousands (``"1 022"``).
    Zero is ``"0"``, a reach above zero that rounds to zero reads ``"<0,1"`` and a missing
    reach is ``"okänd"``.
    """
    if is_missing(value):
        return UNKNOWN_REACH
    number = float(value)
    if 0 < number < 0.05:
        return "<0,1"
    if number == 0:
        return "0"
    return format_number(number, 0 if number >= 9.95 else 1)


def few_reach_limit(population: object, people: int = DISCLOSURE_THRESHOLD) -> float:
    """The reach per 1 000 that ``people`` participants a year give in ``population`` (NaN
    without a population): the bound a coarsened reach is printed under."""
    if is_missing(population) or float(population) <= 0:
        return math.nan
    return 1000 * people / float(population)


def format_reach_under(limit: object) -> str:
    """A reach that rests on fewer than 5 participants, printed coarsely: ``"under 2,1"``
    (``limit`` from :func:`few_reach_limit`), so that reach × population / 1 000 does not
    give the count back; ``"okänd"`` without a limit."""
    if is_missing(limit) or math.isnan(float(limit)):
        return UNKNOWN_REACH
    return f"under {format_reach(limit)}"


_NUMBER_WORDS = (
    "noll",
    "en",
    "två",
    "tre",
    "fyra",
    "fem",
    "sex",
    "sju",
    "åtta",
    "nio",
    "tio",
    "elva",
    "tolv",
)


def number_word(n: int) -> str:
    """A small count as a word, as Swedish prose writes it ("två insatser"); 13 and up as
    digits."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else format_number(n)


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def join_words(words: list[str], last: str = " och ") -> str:
    """``["a", "b", "c"] -> "a, b och c"``; ``last=" eller "`` for alternatives."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + last + words[-1]


def markdown_safe(text: str) -> str:
    """Text for Markdown: ``<``, ``>`` and ``&`` escaped so nothing renders as HTML."""
    return html.escape(text, quote=False)
