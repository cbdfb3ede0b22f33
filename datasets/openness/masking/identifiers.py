"""Partial masks of identifiers found inside a text: ID numbers, cards, phones, e-mails, plates.

The scanner (``datasets.openness.pii``) decides whether a column holds personal data and must avoid
false alarms, so it checks checksums. Masking has the opposite duty — never let a value through — so
besides the scanner's finders it uses shape-only finders written here: any 15–19 digit run (an ID
number with a wrong check digit, a card failing Luhn) and Chinese phone numbers written without a
separator. Masks keep the length of the text, so a masked ``备注`` reads as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from datasets.openness.pii.patterns import find_email, find_landline, find_mobile, find_plate

Span = tuple[int, int]
Finder = Callable[[str], Iterator[Span]]

STAR = "*"

# 15–19 digit runs: 18-character ID numbers (X check character), 15-digit IDs and payment cards,
# also written in groups (6222 0212 3456 7890 128, 430602 19850302 1234). Shape only, no
# checksum: a mistyped number is masked as well (fail closed).
_LONG_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?"
    r"|\d{4}(?:[ -]\d{4}){2}[ -]\d{3,7}"
    r"|\d{6}[ -]\d{8}[ -]\d{3}[\dXx]"
    r"|\d{14,18}[\dXx]"
    r")(?![0-9A-Za-z])"
)
# A landline written as one run, area code included (07928123456, 02151234567).
_BARE_LANDLINE = re.compile(r"(?<![0-9A-Za-z])0\d{9,11}(?![0-9A-Za-z])")
# A local number without its area code (8123456); only looked for in phone columns.
_LOCAL_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{7,8}(?![0-9A-Za-z])")
_LANDLINE_PARTS = re.compile(r"(\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[- ])(\d{7,8})(.*)", re.S)
_HINT = re.compile(r"[\d@]")


def _find(pattern: re.Pattern[str]) -> Finder:
    def finder(text: str) -> Iterator[Span]:
        for match in pattern.finditer(text):
            yield match.span()

    return finder


def _star_positions(text: str, positions: list[int]) -> str:
    chars = list(text)
    for i in positions:
        chars[i] = STAR
    return "".join(chars)


def mask_long_number(text: str) -> str:
    """Keep the first 6 and last 4 digits of an ID or card number, star the others."""
    digits = [i for i, c in enumerate(text) if c.isdigit() or c in "Xx"]
    return _star_positions(text, digits[6:-4])


def mask_mobile(text: str) -> str:
    """``138****5678``: star digits 4–7 of the 11-digit number; a +86/0086 prefix is kept."""
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    return _star_positions(text, digits[-11:][3:7])


def _star_local(local: str) -> str:
    return STAR * (len(local) - 3) + local[-3:]


def mask_landline(text: str) -> str:
    """``0792-****456``: keep the area code, the last 3 digits and any extension."""
    parts = _LANDLINE_PARTS.fullmatch(text)
    if parts:
        return parts.group(1) + _star_local(parts.group(2)) + parts.group(3)
    if len(text) >= 10 and text.startswith("0") and text.isdigit():
        # one run: the area codes 010 and 02x have 3 digits, all others 4
        area = 3 if text[1] in "12" else 4
        return text[:area] + _star_local(text[area:])
    return _star_local(text)


def mask_plate(text: str) -> str:
    """``赣A***45``: the province and office letter and the last two characters."""
    return text[:2] + STAR * (len(text) - 4) + text[-2:]


def mask_email(text: str) -> str:
    """``a***@example.com``: the first character of the local part, ``***`` and the domain."""
    local, _, domain = text.partition("@")
    return local[:1] + "***@" + domain


# Finders in order of precedence: a span overlapping an earlier one is skipped, so the
# digits of ``13912345678@163.com`` are masked once, as an e-mail address.
_TEXT_FINDERS: tuple[tuple[Finder, Callable[[str], str]], ...] = (
    (find_email, mask_email),
    (find_mobile, mask_mobile),
    (_find(_LONG_NUMBER), mask_long_number),
    (find_landline, mask_landline),
    (_find(_BARE_LANDLINE), mask_landline),
    (find_plate, mask_plate),
)
_PHONE_FINDERS = (*_TEXT_FINDERS, (_find(_LOCAL_NUMBER), mask_landline))


def mask_identifiers(text: str, *, phones: bool = False) -> tuple[str, int]:
    """Mask every identifier inside ``text``; return the new text and how many were masked.

    ``phones`` also masks bare 7–8 digit local numbers, which only a phone column can tell
    apart from other numbers.
    """
    if not _HINT.search(text):
        return text, 0
    taken: list[tuple[int, int, Callable[[str], str]]] = []
    for finder, masker in _PHONE_FINDERS if phones else _TEXT_FINDERS:
        for start, end in finder(text):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, masker))
    if not taken:
        return text, 0
    out: list[str] = []
    position = 0
    for start, end, masker in sorted(taken, key=lambda t: t[0]):
        out.append(text[position:start])
        out.append(masker(text[start:end]))
        position = end
    out.append(text[position:])
    return "".join(out), len(taken)
