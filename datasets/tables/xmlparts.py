"""XML read with the standard library's expat, streaming and within the reader's bounds: the
parts of workbooks and office documents, and XML data files.

No DTD or entity declaration is accepted (no entity expansion, no external entity), and no text
or tag grows past ``Limits.max_cell_chars`` before it is refused.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from datasets.tables.limits import Limits, TableError

_CHUNK = 64 * 1024
# what reading a damaged zip member raises (bad CRC or header, corrupt deflate data, cut short,
# a compression method zipfile does not know)
BROKEN_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


def local_name(name: str) -> str:
    """An element or attribute name without its namespace."""
    return name.rsplit(" ", 1)[-1]


class Guard:
    """Feeds a part to expat in chunks, refusing a tag or text run longer than the bound before
    expat would buffer it (``<`` cannot appear inside a tag or a text, so the distance between
    two of them bounds both).

    Comments, processing instructions and DOCTYPE literals may hold ``<``, and expat buffers
    each of them whole (re-reading it with every chunk, in time quadratic in its length): after
    each chunk, ``parsed`` refuses a part whose unparsed tail expat holds grows past the bound.
    """

    def __init__(self, limits: Limits, where: str) -> None:
        self.limit = limits.max_cell_chars * 6 + 65536  # a cell's text written as entities
        self.where = where
        self.run = 0
        self.fed = 0

    def parsed(self, parser: Any) -> None:
        """After ``parser.Parse(chunk)``: its index is just past the last complete token, so
        what lies beyond is the token it is still buffering."""
        if self.fed - max(parser.CurrentByteIndex, 0) > self.limit:
            self._fail()

    def check(self, chunk: bytes) -> None:
        self.fed += len(chunk)
        parts = chunk.split(b"<")
        if len(parts) == 1:
            self.run += len(chunk)
        else:
            longest = max(self.run + len(parts[0]), max(map(len, parts[1:-1]), default=0))
            self.run = len(parts[-1])
            if longest > self.limit:
                self._fail()
        if self.run > self.limit:
            self._fail()

    def _fail(self) -> None:
        raise TableError(f"{self.where}含有超长的文字或标记，超出读取上限", "cell-too-long")


def make_parser(*, forbid_doctype: bool = True) -> Any:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = False

    def refuse(*_args: object) -> None:
        raise TableError("XML 文件含有 DTD 或实体声明，出于安全原因不予读取", "xml-entities")

    parser.EntityDeclHandler = refuse
    if forbid_doctype:
        parser.StartDoctypeDeclHandler = refuse
    return parser


def parse_part(
    stream: IO[bytes], parser: Any, limits: Limits, where: str, after: Callable[[], None]
) -> Iterator[None]:
    """Feed ``stream`` to ``parser``; yields after each chunk (``after`` runs first) so callers
    can hand out what the handlers collected."""
    guard = Guard(limits, where)
    try:
        while chunk := stream.read(_CHUNK):
            guard.check(chunk)
            parser.Parse(chunk, False)
            guard.parsed(parser)
            after()
            yield None
        parser.Parse(b"", True)
        after()
        yield None
    except expat.ExpatError as error:
        raise TableError(f"{where}不是格式正确的 XML：{error}", "xml-error") from None
    except BROKEN_ZIP as error:
        raise TableError(f"{where}已损坏，无法解压：{error}", "zip-error") from None


def part_items(
    stream: IO[bytes], limits: Limits, where: str, *, attributes: bool = True
) -> Iterator[tuple[str, str]]:
    """(name, value) of every text node (named by its element) and, with ``attributes``,
    every attribute value (named ``element@attribute``) of one XML document, streaming and
    within bounds."""
    found: list[tuple[str, str]] = []
    text: list[str] = []
    names: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal size
        if text:
            value = "".join(text).strip()
            if value:
                found.append((names[-1] if names else "", value))
            text.clear()
            size = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        flush()
        name = local_name(tag)
        names.append(name)
        for key, value in attrs.items() if attributes else ():
            if value.strip():
                found.append((f"{name}@{local_name(key)}", value))

    def end(_tag: str) -> None:
        flush()
        names.pop()

    def data(chunk: str) -> None:
        nonlocal size
        size += len(chunk)
        if size > limits.max_cell_chars:
            raise limits.cell_too_long(where)
        text.append(chunk)

    parser = make_parser(forbid_doctype=False)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    with stream:
        for _ in parse_part(stream, parser, limits, where, lambda: None):
            yield from found
            found.clear()
