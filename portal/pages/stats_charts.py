"""The charts of the statistics page (``portal.charts``), drawn from the statistics' figures:
openness by department, machine-readable share, replies on time, uses of the data, and the
trends by month."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from datasets.openness.rules import OPENNESS_TITLES
from portal.charts import PALETTE, Series, bars, columns

CLASSES = ("unconditional", "conditional", "closed")
# a chart by department draws at most this many: those with the largest figures
TOP = 20


def _title(row: dict[str, Any]) -> str:
    return row["department"]["title"] if row["department"] else "其他"


def _shares(rows: list[dict[str, Any]], key: str) -> tuple[list[str], tuple[float, ...]]:
    """The departments with a share (those with no open dataset or no decision have none)."""
    kept = [r for r in rows if r[key] is not None]
    return [_title(r) for r in kept], tuple(float(r[key]) for r in kept)


def _top(rows: list[dict[str, Any]], size: Any) -> list[dict[str, Any]]:
    """The rows in their order, or, past ``TOP``, the ``TOP`` largest by ``size``."""
    if len(rows) <= TOP:
        return rows
    return sorted(rows, key=lambda r: -size(r))[:TOP]


def top_note(stats: dict[str, Any]) -> str:
    """How the charts by department chose their departments, when they could not draw all."""
    if len(stats["departments"]) <= TOP:
        return ""
    return f"部门较多，图中为各项数值最大的 {TOP} 个部门；全部部门见下表。"


def stats_charts(stats: dict[str, Any]) -> dict[str, Markup]:
    rows = [r for r in stats["departments"] if r["datasets"]["total"] or r["usage"]["total"]]
    most = _top(rows, lambda r: r["datasets"]["total"])
    openness = [
        Series(OPENNESS_TITLES[k], tuple(float(r["datasets"][k]) for r in most), PALETTE[i])
        for i, k in enumerate(CLASSES)
    ]
    readable_rows = [{**r, "share": r["machine_readable"]["share"]} for r in rows]
    readable_rows = _top(
        [r for r in readable_rows if r["share"] is not None],
        lambda r: r["machine_readable"]["open"],
    )
    readable_labels, readable = _shares(readable_rows, "share")
    decided = [r for r in rows if r["on_time_share"] is not None]
    on_time_labels, on_time = _shares(
        _top(decided, lambda r: r["applications"]["decided"] + r["requests"]["decided"]),
        "on_time_share",
    )
    used = _top(rows, lambda r: r["usage"]["total"])
    uses = tuple(float(r["usage"]["total"]) for r in used)
    return {
        "openness": bars("各部门在用数据集数（按开放属性）", [_title(r) for r in most], openness),
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
        "uses": bars(
            "各部门数据的使用次数",
            [_title(r) for r in used],
            [Series("使用次数", uses, PALETTE[4])],
        ),
        **_monthly(stats["trends"]),
    }


def _monthly(trends: list[dict[str, Any]]) -> dict[str, Markup]:
    """The charts by month."""
    months = [t["month"] for t in trends]
    return {
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
