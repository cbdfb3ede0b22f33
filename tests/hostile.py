"""Hostile packages: a careless (or hostile) department declares open data whose personal values
hide where a reader that looks only at CSV rows and an XLSX's first sheet would not see them —
every file format, a second or hidden sheet, a cell comment, a title row above the header, a
cell beyond the header, a mobile under 编号, Big5, UTF-16 and cp1252 tables, an ID stored as a
number, archives, office documents, PDFs. ``build`` writes them as one data-package source and
returns the planted secrets, by package.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment

from tests.factories import id_number, pdf_bytes, write_package

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
# the department of every package, so its reviewers can be named in tests
PROVIDER = {"name": "江州市民政局", "code": "11361000MB1621108X"}


@dataclass
class Planted:
    """What was planted where: raw secrets and, for text encodings, the bytes they were
    written in (to derive the mojibake a wrong decoding would show)."""

    secrets: dict[str, set[str]] = field(default_factory=dict)
    encoded: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name → (text, codec)
    held: set[str] = field(default_factory=set)  # packages that must be held for 人工确认

    def add(self, package: str, *values: str) -> None:
        self.secrets.setdefault(package, set()).update(values)

    def all_secrets(self) -> set[str]:
        return {v for values in self.secrets.values() for v in values}

    def mojibake(self) -> set[str]:
        """Each planted text as it would read decoded with the wrong encoding."""
        wrong = ("gb18030", "cp950", "utf-8", "cp1252", "latin-1", "utf-16-le", "utf-16-be")
        found: set[str] = set()
        for pairs in self.encoded.values():
            for text, codec in pairs:
                data = text.encode(codec)
                for other in wrong:
                    if other == codec:
                        continue
                    try:
                        decoded = data.decode(other)
                    except UnicodeDecodeError:
                        continue
                    if decoded != text and len(decoded.strip()) >= 4:
                        found.add(decoded)
        return found


def _ids(n: int) -> list[str]:
    """Two checksum-valid ID numbers ending in a digit (so one can be stored as a number)."""
    found: list[str] = []
    sequence = n
    while len(found) < 2:
        number = id_number(
            "360102", f"1985{3 + len(found):02d}{2 + len(found):02d}", f"{sequence:03d}"
        )
        sequence += 1
        if number[-1] != "X":
            found.append(number)
    return found


def _package(root: Path, name: str, title: str, resources: list[dict[str, Any]]) -> Path:
    return write_package(
        root, name, title=title, resources=resources, provider=PROVIDER, openness="无条件开放"
    )


def _xlsx(path: Path, build: Any) -> None:
    book = Workbook()
    build(book)
    book.save(path)


def build(root: Path) -> Planted:  # noqa: PLR0915 — one fixture per leak path, in one place
    planted = Planted()
    id1, id2 = _ids(1)
    mobiles = ("13912340001", "13912340002")

    # JSON records under innocuous keys
    pkg = root / "h-json"
    pkg.mkdir(parents=True)
    records = [{"序号": 1, "备注": f"户主身份证{id1}", "联络": mobiles[0]}, {"序号": 2, "k": id2}]
    (pkg / "data.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    _package(
        root,
        "h-json",
        "帮扶记录（JSON）",
        [{"name": "记录", "path": "data.json", "format": "json"}],
    )
    planted.add("h-json", id1, id2, mobiles[0])

    # GeoJSON with personal properties, and an ID as a property name
    id3, id4 = _ids(11)
    pkg = root / "h-geojson"
    pkg.mkdir()
    geo = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [115.9, 28.7]},
                "properties": {"姓名": "赵德全", "联系电话": mobiles[1], id3: "户主"},
            },
            {"type": "Feature", "geometry": None, "properties": {"证件": id4}},
        ],
    }
    (pkg / "points.geojson").write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
    _package(
        root,
        "h-geojson",
        "帮扶点位",
        [{"name": "点位", "path": "points.geojson", "format": "geojson"}],
    )
    planted.add("h-geojson", mobiles[1], id3, id4)

    # XML: text nodes and attributes
    id5, id6 = _ids(21)
    pkg = root / "h-xml"
    pkg.mkdir()
    (pkg / "data.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><人员><人 证号="{id5}"><电话>13912340003</电话>'
        f"<说明>另一证件{id6}</说明></人></人员>",
        encoding="utf-8",
    )
    _package(root, "h-xml", "人员（XML）", [{"name": "人员", "path": "data.xml", "format": "xml"}])
    planted.add("h-xml", id5, id6, "13912340003")

    # TSV and a TXT of free text
    id7, id8 = _ids(31)
    pkg = root / "h-tsv"
    pkg.mkdir()
    (pkg / "data.tsv").write_text(f"编号\t备注\n1\t{id7}\n2\t13912340004\n", encoding="utf-8")
    (pkg / "notes.txt").write_text(
        f"走访记录：户主证件号{id8}，联系13912340005，家住江南区。\n", encoding="utf-8"
    )
    _package(
        root,
        "h-tsv",
        "走访记录",
        [
            {"name": "走访", "path": "data.tsv", "format": "tsv"},
            {"name": "记录", "path": "notes.txt", "format": "txt"},
        ],
    )
    planted.add("h-tsv", id7, id8, "13912340004", "13912340005")

    # a ZIP holding a CSV, and a DOCX
    id9, id10 = _ids(41)
    pkg = root / "h-archives"
    pkg.mkdir()
    with zipfile.ZipFile(pkg / "bundle.zip", "w") as archive:
        archive.writestr("名单/人员.csv", f"姓名,证件\n钱多多,{id9}\n")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats'
        f'.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>联系人孙红，电话13912340006，'
        f"证件{id10}</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(pkg / "report.docx", "w") as docx:
        docx.writestr("[Content_Types].xml", "<Types/>")
        docx.writestr("word/document.xml", body)
    _package(
        root,
        "h-archives",
        "打包材料",
        [
            {"name": "压缩包", "path": "bundle.zip", "format": "zip"},
            {"name": "报告", "path": "report.docx", "format": "docx"},
        ],
    )
    planted.add("h-archives", id9, id10, "13912340006")

    # a PDF with text
    id11, _ = _ids(51)
    pkg = root / "h-pdf"
    pkg.mkdir()
    (pkg / "list.pdf").write_bytes(pdf_bytes(f"Applicant ID {id11} mobile 13912340007"))
    _package(
        root, "h-pdf", "申请公示（PDF）", [{"name": "公示", "path": "list.pdf", "format": "pdf"}]
    )
    planted.add("h-pdf", id11, "13912340007")

    # workbooks: a second sheet, a hidden sheet, a comment, title rows, an ID stored as a number,
    # a cell beyond the header
    id12, id13 = _ids(61)
    id14, id15 = _ids(71)

    def workbook(book: Workbook) -> None:
        sheet = book.active
        sheet.title = "汇总"
        sheet.append(["江州市2024年低保资金发放表（联系人13912340008）"])
        sheet.append(["填报单位：民政局", "单位：元"])
        sheet.append(["区县", "类别", "金额"])
        sheet.append(["江南区", "A", 100, f"附{id12}"])
        sheet.append(["江北区", "B", 200])
        sheet["B5"].comment = Comment(f"核对人证件{id13}", "经办")
        second = book.create_sheet("明细")
        second.append(["户主", "身份证号"])
        second.append(["周大伟", id14])
        hidden = book.create_sheet("底稿")
        hidden.sheet_state = "hidden"
        hidden.append(["编号", "备注"])
        hidden.append([id15, "13912340009"])

    pkg = root / "h-xlsx"
    pkg.mkdir()
    _xlsx(pkg / "低保.xlsx", workbook)
    _package(
        root,
        "h-xlsx",
        "低保资金（工作簿）",
        [{"name": "资金", "path": "低保.xlsx", "format": "xlsx"}],
    )
    planted.add("h-xlsx", "13912340008", id12, id13, id14, id15, "13912340009", "周大伟")

    # a CSV with a title row above its header, and a mobile under 编号
    id16, _ = _ids(81)
    pkg = root / "h-csv-title"
    pkg.mkdir()
    (pkg / "data.csv").write_text(
        f"江州市困难群众名单（{id16}）\n编号,区县,类别\n13912340010,江南区,A\n", encoding="utf-8"
    )
    _package(
        root, "h-csv-title", "困难群众", [{"name": "名单", "path": "data.csv", "format": "csv"}]
    )
    planted.add("h-csv-title", id16, "13912340010")

    # tables in Big5 (declared), UTF-16 with and without BOM, cp1252
    for name, codec, declared, text, secrets in (
        (
            "h-big5",
            "cp950",
            "big5",
            "姓名,地址,備註\n陳大文,臺北市中正區重慶南路一段122號,低收入戶\n"
            "林美玲,新北市板橋區中山路一段161號,身心障礙\n",
            ("陳大文", "林美玲", "臺北市中正區重慶南路一段122號"),
        ),
        (
            "h-utf16",
            "utf-16",
            None,
            "姓名,手机号码,家庭住址\n吴晓峰,13912340011,江州市江南区解放路12号3栋201室\n",
            ("吴晓峰", "13912340011", "江州市江南区解放路12号3栋201室"),
        ),
        (
            "h-utf16le",
            "utf-16-le",
            None,
            "姓名,手机号码\n郑秀英,13912340012\n",
            ("郑秀英", "13912340012"),
        ),
        (
            "h-cp1252",
            "cp1252",
            None,
            "name,email,note\nJosé Müller,jose.muller@example.com,tél 13912340013\n",
            ("jose.muller@example.com", "13912340013"),
        ),
    ):
        pkg = root / name
        pkg.mkdir()
        (pkg / "data.csv").write_bytes(text.encode(codec))
        resource = {"name": "名单", "path": "data.csv", "format": "csv"}
        if declared:
            resource["encoding"] = declared
        _package(root, name, f"名单（{codec}）", [resource])
        planted.add(name, *secrets)
        planted.encoded.setdefault(name, []).extend((s, codec) for s in secrets)

    # a licence plate, a professional licence number
    pkg = root / "h-plates"
    pkg.mkdir()
    (pkg / "data.csv").write_text(
        "序号,车辆,医师执业证书编码\n1,赣A12345,110360100012345\n", encoding="utf-8"
    )
    _package(
        root, "h-plates", "车辆与医师", [{"name": "名单", "path": "data.csv", "format": "csv"}]
    )
    planted.add("h-plates", "赣A12345", "110360100012345")

    # what cannot be scanned: an image, a PDF page without text (a scan), held for 人工确认
    pkg = root / "h-image"
    pkg.mkdir()
    (pkg / "scan.png").write_bytes(PNG)
    (pkg / "scan.pdf").write_bytes(pdf_bytes("Notice", ""))
    _package(
        root,
        "h-image",
        "扫描件",
        [
            {"name": "图片", "path": "scan.png", "format": "png"},
            {"name": "扫描", "path": "scan.pdf", "format": "pdf"},
        ],
    )
    planted.held.add("h-image")
    return planted
