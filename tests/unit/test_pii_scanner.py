"""The table scanner (``datasets.openness.pii.scanner``) and its rules (``pii.kinds``,
``pii.detectors``)."""

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from datasets.openness.masking import Masker
from datasets.openness.pii import patterns
from datasets.openness.pii.detectors import is_quantity_header
from datasets.openness.pii.kinds import KINDS_BY_CODE, header_kind
from datasets.openness.pii.reading import scan_table
from datasets.openness.pii.scanner import Finding, ScanReport, scan_rows
from datasets.openness.rules import CONDITIONAL, UNCONDITIONAL, parse_openness
from harvester.export import map_headers
from harvester.export_read import catalog_file, read_catalog
from harvester.normalise import split_list

DEMO = Path(__file__).resolve().parents[2] / "demo" / "sources"


def _id(first17: str) -> str:
    return first17 + patterns.id18_check_char(first17)


def _card(body: str) -> str:
    return next(body + d for d in "0123456789" if patterns.luhn_valid(body + d))


def _example(code: str, value: str) -> str:
    """The masked example the scanner reports for ``value`` under the kind's own header."""
    report = scan_rows([KINDS_BY_CODE[code].header], [[value]])
    return next(f.example for f in report.findings if f.kind == code)


@pytest.mark.parametrize(
    "plate", ["赣A12345", "京AF0236", "粤B·D12345", "沪C1234学", "苏E12X45", "川A 8M765"]
)
def test_licence_plates_are_found_whatever_the_header(plate):
    for header in ("车牌号", "备注", "编号"):
        report = scan_rows([header], [[plate], [f"车辆{plate}于路口违停"]])
        assert [(f.kind, f.hits, f.personal) for f in report.findings] == [
            ("licence_plate", 2, True)
        ]
    assert _example("licence_plate", "赣A12345") == "赣A***45"


@pytest.mark.parametrize("text", ["京ABCDE", "赣A1234", "苏E2023001", "粤B123456", "浙A12 345"])
def test_look_alikes_of_plates_are_not_plates(text):
    assert scan_rows(["备注"], [[text]] * 3).findings == ()


@pytest.mark.parametrize(
    "header",
    ["医师执业证书编码", "执业证号", "律师执业证号", "教师资格证号", "护士证号", "从业资格证"],
)
def test_professional_licence_numbers_under_their_header(header):
    rows = [["110440100012345"], ["A3301202012345"], ["210440100012346"]]
    report = scan_rows([header], rows)
    assert [(f.kind, f.hits, f.personal) for f in report.findings] == [
        ("practice_licence", 3, True)
    ]


@pytest.mark.parametrize("header", ["医疗机构执业许可证号", "食品经营许可证编号", "许可证号"])
def test_business_licences_are_not_personal_licences(header):
    assert header_kind(header) != "practice_licence"


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("姓名", "name"), ("户主姓名", "name"), ("承租人姓名", "name"), ("联系人", "name"),
        ("负责人", "name"), ("申请人", "name"), ("户主", "name"), ("监护人", "name"),
        ("联系人及电话", "name"), ("住址", "address"), ("家庭地址", "address"),
        ("家庭住址", "address"), ("户籍地址", "address"), ("居住地址", "address"),
        ("现住址", "address"), ("联系地址", "address"), ("出生日期", "birth_date"),
        ("出生年月", "birth_date"), ("身份证", "id_card"), ("身份证号", "id_card"),
        ("身份证号码（18位）", "id_card"), ("证件号码", "id_card"), ("公民身份号码", "id_card"),
        ("联系电话", "mobile"), ("联系方式", "mobile"), ("手机", "mobile"), ("手机号", "mobile"),
        ("家庭电话", "landline"), ("住宅电话", "landline"), ("联系人电话", "landline"),
        ("银行卡号", "bank_card"), ("电子邮箱", "email"), ("E-mail", "email"),
        ("地址", None), ("项目地址", None), ("生产地址", None), ("咨询电话", None),
        ("服务电话", None), ("单位名称", None), ("法定代表人", None), ("法定代表人姓名", None),
        ("行政相对人名称", None), ("机构名称", None), ("住所", None), ("备注", None),
    ],
)  # fmt: skip
def test_header_hints_are_precise(header, kind):
    assert header_kind(header) == kind


MOBILE = "13912345678"
ID_X = "11010519491231002X"  # the example of GB 11643, check character X
HEADER = ["姓名", "身份证号", "手机", "备注", "联系电话", "法定代表人", "统一社会信用代码"]


def _rows(count: int = 50) -> list[list[object]]:
    rows = []
    for i in range(count):
        rows.append([
            ["张伟", "欧阳娜娜", "李秀英"][i % 3],
            ID_X if i == 0 else _id(f"3610021960{i % 12 + 1:02d}{i % 28 + 1:02d}{i:03d}"),
            f"1390000{i:04d}",
            f"请联系{MOBILE}办理" if i == 17 else ("已核实" if i % 2 else None),
            f"0792-32194{i:02d}",
            "王建国",
            "91361002MA3TF6FC0K",
        ])  # fmt: skip
    return rows


def test_a_register_is_reported_per_column_with_counts_shares_and_masked_examples():
    report = scan_rows(HEADER, _rows())
    got = {(f.column, f.kind): f for f in report.findings}
    assert set(got) == {
        ("姓名", "name"),
        ("身份证号", "id_card"),
        ("手机", "mobile"),
        ("备注", "mobile"),
        ("联系电话", "landline"),
    }
    assert got["身份证号", "id_card"] == Finding(
        "身份证号", "id_card", "身份证号", True, 50, 50, 1.0, "header+values",
        ID_X[:6] + "********" + ID_X[-4:],
    )  # fmt: skip
    note = got["备注", "mobile"]
    assert (note.hits, note.rows, note.share, note.evidence) == (1, 25, 0.04, "values")
    assert note.example == "139****5678"
    assert got["姓名", "name"].example == "张*"
    assert got["姓名", "name"].evidence == "header+values"
    phone = got["联系电话", "landline"]
    assert phone.personal is False and phone.evidence == "header+values"
    assert report.personal_columns == ("姓名", "身份证号", "手机", "备注")
    assert report.has_personal and report.rows_scanned == 50


def test_no_raw_value_reaches_the_report():
    rows = _rows()
    text = json.dumps(scan_rows(HEADER, rows).to_dict(), ensure_ascii=False)
    for row in rows:
        for value in row[:5]:
            if value:
                assert str(value) not in text
    assert MOBILE not in text


def test_findings_are_in_column_order_then_in_the_order_of_kinds():
    report = scan_rows(
        ["备注", "证件"], [[f"{MOBILE} a@b.cn 0792-3219432", _id("43060219900101123")]]
    )
    assert [(f.column, f.kind) for f in report.findings] == [
        ("备注", "mobile"),
        ("备注", "landline"),
        ("备注", "email"),
        ("证件", "id_card"),
    ]


@pytest.mark.parametrize("header", ["订单号", "编号", "证书编号", "序号"])
def test_a_mobile_under_a_code_header_is_still_a_mobile(header):
    """Value detectors run on every column whatever its header: a department that puts its
    volunteers' mobiles under 编号 publishes mobiles."""
    few = [[MOBILE if i < 3 else f"DD{i:09d}"] for i in range(30)]
    assert [(f.kind, f.hits) for f in scan_rows([header], few).findings] == [("mobile", 3)]
    ids = [[_id("43060219900101123") if i < 2 else f"DD{i:09d}"] for i in range(30)]
    assert [(f.kind, f.hits) for f in scan_rows([header], ids).findings] == [("id_card", 2)]


@pytest.mark.parametrize("header", ["年初预算数(元)", "合同金额(元)", "营业面积（平方米）", "收入"])
def test_amounts_under_a_quantity_header_are_not_phone_numbers(header):
    assert is_quantity_header(header)
    amounts = [["13800138000" if i % 3 == 0 else str(1000 * i)] for i in range(30)]
    assert scan_rows([header], amounts).findings == ()
    assert [f.kind for f in scan_rows(["备注"], amounts).findings] == ["mobile"]


def test_serial_numbers_shaped_like_ids_are_not_ids_though_some_pass_the_checksum():
    serials = [
        [f"3610022024{m:02d}{d:02d}{n:04d}"] for m in (1, 2, 3) for d in range(1, 21) for n in (7,)
    ]
    assert any(patterns.is_id18(r[0]) for r in serials)  # one in eleven passes by chance
    assert scan_rows(["关联业务"], serials).findings == ()


def test_valid_credit_codes_are_never_id_numbers():
    code = "51361019" + "650312"  # 社会团体 in region 361019, digits 7–14 read as 19650312
    both = next(
        code + f"{n:03d}" + patterns.id18_check_char(code + f"{n:03d}")
        for n in range(1000)
        if patterns.is_credit_code(code + f"{n:03d}" + patterns.id18_check_char(code + f"{n:03d}"))
    )
    assert patterns.is_id18(both) and patterns.looks_like_credit_code(both)
    assert scan_rows(["证件号码"], [[both]] * 5).findings == ()


def test_under_an_id_header_a_wrong_check_character_still_counts():
    typo = _id("43060219900101123")[:17] + "0"
    typo = typo if not patterns.is_id18(typo) else typo[:17] + "1"
    rounded_by_excel = 3.61002196505114e17  # 361002196505113588 stored as a number
    report = scan_rows(["身份证号"], [[typo], [rounded_by_excel]])
    assert [(f.kind, f.hits) for f in report.findings] == [("id_card", 2)]
    assert scan_rows(["关联业务"], [[typo], [rounded_by_excel]]).findings == ()


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("户主姓名", ["张*", "欧阳*", "李*"]),
        ("当事人姓名", ["张某", "李某某", "欧阳某"]),
        ("身份证号", ["430602********1234", "361002********123X"]),
        ("联系电话", ["138****5678", "139****0000"]),
        ("家庭住址", ["江州市江北区", "江州市白沙县"]),
        ("银行卡号", ["622202*********0128"]),
        ("出生年月", ["1965年", "1970年"]),
    ],
)
def test_columns_masked_already_are_clean(header, values):
    report = scan_rows([header], [[v] for v in values])
    assert not report.has_personal


def test_weak_name_headers_need_values_that_look_like_names():
    offices = [["办公室"], ["党政办"], ["综合科"], ["江州天成科技有限公司"]]
    people = [["张伟"], ["诸葛亮"], ["阿依古丽·买买提"], ["王芳 13912345678"]]
    assert scan_rows(["联系人"], offices).findings == ()
    assert [(f.kind, f.hits) for f in scan_rows(["联系人"], people).findings] == [
        ("name", 4),
        ("mobile", 1),
    ]
    assert [f.evidence for f in scan_rows(["姓名"], [["扎西多吉"], ["Zhang Wei"]]).findings] == [
        "header"
    ]


def test_header_only_kinds_are_reported_from_the_header_and_unmasked_values():
    rows = [
        ["1965-05-11", "江州市江北区解放路12号3栋2单元101室"],
        ["1970-01", "白沙县清水村3组12号"],
    ]
    report = scan_rows(["出生日期", "户籍地址"], rows)
    assert [(f.kind, f.hits, f.evidence, f.example) for f in report.findings] == [
        ("birth_date", 2, "header", "1965"),
        ("address", 2, "header", "江州市江北区"),
    ]


def test_a_landline_under_a_personal_phone_header_is_personal():
    rows = [["0792-3219432"], ["(0792)8123456"]]
    assert [f.personal for f in scan_rows(["家庭电话"], rows).findings] == [True]
    assert [f.personal for f in scan_rows(["联系电话"], rows).findings] == [False]
    assert scan_rows(["联系电话"], [["单位总机"]] * 3).findings == ()


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("mobile", "+86 139 1234 5678", "+86 139 **** 5678"),
        ("id_card", "43060219900101123X", "430602********123X"),
        ("id_card_15", "430602900101123", "430602*****1123"),
        ("bank_card", "6222 0212 3456 7890 128", "6222 02** **** ***0 128"),
        ("bank_card", "6222021234567894", "622202******7894"),
        ("email", "zhangsan@example.com", "z***@example.com"),
        ("landline", "0792-3219432", "0792-****432"),
        ("name", "欧阳娜娜", "欧阳**"),
        ("name", "张伟", "张*"),
        ("address", "江州市江北区解放路12号", "江州市江北区"),
        ("birth_date", "1965年05月11日", "1965"),
        ("practice_licence", "A3301202012345", "A3**********45"),
    ],
)
def test_examples_are_masked_as_the_kinds_default_policy_publishes_them(kind, value, masked):
    assert _example(kind, value) == masked
    policy = KINDS_BY_CODE[kind].policy
    assert Masker({"c": policy}, key=b"", header=["c"]).mask_value("c", value) == masked


def test_the_report_survives_a_json_round_trip_and_ignores_extra_keys():
    report = scan_rows(HEADER, _rows())
    data = json.loads(json.dumps(report.to_dict()))
    assert ScanReport.from_dict(data) == report
    assert (
        ScanReport.from_dict({**data, "failed": False}).personal_columns == report.personal_columns
    )
    assert ScanReport.from_dict({}) == ScanReport((), 0, ())


def test_scan_rows_accepts_numbers_dates_blanks_and_stops_at_max_rows():
    rows = [[13912345678, date(1965, 5, 11), None], [13912345679.0, datetime(1970, 1, 2), ""]]
    report = scan_rows(["手机", "出生日期", "备注"], rows * 10, max_rows=3)
    assert report.rows_scanned == 3
    assert [(f.column, f.hits, f.rows) for f in report.findings] == [
        ("手机", 3, 3),
        ("出生日期", 3, 3),
    ]


def test_csv_files_with_bom_gb18030_and_ragged_rows(tmp_path):
    text = "姓名,手机\n张伟,13912345678\n李娜\n王芳,13912345679,多余\n"
    for encoding in ("utf-8-sig", "gb18030"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        report = scan_table(path, "csv")
        # the cell beyond the header is scanned too, in a column of its own
        assert report.columns == ("姓名", "手机", "（表头）", "（第3列）")
        assert report.table_columns == ("姓名", "手机")
        assert [(f.column, f.kind, f.hits, f.rows) for f in report.findings] == [
            ("姓名", "name", 3, 3),
            ("手机", "mobile", 2, 2),
        ]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert scan_table(empty, "csv") == ScanReport((), 0, ())


def test_xlsx_files_are_scanned_from_their_first_sheet_and_the_others(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])
    sheet.append(["户主姓名", "身份证号", "手机号码", "审批日期"])
    sheet.append(["蒋琳", _id("36100419670205090"), 17043046996, datetime(2021, 8, 18)])
    sheet.append(["上官燕", _id("36100419700101123"), 13912345678, datetime(2021, 8, 19)])
    workbook.create_sheet("其他").append(["手机"])
    path = tmp_path / "低保.xlsx"
    workbook.save(path)
    report = scan_table(path, "xlsx", max_rows=0)
    assert report.rows_scanned == 2
    assert report.personal_columns == ("户主姓名", "身份证号", "手机号码")
    assert report.table_columns == ("户主姓名", "身份证号", "手机号码", "审批日期")
    assert "其他!手机" in report.outside
    # a workbook named as a PDF is not one: it cannot be scanned as a PDF and is held
    assert scan_table(path, "pdf").held


# --- the bundled demo sources -----------------------------------------------------------------


def _demo_tables() -> list[tuple[str, str, Path]]:
    """(openness, name, path) of every data table of the demo sources."""
    tables = []
    for package in sorted((DEMO / "packages").glob("*/datapackage.json")):
        meta = json.loads(package.read_text(encoding="utf-8"))
        openness = parse_openness(meta.get("openness"))
        for resource in meta.get("resources", []):
            tables.append((openness, resource["path"], package.parent / resource["path"]))
    for folder in sorted((DEMO / "exports").iterdir()):
        rows = read_catalog(catalog_file(folder))
        fields = map_headers(list(rows[0]))
        for row in rows:
            openness = parse_openness(row.get(fields["openness"]))
            for name in split_list(row.get(fields["files"])):
                tables.append((openness, f"{folder.name}/{name}", folder / name))
    return tables


def test_demo_tables_personal_findings_follow_their_declared_openness():
    tables = _demo_tables()
    assert len(tables) >= 50
    flagged = {}
    for openness, name, path in tables:
        report = scan_table(path, path.suffix.lstrip("."))
        if openness == CONDITIONAL:
            assert report.has_personal, name
        elif openness == UNCONDITIONAL and report.has_personal:
            flagged[name] = {f.kind for f in report.findings if f.personal}
    assert sum(1 for o, _, _ in tables if o == CONDITIONAL) >= 7
    # the one mis-declared table: 无条件开放 but listing volunteers' own mobiles
    assert flagged == {"mzj/志愿者服务队名单.csv": {"mobile", "name"}}
