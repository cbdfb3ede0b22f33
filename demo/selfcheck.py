"""Re-read the written demo files and verify checksums, hygiene and minimum counts."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from checksums import is_luhn_valid, is_valid_id18, is_valid_uscc
from departments import DEPARTMENTS
from model import Dataset
from people import COMPOUND_SURNAMES
from places import DISTRICTS

MISDECLARED = "jiangzhou-volunteer-teams"
# 脱敏规则代码 of the portal that de-identify a column ("keep" does not, so it is not listed)
MASK_CODES = (
    "suppress",
    "pseudonym",
    "year",
    "district",
    "mask-id",
    "mask-mobile",
    "mask-landline",
    "mask-card",
    "mask-email",
    "mask-name",
    "mask-plate",
    "mask-code",
    "mask-text",
)
NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID18 = re.compile(r"(?<![\dA-Za-z])\d{17}[\dX](?![\dA-Za-z])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
DIGITS18 = re.compile(r"(?<![\dA-Za-z])\d{18}(?![\dA-Za-z])")
_REGIONS = {d.region for d in DISTRICTS}
_DEPT_CODES = {d.code for d in DEPARTMENTS}
_PROVINCES = {
    11,
    12,
    13,
    14,
    15,
    21,
    22,
    23,
    31,
    32,
    33,
    34,
    35,
    36,
    37,
    41,
    42,
    43,
    44,
    45,
    46,
    50,
    51,
    52,
    53,
    54,
    61,
    62,
    63,
    64,
    65,
    71,
    81,
    82,
}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV (UTF-8, with or without BOM, else GB18030) or an XLSX file."""
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        rows = [[_text(v) for v in row] for row in wb.active.iter_rows(values_only=True)]
        wb.close()
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def is_valid_id15(number: str) -> bool:
    """A first-generation ID: known region, a real YYMMDD date (19YY), three digits."""
    if not re.fullmatch(r"\d{15}", number) or number[:6] not in _REGIONS:
        return False
    try:
        date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return True


def looks_like_id18(number: str) -> bool:
    """Checksum, a real province prefix and a plausible birth date (1900 to 2026).

    The checksum alone is not enough: about one in eleven all-digit 统一社会信用代码 passes it.
    """
    if not is_valid_id18(number) or int(number[:2]) not in _PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2026


def check_columns(name: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """Checksums of ID numbers, credit codes and bank cards, column by column."""
    bad: list[str] = []
    for i, col in enumerate(header):
        values = [r[i] for r in rows if i < len(r) and r[i]]
        if "身份证" in col:
            bad += [
                f"{name}: bad ID {v}"
                for v in values
                if not (looks_like_id18(v) or is_valid_id15(v))
            ]
        if "统一社会信用代码" in col:
            bad += [f"{name}: bad credit code {v}" for v in values if not is_valid_uscc(v)]
        if "银行卡" in col:
            bad += [
                f"{name}: bad card {v}"
                for v in values
                if not (is_luhn_valid(v) and v.startswith("62") and len(v) in (16, 19))
            ]
    return bad


def check_personal(d: Dataset, name: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """What each kind of dataset must (not) contain."""
    cells = [c for r in rows for c in r]
    mobiles = [c for c in cells if MOBILE.search(c)]
    ids = [m for c in cells for m in ID18.findall(c) if looks_like_id18(m)]
    mails = [c for c in cells if EMAIL.search(c)]
    if d.openness == "unconditional" and d.slug != MISDECLARED:
        found = [
            f"mobile {mobiles[:1]}" if mobiles else "",
            f"ID {ids[:1]}" if ids else "",
            f"e-mail {mails[:1]}" if mails else "",
        ]
        return [f"{name}: unconditional table holds personal data: {f}" for f in found if f]
    if d.slug == MISDECLARED:
        return [] if mobiles else [f"{name}: mis-declared table lacks mobiles"]
    if d.openness == "conditional" or (d.openness == "closed" and d.masking):
        problems = []
        if not any(i.endswith("X") for i in ids):
            problems.append(f"{name}: no ID number ending in X")
        names = [r[i] for r in rows for i, c in enumerate(header) if "姓名" in c and i < len(r)]
        for surname, _ in COMPOUND_SURNAMES:
            if not any(n.startswith(surname) for n in names):
                problems.append(f"{name}: no compound surname {surname}")
        if d.openness == "closed":
            problems += check_masking(d, name, header, rows)
        return problems
    return []


def personal_columns(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns holding personal data: a 姓名 header, or any mobile, ID number or e-mail value."""
    found = []
    for i, col in enumerate(header):
        values = [r[i] for r in rows if i < len(r) and r[i]]
        if (
            "姓名" in col
            or any(MOBILE.search(v) or EMAIL.search(v) for v in values)
            or any(looks_like_id18(m) for v in values for m in ID18.findall(v))
            or any(is_valid_id15(v) for v in values)
        ):
            found.append(col)
    return found


def check_masking(d: Dataset, name: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """A closed dataset released de-identified: every personal column has a fitting masking rule."""
    rules = dict(d.masking)
    problems = [
        f"{name}: masking rule {code} for {col}"
        for col, code in rules.items()
        if code not in MASK_CODES
    ]
    problems += [
        f"{name}: masking names a missing column {col}" for col in rules if col not in header
    ]
    personal = personal_columns(header, rows)
    problems += [
        f"{name}: personal column {col} has no masking rule" for col in personal if col not in rules
    ]
    if not personal:
        problems.append(f"{name}: released de-identified but holds no personal data")
    fits = {
        "mask-id": lambda v: looks_like_id18(v) or is_valid_id15(v),
        "mask-mobile": lambda v: bool(MOBILE.fullmatch(v)),
        "mask-name": lambda v: bool(NAME.fullmatch(v)),
    }
    for col, code in rules.items():
        if col not in header or code not in fits:
            continue
        i = header.index(col)
        values = [r[i] for r in rows if i < len(r)]
        bad = [v for v in values if not fits[code](v)]
        if not values or bad:
            problems.append(f"{name}: {col} ({code}) holds {bad[:1] or 'no values'}")
    return problems


def check_catalog_counts(datasets: tuple[Dataset, ...], out: Path) -> list[str]:
    """The minimum counts promised in demo/README.md."""
    count = {
        k: sum(d.openness == k for d in datasets)
        for k in ("unconditional", "conditional", "closed")
    }
    closed_empty = sum(d.openness == "closed" and not d.resources for d in datasets)
    xlsx = list(out.rglob("*.xlsx"))
    data_xlsx = [p for p in xlsx if p.name != "目录.xlsx"]
    problems = []
    checks = [
        (len(datasets) >= 44, "at least 44 datasets"),
        (count["conditional"] >= 6, "≥ 6 conditional"),
        (closed_empty >= 4, "≥ 4 closed without data files"),
        (
            sum(d.openness == "closed" and bool(d.resources) for d in datasets) == 1,
            "exactly one closed dataset with data files (released de-identified)",
        ),
        (len(data_xlsx) >= 6, "≥ 6 XLSX data files"),
        (sum(d.where == "packages" for d in datasets) >= 25, "≥ 25 packages"),
        (len({d.where for d in datasets} - {"packages"}) >= 3, "≥ 3 export folders"),
        (
            sum(d.slug == MISDECLARED and d.openness == "unconditional" for d in datasets) == 1,
            "exactly one mis-declared dataset",
        ),
        (
            sum(
                bool(d.resources) and all(r.format == "docx" for r in d.resources) for d in datasets
            )
            == 1,
            "exactly one dataset of documents only (held by the publish gates)",
        ),
        (
            sum(d.openness != "closed" and not d.description for d in datasets) == 1,
            "exactly one open 目录 entry without 摘要 (held by the publish gates)",
        ),
    ]
    problems += [f"count: {label}" for ok, label in checks if not ok]
    return problems


def check_descriptors(datasets: tuple[Dataset, ...], out: Path) -> list[str]:
    """Provider codes, closed packages and masking rules in datapackage.json; export 目录."""
    problems = []
    by_slug = {d.slug: d for d in datasets}
    for path in sorted(out.glob("packages/*/datapackage.json")):
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        code = descriptor["provider"]["code"]
        if code not in _DEPT_CODES or not is_valid_uscc(code):
            problems.append(f"{path}: provider code {code}")
        d = by_slug.get(descriptor["name"])
        if d is None:
            problems.append(f"{path}: not in the catalog")
            continue
        if descriptor.get("masking", {}) != dict(d.masking):
            problems.append(f"{path}: masking {descriptor.get('masking')} ≠ {dict(d.masking)}")
        if d.openness == "closed" and not d.masking and descriptor["resources"]:
            problems.append(f"{path}: closed package without masking rules lists resources")
    for path in sorted(out.glob("exports/*/目录.*")):
        header, rows = read_table(path)
        col = header.index("提供方代码")
        files = header.index("数据文件")
        for row in rows:
            if row[col] not in _DEPT_CODES or not is_valid_uscc(row[col]):
                problems.append(f"{path}: provider code {row[col]}")
            for name in filter(None, row[files].split("；")):
                if not (path.parent / name).is_file():
                    problems.append(f"{path}: missing data file {name}")
    return problems


def check_encodings(datasets: tuple[Dataset, ...], out: Path) -> list[str]:
    """GB18030 files really are GB18030 (with non-GB2312 characters); BOM files start with a BOM."""
    problems = []
    for d in datasets:
        for res in d.resources:
            path = _path(out, d, res.path)
            raw = path.read_bytes()
            if res.encoding == "gb18030":
                try:
                    raw.decode("utf-8")
                    problems.append(f"{path}: decodes as UTF-8")
                except UnicodeDecodeError:
                    pass
                if "堃" not in raw.decode("gb18030"):
                    problems.append(f"{path}: lacks a GBK-only character")
            if res.encoding == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf"):
                problems.append(f"{path}: no BOM")
    return problems


def _path(out: Path, d: Dataset, file: str) -> Path:
    if d.where == "packages":
        return out / "packages" / d.slug / file
    return out / "exports" / d.where / file


def run_selfcheck(out: Path, datasets: tuple[Dataset, ...]) -> list[str]:
    """All checks; returns human-readable failures (empty when everything is right)."""
    failures = check_catalog_counts(datasets, out) + check_descriptors(datasets, out)
    failures += check_encodings(datasets, out)
    hard_negatives = 0
    for d in datasets:
        for res in d.resources:
            path = _path(out, d, res.path)
            if res.format == "docx":  # a document, not a table (the gates hold it)
                continue
            header, rows = read_table(path)
            name = str(path.relative_to(out))
            failures += check_columns(name, header, rows)
            failures += check_personal(d, name, header, rows)
            if d.openness == "unconditional":
                hard_negatives += sum(bool(DIGITS18.search(c)) for r in rows for c in r)
    if hard_negatives == 0:
        failures.append("no 18-digit hard negatives in unconditional tables")
    return failures
