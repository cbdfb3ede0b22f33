"""Finding and reading a department export's 目录 file: XLSX, CSV (UTF-8 or GB18030) or JSON.

A catalog is read into plain rows (header → value). JSON catalogs are an array of objects, as the
portals' own exports and crawls of them are, or an object holding that array under ``data``,
``datasets``, ``records``, ``items``, ``rows``, ``list`` or ``result``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from datasets.errors import SourceError, ValidationError
from datasets.tables import decide_encoding
from harvester.json_input import JsonInputError, load_json

CATALOG_NAMES = (
    "目录.xlsx",
    "目录.csv",
    "目录.json",
    "catalog.xlsx",
    "catalog.csv",
    "catalog.json",
)
CATALOG_SUFFIXES = (".xlsx", ".csv", ".json")
_JSON_LIST_KEYS = ("data", "datasets", "records", "items", "rows", "list", "result")
NO_TITLE = "没有可识别的目录字段（缺少名称列）"


def catalog_file(path: Path) -> Path:
    """The catalog of an export: the file itself, a conventionally named file in the folder, or
    the folder's only XLSX/CSV/JSON file."""
    if path.is_file():
        if path.suffix.lower() not in CATALOG_SUFFIXES:
            raise SourceError(f"目录文件须为 XLSX、CSV 或 JSON：{path.name}")
        return path
    for name in CATALOG_NAMES:
        if (path / name).is_file():
            return path / name
    candidates = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in CATALOG_SUFFIXES and not p.name.startswith(".")
    )
    if len(candidates) == 1:
        return candidates[0]
    wanted = "、".join(CATALOG_NAMES[:3])
    if candidates:
        names = "、".join(p.name for p in candidates[:5]) + ("…" if len(candidates) > 5 else "")
        raise SourceError(
            f"导出目录中没有目录文件（{wanted}），且有多个候选文件（{names}）：请指定目录文件路径"
        )
    raise SourceError(f"导出目录中没有目录文件（{wanted}）：{path.name}")


def read_catalog(path: Path) -> list[dict[str, Any]]:
    """The rows of a catalog file. Raises ``SourceError`` when it cannot be read at all."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding=decide_encoding(path).codec, newline="") as handle:
                return [dict(r) for r in csv.DictReader(handle)]
        if suffix == ".json":
            return _json_rows(path, load_json(path.read_text(encoding=decide_encoding(path).codec)))
        return _read_xlsx(path)
    except JsonInputError as exc:
        raise SourceError(f"目录文件无法读取：{path.name}（{exc.reason}）") from None
    except (ValidationError, UnicodeDecodeError, csv.Error, OSError) as exc:
        raise SourceError(f"目录文件无法读取：{path.name}（{exc}）") from None


def catalog_headers(rows: list[dict[str, Any]]) -> list[str]:
    """Every header of the catalog in order of first appearance (JSON rows differ in keys)."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if isinstance(key, str) and key.strip():
                seen.setdefault(key, None)
    return list(seen)


def _json_rows(path: Path, data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        found = next(
            (data[k] for k in _JSON_LIST_KEYS if isinstance(data.get(k), list) and data[k]),
            None,
        )
        if found is None:
            raise SourceError(f"{NO_TITLE}：{path.name} 不是目录条目的数组")
        data = found
    if not isinstance(data, list):
        raise SourceError(f"{NO_TITLE}：{path.name} 不是目录条目的数组")
    rows = [r for r in data if isinstance(r, dict)]
    if data and not rows:
        raise SourceError(f"{NO_TITLE}：{path.name} 的条目不是 JSON 对象")
    return rows


def _read_xlsx(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds on a bad file
        raise SourceError(f"目录文件无法读取：{path.name}（{type(exc).__name__}）") from None
    try:
        return _xlsx_rows(workbook.worksheets[0].iter_rows(values_only=True))
    except Exception as exc:  # noqa: BLE001 — a broken part shows only once it is read
        raise SourceError(f"目录文件无法读取：{path.name}（{type(exc).__name__}）") from None
    finally:
        workbook.close()


def _xlsx_rows(rows: Iterator[tuple[Any, ...]]) -> list[dict[str, Any]]:
    header: list[str] | None = None
    out = []
    for row in rows:
        cells = list(row)
        if header is None:
            if any(c not in (None, "") for c in cells):
                header = [str(c).strip() if c is not None else "" for c in cells]
            continue
        if all(c in (None, "") for c in cells):
            continue
        out.append({h: cells[i] if i < len(cells) else None for i, h in enumerate(header) if h})
    return out
