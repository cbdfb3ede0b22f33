"""A database that cannot be reached: every request that needs it answers 503 with a retry
hint, in the API's one error shape or as a Chinese page, never 500 (the fault test in
``tests/faults/test_postgres_restart.py`` restarts a real server under load)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.app import create_app
from tests.faults.stack import free_port


@pytest.fixture
def unreachable(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The app on a PostgreSQL URL whose port nothing listens on (rate limits off: with them,
    Flask-Limiter sets its own ``Retry-After`` on every answer)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kaifang"
    settings = {"instance": str(tmp_path / "instance"), "database_url": url}
    app = create_app({**settings, "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield app.test_client()
    app.extensions["kaifang"].close()


@pytest.mark.parametrize(
    ("path", "envelope"),
    [
        ("/api/3/action/package_search?q=公交", {"help", "success", "error"}),
        ("/api/v1/reuses", {"success", "error"}),
    ],
)
def test_the_api_answers_503_in_its_error_shape(unreachable, path, envelope) -> None:  # type: ignore[no-untyped-def]
    answer = unreachable.get(path)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    body = answer.get_json()
    assert set(body) == envelope and body["success"] is False
    assert body["error"]["__type"] == "Service Unavailable"
    assert body["error"]["message"] == "服务暂时不可用：数据库连接中断，请稍后再试"


def test_a_page_answers_503_in_chinese(unreachable) -> None:  # type: ignore[no-untyped-def]
    answer = unreachable.get("/dataset/bus-lines")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert "服务暂时不可用" in html and "请稍后再试" in html and "psycopg" not in html
