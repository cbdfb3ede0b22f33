"""A small catalog written straight into the database (each dataset's search row is written by
its own transaction), on the embedded default and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from datasets.models import Dataset, Organization, Resource, Tag
from datasets.runtime import Runtime
from tests.factories import make_runtime
from tests.postgres.conftest import _database

ORGS = [("jtysj", "江州市交通运输局"), ("mzj", "江州市民政局"), ("sthjj", "江州市生态环境局")]
# name, title, notes, org, topic, formats, tags, license, openness, created (month)
CATALOG: list[tuple[Any, ...]] = [
    (
        "bus-lines",
        "公交线路信息",
        "全市公交线路的起讫站点与票价",
        "jtysj",
        "交通运输",
        ("csv",),
        ("公交", "线路"),
        "cc-by-4.0",
        "unconditional",
        1,
    ),
    (
        "bus-stops",
        "公交站点信息",
        "公交站点的位置",
        "jtysj",
        "交通运输",
        ("xlsx",),
        ("公交",),
        "cc-by-4.0",
        "unconditional",
        2,
    ),
    (
        "bus-cars",
        "公交车辆运营里程",
        "公交车每日运营里程",
        "jtysj",
        "交通运输",
        ("csv",),
        (),
        "cc0-1.0",
        "unconditional",
        3,
    ),
    (
        "elderly",
        "养老机构名录",
        "全市养老服务机构的名称和床位",
        "mzj",
        "社会救助",
        ("csv", "json"),
        ("养老",),
        "cc-by-4.0",
        "unconditional",
        4,
    ),
    (
        "elderly-subsidy",
        "高龄津贴发放",
        "高龄老人津贴，按月发放",
        "mzj",
        "社会救助",
        ("xlsx",),
        ("养老", "津贴"),
        "cc-by-4.0",
        "conditional",
        5,
    ),
    (
        "air",
        "空气质量监测日报",
        "PM2.5 与 AQI 日报",
        "sthjj",
        "生态环境",
        ("csv",),
        ("空气", "监测"),
        "cc-by-4.0",
        "unconditional",
        6,
    ),
    (
        "water",
        "饮用水源水质",
        "饮用水水源地水质监测",
        "sthjj",
        "生态环境",
        ("pdf",),
        ("监测",),
        "cc0-1.0",
        "unconditional",
        7,
    ),
    (
        "metro",
        "公共交通客流统计",
        "地铁与公共交通的月度客流",
        "jtysj",
        "交通运输",
        ("csv",),
        (),
        "cc-by-4.0",
        "unconditional",
        8,
    ),
]


def write_catalog(rt: Runtime) -> dict[str, str]:
    """The catalog above, one transaction per dataset; returns name → id."""
    ids: dict[str, str] = {}
    with rt.session() as session:
        orgs = {name: Organization(name=name, title=title) for name, title in ORGS}
        session.add_all(orgs.values())
    for row in CATALOG:
        name, title, notes, org, topic, formats, tags, license_id, openness, month = row
        stamp = datetime(2026, month, 1, tzinfo=UTC)
        with rt.session() as session:
            dataset = Dataset(
                name=name,
                title=title,
                notes=notes,
                organization_id=orgs[org].id,
                topic=topic,
                openness=openness,
                update_cycle="每月",
                license_id=license_id,
                created_at=stamp,
                metadata_modified=stamp,
                tags=[Tag(name=t) for t in tags],
                resources=[_resource(name, i, fmt) for i, fmt in enumerate(formats)],
            )
            session.add(dataset)
            session.flush()
            ids[name] = dataset.id
    return ids


def _resource(name: str, position: int, fmt: str) -> Resource:
    return Resource(
        position=position,
        name=f"{name}-{position}",
        format=fmt,
        filename=f"{name}-{position}.{fmt}",
        storage_root="public",
        storage_key=f"{name}/{position}.{fmt}",
        size=1,
        sha256="0" * 64,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def search_rt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime holding the catalog above, on each backend."""
    if request.param == "sqlite":
        rt = make_runtime(tmp_path / "instance")
        write_catalog(rt)
        yield rt
        rt.close()
        return
    with _database() as url:
        rt = make_runtime(tmp_path / "instance", database_url=url)
        write_catalog(rt)
        yield rt
        rt.close()
