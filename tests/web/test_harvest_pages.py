"""The operators' harvest history pages."""

import re

from datasets.accounts.users import create_user
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from portal.app import create_app
from tests.factories import make_runtime, write_package

PASSWORD = "correct horse battery"


def _client(app, name):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    return client


def test_operators_see_jobs_errors_and_objects(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    write_package(tmp_path / "src", "bus-lines")
    (tmp_path / "src" / "broken").mkdir()
    (tmp_path / "src" / "broken" / "datapackage.json").write_text("{", encoding="utf-8")
    add_source(
        rt, name="jt", kind="datapackage", location=str(tmp_path / "src"), title="交通运输局数据包"
    )
    result = run_source(rt, get_sources(rt, ["jt"])[0])
    create_user(rt, name="ops", role="operator", password=PASSWORD)
    create_user(rt, name="citizen-li", role="citizen", password=PASSWORD)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    ops = _client(app, "ops")
    page = ops.get("/admin/harvest").get_data(as_text=True)
    assert (
        "交通运输局数据包" in page
        and "无法解析" in page
        and f"/admin/harvest/{result.job_id}" in page
    )
    detail = ops.get(f"/admin/harvest/{result.job_id}").get_data(as_text=True)
    assert (
        "broken" in detail
        and "bus-lines" in detail
        and "出错" in detail
        and "errored" not in detail
    )
    assert ops.get("/admin/harvest/no-such-job").status_code == 404
    assert _client(app, "citizen-li").get("/admin/harvest").status_code == 403
    assert app.test_client().get("/admin/harvest").status_code == 302
    rt.close()
