"""The table of personal-information kinds (``datasets.openness.pii.kinds.KINDS``): every entry is
found by the scanner, masked by its default policy into its masked example and listed with its
title wherever kinds are listed; and a kind added to a table is picked up by the scanner and the
masking defaults without any other edit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from datasets.openness.masking import POLICIES, POLICIES_BY_CODE, Masker, default_rules
from datasets.openness.pii.kinds import (
    IDENTIFIER,
    KINDS,
    Kind,
    header_hint,
    hint,
    kind_table,
    same_family,
)
from datasets.openness.pii.scanner import scan_rows

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NEUTRAL = "数据"  # a header announcing nothing


def test_codes_and_titles_are_stable_and_only_landlines_are_not_personal_on_their_own():
    """Codes are stored in scan reports, labels and masking rules: a kind is added at its place
    (see the order in ``kinds``), never renamed."""
    assert [(k.code, k.title) for k in KINDS] == [
        ("name", "姓名"),
        ("id_card", "身份证号"),
        ("id_card_15", "旧版身份证号"),
        ("practice_licence", "执业资格证号"),
        ("bank_card", "银行卡号"),
        ("mobile", "手机号码"),
        ("landline", "固定电话"),
        ("email", "电子邮箱"),
        ("licence_plate", "车牌号"),
        ("birth_date", "出生日期"),
        ("address", "住址"),
    ]
    assert [k.code for k in KINDS if not k.personal] == ["landline"]


def check_kind(kind: Kind, kinds: tuple[Kind, ...]) -> None:
    """What every entry of a table of kinds must do, given that table and nothing else."""
    # under its own header, the example is found as this kind, personal, masked as published
    report = scan_rows([kind.header], [[kind.example]] * 4, kinds=kinds)
    found = {f.kind: f for f in report.findings}
    assert kind.code in found, report.findings
    finding = found[kind.code]
    assert (finding.title, finding.personal, finding.hits) == (kind.title, True, 4)
    assert finding.example == kind.masked
    if kind.hints:  # its header announces it (or a kind of its family)
        announced = header_hint(kind.header, kinds)
        assert announced is not None and same_family(announced.kind, kind)
    # under a header announcing nothing: found by its value detector, or not at all
    plain = [f for f in scan_rows([NEUTRAL], [[kind.example]] * 4, kinds=kinds).findings]
    if kind.find is None:
        assert [f.kind for f in plain] == []
    else:
        assert [(f.kind, f.evidence, f.personal) for f in plain] == [
            (kind.code, "values", kind.personal)
        ]
    # its default policy publishes the masked example, and needs no key
    assert POLICIES_BY_CODE[kind.policy].technique != "pseudonymisation"
    masker = Masker({"c": kind.policy}, key=b"", header=["c"])
    assert masker.mask_value("c", kind.example) == kind.masked != kind.example
    assert kind.example not in kind.masked
    # a column of it gets that policy by default
    assert default_rules([(kind.header, kind.code)], kinds) == {kind.header: kind.policy}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.code)
def test_every_kind_is_found_masked_and_defaulted(kind):
    check_kind(kind, KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.code)
def test_every_kind_is_listed_with_its_title(kind):
    assert readme_row(kind) in readme_table("Personal-information kinds")
    findings = [f for f in scan_rows([kind.header], [[kind.example]]).findings]
    item = {"title": "数据集", "findings": [{"resource": "a.csv", **f.__dict__} for f in findings]}
    page = _findings_table(item)
    assert f"<td>{kind.title}</td>" in page and kind.masked in page and kind.example not in page


def test_the_readme_lists_the_kinds_in_one_table():
    expected = "\n".join([README_HEAD, *(readme_row(k) for k in KINDS)])
    assert readme_table("Personal-information kinds") == expected, "paste:\n" + expected


def test_the_readme_lists_every_masking_policy_in_one_table():
    table = readme_table("Masking policies")
    assert [p.code for p in POLICIES if f"`{p.code}`" not in table] == []


# --- a kind added to a table --------------------------------------------------------------------

_PASSPORT = re.compile(r"(?<![0-9A-Za-z])[EG]\d{8}(?![0-9A-Za-z])")


def _find_passport(text: str) -> Iterator[tuple[int, int]]:
    for match in _PASSPORT.finditer(text):
        yield match.span()


PASSPORT = Kind(
    code="passport",
    title="护照号码",
    policy="mask-code",
    header="护照号码",
    example="E12345678",
    masked="E1*****78",
    find=_find_passport,
    hints=(hint(r"护照", IDENTIFIER),),
)
WECHAT = Kind(  # found only under a header
    code="wechat",
    title="微信号",
    policy="mask-code",
    header="微信号",
    example="zhang_san-1985",
    masked="zh**********85",
    hints=(
        hint(r"微信", IDENTIFIER, cells=re.compile(r"[ \t]*[A-Za-z][-_A-Za-z0-9]{5,19}[ \t]*")),
    ),
)
EXTENDED = (*KINDS, PASSPORT, WECHAT)


@pytest.mark.parametrize("kind", [PASSPORT, WECHAT], ids=lambda k: k.code)
def test_a_kind_added_to_the_table_is_scanned_masked_and_defaulted(kind):
    check_kind(kind, EXTENDED)  # the same checks as for the entries of KINDS
    # without the entry, nothing finds it and a column of it is hidden whole (fail closed)
    report = scan_rows([kind.header], [[kind.example]] * 4)
    assert kind.code not in {f.kind for f in report.findings}
    assert default_rules([(kind.header, kind.code)]) == {kind.header: "suppress"}


def test_an_added_kind_is_found_inside_text_and_keeps_the_others_as_they_were():
    rows = [["持护照E12345678出境，电话13912345678"], ["已核实"]]
    report = scan_rows(["备注"], rows, kinds=EXTENDED)
    assert [(f.kind, f.title, f.example) for f in report.findings] == [
        ("mobile", "手机号码", "139****5678"),
        ("passport", "护照号码", "E1*****78"),
    ]
    assert default_rules([("备注", "passport"), ("备注", "mobile")], EXTENDED) == {
        "备注": "mask-text"
    }
    unchanged = scan_rows(["备注"], rows)
    assert [f.kind for f in unchanged.findings] == ["mobile"]


def test_a_kind_is_found_by_value_or_under_a_header_with_cell_patterns_never_both():
    with pytest.raises(ValueError, match="needs header hints"):
        Kind("x", "某", "suppress", "某", "1", "")
    with pytest.raises(ValueError, match="cell patterns"):
        Kind("x", "某", "suppress", "某", "1", "", find=_find_passport, hints=WECHAT.hints)
    with pytest.raises(ValueError, match="cell patterns"):
        Kind("x", "某", "suppress", "某", "1", "", hints=PASSPORT.hints)
    with pytest.raises(ValueError, match="share a code"):
        kind_table((*KINDS, PASSPORT, PASSPORT))
    with pytest.raises(ValueError, match="share a value detector"):
        kind_table((*KINDS, PASSPORT, replace(PASSPORT, code="visa")))


# --- where kinds are listed ---------------------------------------------------------------------

README_HEAD = (
    "| code | 中文名 | found | a header announcing it | default policy | example | published as |\n"
    "|---|---|---|---|---|---|---|"
)


def readme_row(kind: Kind) -> str:
    if kind.find is None:
        found = "under its header"
    elif kind.personal:
        found = "by value"
    else:
        found = "by value; personal under its header"
    return (
        f"| `{kind.code}` | {kind.title} | {found} | {kind.header} | `{kind.policy}` "
        f"| `{kind.example}` | `{kind.masked}` |"
    )


def readme_table(name: str) -> str:
    """The table following the paragraph of the README that starts with ``**name**``."""
    start = README.index(f"\n**{name}**")
    lines = README[start:].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next(i for i in range(first, len(lines)) if not lines[i].startswith("|"))
    return "\n".join(lines[first:end])


def _findings_table(item: dict) -> str:
    """The operators' table of findings (``portal/templates/_held.html``), rendered."""
    templates = FileSystemLoader(ROOT / "portal" / "templates")
    environment = Environment(loader=templates, autoescape=True)
    module = environment.get_template("_held.html").module
    return str(module.findings_table({**item, "rules": {}}))
