"""A real nginx (Debian's package) with config/nginx-static.conf.template, unprivileged, on a free
port: the static tree first, the app (served by a real HTTP server) for the rest."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent / "config" / "nginx-static.conf.template"
PLACEHOLDERS = ("LISTEN", "STATIC_ROOT", "APP_UPSTREAM", "FILES_DIR")


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.fail("nginx is missing: make test installs Debian's package (apt-get install nginx)")
    return found


def fill(template: str, values: dict[str, str]) -> str:
    """What ``envsubst '${LISTEN} ${STATIC_ROOT} ${APP_UPSTREAM} ${FILES_DIR}'`` does."""
    for name in PLACEHOLDERS:
        template = template.replace("${" + name + "}", values[name])
    return template


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def nginx(
    workdir: Path,
    *,
    port: int,
    static_root: Path,
    app_url: str,
    files_dir: Path,
    as_owner: bool = False,
) -> Iterator[str]:
    """nginx serving ``static_root`` on ``port`` in front of ``app_url``; its base URL.
    ``as_owner``: its workers run as the user running this (as the README has them run as the
    portal's user, to read the private files of granted downloads)."""
    workdir.mkdir(parents=True, exist_ok=True)
    user = ""
    if as_owner and os.geteuid() == 0:  # only a master started as root changes its workers' user
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n"
    site = fill(
        TEMPLATE.read_text(encoding="utf-8"),
        {
            "LISTEN": f"127.0.0.1:{port}",
            "STATIC_ROOT": str(static_root),
            "APP_UPSTREAM": app_url.removeprefix("http://"),
            "FILES_DIR": str(files_dir),
        },
    )
    (workdir / "kaifang.conf").write_text(site, encoding="utf-8")
    temps = "\n".join(
        f"    {kind}_temp_path {workdir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"{user}events {{ worker_connections 256; }}\nhttp {{\n{temps}\n"
        f"    access_log off;\n    include {workdir / 'kaifang.conf'};\n}}\n",
        encoding="utf-8",
    )
    command = [
        nginx_binary(),
        "-p",
        str(workdir),
        "-c",
        str(workdir / "nginx.conf"),
        "-g",
        f"daemon off; pid {workdir / 'nginx.pid'}; error_log stderr; worker_processes 2;",
    ]
    log = (workdir / "nginx.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, process, workdir)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for(port: int, process: subprocess.Popen[bytes], workdir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (workdir / "nginx.log").read_text(errors="replace")
            pytest.fail(f"nginx did not start:\n{log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("nginx did not listen within 60 s")
