"""Telling UTF-8 and Windows-1252 apart inside one text file's bytes.

A CSV saved by Excel in Sweden is either UTF-8 ("CSV UTF-8") or Windows-1252 ("CSV
(semikolonavgränsad)"). A file that is neither on its own usually mixes the two: a Windows-1252
file with an en dash, curly quote or emoji pasted in from a web page or e-mail (UTF-8 bytes), or a
UTF-8 file with a line pasted from an old Windows-1252 file. Read as Windows-1252, the pasted UTF-8
characters become ``â€“``, ``â€™`` or ``ðŸš€`` in the reports; read as UTF-8, the Windows-1252
letters are invalid. :func:`find_mixed_encoding` finds those places, :func:`cell_positions` says
in which spreadsheet row and column each one sits.

Deciding that a Windows-1252 file holds UTF-8 is a judgement on byte pairs and triples. Every
UTF-8 multi-byte sequence is also a valid Windows-1252 text (``–`` = E2 80 93 = ``â€“``), so a
sequence counts only when the character it encodes is one a Swedish inventory would plausibly
hold (:data:`PLAUSIBLE_UTF8`) *and* its Windows-1252 reading is text no one writes: a letter
followed by one or two symbols from the 0x80–0xBF range. See :data:`PLAUSIBLE_UTF8` for the
one small, accepted risk. A sequence encoding anything else (``på`` + no-break space + ``–`` is
E5 A0 96, a Chinese character) is Windows-1252 text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

#: Any well-formed UTF-8 multi-byte sequence (RFC 3629: no overlong forms, no surrogates, at
#: most U+10FFFF). A byte >= 0x80 outside such a sequence makes a file invalid UTF-8.
WELL_FORMED_UTF8 = (
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)

# Continuation bytes after a lead byte that Windows-1252 reads as an upper-case letter used in
# real words (Ä Å Æ Ç È Ì): everything but the punctuation and spaces that may follow a word
# ending in that letter (… ’ ” – — no-break space, soft hyphen, ´ typed as an apostrophe, »), so
# that "PÅ…" or "SJÄ”" in a Windows-1252 file are never taken for UTF-8 "Å…" (U+0145) or "Ä”"
# (U+0114).
_AFTER_LETTER = rb"[\x80-\x84\x86-\x91\x93\x95\x98-\x9f\xa1-\xac\xae-\xb3\xb5-\xba\xbc-\xbf]"

#: The UTF-8 sequences taken as evidence of UTF-8 inside a Windows-1252 file, by the character
#: they encode:
#:
#: * U+0080–U+00FF (lead C2/C3, read ``Â…``/``Ã…``): no-break space, ° § « » ½, å ä ö é ü …;
#:   ``Ã`` and ``Â`` are not followed by a symbol in any Swedish text;
#: * U+0100–U+023F (lead C4–C8, read ``Ä``, ``Å``, ``Æ``, ``Ç``, ``È`` + symbol): ł ś č ş ș and
#:   other letters of names, except after the punctuation in ``_AFTER_LETTER``;
#: * U+0300–U+033F combining accents (lead CC, ``Ì`` + symbol): å ä ö written as letter + ring
#:   or diaeresis (macOS), likewise;
#: * U+2000–U+2BFF (lead E2, ``â`` + two symbols): dashes, quotes, …, •, €, ™, arrows, ✓, ≥;
#: * U+FE00–U+FE0F variation selectors, U+FEFF (a byte order mark pasted mid-file) and U+FFFD;
#: * U+1F000–U+1FAFF emoji (``ðŸ`` + two symbols).
#:
#: The accepted risk: a Windows-1252 file whose text has ``Â``/``Ã`` followed by a symbol, an
#: upper-case ``Ä``/``Å``/``Æ``/``Ç``/``È``/``Ì`` directly followed by a symbol such as ``‚``,
#: ``“`` or ``°``, or ``â``/``ï``/``ð`` followed by two symbols, is refused as mixed although it
#: is not. None of these occurs in Swedish writing (tried on every Swedish text of this
#: repository, 1.5 MB, saved as Windows-1252: nothing found); and the remedy offered, saving
#: the file as UTF-8, makes even such a file pass.
PLAUSIBLE_UTF8 = (
    rb"[\xc2\xc3][\x80-\xbf]|[\xc4-\xc8\xcc]" + _AFTER_LETTER + rb"|\xe2[\x80-\xaf][\x80-\xbf]"
    rb"|\xef\xb8[\x80-\x8f]|\xef\xbb\xbf|\xef\xbf\xbd|\xf0\x9f[\x80-\xab][\x80-\xbf]"
)

_PLAUSIBLE = re.compile(PLAUSIBLE_UTF8)
# A lead byte of PLAUSIBLE_UTF8 before a continuation byte: one character class, which the regex
# engine scans for several times faster than the alternation (a legitimate file has few).
_CANDIDATE = re.compile(rb"[\xc2-\xc8\xcc\xe2\xef\xf0][\x80-\xbf]")
_WELL_FORMED = re.compile(WELL_FORMED_UTF8)
_HIGH = bytes(range(0x80, 0x100))
_UTF8_OR_STRAY = re.compile(rb"(?:" + WELL_FORMED_UTF8 + rb")|(?P<stray>[\x80-\xff])")

#: At most this many places are located (rows and columns); the rest are only counted.
MAX_PLACES = 1000


@dataclass(frozen=True)
class MixedPlace:
    """One run of bytes in the minority encoding: ``[start, end)`` in the file, the text a reader
    shows there (``read_as``) and the text that was meant."""

    start: int
    end: int
    read_as: str
    meant: str


@dataclass(frozen=True)
class MixedEncoding:
    """A file that mixes encodings: its main encoding (``cp1252`` or ``utf-8``), the places in
    the other one (the first :data:`MAX_PLACES`) and how many there are in all."""

    encoding: str
    places: list[MixedPlace]
    total: int


def find_mixed_encoding(data: bytes) -> MixedEncoding | None:
    """The places where ``data`` (not valid UTF-8 as a whole) switches encoding, or None when it
    is plain Windows-1252 (no plausible UTF-8 sequence, see :data:`PLAUSIBLE_UTF8`).

    The main encoding is the one with more characters: a Windows-1252 file with a pasted en dash
    lists the dash (read ``â€“``, meant ``–``); a UTF-8 file with a pasted ``ö`` lists the ``ö``
    (read ``�``, meant ``ö``). Only for bytes that fail strict UTF-8 decoding.
    """
    if not any(_PLAUSIBLE.match(data, m.start()) for m in _CANDIDATE.finditer(data)):
        return None
    n_plausible = _PLAUSIBLE.subn(b"", data)[1]
    rest = _WELL_FORMED.sub(b"", data)
    n_stray = len(rest) - len(rest.translate(None, _HIGH))
    if n_plausible > n_stray:
        spans = [m.span("stray") for m in _UTF8_OR_STRAY.finditer(data) if m.group("stray")]
        encoding, read_as, meant = "utf-8", "utf-8", "cp1252"  # stray bytes, shown as '�'
    else:
        spans = [m.span() for m in _PLAUSIBLE.finditer(data)]
        encoding, read_as, meant = "cp1252", "cp1252", "utf-8"
    joined = _joined(spans)
    places = [
        MixedPlace(
            start,
            end,
            data[start:end].decode(read_as, errors="replace"),
            data[start:end].decode(meant, errors="replace"),
        )
        for start, end in joined[:MAX_PLACES]
    ]
    return MixedEncoding(encoding, places, len(joined))


def _joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent spans joined into one (an emoji and its variation selector, ``öä``)."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def cell_positions(
    data: bytes, offsets: list[int], delimiter: str
) -> tuple[list[str], list[tuple[int, int]]]:
    """The header fields (as bytes read as Latin-1) and, for each byte offset (ascending), its
    spreadsheet row and 0-based column.

    Row n is the n-th CSV record (the header is row 1), counted the way the readers count them:
    a quoted cell with line breaks is one row, a blank line is a row. Delimiters, quotes and line
    breaks are ASCII in both encodings, so the bytes are parsed as Latin-1 (one character per
    byte, offsets unchanged). Offsets past a record too large for :mod:`csv` get the row of
    their line and column 0.
    """
    text = data.decode("latin-1")
    pos = 0

    def lines():
        nonlocal pos
        for line in io.StringIO(text, newline=""):
            pos += len(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    header: list[str] = []
    out: list[tuple[int, int]] = []
    row, start = 0, 0
    try:
        for offset in offsets:
            while pos <= offset:
                start = pos
                fields = next(reader, None)
                if fields is None:
                    break
                row += 1
                if row == 1:
                    header = fields
            prefix = io.StringIO(text[start:offset], newline="")
            column = max(len(next(csv.reader(prefix, delimiter=delimiter), [])) - 1, 0)
            out.append((row, column))
    except csv.Error:
        out += [(data.count(b"\n", 0, o) + 1, 0) for o in offsets[len(out) :]]
    return header, out
