"""``kaifang serve`` reads a request line with raw UTF-8 bytes (``curl '…?q=公交'`` sends them
unencoded) as the UTF-8 text browsers and nginx take it to be, not as a bare 400 page; so does
the production stack (nginx in front of gunicorn with ``portal.gunicorn_conf``)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from portal.server import quote_raw_target
from tests.cli.test_serve_slow_clients import free_port, running
from tests.factories import make_runtime
from tests.nginx import nginx

BIN = Path(sys.executable).parent


def raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """The status and body of ``GET target`` sent byte for byte."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_the_request_line_is_quoted_byte_for_byte():
    header = "GET /a?q=公交 HTTP/1.1\r\nX: 公\r\n\r\n".encode()
    quoted = quote_raw_target(header)
    assert quoted.startswith(b"GET /a?q=%E5%85%AC%E4%BA%A4 HTTP/1.1\r\n")
    assert quoted.endswith("X: 公\r\n\r\n".encode())  # the headers are left alone
    assert quote_raw_target(b"GET /a?q=%E5 HTTP/1.1\r\n\r\n") == b"GET /a?q=%E5 HTTP/1.1\r\n\r\n"


@pytest.mark.slow
def test_kaifang_serve_answers_raw_utf8_query_strings(tmp_path):
    instance = tmp_path / "instance"
    make_runtime(instance).close()
    port = free_port()
    command = [str(BIN / "kaifang"), "serve", "--port", str(port), "--workers", "1"]
    with running(command, instance, port, "/api/3"):
        status, body = raw_get(port, "/api/3/action/package_search?q=公交&rows=1".encode())
        assert status == 200, body[:300]
        assert json.loads(body)["success"] is True
        # the text arrives as written: an unknown action's name is echoed back in Chinese
        status, body = raw_get(port, "/api/3/action/help_show?name=公交".encode())
        assert status == 404
        assert "没有名为 公交 的接口" in json.loads(body)["error"]["message"]
        # a raw path is the portal's own page too, not the server's bare one
        status, body = raw_get(port, "/dataset/公交线路".encode())
        assert status == 404 and "页面不存在" in body.decode()


@pytest.mark.slow
def test_the_production_stack_answers_raw_utf8_query_strings(tmp_path):
    """nginx (the shipped site) passes a raw request line on unencoded; the README's gunicorn
    with ``portal.gunicorn_conf`` reads it as UTF-8 instead of answering its bare 400."""
    instance = tmp_path / "instance"
    make_runtime(instance).close()
    port, static = free_port(), tmp_path / "static"
    static.mkdir()
    command = [
        *(str(BIN / "gunicorn"), "-c", "python:portal.gunicorn_conf", "--preload"),
        *("-w", "1", "-k", "gthread", "--threads", "2", "-b", f"127.0.0.1:{port}"),
        "portal.wsgi:app",
    ]
    with (
        running(command, instance, port, "/api/3"),
        nginx(
            tmp_path / "nginx",
            port=free_port(),
            static_root=static,
            app_url=f"http://127.0.0.1:{port}",
            files_dir=tmp_path,
        ) as front,
    ):
        front_port = int(front.rsplit(":", 1)[1])
        for target in (port, front_port):  # gunicorn itself, and through nginx
            status, body = raw_get(target, "/api/3/action/help_show?name=公交".encode())
            assert status == 404, body[:300]
            assert "没有名为 公交 的接口" in json.loads(body)["error"]["message"]
            status, body = raw_get(target, "/api/3/action/package_search?q=公交&rows=1".encode())
            assert status == 200 and json.loads(body)["success"] is True
