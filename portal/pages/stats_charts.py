"""The charts of the statistics page (``portal.charts``), drawn from the statistics' figures:
openness by department, machine-readable share, replies on time, uses of the data, and the
trends by month."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from datasets.openness.rules import OPENNESS_TITLES
from portal.charts import PALETTE, Series, bars, columns

CLASSES = ("unconditional", "conditional", "closed")


def _title(row: dict[str, Any]) -> str:
    return row["department"]["title"] if row["department"] else "其他"


def _shares(rows: list[dict[str, Any]], key: str) -> tuple[list[str], tuple[float, ...]]:
    """The departments with a share (those with no open dataset or no decision have none)."""
    kept = [r for r in rows if r[key] is not None]
    return [_title(r) for r in kept], tuple(float(r[key]) for r in kept)


def stats_charts(stats: dict[str, Any]) -> dict[str, Markup]:
    rows = [r for r in stats["departments"] if r["datasets"]["total"] or r["usage"]["total"]]
    labels = [_title(r) for r in rows]
    openness = [
        Series(OPENNESS_TITLES[k], tuple(float(r["datasets"][k]) for r in rows), PALETTE[i])
        for i, k in enumerate(CLASSES)
    ]
    readable_rows = [{**r, "share": r["machine_readable"]["share"]} for r in rows]
    readable_labels, readable = _shares(readable_rows, "share")
    on_time_labels, on_time = _shares(rows, "on_time_share")
    uses = tuple(float(r["usage"]["total"]) for r in rows)
    trends = stats["trends"]
    months = [t["month"] for t in trends]
    return {
        "openness": bars("各部门在用数据集数（按开放属性）", labels, openness),
        "readable": bars(
            "各部门开放数据的机器可读比例",
            readable_labels,
            [Series("机器可读比例", readable, PALETTE[0])],
            unit="%",
            maximum=100,
        ),
        "on_time": bars(
            "各部门申请和需求的按期办结率",
            on_time_labels,
            [Series("按期办结率", on_time, PALETTE[3])],
            unit="%",
            maximum=100,
        ),
        "uses": bars("各部门数据的使用次数", labels, [Series("使用次数", uses, PALETTE[4])]),
        "monthly": columns(
            "每月新发布的数据集、应用成果和收到的申请、需求",
            months,
            [
                Series("新发布数据集", tuple(float(t["datasets"]) for t in trends), PALETTE[0]),
                Series("收到的申请和需求", tuple(float(t["cases"]) for t in trends), PALETTE[1]),
                Series("应用成果", tuple(float(t["reuses"]) for t in trends), PALETTE[2]),
            ],
        ),
        "monthly_on_time": columns(
            "每月按期办结率",
            months,
            [
                Series(
                    "按期办结率",
                    tuple(float(t["on_time_share"] or 0) for t in trends),
                    PALETTE[3],
                )
            ],
            unit="%",
        ),
        "monthly_uses": columns(
            "每月数据使用次数（浏览、下载、API 调用）",
            months,
            [Series("使用次数", tuple(float(t["uses"]) for t in trends), PALETTE[4])],
        ),
    }
