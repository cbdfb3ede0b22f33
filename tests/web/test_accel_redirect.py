"""Downloads handed to the web server in front (setting ``accel_redirect``): after the grant
check and the access log, a grant holder's original answers with ``X-Accel-Redirect`` to the
file under the internal location and no body; anyone else is still refused, without the header;
public files are handed over too; a file outside the files folder never is."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from datasets.errors import ConfigError
from datasets.models import GrantAccess
from datasets.settings import load_settings
from portal.app import create_app
from tests.services.test_grant_scopes import HEADER
from tests.web.test_grant_scopes_web import call, granted, resource_url, world  # noqa: F401

PREFIX = "/_kaifang_files/"


@pytest.fixture
def accel(world):  # noqa: F811
    """The world of test_grant_scopes_web, served by an app that hands files over."""
    app = create_app(
        {
            "instance": str(world["rt"].paths.root),
            "ratelimit_enabled": False,
            "accel_redirect": PREFIX,
        }
    )
    app.config.update(TESTING=True)
    return {**world, "app": app}


def accesses(rt) -> int:
    with rt.reader() as session:
        return session.scalar(select(func.count(GrantAccess.id)))


def test_a_grant_holder_gets_the_header_and_no_body_and_the_access_is_logged(accel):
    granted(accel, fields=HEADER)
    url = resource_url(accel)
    before = accesses(accel["rt"])
    response = call(accel, "acme", "GET", url)
    assert response.get_data() == b""
    target = response.headers["X-Accel-Redirect"]
    assert target.startswith(PREFIX + "private/")
    relative = unquote(target.removeprefix(PREFIX))
    stored = accel["rt"].paths.files / relative
    assert stored.is_file() and stored.read_bytes().decode("utf-8-sig").startswith("姓名")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    assert accesses(accel["rt"]) == before + 1


def test_anonymous_and_other_users_are_still_refused_without_the_header(accel):
    granted(accel, fields=HEADER)
    url = resource_url(accel)
    for who in (None, "beta"):
        response = call(accel, who, "GET", url, status=403)
        assert "X-Accel-Redirect" not in response.headers
        assert "姓名" not in response.get_data(as_text=True)


def test_a_partial_grant_is_still_streamed_by_the_portal(accel):
    granted(accel, fields=("区县", "类别"))
    response = call(accel, "acme", "GET", resource_url(accel))
    assert "X-Accel-Redirect" not in response.headers
    assert response.get_data(as_text=True).splitlines()[0] == "区县,类别"


def test_public_downloads_are_handed_over_with_their_cache_headers(demo_rt, client):
    app = create_app(
        {"instance": str(demo_rt.paths.root), "ratelimit_enabled": False, "accel_redirect": PREFIX}
    )
    app.config.update(TESTING=True)
    found = client.get("/api/3/action/package_search?fq=res_format:CSV&rows=1").get_json()
    url = found["result"]["results"][0]["resources"][0]["url"].split("localhost", 1)[-1]
    response = app.test_client().get(url)
    assert response.status_code == 200 and response.get_data() == b""
    relative = unquote(response.headers["X-Accel-Redirect"].removeprefix(PREFIX))
    assert relative.startswith("public/") and (demo_rt.paths.files / relative).is_file()
    assert "max-age=300" in response.headers["Cache-Control"]


def test_a_file_outside_the_files_folder_is_never_handed_over(accel, monkeypatch):
    from datasets.intake.storage import FileStore

    granted(accel, fields=HEADER)
    outside = accel["rt"].paths.root / "kaifang.db"
    monkeypatch.setattr(FileStore, "path", lambda self, root, key: outside)
    response = call(accel, "acme", "GET", resource_url(accel), status=404)
    assert "X-Accel-Redirect" not in response.headers


@pytest.mark.parametrize("value", ["_kaifang_files/", "/_kaifang_files", "/a b/", "/../x/"])
def test_a_malformed_location_is_a_clear_configuration_error(value):
    with pytest.raises(ConfigError, match="ACCEL_REDIRECT"):
        load_settings({"accel_redirect": value}, environ={})
