"""One publish reads each file as few times as it can (bench/reads.py measures it): the source
twice (its fingerprint, then one copy), the copy hashed as it is made and never again, the
declaration classified once per record."""

from __future__ import annotations

import hashlib
import pathlib
from typing import Any

import pytest

from datasets.intake.planning import ImportPlan, plan_import
from datasets.intake.publishing import prepare_files, prepare_options, publish_plan
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import Dataset, Resource
from datasets.openness import rules
from tests.factories import write_csv

ROWS = [["线路名称", "起点站", "终点站", "票价"]] + [
    [f"{n}路", "火车站", f"江南大道{n}号", str(n % 5 + 1)] for n in range(3000)
]


class Counter:
    """Whole-file SHA-256 computations, opens of the source and classify calls."""

    def __init__(self, source: pathlib.Path) -> None:
        self.source = source
        self.fed: list[int] = []  # bytes fed to each SHA-256
        self.source_opens = 0
        self.classify = 0

    def whole_file_hashes(self) -> int:
        size = self.source.stat().st_size
        return sum(1 for fed in self.fed if fed >= size)

    def reset(self) -> None:
        self.fed.clear()
        self.source_opens = self.classify = 0


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> Counter:
    counter = Counter(tmp_path / "source" / "bus.csv")
    real_sha256, real_open, real_classify = hashlib.sha256, pathlib.Path.open, rules.classify

    class Counted:
        def __init__(self, inner: Any, slot: int) -> None:
            self._inner, self._slot = inner, slot

        def update(self, data: bytes) -> None:
            counter.fed[self._slot] += len(data)
            self._inner.update(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

    def sha256(data: bytes = b"", **kw: Any) -> Counted:
        counter.fed.append(0)
        counted = Counted(real_sha256(**kw), len(counter.fed) - 1)
        if data:
            counted.update(data)
        return counted

    def path_open(self: pathlib.Path, *args: Any, **kw: Any) -> Any:
        if self == counter.source:
            counter.source_opens += 1
        return real_open(self, *args, **kw)

    def classify(**kw: Any) -> rules.Classification:
        counter.classify += 1
        return real_classify(**kw)

    monkeypatch.setattr(hashlib, "sha256", sha256)
    monkeypatch.setattr(pathlib.Path, "open", path_open)
    monkeypatch.setattr(rules, "classify", classify)
    return counter


def _record(path: pathlib.Path, **extra: Any) -> HarvestRecord:
    return HarvestRecord(
        identifier="bus",
        title="公交线路信息",
        notes="数据的内容、范围、来源和更新方式说明。",
        provider=ProviderRecord("江州市交通运输局", "11361000MB0000001P"),
        files=(FileRecord(path=path, name="bus", format="csv", **extra),),
    )


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_publishing_one_csv_hashes_it_once_after_planning_and_classifies_once(
    rt, counted, encoding
):
    write_csv(counted.source, ROWS, encoding=encoding)
    counted.reset()
    plan = plan_import(rt, record=_record(counted.source), source_id=None)
    assert isinstance(plan, ImportPlan)
    # planning: the fingerprint that tells a changed file, and the declaration's class
    assert (counted.whole_file_hashes(), counted.source_opens, counted.classify) == (1, 1, 1)
    assert plan.wants_files and plan.files

    counted.reset()
    prepared = prepare_files(plan.files, **prepare_options(rt))
    # preparing: one copy of the source, hashed as it is written (a GB18030 file: its UTF-8
    # copy, hashed as it is transcoded)
    assert (counted.whole_file_hashes(), counted.source_opens, counted.classify) == (1, 1, 0)

    counted.reset()
    publish_plan(rt, plan=plan, prepared=prepared)
    # publishing: the class completed with the scan, the copy moved into the store unread
    assert (counted.whole_file_hashes(), counted.source_opens, counted.classify) == (0, 0, 0)

    with rt.reader() as session:
        dataset = session.query(Dataset).one()
        resource = session.query(Resource).one()
        assert dataset.state == "active" and dataset.openness == rules.UNCONDITIONAL
    stored = rt.store.path(resource.storage_root, resource.storage_key)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == resource.sha256
    text = counted.source.read_bytes().decode(encoding)
    assert stored.read_bytes().decode("utf-8") == text  # the bytes scanned are those stored
    assert resource.source_encoding == encoding
    assert not any(rt.paths.staging.iterdir())  # no copy left behind


def test_a_file_past_the_size_bound_is_refused_before_it_is_read(rt, counted):
    from datasets.errors import ValidationError

    write_csv(counted.source, ROWS)
    counted.reset()
    options = {**prepare_options(rt), "max_bytes": 1000}
    with pytest.raises(ValidationError, match="超过大小上限"):
        prepare_files([FileRecord(path=counted.source, name="bus", format="csv")], **options)
    assert counted.source_opens == 0
    assert not any(rt.paths.staging.glob("*"))
