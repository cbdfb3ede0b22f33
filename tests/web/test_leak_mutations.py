"""The leak crawler can fail: with a masking step removed at harvest time, it finds the leak in
the channel that step guards (each mutation harvests the demo once and is looked for in every
channel it reaches: the dynamic pages and the static tree, a file and its conversions; the
crawl reads those channels' URLs, the whole crawl is ``test_leak_invariant``'s)."""

from dataclasses import replace

import pytest

from datasets.rows import sync as row_sync
from portal.app import create_app
from tests.conftest import harvest_demo
from tests.factories import make_runtime
from tests.leaks import all_channels, find_leaks, secret_values, static_channels


def _identity_rows(header, rows, rules, *, key, limit=None):
    return [list(r) for r in rows][:limit]


def _copy_file(source, target, rules, *, key, **_options):
    target.write_bytes(source.read_bytes())


_WANTED = row_sync.wanted


def _originals_as_public(dataset):  # type: ignore[no-untyped-def]
    return [replace(w, kind=row_sync.PUBLIC_ROWS) for w in _WANTED(dataset)]


@pytest.mark.parametrize(
    ("target", "replacement", "seen_in"),
    [
        ("datasets.intake.placement.mask_rows", _identity_rows, ("/dataset/", "static dataset/")),
        (
            "datasets.intake.placement.mask_csv",
            _copy_file,
            ("/download/", "/download/file?format="),
        ),
        ("datasets.intake.findings.personal_columns", lambda reports, names: [], ("/download/",)),
        ("datasets.rows.sync.wanted", _originals_as_public, ("/rows",)),
    ],
    ids=[
        "preview masking removed: pages and the static tree",
        "file masking removed: the file and its conversions",
        "scanner ignored",
        "originals in the row API",
    ],
)
def test_the_crawler_catches_a_removed_masking_step(
    monkeypatch, tmp_path, target, replacement, seen_in
):
    monkeypatch.setattr(target, replacement)
    rt = make_runtime(tmp_path / "instance")
    harvest_demo(rt, copy=False)  # harvested with the step removed
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    monkeypatch.undo()  # read the originals with the real scanner
    # the pages and answers of the channels the step guards (the whole crawl: test_leak_invariant)
    channels = all_channels(app.test_client(), rt, tuple(c for c in seen_in if c.startswith("/")))
    if any(channel.startswith("static ") for channel in seen_in):
        channels |= static_channels(app, rt, tmp_path / "static")
    leaks = find_leaks(channels, secret_values(rt))
    assert leaks, "removing a masking step must leak"
    for channel in seen_in:
        assert any(channel in where for where, _ in leaks), channel
    rt.close()
