"""XLSX workbooks read with the standard library's expat, streaming and within bounds: every
sheet (hidden ones too), its cells' typed values, the cell comments and whatever other text the
package holds (text boxes, headers and footers, document properties).

A general XML library would happily build a 400 MB string from a 400 KB workbook, or pad every
row of a sheet whose dimension claims column XFD; here no text, tag or row grows past the
reader's bounds before it is refused. A sheet's ``<dimension>`` may claim no more columns or
rows than a sheet may have (openpyxl, which Frictionless validates with, pads every row to it),
and a shared string counts with its full length wherever a cell refers to it (one string of
32,767 characters referred to by millions of cells is a bomb too). Dates are recognised by
their number formats with openpyxl's own tables, so values read as openpyxl reads them.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from datasets.tables.limits import Limits, TableError
from datasets.tables.sheet_rows import SheetReader
from datasets.tables.xmlparts import (
    BROKEN_ZIP,
    Guard,
    local_name,
    make_parser,
    parse_part,
    part_items,
)

_CHUNK = 64 * 1024
_MAX_PARTS = 10_000
# parts that hold no text of the data's (styles, themes, relationships, binaries are apart)
_STRUCTURE = re.compile(
    r"(^/\[Content_Types\]\.xml$|/vmlDrawing[^/]*\.vml$|_rels/|/styles\.xml$|/theme/|/calcChain\.xml$|/workbook\.xml$"
    r"|/sharedStrings\.xml$|/worksheets/[^/]+\.xml$|/printerSettings/|/vbaProject)"
)
_MEDIA = re.compile(r"(^|/)(media|embeddings|activeX)/", re.IGNORECASE)


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str
    hidden: bool
    comments: tuple[str, ...] = ()  # parts of its comments


@dataclass
class _Book:
    sheets: list[SheetInfo] = field(default_factory=list)
    date1904: bool = False


class Workbook:
    """An open XLSX file. ``sheets()`` reads each sheet once, streaming."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.name = path.name
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise TableError(
                f"文件 {self.name} 不是有效的 XLSX 工作簿（{error}）", "not-xlsx"
            ) from None
        try:
            self._check_parts()
            self.book = self._read_workbook()
            self.shared = self._read_shared_strings()
            self.dates = self._read_date_styles()
        except BaseException:
            self.zip.close()
            raise

    def close(self) -> None:
        self.zip.close()

    # -- the package -----------------------------------------------------------------------

    def _check_parts(self) -> None:
        infos = self.zip.infolist()
        if len(infos) > _MAX_PARTS:
            raise TableError(f"文件 {self.name} 含有过多部件（{len(infos)} 个）", "zip-too-many")
        total = sum(info.file_size for info in infos)
        if total > self.limits.max_unpacked_bytes:
            raise TableError(
                f"文件 {self.name} 解压后达 {total} 字节，超过 {self.limits.max_unpacked_bytes} "
                "字节的上限（可能是压缩炸弹）",
                "zip-too-large",
            )
        if any(info.flag_bits & 0x1 for info in infos):
            raise TableError(f"文件 {self.name} 已加密，无法读取", "encrypted")
        self.parts = {info.filename: info for info in infos}

    def _open(self, part: str) -> IO[bytes]:
        try:
            return self.zip.open(self.parts[part])
        except BROKEN_ZIP as error:
            raise self._broken(part, error) from None

    def _broken(self, part: str, error: BaseException) -> TableError:
        kind = "校验和不符" if "CRC" in str(error) else "压缩数据损坏或不完整"
        return TableError(f"文件 {self.name} 的部件 {part} 已损坏，无法解压（{kind}）", "zip-error")

    def _small(self, part: str) -> bytes:
        info = self.parts.get(part)
        if info is None:
            return b""
        if info.file_size > self.limits.max_memory_bytes:
            raise TableError(f"文件 {self.name} 的部件 {part} 过大", "part-too-large")
        try:
            return self.zip.read(info)
        except BROKEN_ZIP as error:
            raise self._broken(part, error) from None

    def _parse_small(self, part: str, parser: Any) -> None:
        data = self._small(part)
        if not data:
            return
        guard = Guard(self.limits, f"文件 {self.name} 的 {part} ")
        guard.check(data)
        try:
            parser.Parse(data, True)
        except expat.ExpatError as error:
            raise TableError(
                f"文件 {self.name} 的 {part} 不是格式正确的 XML：{error}", "xml-error"
            ) from None

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationships of ``part``: id → (type, target part)."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        found: dict[str, tuple[str, str]] = {}

        def start(tag: str, attrs: dict[str, str]) -> None:
            if local_name(tag) == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    resolved = target.lstrip("/")
                else:
                    resolved = posixpath.normpath(posixpath.join(folder, target))
                found[attrs.get("Id", "")] = (attrs.get("Type", ""), resolved)

        parser = make_parser()
        parser.StartElementHandler = start
        self._parse_small(rels_part, parser)
        return found

    def _read_workbook(self) -> _Book:
        book = _Book()
        main = "xl/workbook.xml"
        if main not in self.parts:
            raise TableError(
                f"文件 {self.name} 不是有效的 XLSX 工作簿（缺少 workbook.xml）", "not-xlsx"
            )
        rels = self._rels(main)
        listed: list[tuple[str, str, bool]] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            name = local_name(tag)
            if name == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                book.date1904 = True
            elif name == "sheet":
                rid = next((v for k, v in attrs.items() if local_name(k) == "id"), "")
                hidden = attrs.get("state", "visible") != "visible"
                listed.append((attrs.get("name", ""), rid, hidden))

        parser = make_parser()
        parser.StartElementHandler = start
        self._parse_small(main, parser)
        for name, rid, hidden in listed:
            kind, target = rels.get(rid, ("", ""))
            if not kind.endswith("/worksheet") or target not in self.parts:
                continue  # chartsheets and dialog sheets hold no cells
            comments = tuple(
                t
                for k, t in self._rels(target).values()
                if (k.endswith("/comments") or k.endswith("/threadedComment")) and t in self.parts
            )
            book.sheets.append(
                SheetInfo(name or posixpath.basename(target), target, hidden, comments)
            )
        return book

    def _read_shared_strings(self) -> list[str]:
        part = "xl/sharedStrings.xml"
        strings: list[str] = []
        if part not in self.parts:
            return strings
        if self.parts[part].file_size > self.limits.max_memory_bytes:
            raise TableError(
                f"文件 {self.name} 的共享字符串表超过 {self.limits.max_memory_bytes} 字节的上限",
                "part-too-large",
            )
        limit = self.limits.max_cell_chars
        text: list[str] = []
        size = 0
        depth = {"t": 0, "rPh": 0}

        def start(tag: str, _attrs: dict[str, str]) -> None:
            nonlocal size
            name = local_name(tag)
            if name == "si":
                text.clear()
                size = 0
            elif name in depth:
                depth[name] += 1

        def end(tag: str) -> None:
            name = local_name(tag)
            if name == "si":
                strings.append("".join(text))
            elif name in depth:
                depth[name] -= 1

        def data(chunk: str) -> None:
            nonlocal size
            if depth["t"] and not depth["rPh"]:
                size += len(chunk)
                if size > limit:
                    raise self.limits.cell_too_long(f"文件 {self.name} ")
                text.append(chunk)

        parser = make_parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self._open(part) as stream:
            for _ in parse_part(stream, parser, self.limits, f"文件 {self.name} ", lambda: None):
                pass
        return strings

    def _read_date_styles(self) -> list[bool]:
        """For each cell style (``s`` attribute) whether its number format is a date."""
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        styles: list[bool] = []
        inside = {"cellXfs": False}

        def start(tag: str, attrs: dict[str, str]) -> None:
            name = local_name(tag)
            if name == "numFmt":
                with contextlib.suppress(ValueError):
                    formats[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            elif name == "cellXfs":
                inside["cellXfs"] = True
            elif name == "xf" and inside["cellXfs"]:
                try:
                    code = formats.get(int(attrs.get("numFmtId", "0")), "General")
                except ValueError:
                    code = "General"
                styles.append(is_date_format(code))

        def end(tag: str) -> None:
            if local_name(tag) == "cellXfs":
                inside["cellXfs"] = False

        parser = make_parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        self._parse_small("xl/styles.xml", parser)
        return styles

    # -- what it holds ---------------------------------------------------------------------

    def unscannable_parts(self) -> list[str]:
        """Images, embedded objects and macros: content no scanner can read."""
        return sorted(p for p in self.parts if _MEDIA.search(p) and not p.endswith("/"))

    def sheet_rows(self, info: SheetInfo) -> Iterator[list[object]]:
        """The rows of one sheet, each a list of typed values (str, int, float, bool,
        datetime, None for an empty cell), in order; a row the sheet skips comes as ``[]``."""
        reader = SheetReader(
            self.limits,
            f"工作表“{info.name}”",
            date1904=self.book.date1904,
            shared=self.shared,
            dates=self.dates,
        )
        with self._open(info.part) as stream:
            for _ in parse_part(
                stream, reader.parser, self.limits, f"工作表“{info.name}”", lambda: None
            ):
                for item in reader.done:
                    if isinstance(item, int):  # a gap of skipped rows, made only as read
                        yield from ([] for _ in range(item))
                    else:
                        yield item
                reader.done.clear()

    def texts(
        self, parts: tuple[str, ...] | list[str], where: str, *, only: tuple[str, ...] = ()
    ) -> Iterator[str]:
        """The text nodes of ``parts`` (comments, drawings, properties), one by one; with
        ``only``, those of these elements (a comment's ``t`` and ``text``, not its author)."""
        for part in parts:
            stream = self._open(part)
            items = part_items(
                stream, self.limits, f"文件 {self.name} 的 {where}", attributes=False
            )
            yield from (value for name, value in items if not only or name in only)

    def other_parts(self) -> list[str]:
        """XML parts other than the sheets, strings, styles and comments: text boxes, charts,
        document properties, custom XML."""
        comments = {c for s in self.book.sheets for c in s.comments}
        return sorted(
            p
            for p, info in self.parts.items()
            if p.lower().endswith((".xml", ".vml"))
            and p not in comments
            and not _STRUCTURE.search("/" + p)
            and info.file_size > 0
        )
