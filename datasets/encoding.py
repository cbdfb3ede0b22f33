"""Text encoding detection for harvested CSV files (UTF-8, UTF-8 with BOM, GB18030/GBK)."""

from __future__ import annotations

import codecs
from pathlib import Path

from .errors import ValidationError

_CHUNK = 1024 * 1024
_CANDIDATES = ("utf-8", "gb18030")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """Name the encoding of a text file: ``utf-8-sig``, ``utf-8`` or ``gb18030``.

    The whole file is checked, so a GBK file whose first megabyte happens to be ASCII is still
    recognised. Raises ``ValidationError`` when no supported encoding decodes it.
    """
    with path.open("rb") as handle:
        head = handle.read(3)
    if head == codecs.BOM_UTF8:
        return "utf-8-sig" if _decodes(path, "utf-8-sig") else _fail(path)
    for encoding in _CANDIDATES:
        if _decodes(path, encoding):
            return encoding
    return _fail(path)


def _fail(path: Path) -> str:
    raise ValidationError(
        f"文件 {path.name} 的字符编码无法识别（支持 UTF-8、GB18030/GBK）",
        {"encoding": ["not UTF-8 or GB18030"]},
    )


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Write ``source`` (in ``encoding``) to ``target`` as UTF-8, streaming."""
    with (
        source.open("r", encoding=encoding, newline="") as src,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        while chunk := src.read(_CHUNK):
            out.write(chunk)
