"""Check characters of the identifiers used in the demo data.

- 统一社会信用代码 (GB 32100-2015) and its embedded 组织机构代码 (GB 11714-1997);
- 公民身份号码 (GB 11643-1999), 18 digits with a mod 11-2 check character;
- bank card numbers (Luhn / ISO/IEC 7812).
"""

from __future__ import annotations

import re

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_ID18_RE = re.compile(r"^\d{17}[\dX]$")


def org_code_check(first8: str) -> str:
    """GB 11714 check character of an 8-character 组织机构代码 body."""
    total = 0
    for char, weight in zip(first8, ORG_WEIGHTS, strict=True):
        value = int(char) if char.isdigit() else ord(char) - 55  # A=10 … Z=35
        total += value * weight
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check(first17: str) -> str:
    """GB 32100 check character of the first 17 characters of a 统一社会信用代码."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def make_uscc(kind: str, region: str, org8: str) -> str:
    """Full 18-character code from 登记管理部门+机构类别 (2), region (6) and org body (8)."""
    org9 = org8 + org_code_check(org8)
    body = kind + region + org9
    return body + uscc_check(body)


def is_valid_uscc(code: str) -> bool:
    """True for a well-formed 统一社会信用代码 whose both check characters are right."""
    if not _USCC_RE.match(code):
        return False
    if org_code_check(code[8:16]) != code[16]:
        return False
    return uscc_check(code[:17]) == code[17]


def id_check(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def is_valid_id18(number: str) -> bool:
    """True for an 18-character 公民身份号码 with a correct check character."""
    return bool(_ID18_RE.match(number)) and id_check(number[:17]) == number[17]


def luhn_check_digit(body: str) -> str:
    """Digit that makes ``body + digit`` pass the Luhn test."""
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = int(char)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """True when a digit string passes the Luhn test."""
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]
