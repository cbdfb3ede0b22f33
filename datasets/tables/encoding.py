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
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from datasets.tables.limits import TableError

_CHUNK = 1024 * 1024
_HEAD = 64 * 1024  # what the byte-order mark and UTF-16 checks look at
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


@dataclass(frozen=True)
class Sample:
    """What a pass that read a file for another reason (a copy) learnt for deciding its
    encoding: its first bytes, and whether all of it decodes as UTF-8."""

    head: bytes
    utf8: bool


class Sampler:
    """Learns a ``Sample`` from the chunks of such a pass, in order."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._decoder = codecs.getincrementaldecoder(UTF8)(errors="strict")
        self.utf8 = True  # so far

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < _HEAD:
            self._head += chunk[: _HEAD - len(self._head)]
        if self.utf8:
            try:
                self._decoder.decode(chunk)
            except UnicodeError:  # a UTF-16/32 codec without its mark raises the base class
                self.utf8 = False

    def sample(self) -> Sample:
        if self.utf8:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeError:  # a UTF-16/32 codec without its mark raises the base class
                self.utf8 = False
        return Sample(bytes(self._head), self.utf8)


def decide_encoding(
    path: Path, declared: str | None = None, *, sample: Sample | None = None
) -> Encoding:
    """The encoding of the text file ``path``; ``TableError`` (``encoding-unknown``) when no
    candidate decodes the whole file and reads as plausible text. ``sample``: what a pass that
    copied the file learnt of it (a UTF-8 file is then not read again)."""
    text = _Text(path, sample)
    head = text.head()
    for bom, codec in _BOMS:
        if head.startswith(bom):
            if text.decodes(codec):
                return Encoding(UTF8_SIG if codec == UTF8_SIG else codec, codec)
            raise _unknown(path, f"带有 {codec} 字节顺序标记，但内容无法按此解码")
    wanted = normalise_declared(declared)
    if wanted is not None:
        found = _confirm(text, wanted)
        if found is not None:
            return Encoding(found.name, found.codec, declared=True)
    utf16 = _utf16_without_bom(head)
    if utf16 and text.decodes(utf16) and _plausible_text(path, utf16):
        return Encoding(utf16, utf16)
    if text.decodes(UTF8):
        return Encoding(UTF8, UTF8)
    return _chinese_or_latin(text)


@dataclass
class _Reading:
    """A file read with one codec: whether all of it decodes, and what its sample of
    non-ASCII characters is like (the first ``_SAMPLE_CHARS`` of them, a chunk at a time)."""

    codec: str
    decodes: bool = True
    wide: int = 0  # non-ASCII characters of the sample
    hits: int = 0  # of them, common ones of a Chinese codec's script, or a Latin text's usual
    long_runs: int = 0  # Latin: high characters in runs of three or more

    def __post_init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder(self.codec)(errors="strict")
        self._latin = self.codec in (CP1252, LATIN1)
        self._common: frozenset[str] = frozenset()
        if self.codec in _BIG5_CODECS:
            self._common = _common_big5()
        elif self.codec == GB18030:
            self._common = _common_gb()

    @property
    def wanted(self) -> bool:
        """Whether the next chunk can still tell anything (Latin-1 decodes any byte)."""
        return self.decodes and (self.codec != LATIN1 or self.wide < _SAMPLE_CHARS)

    @property
    def score(self) -> float:
        """Share of the sample's characters common in the codec's script (1.0 for none)."""
        return self.hits / self.wide if self.wide else 1.0

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeError:  # a UTF-16/32 codec without its mark raises the base class
            self.decodes = False
            return
        if self.wide >= _SAMPLE_CHARS or text.isascii():
            return
        wide = "".join(c for c in text if ord(c) > 127)
        self.wide += len(wide)
        if self._latin:
            self.hits += sum(1 for c in wide if c.isalpha() or c in _LATIN_PUNCTUATION)
            self.long_runs += sum(len(m) for m in _HIGH_RUN.findall(text))
        elif self._common:
            self.hits += sum(map(self._common.__contains__, wide))


class _Text:
    """The file whose encoding is being decided: each codec's reading of it is made at most
    once, several in one pass."""

    def __init__(self, path: Path, sample: Sample | None) -> None:
        self.path = path
        self._sample = sample
        self._readings: dict[str, _Reading] = {}

    def head(self) -> bytes:
        if self._sample is not None:
            return self._sample.head
        with self.path.open("rb") as handle:
            return handle.read(_HEAD)

    def decodes(self, codec: str) -> bool:
        if self._sample is not None and codec in (UTF8, UTF8_SIG):
            return self._sample.utf8  # the BOM is UTF-8 too
        return self.read(codec)[codec].decodes

    def read(self, *codecs_: str) -> dict[str, _Reading]:
        """The readings of ``codecs_``, those not made yet made in one pass over the file."""
        new = [_Reading(c) for c in codecs_ if c not in self._readings]
        if new:
            with self.path.open("rb") as handle:
                while (active := [r for r in new if r.wanted]) and (chunk := handle.read(_CHUNK)):
                    for reading in active:
                        reading.feed(chunk)
            for reading in new:
                if reading.wanted:
                    reading.feed(b"", final=True)
                self._readings[reading.codec] = reading
        return {c: self._readings[c] for c in codecs_}


def _chinese_or_latin(text: _Text) -> Encoding:
    """Among GB18030, Big5 and cp1252/Latin-1, the one candidate that explains the text.

    The Chinese candidate whose characters are mostly common ones of its script wins, clearly
    ahead of the other. A GB18030 text with few, rare characters (人名用字 such as 堃, 喆) is
    still GB18030 when Big5 cannot decode it and it does not read as Western text.
    """
    readings = text.read(GB18030, *_BIG5_CODECS, CP1252, LATIN1)  # one pass for all
    scored: list[tuple[float, Encoding]] = []
    gb = readings[GB18030]
    if gb.decodes:
        scored.append((gb.score, Encoding(GB18030, GB18030)))
    big5 = next((readings[c] for c in _BIG5_CODECS if readings[c].decodes), None)
    if big5 is not None:
        scored.append((big5.score, Encoding(BIG5, big5.codec)))
    latin = _confirm(text, CP1252)
    if scored:
        scored.sort(key=lambda pair: pair[0], reverse=True)
        best_score, best = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        if best_score >= _PLAUSIBLE and best_score - runner_up >= 0.1:
            return best
        if best_score >= _PLAUSIBLE:
            raise _unknown(text.path, "既可按 GB18030 也可按 Big5 读出，无法确定")
        only_gb = len(scored) == 1 and best.codec == GB18030
        if only_gb and latin is None and (best_score >= 0.3 or gb.wide < 20):
            return best
    if latin is not None:
        return latin
    raise _unknown(text.path, "不是 UTF-8、UTF-16、GB18030、Big5 或 Latin-1 文本")


def _unknown(path: Path, why: str) -> TableError:
    return TableError(f"文件 {path.name} 的字符编码无法可靠识别：{why}", "encoding-unknown")


def _confirm(text: _Text, wanted: str) -> Encoding | None:
    """``wanted`` if the whole file decodes with it and the text is plausible for it."""
    if wanted == BIG5:
        readings = text.read(*_BIG5_CODECS)
        for codec in _BIG5_CODECS:
            if readings[codec].decodes:
                return Encoding(BIG5, codec) if readings[codec].score >= _PLAUSIBLE else None
        return None
    if wanted == GB18030:
        gb = text.read(GB18030)[GB18030]
        return Encoding(GB18030, GB18030) if gb.decodes and gb.score >= _PLAUSIBLE else None
    if wanted in (CP1252, LATIN1):
        readings = text.read(CP1252, LATIN1)
        latin = readings[CP1252] if readings[CP1252].decodes else readings[LATIN1]
        return Encoding(latin.codec, latin.codec) if _latin_plausible(latin) else None
    if wanted in (UTF8, UTF8_SIG) or wanted.startswith(("utf-16", "utf-32")):
        return Encoding(wanted, wanted) if text.decodes(wanted) else None
    return None


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
_LATIN_PUNCTUATION = "’‘“”–—…€£°±×·«»§¶©®"


def _latin_plausible(reading: _Reading) -> bool:
    """A Western text: its high characters are mostly letters (é, ü, ñ) or usual punctuation,
    standing alone or in pairs between ASCII ones (Chinese bytes read as Latin-1 come in long
    runs: 陈大文 is six high characters in a row)."""
    total = reading.wide
    return (
        total > 0 and reading.hits >= _LATIN_PLAUSIBLE * total and reading.long_runs <= 0.2 * total
    )


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
                except UnicodeError:  # a UTF-16/32 codec without its mark raises the base class
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


def transcode_to_utf8(source: Path, target: Path, codec: str) -> tuple[str, int]:
    """Write ``source`` (in ``codec``) to ``target`` as UTF-8, streaming; returns the SHA-256
    and size of the bytes written, hashed as they are written."""
    digest = hashlib.sha256()
    size = 0
    with source.open("r", encoding=codec, newline="") as src, target.open("wb") as out:
        while chunk := src.read(_CHUNK):
            data = chunk.encode("utf-8")
            digest.update(data)
            out.write(data)
            size += len(data)
    return digest.hexdigest(), size
