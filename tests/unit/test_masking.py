"""Masking policies (SPEC §5, GB/T 37964): vectors, fail-closed behaviour, files, defaults."""

from __future__ import annotations

import csv
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from datasets.errors import ValidationError
from datasets.openness.masking import (
    POLICIES,
    POLICIES_BY_CODE,
    Masker,
    check_rules,
    default_rules,
    mask_csv,
    mask_rows,
    mask_xlsx,
)

KEY = b"0123456789abcdef-test-key"
ID18 = "430602198503021236"  # valid GB 11643 check character
ID18_X = "11010519491231002X"
ID15 = "430602850302123"
CARD = "6222021234567890128"  # Luhn-valid UnionPay
MOBILE = "13812345678"


def mask(code: str, value: object, key: bytes = KEY) -> str:
    return Masker({"c": code}, key=key, header=["c"]).mask_value("c", value)


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("mask-id", ID18, "430602********1236"),
        ("mask-id", ID18_X, "110105********002X"),
        ("mask-id", ID15, "430602*****2123"),
        ("mask-id", int(ID18), "430602********1236"),  # a number cell from Excel
        ("mask-id", " 430602 19850302 1236 ", " 430602 ******** 1236 "),
        ("mask-mobile", MOBILE, "138****5678"),
        ("mask-mobile", 13812345678, "138****5678"),
        ("mask-mobile", "+86 138-1234-5678", "+86 138-****-5678"),
        ("mask-mobile", "0792-8123456", "0792-****456"),  # a 联系电话 column holds both
        ("mask-landline", "0792-8123456", "0792-****456"),
        ("mask-landline", "(0792)81234567-123", "(0792)*****567-123"),
        ("mask-landline", "07928123456", "0792****456"),
        ("mask-landline", "02151234567", "021*****567"),
        ("mask-landline", "8123456", "****456"),
        ("mask-card", CARD, "622202*********0128"),
        ("mask-card", "6222 0212 3456 7890 128", "6222 02** **** ***0 128"),
        ("mask-card", 6222021234567890128, "622202*********0128"),
        ("mask-email", "abc@example.com", "a***@example.com"),
        ("mask-email", "Zhang.San@mail.gov.cn", "Z***@mail.gov.cn"),
        ("mask-name", "张三", "张*"),
        ("mask-name", "张三丰", "张**"),
        ("mask-name", "欧阳修", "欧阳*"),
        ("mask-name", "司马相如", "司马**"),
        ("mask-name", "欧阳", "欧*"),  # two characters: one surname, one given name
        ("mask-name", "单", "*"),
        ("mask-name", "买买提·艾力", "买**·**"),
        ("mask-name", "张三、李四", "张*、李*"),
        ("mask-name", " 王五 ", "王*"),
        ("year", "1985-03-02", "1985"),
        ("year", "19850302", "1985"),
        ("year", "1985年3月2日", "1985"),
        ("year", "1985/3/2", "1985"),
        ("year", "1985.03", "1985"),
        ("year", "1985-03-02 00:00:00", "1985"),
        ("year", "2/3/1985", "1985"),
        ("year", 31108, "1985"),  # Excel serial of 1985-03-02
        ("year", "31108", "1985"),
        ("year", 19850302, "1985"),
        ("year", date(1985, 3, 2), "1985"),
        ("year", datetime(1985, 3, 2, 8, 30), "1985"),
        ("district", "江州市江南区建设路12号3栋2单元501室", "江州市江南区"),
        ("district", "湖南省岳阳市岳阳楼区洞庭北路1号", "湖南省岳阳市岳阳楼区"),
        ("district", "湖南省岳阳市汨罗市归义镇新市村", "湖南省岳阳市汨罗市"),
        ("district", "北京市朝阳区建国路88号", "北京市朝阳区"),
        ("district", "山东省济南市市中区经十路", "山东省济南市市中区"),
        ("district", "湖南省长沙县星沙镇市场路", "湖南省长沙县"),
        ("district", "内蒙古自治区锡林郭勒盟锡林浩特市", "内蒙古自治区锡林郭勒盟锡林浩特市"),
        ("district", "江州市 江南区 阳光小区3栋", "江州市江南区"),
        ("suppress", "张三", ""),
        ("suppress", 12, ""),
        ("keep", "张三", "张三"),
        ("keep", None, ""),
        ("keep", 1.5, "1.5"),
        ("keep", 3.0, "3"),
    ],
)
def test_policy_vectors(code, value, expected):
    assert mask(code, value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请联系13912345678办理", "请联系139****5678办理"),
        (f"身份证{ID18}，卡{CARD}。", "身份证430602********1236，卡622202*********0128。"),
        ("电话0792-8123456或邮箱zs@qq.com", "电话0792-****456或邮箱z***@qq.com"),
        ("13912345678@163.com", "1***@163.com"),  # masked once, as an e-mail address
        ("已办结，无需回访", "已办结，无需回访"),  # other words untouched
        ("2024年共3次，金额1200元", "2024年共3次，金额1200元"),
        ("", ""),
    ],
)
def test_mask_text_replaces_identifiers_inside_free_text(text, expected):
    assert mask("mask-text", text) == expected


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("mask-id", "不详"),
        ("mask-id", "4306021985"),  # truncated: no identifier shape
        ("mask-mobile", "138123"),
        ("mask-card", "见附件"),
        ("mask-email", "zhangsan at example dot com"),
        ("year", "出生不久"),
        ("year", "1985-13-45"),
        ("year", "0302"),
        ("year", float("nan")),
        ("district", "建设路12号3栋"),
        ("district", "阳光小区3栋2单元"),
    ],
)
def test_unmaskable_values_fail_closed(code, value):
    assert mask(code, value) == "***"


def test_a_mistyped_id_or_card_is_still_masked():
    wrong_check = ID18[:-1] + "9"
    assert mask("mask-id", wrong_check) == "430602********1239"
    assert mask("mask-text", f"证件{wrong_check}") == "证件430602********1239"
    assert mask("mask-card", CARD[:-1] + "9") == "622202*********0129"


def test_odd_objects_never_raise():
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    assert mask("mask-name", Broken()) == "***"
    assert mask("suppress", Broken()) == ""
    assert mask("mask-id", b"\xff") == "***"


def test_blank_cells_stay_blank():
    for code in POLICIES_BY_CODE:
        assert mask(code, None) == ""
        assert mask(code, "") == ""


def test_pseudonym_is_stable_for_a_key_and_differs_between_keys():
    first = mask("pseudonym", ID18)
    assert first == mask("pseudonym", ID18)
    assert first.startswith("P") and len(first) == 17
    assert first != mask("pseudonym", ID18, key=b"another-key-of-16-bytes")
    assert first != mask("pseudonym", "430602198503021237")
    assert mask("pseudonym", ID18_X) == mask("pseudonym", ID18_X.lower())
    assert ID18 not in first


def test_pseudonym_needs_a_key_of_16_bytes():
    with pytest.raises(ValidationError, match="密钥"):
        Masker({"c": "pseudonym"}, key=b"short", header=["c"])
    Masker({"c": "mask-id"}, key=b"", header=["c"])  # no key needed without pseudonyms


def test_policy_table_is_complete():
    assert {p.code for p in POLICIES} == {
        "suppress", "pseudonym", "year", "district", "mask-id", "mask-mobile", "mask-landline",
        "mask-card", "mask-email", "mask-name", "mask-plate", "mask-code", "mask-text", "keep",
    }  # fmt: skip
    assert all(p.title for p in POLICIES)
    assert POLICIES_BY_CODE["mask-id"].title == "部分遮盖（身份证号）"


def test_check_rules_names_unknown_policies_and_columns():
    with pytest.raises(ValidationError) as caught:
        check_rules({"姓名": "blur", "电话": "mask-mobile", "籍贯": "keep"}, ["姓名", "手机"])
    error = caught.value
    assert "blur" in error.message and "电话" in error.message and "籍贯" in error.message
    assert set(error.errors) == {"姓名", "电话", "籍贯"}
    assert any("未知的脱敏策略" in m for m in error.errors["姓名"])
    check_rules({"姓名": "mask-name"}, ["\ufeff姓名 ", "手机"])  # BOM and spaces tolerated


def test_default_rules():
    findings = [
        ("姓名", "name"),
        ("身份证号", "id_card"),
        ("老证号", "id_card_15"),
        ("手机号码", "mobile"),
        ("联系电话", "mobile"),
        ("联系电话", "landline"),
        ("银行卡号", "bank_card"),
        ("邮箱", "email"),
        ("家庭住址", "address"),
        ("出生日期", "birth_date"),
        ("备注", "mobile"),
        ("办理说明", "id_card"),
        ("联系人", "name"),
        ("联系人", "mobile"),
        ("姓名地址", "name"),
        ("姓名地址", "address"),
        ("护照", "passport"),
    ]
    assert default_rules(findings) == {
        "姓名": "mask-name",
        "身份证号": "mask-id",
        "老证号": "mask-id",
        "手机号码": "mask-mobile",
        "联系电话": "mask-mobile",
        "银行卡号": "mask-card",
        "邮箱": "mask-email",
        "家庭住址": "district",
        "出生日期": "year",
        "备注": "mask-text",  # free text keeps its words
        "办理说明": "mask-text",
        "联系人": "mask-name",  # the header kind owns the column
        "姓名地址": "suppress",
        "护照": "suppress",  # a kind without a default is hidden
    }


def test_mask_rows_applies_rules_by_position_and_limits():
    header = ["序号", "姓名", "手机", "备注"]
    rows = [[1, "张三", MOBILE, "请联系13912345678"], [2, "欧阳修", None, "无"], [3]]
    rules = {"姓名": "mask-name", "手机": "mask-mobile", "备注": "mask-text"}
    assert mask_rows(header, rows, rules, key=KEY, limit=2) == [
        ["1", "张*", "138****5678", "请联系139****5678"],
        ["2", "欧阳*", "", "无"],
    ]
    assert mask_rows(header, rows, rules, key=KEY)[2] == ["3"]


def test_shifted_cells_of_a_ragged_row_are_still_masked():
    masker = Masker({"身份证号": "mask-id"}, key=KEY, header=["住址", "身份证号", "备注"])
    # an unquoted comma in the address pushed the ID number into the 备注 column
    row = masker.mask_row(["湖南省岳阳市", "岳阳楼区", ID18, "x"])
    assert row == ["湖南省岳阳市", "***", "430602********1236", "x"]


def _write_csv(path, rows, *, bom=False):
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


PEOPLE = [
    ["序号", "姓名", "身份证号", "手机号码", "家庭住址", "备注"],
    ["1", "张三", ID18, MOBILE, "江州市江南区建设路12号", "请联系13912345678办理"],
    ["2", "欧阳修", ID18_X, "13987654321", "湖南省岳阳市岳阳楼区洞庭北路1号", '说"急",\n再联系'],
    ["3", "司马相如"],
    ["4", "李四", ID15, "15011112222", "江州市江北区", "", "多出的一格"],
]
RULES = {
    "姓名": "mask-name",
    "身份证号": "mask-id",
    "手机号码": "mask-mobile",
    "家庭住址": "district",
    "备注": "mask-text",
}
RAW = ["张三", "欧阳修", "司马相如", "李四", ID18, ID18_X, ID15, MOBILE, "13912345678"]
RAW += ["13987654321", "15011112222", "建设路", "洞庭北路"]


@pytest.mark.parametrize("bom", [True, False])
def test_mask_csv_round_trip(tmp_path, bom):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_csv(source, PEOPLE, bom=bom)
    stats = mask_csv(source, target, RULES, key=KEY)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    assert b"\r\n" not in data
    text = data.decode("utf-8-sig")
    assert not [raw for raw in RAW if raw in text]
    rows = list(csv.reader(text.splitlines(keepends=True)))
    assert rows == [
        PEOPLE[0],
        ["1", "张*", "430602********1236", "138****5678", "江州市江南区", "请联系139****5678办理"],
        ["2", "欧阳*", "110105********002X", "139****4321", "湖南省岳阳市岳阳楼区", PEOPLE[2][5]],
        ["3", "司马**"],
        ["4", "李*", "430602*****2123", "150****2222", "江州市江北区", "", "多出的一格"],
    ]
    assert '"说""急"",\n再联系"' in text  # minimal quoting, quotes doubled
    assert stats.rows == 4 and stats.columns == tuple(PEOPLE[0])
    assert stats.cells_changed == 13  # 5 + 4 + 1 + 3: unchanged cells not counted
    assert not list(tmp_path.glob(".*.part"))


def test_mask_csv_rejects_bad_rules_and_encodings(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_csv(source, PEOPLE)
    with pytest.raises(ValidationError, match="没有“电话”"):
        mask_csv(source, target, {"电话": "mask-mobile"}, key=KEY)
    source.write_bytes("姓名\n张三\n".encode("gb18030"))
    with pytest.raises(ValidationError, match="UTF-8"):
        mask_csv(source, target, {"姓名": "mask-name"}, key=KEY)
    assert not target.exists() and not list(tmp_path.glob(".*.part"))


def test_mask_csv_of_an_empty_file(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(b"")
    assert mask_csv(source, target, {}, key=KEY).rows == 0
    assert target.read_bytes() == b""


def test_mask_xlsx(tmp_path):
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "人员"
    sheet.append([])
    sheet.append(["序号", "姓名", "身份证号", "手机号码", "出生日期", "备注"])
    sheet.append([1, "张三", int(ID15), 13812345678, datetime(1985, 3, 2), "=1+1"])
    sheet["F3"].data_type = "s"  # a text cell that looks like a formula
    sheet.append([2, "欧阳修", ID18_X, "13987654321", "1990年1月1日", "请联系13912345678"])
    book.create_sheet("原始数据").append(["张三", ID18])
    book.save(source)

    rules = {**RULES, "出生日期": "year"}
    del rules["家庭住址"]
    stats = mask_xlsx(source, target, rules, key=KEY)

    out = load_workbook(target)
    assert out.sheetnames == ["人员"]  # other sheets were not scanned: not copied
    rows = [list(r) for r in out.active.iter_rows(values_only=True)]
    assert rows[1:] == [
        ["序号", "姓名", "身份证号", "手机号码", "出生日期", "备注"],
        [1, "张*", "430602*****2123", "138****5678", "1985", "=1+1"],
        [2, "欧阳*", "110105********002X", "139****4321", "1990", "请联系139****5678"],
    ]
    assert out.active["F3"].data_type == "s"  # text, never a formula
    assert stats.rows == 2 and stats.columns[1] == "姓名"
    flat = " ".join(str(v) for row in rows for v in row)
    assert not [raw for raw in RAW if raw in flat]
