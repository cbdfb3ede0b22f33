"""A real nginx in front of the portal (``accel_redirect`` set): nginx sends a grant holder the
stored original's exact bytes after the portal's checks, refuses others as the portal does, and
answers 404 to its internal location requested directly."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests

from tests.factories import serving
from tests.services.test_grant_scopes import HEADER
from tests.web.test_accel_redirect import PREFIX, accel  # noqa: F401
from tests.web.test_grant_scopes_web import call, granted, resource_url, world  # noqa: F401

NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_config(folder: Path, port: int, upstream: str, files: Path) -> Path:
    """The smallest configuration of the hybrid: the portal behind a proxy, the files folder at
    an internal location."""
    temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root;" if os.geteuid() == 0 else ""  # workers read the test's private files
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    access_log off;
    {" ".join(f"{name}_temp_path {path};" for name, path in temp.items())}
    server {{
        listen 127.0.0.1:{port};
        location {PREFIX} {{ internal; alias {files}/; }}
        location / {{ proxy_pass {upstream}; proxy_set_header Host $http_host; }}
    }}
}}
""",
        encoding="utf-8",
    )
    return conf


@pytest.fixture
def nginx(accel, tmp_path):  # noqa: F811
    """nginx (unprivileged, in the foreground) in front of the accel app; its base URL."""
    if NGINX is None:
        if os.environ.get("KAIFANG_REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is not installed (make test installs it)")
        pytest.skip("nginx is not installed (make test installs it)")
    port = free_port()
    with serving(accel["app"]) as upstream:
        folder = tmp_path / "nginx"
        folder.mkdir()
        conf = nginx_config(folder, port, upstream, accel["rt"].paths.files.resolve())
        settings = f"daemon off; pid {folder / 'nginx.pid'}; error_log stderr;"
        process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(conf), "-g", settings],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(process.stderr.read().decode()) from None
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


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
