"""One 目录 row read into a harvest record: each field mapped, checked and kept."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from datasets.catalog.vocabulary import TOPICS, parse_update_cycle
from datasets.errors import ValidationError
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.openness.rules import OPENNESS_TITLES, parse_openness
from harvester.base import safe_child
from harvester.normalise import (
    clean_line,
    clean_text,
    parse_count,
    parse_date,
    parse_range,
    split_keywords,
    split_list,
)

# values portals put in a field that has not been filled in
_DEFAULT_VALUES = frozenset({"默认主题", "默认分类", "默认领域", "默认行业", "其他行业"})


_INDUSTRY_DEFAULTS = _DEFAULT_VALUES | {"其他"}


_MAX_TOPIC = 50  # datasets.topic column


EMPTY = "（空）"


class RowReader:
    """Normalises one catalog row, remembering what changed form and what could not be used."""

    def __init__(self, row: dict[str, Any], mapping: dict[str, str]) -> None:
        self.row = row
        self.mapping = mapping
        self.unnormalised: dict[str, Any] = {}
        self.normalised: dict[str, str] = {}
        self.notes: list[str] = []

    def header(self, fld: str) -> str:
        return self.mapping.get(fld, fld)

    def raw(self, fld: str) -> Any:
        header = self.mapping.get(fld)
        return self.row.get(header) if header is not None else None

    def keep(self, fld: str, value: Any) -> None:
        self.unnormalised[self.header(fld)] = _plain(value)

    def note(self, fld: str, raw: Any, value: Any) -> None:
        self.normalised[self.header(fld)] = f"{_shown(raw)} → {_shown(value)}"

    # -- the fields ----------------------------------------------------------------------------

    def record(self, identifier: str, base: Path) -> HarvestRecord:
        mapped = set(self.mapping.values())
        for header, value in self.row.items():
            if header not in mapped and _present(value):
                self.unnormalised[header] = _plain(value)
        openness, conditions = self.openness()
        topic, keywords = self.topic(), self.keywords()
        cycle, count = self.update_cycle(), self.record_count()
        issued, modified = self.date("issued"), self.date("modified")
        if issued and modified and modified < issued:
            self.notes.append(
                f"{self.header('modified')}早于{self.header('issued')}：{modified} < {issued}"
            )
        start, end = parse_range(self.raw("temporal"))
        if (start, end) == (None, None) and _present(self.raw("temporal")):
            self.keep("temporal", self.raw("temporal"))
        files = tuple(_files(base, self.raw("files")))
        self.formats(bool(files))
        unnormalised = dict(self.unnormalised)
        if self.normalised:
            unnormalised["_normalised"] = dict(self.normalised)
        if self.notes:
            unnormalised["_notes"] = list(self.notes)
        return HarvestRecord(
            identifier=identifier,
            title=clean_line(self.raw("title")) or "",
            notes=clean_text(self.raw("notes")) or "",
            code=clean_line(self.raw("code")),
            provider=ProviderRecord(
                clean_line(self.raw("provider")) or "", clean_line(self.raw("provider_code"))
            ),
            topic=topic,
            keywords=keywords,
            openness=openness,
            conditions=conditions,
            exclusion_rule=clean_line(self.raw("exclusion_rule")),
            exclusion_basis=clean_text(self.raw("exclusion_basis")),
            share_type=clean_line(self.raw("share_type")),
            share_conditions=clean_text(self.raw("share_conditions")),
            share_method=clean_line(self.raw("share_method")),
            share_basis=clean_text(self.raw("share_basis")),
            update_cycle=cycle,
            issued=issued,
            modified=modified,
            temporal_start=start,
            temporal_end=end,
            record_count=count,
            license_title=clean_line(self.raw("license")),
            source_url=clean_line(self.raw("source_url")),
            files=files,
            unnormalised=unnormalised,
        )

    def topic(self) -> str | None:
        raw = self.raw("topic")
        text = clean_line(raw)
        if text in _DEFAULT_VALUES:
            self.note("topic", raw, EMPTY)
            return None
        values = split_keywords(text)
        if not values:
            return None
        topic = values[0]
        if len(values) > 1:  # one topic is stored; the whole value is kept
            self.keep("topic", raw)
            self.note("topic", raw, topic)
        elif topic != text:  # "城乡建设,城乡建设,城乡建设"
            self.note("topic", raw, topic)
        if len(topic) > _MAX_TOPIC:
            self.keep("topic", raw)
            return None
        if topic not in TOPICS:  # still a useful facet, but not our vocabulary
            self.keep("topic", raw)
        return topic

    def keywords(self) -> tuple[str, ...]:
        words = split_keywords(self.raw("keywords"))
        raw = self.raw("industry")
        industry = clean_line(raw)
        if industry in _INDUSTRY_DEFAULTS:
            self.note("industry", raw, EMPTY)
        elif industry and industry not in words:
            words.append(industry)  # 国民经济行业分类: a useful tag
        return tuple(words)

    def openness(self) -> tuple[str | None, str | None]:
        raw = self.raw("openness")
        text = clean_line(raw)
        conditions = clean_text(self.raw("conditions"))
        fld = "openness"
        if text is None and conditions and parse_openness(conditions) is not None:
            # Some portals (e.g. Guangxi) write the class itself in a 开放条件 column.
            fld, raw, text, conditions = "conditions", self.raw("conditions"), conditions, None
        if text is None:
            return None, conditions  # not declared: open by default
        code = parse_openness(text)
        if code is None:  # left as declared: the openness engine refuses it with the reason
            self.keep(fld, raw)
            return text, conditions
        if fld == "conditions":
            self.note(fld, raw, f"开放属性 {code}")
        elif text not in (code, OPENNESS_TITLES[code]):
            self.note(fld, raw, code)
        return code, conditions

    def update_cycle(self) -> str | None:
        raw = self.raw("update_cycle")
        text = clean_line(raw)
        if text is None:
            return None
        cycle = parse_update_cycle(text)
        if cycle is None:
            self.keep("update_cycle", raw)
        elif cycle != text:
            self.note("update_cycle", raw, cycle)
        return cycle

    def date(self, fld: str) -> date | None:
        raw = self.raw(fld)
        parsed = parse_date(raw)
        if parsed is None:
            if _present(raw):
                self.keep(fld, raw)
        elif isinstance(raw, str) and clean_line(raw) != parsed.isoformat():
            self.note(fld, raw, parsed.isoformat())
        return parsed

    def record_count(self) -> int | None:
        raw = self.raw("record_count")
        count = parse_count(raw)
        if count is None:
            if _present(raw):
                self.keep("record_count", raw)
        elif isinstance(raw, str) and clean_line(raw) != str(count):
            self.note("record_count", raw, count)
        return count

    def formats(self, has_files: bool) -> None:
        """The formats a metadata-only entry declares, kept as a list (files name their own)."""
        raw = self.raw("formats")
        formats = split_list(raw)
        if not formats or has_files:
            return
        self.unnormalised[self.header("formats")] = formats
        if isinstance(raw, str) and clean_line(raw) != ", ".join(formats):
            self.note("formats", raw, ", ".join(formats))


def _files(base: Path, value: Any) -> list[FileRecord]:
    files = []
    for name in split_list(value):
        path = safe_child(base, name)
        if not path.is_file():
            raise ValidationError(f"目录所列数据文件不存在：{name}", {"files": [name]})
        files.append(
            FileRecord(path=path, name=path.stem, title=path.stem, format=path.suffix.lstrip("."))
        )
    return files


def _present(value: Any) -> bool:
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return clean_text(value) is not None


def _plain(value: Any) -> Any:
    """A JSON value for ``unnormalised``: text tidied, dates in ISO form."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return clean_text(value) or value.strip()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value.strip() or EMPTY
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
