"""No raw personal value of conditional, excluded or quarantined data reaches the public through
any channel: pages, search and snippets, API results, resource URLs, the index, public files.

The second test proves the crawler can fail: with a masking step removed, it finds leaks.
"""

import pytest

from portal.app import create_app
from tests.conftest import harvest_demo
from tests.factories import make_runtime
from tests.leaks import all_channels, case_secrets, find_leaks, secret_values


def test_no_public_channel_carries_a_raw_personal_value(demo_rt, client):
    secrets = secret_values(demo_rt)
    assert len(secrets) > 1000  # the demo's conditional and quarantined tables are really read
    secrets |= case_secrets(demo_rt)  # and the cases' (tests/web/test_case_access_web.py has some)
    channels = all_channels(client, demo_rt)
    assert len(channels) > 300
    assert find_leaks(channels, secrets) == []


def _identity_rows(header, rows, rules, *, key, limit=None):
    return [list(r) for r in rows][:limit]


def _copy_file(source, target, rules, *, key, **_options):
    target.write_bytes(source.read_bytes())


@pytest.mark.parametrize(
    ("target", "replacement", "channel"),
    [
        ("datasets.placement.mask_rows", _identity_rows, "/dataset/"),
        ("datasets.placement.mask_csv", _copy_file, "/download/"),
        ("datasets.publishing.personal_columns", lambda reports, names: [], "/download/"),
    ],
    ids=["preview masking removed", "file masking removed", "scanner ignored"],
)
def test_the_crawler_catches_a_removed_masking_step(
    monkeypatch, tmp_path, target, replacement, channel
):
    monkeypatch.setattr(target, replacement)
    rt = make_runtime(tmp_path / "instance")
    harvest_demo(rt)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    monkeypatch.undo()  # read the originals with the real scanner
    leaks = find_leaks(all_channels(app.test_client(), rt), secret_values(rt))
    assert leaks, "removing a masking step must leak"
    assert any(channel in where for where, _ in leaks)
    rt.close()
