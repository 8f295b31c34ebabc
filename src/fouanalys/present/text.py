"""The one number formatter and the Swedish words around numbers."""

from __future__ import annotations

import html
import math
import re
import textwrap
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd


def _comma(value: float, decimals: int) -> str:
    """A number with a decimal comma: ``0.47 -> "0,47"``."""
    return f"{value:.{decimals}f}".replace(".", ",").replace("-", "\u2212")


#: Shown for a number nobody reported (participants of an intervention).
UNKNOWN = "okänt"
#: Shown for a suppressed or missing value, in tables, sentences and figures.
DASH = "–"
#: No-break space between a number and its unit ("31 %").
NBSP = "\u00a0"
MINUS = "\u2212"
#: Invisible, forbids a line break: keeps "(21–26)" on one line in a wrapping table cell.
WORD_JOINER = "\u2060"
DASH_BETWEEN = re.compile(r"(?<=[0-9∞])–(?=[0-9∞\u2212])")


# --- formatting -----------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value: object, decimals: int = 0, signed: bool = False) -> str:
    """A number in Swedish print: decimal comma, real minus sign, ``"+"`` when ``signed``.

    Rounds half away from zero on the number as written (0.145 → "0,15" with two decimals),
    never shows "−0", writes an infinite value as "∞" and returns ``"–"`` for a missing value.
    """
    if is_missing(value):
        return DASH
    if math.isinf(float(value)):
        return ("" if float(value) > 0 else MINUS) + "∞"
    number = Decimal(str(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    if number == 0:
        number = abs(number)
    text = f"{abs(number):.{decimals}f}".replace(".", ",")
    if number < 0:
        return MINUS + text
    return ("+" + text) if signed and number > 0 else text


def percent_points(value: object) -> object:
    """A share (0..1) as percent points, exactly (Decimal), or None when missing."""
    if is_missing(value):
        return None
    return Decimal(str(float(value))) * 100


def format_share(share: object, decimals: int = 0) -> str:
    """A share (0..1) as Swedish percent: ``0.312 -> "31 %"``, ``"31,2 %"`` with one decimal.

    A missing or suppressed share gives ``"–"``.
    """
    points = percent_points(share)
    if points is None:
        return DASH
    return f"{format_number(points, decimals)}{NBSP}%"


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


def format_ratio(ratio: object, low: object, high: object, decimals: int = 1) -> str:
    """A ratio with its interval: ``"2,4 (1,9–3,0)"``; ``"–"`` when the ratio is missing."""
    if is_missing(ratio) or not math.isfinite(float(ratio)):
        return DASH
    text = format_number(ratio, decimals)
    interval = format_interval(low, high, decimals, scale=1)
    return text if interval == DASH else f"{text} {interval}"


# --- labels ---------------------------------------------------------------------------------


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def wrap_label(text: str, width: int = 30) -> str:
    """A long factor label broken over lines of at most ``width`` characters (for figures)."""
    return textwrap.fill(str(text), width=width, break_long_words=False)


#: A reach that rests on an intervention without a participant count.
UNKNOWN_REACH = "okänd"
#: Narrow no-break space between thousands ("2 393"), as :class:`fouanalys.present.tables.Table`.
THOUSANDS = "\u202f"


# --- formatting -----------------------------------------------------------------------------


def format_count(value: object) -> str:
    """A whole number with a narrow no-break space between thousands: ``2393 -> "2 393"``.

    A missing value gives ``"–"``.
    """
    if is_missing(value):
        return DASH
    text = format_number(value, 0)  # rounds half away from zero, real minus sign
    sign, digits = (text[0], text[1:]) if not text[0].isdigit() else ("", text)
    return sign + f"{int(digits):,d}".replace(",", THOUSANDS)


def format_participants(value: object) -> str:
    """Participants a year: ``"2 393"``, or ``"okänt"`` when the inventory does not say."""
    return UNKNOWN if is_missing(value) else format_count(value)


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
    if number >= 999.5:
        return format_count(number)
    return format_number(number, 0 if number >= 9.95 else 1)


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def join_words(words: list[str]) -> str:
    """``["a", "b", "c"] -> "a, b och c"``."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " och " + words[-1]


def markdown_safe(text: str) -> str:
    """Text for Markdown: ``<``, ``>`` and ``&`` escaped so nothing renders as HTML."""
    return html.escape(text, quote=False)
