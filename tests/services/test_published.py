"""The public catalog read in batches for data.json, sitemaps and feeds: every public dataset
once, in name order, whatever the batch size; the version that makes their ETags changes with
every publication and update."""

from pathlib import Path

import pytest

from datasets.catalog import published
from datasets.catalog.datajson_out import stream_datajson
from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import HarvestSource
from tests.factories import BUS_ROWS, write_csv


@pytest.fixture
def source_id(rt):  # type: ignore[no-untyped-def]
    with rt.session() as session:
        source = HarvestSource(name="test", kind="datapackage", location="/nowhere")
        session.add(source)
        session.flush()
        return source.id


def _publish(rt, source_id, path: Path, n: int, title: str = "公交线路信息"):  # type: ignore[no-untyped-def]
    record = HarvestRecord(
        identifier=f"bus-{n}",
        name=f"bus-lines-{n}",
        title=f"{title} {n}",
        provider=ProviderRecord("江州市交通运输局", "11361000MB0000001P"),
        notes="全市公交线路",
        topic="交通运输",
        keywords=("公交",),
        files=(FileRecord(path=path, name="lines", format="csv"),),
    )
    return import_record(rt, record=record, source_id=source_id)


def test_batches_list_every_public_dataset_once_and_the_version_follows_changes(
    rt, source_id, tmp_path
):
    versions = [published.catalog_version(rt)]
    for n in (3, 1, 2):  # each its own file: a copy of another dataset's file is held
        data = write_csv(tmp_path / f"lines-{n}.csv", [*BUS_ROWS, [f"{n}0路", "甲", "乙", "9"]])
        assert _publish(rt, source_id, data, n).outcome == "added"
        versions.append(published.catalog_version(rt))
    names = [p["name"] for p in published.public_packages(rt, base_url="http://x", batch=1)]
    assert names == ["bus-lines-1", "bus-lines-2", "bus-lines-3"]
    stamps = [name for name, _ in published.page_stamps(rt, offset=1, limit=5, batch=1)]
    assert stamps == ["bus-lines-2", "bus-lines-3"]
    assert _publish(rt, source_id, data, 2, title="公交线路").outcome == "updated"
    versions.append(published.catalog_version(rt))
    assert len(set(versions)) == len(versions) and versions[0] == "0-0"
    text = "".join(stream_datajson(rt, base_url="http://x"))
    assert text.count('"@type": "dcat:Dataset"') == 3 and "公交线路 2" in text
