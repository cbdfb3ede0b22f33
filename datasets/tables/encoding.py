"""Deciding the text encoding of a table file once, and recording it with the file.

The declared encoding (a data package's ``encoding``) is tried first; then a byte-order mark;
then detection among UTF-8, UTF-16, GB18030, Big5 and cp1252/Latin-1. GB18030 decodes almost
any byte sequence without error, so "decodes" is not enough: each Chinese candidate must also
be *plausible*, most of its characters being common ones of its own script (GB2312's hanzi for
GB18030, Big5's 常用字 for Big5). Read as the wrong one, Chinese text becomes mojibake that no
scanner can see, so a file no candidate explains with confidence is held, never guessed.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from datasets.tables.limits import TableError

_CHUNK = 1024 * 1024
_SAMPLE_CHARS = 200_000  # non-ASCII characters weighed per candidate
_PLAUSIBLE = 0.8  # share of common characters a Chinese candidate needs
_LATIN_PLAUSIBLE = 0.8  # share of letters and usual punctuation among a Latin text's high bytes

UTF8, UTF8_SIG, GB18030, BIG5, CP1252, LATIN1 = (
    "utf-8",
    "utf-8-sig",
    "gb18030",
    "big5",
    "cp1252",
    "latin-1",
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, UTF8_SIG),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# what departments write in a data package, mapped to the codec we decode with
_ALIASES = {
    "utf8": UTF8,
    "utf-8": UTF8,
    "utf-8-sig": UTF8_SIG,
    "utf8-sig": UTF8_SIG,
    "utf-8-bom": UTF8_SIG,
    "gb2312": GB18030,
    "gbk": GB18030,
    "cp936": GB18030,
    "gb18030": GB18030,
    "euc-cn": GB18030,
    "big5": BIG5,
    "big-5": BIG5,
    "cp950": BIG5,
    "big5-hkscs": BIG5,
    "big5hkscs": BIG5,
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-be": "utf-16-be",
    "cp1252": CP1252,
    "windows-1252": CP1252,
    "latin-1": LATIN1,
    "latin1": LATIN1,
    "iso-8859-1": LATIN1,
    "iso8859-1": LATIN1,
    "ascii": UTF8,
    "us-ascii": UTF8,
}
# Big5 as Windows writes it (cp950) is the usual superset; HKSCS adds Hong Kong characters
_BIG5_CODECS = ("cp950", "big5hkscs")


@dataclass(frozen=True)
class Encoding:
    """The decided encoding: ``codec`` decodes the file; ``name`` is what we record and show."""

    name: str
    codec: str
    declared: bool = False  # the file's own declaration was confirmed


def normalise_declared(value: str | None) -> str | None:
    """A declared encoding as one of ours, or ``None`` when it names nothing we know."""
    if not value:
        return None
    key = re.sub(r"[\s_]+", "-", value.strip().lower())
    return _ALIASES.get(key)


def decide_encoding(path: Path, declared: str | None = None) -> Encoding:
    """The encoding of the text file ``path``; ``TableError`` (``encoding-unknown``) when no
    candidate decodes the whole file and reads as plausible text."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            if _decodes(path, codec):
                return Encoding(UTF8_SIG if codec == UTF8_SIG else codec, codec)
            raise _unknown(path, f"带有 {codec} 字节顺序标记，但内容无法按此解码")
    wanted = normalise_declared(declared)
    if wanted is not None:
        found = _confirm(path, wanted)
        if found is not None:
            return Encoding(found.name, found.codec, declared=True)
    utf16 = _utf16_without_bom(head)
    if utf16 and _decodes(path, utf16) and _plausible_text(path, utf16):
        return Encoding(utf16, utf16)
    if _decodes(path, UTF8):
        return Encoding(UTF8, UTF8)
    return _chinese_or_latin(path)


def _chinese_or_latin(path: Path) -> Encoding:
    """Among GB18030, Big5 and cp1252/Latin-1, the one candidate that explains the text.

    The Chinese candidate whose characters are mostly common ones of its script wins, clearly
    ahead of the other. A GB18030 text with few, rare characters (人名用字 such as 堃, 喆) is
    still GB18030 when Big5 cannot decode it and it does not read as Western text.
    """
    scored: list[tuple[float, Encoding]] = []
    sample = 0
    if _decodes(path, GB18030):
        score, sample = _score(path, GB18030), _count(path, GB18030)
        scored.append((score, Encoding(GB18030, GB18030)))
    for codec in _BIG5_CODECS:
        if _decodes(path, codec):
            scored.append((_score(path, codec), Encoding(BIG5, codec)))
            break
    latin = _confirm(path, CP1252)
    if scored:
        scored.sort(key=lambda pair: pair[0], reverse=True)
        best_score, best = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        if best_score >= _PLAUSIBLE and best_score - runner_up >= 0.1:
            return best
        if best_score >= _PLAUSIBLE:
            raise _unknown(path, "既可按 GB18030 也可按 Big5 读出，无法确定")
        only_gb = len(scored) == 1 and best.codec == GB18030
        if only_gb and latin is None and (best_score >= 0.3 or sample < 20):
            return best
    if latin is not None:
        return latin
    raise _unknown(path, "不是 UTF-8、UTF-16、GB18030、Big5 或 Latin-1 文本")


def _unknown(path: Path, why: str) -> TableError:
    return TableError(f"文件 {path.name} 的字符编码无法可靠识别：{why}", "encoding-unknown")


def _confirm(path: Path, wanted: str) -> Encoding | None:
    """``wanted`` if the whole file decodes with it and the text is plausible for it."""
    if wanted == BIG5:
        for codec in _BIG5_CODECS:
            if _decodes(path, codec):
                return Encoding(BIG5, codec) if _score(path, codec) >= _PLAUSIBLE else None
        return None
    if wanted == GB18030:
        ok = _decodes(path, GB18030) and _score(path, GB18030) >= _PLAUSIBLE
        return Encoding(GB18030, GB18030) if ok else None
    if wanted in (CP1252, LATIN1):
        codec = CP1252 if _decodes(path, CP1252) else LATIN1
        return Encoding(codec, codec) if _latin_plausible(path, codec) else None
    if wanted in (UTF8, UTF8_SIG) or wanted.startswith(("utf-16", "utf-32")):
        return Encoding(wanted, wanted) if _decodes(path, wanted) else None
    return None


def _decodes(path: Path, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _non_ascii(path: Path, codec: str) -> Iterator[str]:
    """The non-ASCII characters of the file decoded with ``codec``, up to the sample size."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    seen = 0
    with path.open("rb") as handle:
        while seen < _SAMPLE_CHARS and (chunk := handle.read(_CHUNK)):
            text = decoder.decode(chunk)
            if text.isascii():
                continue
            wide = "".join(c for c in text if ord(c) > 127)
            seen += len(wide)
            yield wide


def _count(path: Path, codec: str) -> int:
    """Non-ASCII characters of the sample (up to its size)."""
    return sum(len(text) for text in _non_ascii(path, codec))


def _score(path: Path, codec: str) -> float:
    """Share of the non-ASCII characters that are common in the codec's own script (1.0 when
    there are none)."""
    common = _common_big5() if codec in _BIG5_CODECS else _common_gb()
    total = hits = 0
    for text in _non_ascii(path, codec):
        total += len(text)
        hits += sum(map(common.__contains__, text))
    return hits / total if total else 1.0


def _plausible_text(path: Path, codec: str) -> bool:
    """UTF-16 without a mark: the text must be printable, and its Chinese characters common
    ones."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    with path.open("rb") as handle:
        text = decoder.decode(handle.read(_CHUNK))
    if not text:
        return False
    usual = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    wide = [c for c in text if ord(c) > 127]
    common = _common_gb()
    chinese = sum(map(common.__contains__, wide)) / len(wide) if wide else 1.0
    return usual / len(text) >= 0.95 and (chinese >= _PLAUSIBLE or not wide or _latin(wide))


def _latin(wide: list[str]) -> bool:
    return sum(1 for c in wide if c.isalpha() and ord(c) < 0x250) >= _LATIN_PLAUSIBLE * len(wide)


_HIGH_RUN = re.compile(r"[^\x00-\x7f]{3,}")


def _latin_plausible(path: Path, codec: str) -> bool:
    """A Western text: its high characters are mostly letters (é, ü, ñ) or usual punctuation,
    standing alone or in pairs between ASCII ones (Chinese bytes read as Latin-1 come in long
    runs: 陈大文 is six high characters in a row)."""
    total = hits = long_runs = 0
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    with path.open("rb") as handle:
        while total < _SAMPLE_CHARS and (chunk := handle.read(_CHUNK)):
            text = decoder.decode(chunk)
            if text.isascii():
                continue
            wide = [c for c in text if ord(c) > 127]
            total += len(wide)
            hits += sum(1 for c in wide if c.isalpha() or c in "’‘“”–—…€£°±×·«»§¶©®")
            long_runs += sum(len(m) for m in _HIGH_RUN.findall(text))
    return total > 0 and hits >= _LATIN_PLAUSIBLE * total and long_runs <= 0.2 * total


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a byte-order mark shows NUL bytes at one parity (every ASCII
    character, comma and line break has one; a Chinese character seldom)."""
    if len(head) < 4:
        return None
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2
    if odd >= max(2, 0.02 * half) and odd >= 4 * even:
        return "utf-16-le"
    if even >= max(2, 0.02 * half) and even >= 4 * odd:
        return "utf-16-be"
    return None


def _table(codec: str, leads: range, trails: tuple[range, ...]) -> frozenset[str]:
    chars = set()
    for lead in leads:
        for trail_range in trails:
            for trail in trail_range:
                try:
                    chars.add(bytes((lead, trail)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return frozenset(chars)


@cache
def _common_gb() -> frozenset[str]:
    """GB2312's symbols, punctuation and all 6,763 hanzi (rows A1–A3, B0–F7), and the common
    traditional characters (GBK holds them too: a traditional text may be written in GBK)."""
    trails = (range(0xA1, 0xFF),)
    simplified = _table("gb2312", range(0xA1, 0xA4), trails)
    return simplified | _table("gb2312", range(0xB0, 0xF8), trails) | _common_big5()


@cache
def _common_big5() -> frozenset[str]:
    """Big5's symbols and punctuation (A1–A3) and its 5,401 常用字 (A440–C67E)."""
    trails = (range(0x40, 0x7F), range(0xA1, 0xFF))
    return _table("cp950", range(0xA1, 0xA4), trails) | _table("cp950", range(0xA4, 0xC7), trails)


def transcode_to_utf8(source: Path, target: Path, codec: str) -> None:
    """Write ``source`` (in ``codec``) to ``target`` as UTF-8, streaming."""
    with (
        source.open("r", encoding=codec, newline="") as src,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        while chunk := src.read(_CHUNK):
            out.write(chunk)
