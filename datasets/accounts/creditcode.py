"""统一社会信用代码 (unified social credit code) of GB 32100-2015.

Eighteen characters from ``0-9`` and the capital letters without I, O, Z, S and V:

====== ==============================================================
1      登记管理部门代码 (registration authority, e.g. 9 工商, 5 民政)
2      机构类别代码 (institution type within that authority, e.g. 91 企业)
3–8    登记管理机关行政区划码 (6-digit administrative division, GB/T 2260)
9–17   主体标识码 (the organisation code of GB 11714)
18     校验码 (check character over the first 17, weights 3**i mod 31)
====== ==============================================================

Only what the standard states plainly is checked. The GB 11714 check digit inside positions 9–17
is not: one wrong character anywhere is already caught by the check character, and refusing a
real company on a stricter reading of an older standard would help nobody.
"""

from __future__ import annotations

import unicodedata

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18

# 登记管理部门代码 → (its name, the 机构类别代码 it gives) after GB 32100-2015 Table 1 with its
# amendment (A 中央军委改革和编制办公室, N 农业); the same table as
# ``datasets.openness.pii.patterns``.
# 9 工商 gives 1 企业, 2 个体工商户 and 3 农民专业合作社; most others also 9 其他.
AUTHORITIES: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "1239"),
    "2": ("外交", "19"),
    "3": ("司法行政", "1234569"),
    "4": ("文化", "19"),
    "5": ("民政", "1239"),
    "6": ("旅游", "129"),
    "7": ("宗教", "129"),
    "8": ("工会", "19"),
    "9": ("工商", "123"),
    "A": ("中央军委改革和编制办公室", "19"),
    "N": ("农业", "1239"),
    "Y": ("其他", "1"),
}


def normalise(text: str | None) -> str:
    """The code as typed, made comparable: full-width characters folded (NFKC), every space
    removed, letters upper-cased."""
    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(folded.split()).upper()


def check_character(first17: str) -> str:
    """The check character (position 18) of the first 17 characters (which must be valid)."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def check(code: str | None) -> str | None:
    """``None`` if ``code`` (normalised first) is a valid 统一社会信用代码, else what is wrong."""
    code = normalise(code)
    if not code:
        return "请填写统一社会信用代码"
    if len(code) != LENGTH:
        return f"统一社会信用代码应为 18 位，现为 {len(code)} 位"
    for position, char in enumerate(code, start=1):
        if char not in CHARSET:
            return (
                f"第 {position} 位“{char}”不是统一社会信用代码的字符"
                "（只用数字和除 I、O、Z、S、V 外的大写字母）"
            )
    authority = AUTHORITIES.get(code[0])
    if authority is None:
        return f"第 1 位登记管理部门代码“{code[0]}”不存在（应为 1–9、A、N 或 Y）"
    name, categories = authority
    if code[1] not in categories:
        return f"第 2 位机构类别代码“{code[1]}”不属于登记管理部门“{code[0]}”（{name}）"
    if not code[2:8].isdigit():
        return f"第 3–8 位应为 6 位数字的行政区划码，现为“{code[2:8]}”"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"校验位应为 {expected}，现为 {code[17]}：请核对代码是否抄错"
    return None


def is_valid(code: str | None) -> bool:
    return check(code) is None
