import pytest

from datasets.encoding import detect_encoding, transcode_to_utf8
from datasets.errors import ValidationError


def test_utf8_with_and_without_bom(tmp_path):
    plain = tmp_path / "a.csv"
    plain.write_text("名称\n公交\n", encoding="utf-8")
    bom = tmp_path / "b.csv"
    bom.write_text("名称\n公交\n", encoding="utf-8-sig")
    assert detect_encoding(plain) == "utf-8"
    assert detect_encoding(bom) == "utf-8-sig"


def test_gb18030_files_are_recognised_and_transcoded(realdata, tmp_path):
    source = (
        realdata / "cn-nbs-national-data" / "derived-gb18030" / "zb_population_total.gb18030.csv"
    )
    original = realdata / "cn-nbs-national-data" / "zb_population_total.csv"
    assert detect_encoding(source) == "gb18030"
    out = tmp_path / "out.csv"
    transcode_to_utf8(source, out, "gb18030")
    assert out.read_text(encoding="utf-8") == original.read_text(encoding="utf-8")


def test_gbk_beyond_the_first_megabyte_is_still_found(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 400_000 + "堃,喆\n".encode("gb18030"))
    assert detect_encoding(path) == "gb18030"


def test_undecodable_files_are_reported(realdata):
    with pytest.raises(ValidationError, match="字符编码无法识别"):
        detect_encoding(realdata / "ckanext-xloader-samples" / "non_utf8_sample.csv")
