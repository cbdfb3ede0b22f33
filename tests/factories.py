"""Builders of small harvest sources and runtimes for tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from datasets.database import upgrade
from datasets.runtime import Runtime
from datasets.settings import load_settings

CREDIT_CODE = "11361000MB0000001P"


def make_runtime(instance: Path, **overrides: Any) -> Runtime:
    """A runtime on a fresh instance folder with the schema created."""
    rt = Runtime(load_settings({"instance": str(instance), **overrides}, environ={}))
    upgrade(rt)
    return rt


def write_csv(path: Path, rows: list[list[Any]], *, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


BUS_ROWS = [
    ["线路名称", "起点站", "终点站", "票价"],
    ["1路", "火车站", "江南大道", "1"],
    ["2路", "江北客运站", "临湖公园", "2"],
]


def write_package(
    folder: Path,
    name: str,
    *,
    title: str = "公交线路信息",
    rows: list[list[Any]] | None = None,
    resources: list[dict[str, Any]] | None = None,
    **props: Any,
) -> Path:
    """A data package folder ``folder/name`` with one CSV resource unless told otherwise."""
    pkg = folder / name
    pkg.mkdir(parents=True, exist_ok=True)
    if resources is None:
        write_csv(pkg / "data.csv", rows or BUS_ROWS)
        resources = [{"name": "data", "path": "data.csv", "format": "csv"}]
    descriptor = {
        "name": name,
        "title": title,
        "description": props.pop("description", f"{title}，由江州市交通运输局提供。"),
        "provider": props.pop("provider", {"name": "江州市交通运输局", "code": CREDIT_CODE}),
        "topic": props.pop("topic", "交通运输"),
        "update_cycle": props.pop("update_cycle", "每月"),
        "resources": resources,
        **props,
    }
    (pkg / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return pkg
