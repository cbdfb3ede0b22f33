"""No raw personal value of conditional, excluded or quarantined data reaches the public through
any channel: pages, search and snippets, API results, resource URLs, the index, public files;
no channel carries a trace (hash, storage key, location) of a private original; and the public
root holds only files the public may download.

The other tests prove the crawler can fail: with the hash of a private original put back into
resource dicts it finds the leak (with a masking step removed: tests/web/test_leak_mutations.py).
"""

import pytest
from sqlalchemy import select

from datasets.catalog.packages import resource_dict
from datasets.intake import public_root
from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import Resource
from datasets.workflows import rights
from datasets.workflows.inputs.feedback import RightsObjectionInput
from datasets.workflows.inputs.lookup import Lookup
from tests.factories import BUS_ROWS, CREDIT_CODE, make_runtime, verified_citizen, write_csv
from tests.leaks import (
    all_channels,
    case_secrets,
    find_leaks,
    private_traces,
    secret_values,
    sql_text,
    static_channels,
    stray_public_files,
)


@pytest.fixture(scope="module")
def channels(demo_rt, demo_app, tmp_path_factory):  # type: ignore[no-untyped-def]
    found = all_channels(demo_app.test_client(), demo_rt)
    static = static_channels(demo_app, demo_rt, tmp_path_factory.mktemp("static"))
    assert len(static) > 300  # every file of the static tree
    return {**found, **static}


def test_no_public_channel_carries_a_raw_personal_value(demo_rt, channels):
    secrets = secret_values(demo_rt)
    assert len(secrets) > 1000  # the demo's conditional and quarantined tables are really read
    secrets |= case_secrets(demo_rt)  # and the cases' (tests/web/test_case_access_web.py has some)
    assert len(channels) > 300
    assert find_leaks(channels, secrets) == []


def test_no_public_channel_carries_a_trace_of_a_private_original(demo_rt, channels):
    traces = private_traces(demo_rt)
    # hash and key of the demo's 7 conditional, 1 quarantined and 1 de-identified originals
    assert len(traces) >= 2 * 9 + 1
    assert find_leaks(channels, traces) == []
    assert stray_public_files(demo_rt) == []


def test_the_crawler_catches_the_hash_of_a_private_original(monkeypatch, demo_rt, demo_app):
    def leaking(ds, res: Resource, **kw):  # type: ignore[no-untyped-def]
        return {**resource_dict(ds, res, **kw), "hash": f"sha256:{res.sha256}"}  # as it was

    monkeypatch.setattr("datasets.catalog.packages.resource_dict", leaking)
    leaks = find_leaks(all_channels(demo_app.test_client(), demo_rt), private_traces(demo_rt))
    assert leaks, "a hash of a private original in resource dicts must be found"
    assert any("package_show" in where for where, _ in leaks)
    assert any("resource_show" in where for where, _ in leaks)


def test_the_public_root_check_catches_a_file_left_behind(monkeypatch, tmp_path):
    rt = make_runtime(tmp_path / "instance")
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    record = HarvestRecord(
        identifier="bus",
        name="bus-lines",
        title="公交线路信息",
        notes="数据的内容、范围、来源和更新方式说明。",
        provider=ProviderRecord("江州市交通运输局", CREDIT_CODE),
        files=(FileRecord(path=data, name="lines", format="csv"),),
    )
    import_record(rt, record=record, source_id=None)
    assert stray_public_files(rt) == []
    holder = verified_citizen(rt)  # an identified rights holder: the suspension is at once
    monkeypatch.setattr(public_root.Tracker, "hide", lambda self, session, dataset: None)
    rights.submit_rights_objection(
        rt,
        holder,
        RightsObjectionInput.parse(
            {
                "dataset": "bus-lines",
                "claim": "含我公司经营信息",
                "rights_basis": "权利人",
                "contact": {"name": "张伟", "phone": "13800138000"},
            },
            Lookup(rt, holder),
        ),
    )
    assert len(stray_public_files(rt)) == 1
    rt.close()


def test_the_crawler_reads_what_datastore_search_sql_answers(monkeypatch, demo_rt, demo_app):
    from datasets.models import RowTable
    from datasets.rows import sql

    def every_table(rt):  # type: ignore[no-untyped-def]
        with rt.reader() as session:  # originals too, as a broken authorizer would allow
            return {t.resource_id: t.table_name for t in session.scalars(select(RowTable))}

    monkeypatch.setattr(sql, "_public_tables", every_table)
    channels = {"datastore_search_sql": sql_text(demo_rt)}
    leaks = find_leaks(channels, secret_values(demo_rt))
    assert leaks, "an original read through datastore_search_sql must be found"


def test_the_crawler_reads_the_read_actions_and_activity_lists(demo_rt, channels):
    actions = {
        url.split("/api/3/action/")[1].split("?")[0] for url in channels if "/action/" in url
    }
    for name in (
        "tag_list",
        "tag_show",
        "group_list",
        "group_show",
        "package_autocomplete",
        "format_autocomplete",
        "organization_autocomplete",
        "package_activity_list",
        "organization_activity_list",
        "recently_changed_packages_activity_list",
        "current_package_list_with_resources",
    ):
        assert name in actions, name
    recent = next(v for k, v in channels.items() if "recently_changed" in k)
    assert '"activity_type": "new package"' in recent


def test_the_crawler_reads_the_discovery_documents(channels):
    read = set(channels)
    assert {"/data.json", "/robots.txt", "/sitemap.xml", "/sitemap-1.xml"} <= read
    assert "/feeds/dataset.atom" in read
    assert any(u.startswith("/feeds/organization/") for u in read)
    assert any(u.startswith("/feeds/group/") for u in read)
    assert "application/ld+json" in channels["/dataset/jiangzhou-bus-lines"]


def test_the_crawler_reads_the_probes_and_the_metrics(channels):
    for url in ("/healthz", "/readyz"):
        assert '"status": "ok"' in channels[url]
    metrics = channels["/metrics"]
    # the whole crawl is in the figures, by URL rule: no dataset's name, no path of a request
    assert 'kaifang_http_requests_total{method="GET",route="/dataset/<name>",status="200"}' in (
        metrics
    )
    assert "kaifang_cases_open" in metrics and "jiangzhou-bus-lines" not in metrics
    refused = channels["/metrics?from=elsewhere"]
    assert "无权读取运行指标" in refused and "kaifang_http" not in refused
