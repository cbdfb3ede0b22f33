import os
import time

import pytest

from datasets.intake.storage import FileStore


@pytest.fixture
def store(tmp_path):
    return FileStore(tmp_path / "pub", tmp_path / "priv", tmp_path / "tmp")


def test_files_are_content_addressed_and_stored_once(store, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x,y\n1,2\n")
    first = store.put(a, root="public", extension="CSV")
    second = store.put(a, root="public", extension="csv")
    assert first == second
    assert first.key == f"{first.sha256[:2]}/{first.sha256}.csv"
    assert store.path("public", first.key).read_bytes() == a.read_bytes()
    assert not any((tmp_path / "tmp").iterdir())


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "ab/../../x.csv",
        "/etc/passwd",
        "ab/" + "0" * 64 + ".csv/..",
        "AB/" + "0" * 64 + ".csv",
    ],
)
def test_malformed_keys_never_reach_the_file_system(store, key):
    with pytest.raises(ValueError):
        store.path("public", key)


def test_unknown_roots_are_refused(store):
    with pytest.raises(ValueError):
        store.path("elsewhere", "ab/" + "a" * 64 + ".csv")


def test_garbage_collection_keeps_referenced_and_recent_files(store, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("a")
    b.write_text("b")
    kept = store.put(a, root="public", extension="csv")
    orphan = store.put(b, root="private", extension="csv")
    assert store.collect_garbage([("public", kept.key)]) == 0  # the orphan is too recent
    old = time.time() - 7200
    os.utime(store.path("private", orphan.key), (old, old))
    assert store.collect_garbage([("public", kept.key)]) == 1
    assert store.exists("public", kept.key) and not store.exists("private", orphan.key)


def test_storing_a_file_again_marks_it_young_so_no_collection_removes_it_before_its_commit(
    store, tmp_path
):
    a = tmp_path / "a.csv"
    a.write_text("a")
    stored = store.put(a, root="public", extension="csv")
    old = time.time() - 7200
    os.utime(store.path("public", stored.key), (old, old))
    store.put(a, root="public", extension="csv")  # a harvest about to reference it
    assert store.collect_garbage([]) == 0
    assert store.exists("public", stored.key)
