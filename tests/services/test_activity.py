"""The activity stream: every public change of a dataset is recorded with the change, served
newest first in CKAN's shape, and says nothing the public could not see."""

from __future__ import annotations

import json

import pytest

from datasets.catalog import activity_list
from datasets.errors import NotFound
from datasets.intake.publishing import withdraw_missing
from datasets.openness import curation
from tests.factories import write_csv
from tests.services.test_public_root import (  # the same harvests and objections
    HOTLINES,
    LINES,
    OPERATOR,
    decide,
    object_to,
    publish,
    rt,  # noqa: F401 - fixture
    source_id,  # noqa: F401 - fixture
)


def kinds(runtime, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = activity_list.package_activity_list(runtime, id_or_name=name)
    return [a["data"]["kind"] for a in found]


def test_publish_update_reclassify_suspend_restore_and_withdraw_are_recorded(
    rt,  # noqa: F811
    source_id,  # noqa: F811
    tmp_path,
):
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    assert kinds(rt, "bus-lines") == ["published"]

    write_csv(data, [*LINES, ["3路", "高新区", "白沙县"]])
    assert publish(rt, source_id, data, "bus-lines", topic="交通运输") == "updated"
    [update, _] = activity_list.package_activity_list(rt, id_or_name="bus-lines")
    assert update["activity_type"] == "changed package"
    assert {f["name"] for f in update["data"]["fields"]} >= {"topic", "record_count"}
    assert update["data"]["files"] == {"changed": ["data"]}
    assert update["data"]["package"]["name"] == "bus-lines"
    assert "更新" in activity_list.describe(update) and "分类" in activity_list.describe(update)

    curation.reclassify(
        rt, name="bus-lines", openness="conditional", reason="涉及运营企业数据", actor=OPERATOR
    )
    reclassified = activity_list.package_activity_list(rt, id_or_name="bus-lines")[0]
    assert reclassified["data"]["kind"] == "reclassified"
    assert reclassified["data"]["openness"] == {"old": "unconditional", "new": "conditional"}
    assert "涉及运营企业数据" not in json.dumps(reclassified, ensure_ascii=False)

    case = object_to(rt, "bus-lines")
    assert kinds(rt, "bus-lines")[0] == "suspended"
    decide(rt, case, "restore")
    assert "restored" in kinds(rt, "bus-lines")[:2]

    withdrawn, _ = withdraw_missing(rt, source_id=source_id, seen=set())
    assert withdrawn
    with pytest.raises(NotFound):  # its own list goes with its page
        activity_list.package_activity_list(rt, id_or_name="bus-lines")
    latest = activity_list.recently_changed(rt, limit=1)[0]
    assert latest["activity_type"] == "deleted package" and latest["data"]["kind"] == "withdrawn"
    assert latest["data"]["files"] == {}
    pkg = latest["data"]["package"]
    orgs = activity_list.organization_activity_list(rt, id_or_name=pkg["owner_org"])
    assert [a["id"] for a in orgs][:1] == [latest["id"]]
    times = [a["timestamp"] for a in orgs]
    assert times == sorted(times, reverse=True)
    text = json.dumps(orgs, ensure_ascii=False)
    for personal in ("张伟", "13800138000", "OPERATOR", "ops", "经核实"):
        assert personal not in text


def test_held_datasets_leave_no_public_trace(rt, source_id, tmp_path):  # noqa: F811
    data = write_csv(tmp_path / "hotlines.csv", HOTLINES)
    publish(rt, source_id, data, "hotlines")  # personal data declared open: quarantined
    assert activity_list.recently_changed(rt) == []
    with pytest.raises(NotFound):
        activity_list.package_activity_list(rt, id_or_name="hotlines")

    rules = {"负责人": "mask-name", "联系电话": "mask-mobile"}
    curation.set_masking_rules(rt, name="hotlines", rules=rules, actor=OPERATOR)
    curation.release(rt, name="hotlines", actor=OPERATOR)
    [released] = activity_list.package_activity_list(rt, id_or_name="hotlines")
    assert released["activity_type"] == "new package"
    assert released["data"]["openness"] == {"old": None, "new": "unconditional"}
    text = json.dumps(released, ensure_ascii=False)
    assert "欧阳明" not in text and "13912345678" not in text and "quarantine" not in text


def test_closed_entries_show_no_file_names(rt, source_id, tmp_path):  # noqa: F811
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    curation.reclassify(
        rt,
        name="bus-lines",
        openness="closed",
        rule="security",
        basis="涉及公共安全",
        reason="经评估不予开放",
        actor=OPERATOR,
    )
    write_csv(data, [*LINES, ["3路", "高新区", "白沙县"]])
    publish(rt, source_id, data, "bus-lines", keywords=("公交",), topic="交通运输")
    items = activity_list.package_activity_list(rt, id_or_name="bus-lines")
    assert [a["data"]["kind"] for a in items] == ["updated", "reclassified", "published"]
    assert items[0]["data"]["fields"] == [{"name": "topic", "title": "分类"}]  # not the tags
    for item in items[:2]:
        assert not item["data"].get("files")
        assert {f["name"] for f in item["data"].get("fields", [])} <= {
            "title",
            "topic",
            "organization",
            "exclusion_basis",
        }
