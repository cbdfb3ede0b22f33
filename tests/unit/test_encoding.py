"""The encoding of a text table is decided once: the declared one first, then detection among
UTF-8 (with or without BOM), UTF-16, GB18030, Big5 and cp1252/Latin-1; mojibake is never a
decision."""

import pytest

from datasets.tables import TableError, decide_encoding, transcode_to_utf8

TRADITIONAL = (
    "姓名,地址,備註\n陳大文,臺北市中正區重慶南路一段122號,低收入戶\n"
    "林美玲,新北市板橋區中山路一段161號,身心障礙\n"
)
SIMPLIFIED = (
    "姓名,地址,备注\n陈大文,江州市江南区解放路12号,低保户\n林美玲,江州市江北区中山路161号,残疾\n"
)


def test_utf8_with_and_without_bom(tmp_path):
    plain = tmp_path / "a.csv"
    plain.write_text("名称\n公交\n", encoding="utf-8")
    bom = tmp_path / "b.csv"
    bom.write_text("名称\n公交\n", encoding="utf-8-sig")
    assert decide_encoding(plain).name == "utf-8"
    assert decide_encoding(bom).name == "utf-8-sig"


def test_gb18030_files_are_recognised_and_transcoded(realdata, tmp_path):
    source = (
        realdata / "cn-nbs-national-data" / "derived-gb18030" / "zb_population_total.gb18030.csv"
    )
    original = realdata / "cn-nbs-national-data" / "zb_population_total.csv"
    assert decide_encoding(source).name == "gb18030"
    out = tmp_path / "out.csv"
    transcode_to_utf8(source, out, "gb18030")
    assert out.read_text(encoding="utf-8") == original.read_text(encoding="utf-8")


def test_gbk_beyond_the_first_megabyte_is_still_found(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 400_000 + "堃,喆\n".encode("gb18030"))
    assert decide_encoding(path).name == "gb18030"


def test_cp1252_files_are_read_as_what_they_are(realdata):
    """A real CKAN sample that is not UTF-8: Western text in cp1252 (not held any more)."""
    found = decide_encoding(realdata / "ckanext-xloader-samples" / "non_utf8_sample.csv")
    assert found.name == "cp1252"


@pytest.mark.parametrize(
    ("codec", "text", "expected"),
    [
        ("cp950", TRADITIONAL, "big5"),
        ("big5", TRADITIONAL, "big5"),
        ("gb18030", SIMPLIFIED, "gb18030"),
        ("gb18030", TRADITIONAL, "gb18030"),  # traditional characters written in GBK
        ("utf-16", SIMPLIFIED, "utf-16"),  # with its byte-order mark
        ("utf-16-le", SIMPLIFIED, "utf-16-le"),
        ("utf-16-be", TRADITIONAL, "utf-16-be"),
        ("cp1252", "name,city\nJosé Müller,Zürich\nFrançois Côté,Montréal\n", "cp1252"),
    ],
)
def test_each_candidate_is_told_from_the_others(tmp_path, codec, text, expected):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(codec))
    found = decide_encoding(path)
    assert found.name == expected
    assert path.read_bytes().decode(found.codec).lstrip("\ufeff") == text


def test_big5_declared_as_big5_is_not_read_as_gb18030(tmp_path):
    """GB18030 decodes Big5 bytes without an error, into mojibake: plausibility decides."""
    path = tmp_path / "big5.csv"
    path.write_bytes(TRADITIONAL.encode("cp950"))
    assert path.read_bytes().decode("gb18030") != TRADITIONAL  # it does decode, wrongly
    declared, detected = decide_encoding(path, "big5"), decide_encoding(path)
    assert (declared.name, declared.codec) == (detected.name, detected.codec) == ("big5", "cp950")
    assert declared.declared and not detected.declared
    assert decide_encoding(path).codec in ("cp950", "big5hkscs")


def test_a_wrong_declaration_gives_way_to_detection(tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes(SIMPLIFIED.encode("gb18030"))
    found = decide_encoding(path, "utf-8")
    assert found.name == "gb18030" and not found.declared
    big5 = tmp_path / "big5.csv"
    big5.write_bytes(TRADITIONAL.encode("cp950"))
    assert decide_encoding(big5, "GBK").name == "big5"  # GBK decodes it, but as mojibake


def test_text_no_candidate_explains_is_held(tmp_path):
    path = tmp_path / "sjis.csv"
    path.write_bytes("氏名,住所\n山田太郎,東京都千代田区\n".encode("shift_jis") * 20)
    with pytest.raises(TableError, match="字符编码无法可靠识别") as caught:
        decide_encoding(path)
    assert caught.value.code == "encoding-unknown"


@pytest.mark.parametrize("declared", [None, "utf-16", "UTF-32", "utf-16le"])
def test_utf16_without_a_mark_is_detected_whatever_was_declared(tmp_path, declared):
    path = tmp_path / "u16.csv"
    path.write_bytes(SIMPLIFIED.encode("utf-16-le"))
    found = decide_encoding(path, declared)
    assert found.codec == "utf-16-le"
    target = tmp_path / "out.csv"
    transcode_to_utf8(path, target, found.codec)
    assert target.read_text(encoding="utf-8") == SIMPLIFIED
