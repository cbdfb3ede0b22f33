"""A real nginx with the shipped configuration in front of the portal (``accel_redirect``
set): nginx sends a grant holder the
stored original's exact bytes after the portal's checks, refuses others as the portal does, and
answers 404 to its internal location requested directly."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import requests

from tests.factories import serving
from tests.nginx import free_port
from tests.nginx import nginx as real_nginx
from tests.services.test_grant_scopes import HEADER
from tests.web.test_accel_redirect import PREFIX, accel  # noqa: F401
from tests.web.test_grant_scopes_web import call, granted, resource_url, world  # noqa: F401


@pytest.fixture
def nginx(accel, tmp_path):  # noqa: F811
    """nginx with config/nginx-static.conf.template (an empty static tree) in front of the
    accel app, its workers running as the portal's user; its base URL."""
    (tmp_path / "tree").mkdir()
    with (
        serving(accel["app"]) as upstream,
        real_nginx(
            tmp_path / "nginx",
            port=free_port(),
            static_root=tmp_path / "tree",
            app_url=upstream,
            files_dir=accel["rt"].paths.files.resolve(),
            as_owner=True,
        ) as url,
    ):
        yield url


def test_nginx_sends_the_granted_file_and_hides_its_internal_location(accel, nginx):  # noqa: F811
    granted(accel, fields=HEADER)
    url = resource_url(accel)
    target = call(accel, "acme", "GET", url).headers["X-Accel-Redirect"]
    stored = (accel["rt"].paths.files / unquote(target.removeprefix(PREFIX))).read_bytes()
    key = {"Authorization": accel["keys"]["acme"]}

    answer = requests.get(nginx + url, headers=key, timeout=30)
    assert answer.status_code == 200
    assert answer.content == stored
    assert "attachment" in answer.headers["Content-Disposition"]
    assert "no-store" in answer.headers["Cache-Control"]
    assert "X-Accel-Redirect" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/csv"), answer.headers

    refused = requests.get(nginx + url, timeout=30)
    assert refused.status_code == 403 and stored not in refused.content
    other = {"Authorization": accel["keys"]["beta"]}
    assert requests.get(nginx + url, headers=other, timeout=30).status_code == 403
    direct = requests.get(nginx + target, timeout=30)
    assert direct.status_code == 404 and stored not in direct.content
