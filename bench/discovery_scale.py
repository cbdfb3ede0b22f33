"""The documents for machines at scale: time and peak Python memory to write the whole
``/data.json``, the sitemap index and each of its parts, and the site's Atom feed for a catalog
of N public datasets (default 100,000) in the embedded SQLite instance.

The datasets are written straight into the catalog's tables (a dataset, its search row and its
stored package dict, copied from one realistic package with its name, title and openness
changed), which is what these documents read; publishing them for real is timed by
``bench.search_scale``.

Run: .venv/bin/python -m bench.discovery_scale [N]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from datasets.catalog import datajson_out, feeds, sitemaps
from datasets.database import upgrade
from datasets.models import Dataset, Organization, SearchEntry, SearchPackage
from datasets.runtime import Runtime
from datasets.settings import load_settings

BASE = "https://data.example.cn"
CHUNK = 5000
OPENNESS = ("unconditional", "unconditional", "conditional", "closed")


def _package(i: int, dataset_id: str, org: dict[str, Any], openness: str) -> dict[str, Any]:
    name = f"dataset-{i:06d}"
    resource = {
        "id": str(uuid.uuid4()),
        "name": f"数据集 {i}",
        "format": "CSV",
        "mimetype": "text/csv",
        "url": f"/dataset/{name}/resource/r{i}/download/{name}.csv",
        "url_type": "upload",
        "access": "public" if openness == "unconditional" else "restricted",
        "description": "",
    }
    return {
        "id": dataset_id,
        "name": name,
        "title": f"江州市公交线路信息 {i}",
        "notes": "全市公交线路的编号、起止站点、首末班时间和票价。" * 3,
        "organization": org,
        "tags": [{"name": t} for t in ("公交", "交通", "线路")],
        "topic": "交通运输",
        "openness": openness,
        "openness_title": openness,
        "conditions": "须签订数据使用协议" if openness == "conditional" else None,
        "exclusion_rule": "security" if openness == "closed" else None,
        "exclusion_rule_title": "危及公共安全" if openness == "closed" else None,
        "exclusion_basis": "《江州市公共数据开放管理办法》第二十六条"
        if openness == "closed"
        else None,
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "update_cycle": "每月",
        "issued": "2024-01-01",
        "modified": "2026-10-31",
        "metadata_created": "2026-01-01T00:00:00.000000",
        "metadata_modified": "2026-10-31T08:00:00.000000",
        "temporal_start": "2020-01-01",
        "temporal_end": "2025-12-31",
        "resources": [] if openness == "closed" else [resource],
        "overdue": False,
    }


def populate(rt: Runtime, count: int) -> None:
    org_id = str(uuid.uuid4())
    org = {"id": org_id, "name": "jiao-tong-yun-shu-ju", "title": "江州市交通运输局", "code": None}
    start = datetime(2026, 1, 1)
    with rt.engine.begin() as connection:
        connection.execute(
            insert(Organization), [{"id": org_id, **{k: org[k] for k in ("name", "title")}}]
        )
        for first in range(0, count, CHUNK):
            ids = [str(uuid.uuid4()) for _ in range(first, min(first + CHUNK, count))]
            rows = [
                (first + n, dataset_id, OPENNESS[(first + n) % 4])
                for n, dataset_id in enumerate(ids)
            ]
            connection.execute(
                insert(Dataset),
                [
                    {
                        "id": d,
                        "name": f"dataset-{i:06d}",
                        "title": f"江州市公交线路信息 {i}",
                        "organization_id": org_id,
                        "openness": o,
                        "state": "active",
                    }
                    for i, d, o in rows
                ],
            )
            docs = (
                connection.execute(
                    insert(SearchEntry).returning(SearchEntry.doc, sort_by_parameter_order=True),
                    [_entry(i, d, start + timedelta(minutes=i)) for i, d, _ in rows],
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(SearchPackage),
                [
                    {"doc": doc, "package": json.dumps(_package(i, d, org, o), ensure_ascii=False)}
                    for doc, (i, d, o) in zip(docs, rows, strict=True)
                ],
            )


def _entry(i: int, dataset_id: str, stamp: datetime) -> dict[str, Any]:
    title = f"江州市公交线路信息 {i}"
    return {
        "dataset_id": dataset_id,
        "revision": 1,
        "name": f"dataset-{i:06d}",
        "title": title,
        "title_sort": title,
        "notes": "",
        "metadata_created": stamp,
        "metadata_modified": stamp,
        "title_words": "江州 公交 线路",
        "keyword_words": "公交",
        "notes_words": "",
        "pinyin_words": "",
    }


def measure(label: str, pieces: Callable[[], Iterable[str | bytes]]) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    size = sum(len(p) for p in pieces())
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<22} {seconds:7.2f} s  {size / 1e6:8.1f} MB written  peak {peak / 1e6:6.1f} MB")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        rt = Runtime(load_settings({"instance": str(Path(folder) / "instance")}, environ={}))
        upgrade(rt)
        started = time.perf_counter()
        populate(rt, count)
        print(
            f"{count} public datasets written in {time.perf_counter() - started:.1f} s, "
            f"{datetime.now(UTC):%Y-%m-%d}"
        )
        with rt.reader() as session:
            assert session.scalar(select(SearchEntry.doc).limit(1)) is not None
        measure("data.json", lambda: datajson_out.stream_datajson(rt, base_url=BASE))
        measure("sitemap.xml", lambda: [sitemaps.sitemap_index(rt, base_url=BASE)])
        for n in range(1, sitemaps.part_count(rt) + 1):
            measure(
                f"sitemap-{n}.xml",
                lambda n=n: sitemaps.sitemap_part(rt, base_url=BASE, number=n) or [],
            )
        feed = feeds.Feed("最新数据集", f"{BASE}/feeds/dataset.atom", f"{BASE}/search", "江州")
        measure(
            "feeds/dataset.atom",
            lambda: [feeds.atom_feed(feed, feeds.feed_packages(rt, base_url=BASE), base_url=BASE)],
        )
        rt.close()


if __name__ == "__main__":
    main()
