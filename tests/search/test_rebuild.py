"""``rebuild_index``: every row's words cut again from the package it keeps (what a change of
the tokenizer or its dictionary needs), rows missing or stale written whole first, a row
written meanwhile left as its own transaction wrote it; on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from datasets.models import Dataset, SearchEntry, SearchPackage
from datasets.runtime import Runtime
from datasets.search import indexing
from datasets.search.generation import generation
from tests.search.test_stored_packages import find, found_packages, packages_now

WORDS = ("title_words", "keyword_words", "notes_words", "pinyin_words")


def _words(rt: Runtime) -> dict[int, tuple[str, ...]]:
    with rt.reader() as session:
        columns = [getattr(SearchEntry, name) for name in WORDS]
        return {doc: tuple(w) for doc, *w in session.execute(select(SearchEntry.doc, *columns))}


def _package_ids(session: Session) -> dict[int, int]:
    return {
        doc: package
        for doc, package in session.execute(select(SearchPackage.doc, SearchPackage.id))
    }


def _names(rt: Runtime, **params: Any) -> list[str]:
    return sorted(p["name"] for p in find(rt, **params)["results"])


def test_a_rebuild_cuts_every_rows_words_again_from_its_package(search_rt: Runtime) -> None:
    before = _words(search_rt)
    bus, pinyin = _names(search_rt, q="公交"), _names(search_rt, q="gongjiao")
    assert bus and pinyin
    with search_rt.session() as session:  # words an older tokenizer cut, packages kept
        session.execute(update(SearchEntry).values(title_words="x", keyword_words="x"))
        session.execute(update(SearchEntry).values(notes_words="x", pinyin_words="x"))
    with search_rt.reader() as session:
        packages = _package_ids(session)
        marked = generation(session)
    assert indexing.rebuild_index(search_rt) == len(before)
    assert _words(search_rt) == before
    assert _names(search_rt, q="公交") == bus
    assert _names(search_rt, q="gongjiao") == pinyin
    with search_rt.reader() as session:
        # the packages were not written again, yet every process is told the rows changed
        assert _package_ids(session) == packages
        assert generation(session) > marked
    assert found_packages(search_rt) == packages_now(search_rt)


def test_rows_missing_or_stale_are_written_whole_before_the_words(search_rt: Runtime) -> None:
    before = found_packages(search_rt)
    with search_rt.session() as session:
        gone = session.scalars(select(SearchEntry.doc).limit(2)).all()
        session.execute(delete(SearchEntry).where(SearchEntry.doc.in_(gone)))
        session.execute(update(SearchEntry).values(revision=-1, title_words="x"))
    assert indexing.rebuild_index(search_rt) == len(before)
    assert found_packages(search_rt) == before == packages_now(search_rt)
    assert _names(search_rt, q="公交")


def test_a_row_written_while_its_words_are_cut_is_kept(
    search_rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut = indexing.searched_text
    changed: list[str] = []

    def cut_while_a_title_changes(pkg: dict[str, Any]) -> dict[str, str]:
        words = cut(pkg)  # the words of the package as the rebuild read it
        if not changed:
            with search_rt.session() as session:
                ds = session.get_one(Dataset, pkg["id"])
                ds.title = "地铁客流量统计"
                ds.revision += 1
            changed.append(pkg["name"])
        return words

    monkeypatch.setattr(indexing, "searched_text", cut_while_a_title_changes)
    indexing.rebuild_index(search_rt)
    assert changed
    assert changed[0] in _names(search_rt, q="客流量")
    assert found_packages(search_rt) == packages_now(search_rt)


@pytest.mark.parametrize("packages", [False, True], ids=["words", "packages"])
def test_a_rebuild_in_several_processes_writes_every_row(
    search_rt: Runtime, monkeypatch: pytest.MonkeyPatch, packages: bool
) -> None:
    before = find(search_rt, q="公交", **{"facet.field": '["organization", "res_format"]'})
    with search_rt.session() as session:
        session.execute(update(SearchEntry).values(title_words="x"))
    monkeypatch.setattr(indexing, "_PARALLEL", 0)  # this small catalog in two processes
    monkeypatch.setattr(indexing, "_PARALLEL_WORDS", 0)
    assert indexing.rebuild_index(search_rt, processes=2, packages=packages) == 8
    after = find(search_rt, q="公交", **{"facet.field": '["organization", "res_format"]'})
    assert after == before
    assert found_packages(search_rt) == packages_now(search_rt)
    with search_rt.reader() as session:
        assert len(session.scalars(select(SearchPackage.doc)).all()) == 8
