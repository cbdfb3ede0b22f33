"""The build's render processes: forked once, at the start of a build of a large catalog, so
that the site pages (the statistics page, a table of every department, is the longest single
page) are rendered while the build reads and compares the catalog; then the datasets to write
and the catalog's pages, in chunks. Each process has its own database connections. With one
process (one core, ``--workers 1``, a small catalog) everything is rendered here, in order.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Flask

from datasets.catalog import dcat_catalog as dcat
from datasets.catalog import page_parts
from datasets.publish import sources
from datasets.publish.manifest import Row
from datasets.publish.sources import PublicEntry
from datasets.publish.tree import (
    METADATA_SUFFIXES,
    copy_file,
    link_file,
    relative_path,
    remove_files,
    write_bytes,
)
from datasets.runtime import Runtime
from portal.publish.pages import Page, dataset_documents, dataset_pages, render

Rendered = tuple[list[Row], int, list[str]]  # manifest rows, files written, URLs left to the app
J = TypeVar("J")


class Writer:
    """Files written into a tree, and their manifest rows until they are taken."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.rows: list[Row] = []
        self.rendered = 0
        self.left: list[str] = []

    def add(self, file: str, sha256: str, source: str, url: str) -> None:
        size = (self.base / file).stat().st_size
        self.rows.append((file, sha256, source, url, size))

    def pages(self, app: Flask, pages: Iterable[Page], source: str, base_url: str) -> None:
        for item in pages:
            body = render(app, item.url, base_url)
            if body is None:
                self.left.append(item.url)
                continue
            sha256 = write_bytes(self.base / item.file, body)
            self.rows.append((item.file, sha256, source, item.url, len(body)))
            self.rendered += 1

    def link(self, previous: Path, rows: list[Row]) -> None:
        """Share the files of ``rows`` from another tree, all or none (``FileNotFoundError``)."""
        done: list[str] = []
        try:
            for row in rows:
                link_file(previous / row[0], self.base / row[0])
                done.append(row[0])
        except FileNotFoundError:
            remove_files(self.base, done)
            raise
        self.rows += rows

    def take(self) -> Rendered:
        taken = (self.rows, self.rendered, self.left)
        self.rows, self.rendered, self.left = [], 0, []
        return taken


class Workers:
    """Render jobs in the forked processes (``start``) or, without them, here when their
    results are read."""

    def __init__(self, app: Flask, base: Path, base_url: str, processes: int) -> None:
        self.app, self.base, self.base_url, self.processes = app, base, base_url, processes
        self.pool: Pool | None = None

    def start(self) -> None:
        if self.pool is None and self.processes > 1:
            context = multiprocessing.get_context("fork")
            initargs = (self.app, self.base, self.base_url)
            self.pool = context.Pool(self.processes, _start_worker, initargs)

    def close(self, *, abort: bool = False) -> None:
        """The workers end by themselves once their jobs are done, or at once (``abort``)."""
        if self.pool is not None:
            if abort:
                self.pool.terminate()
            else:
                self.pool.close()
            self.pool.join()
            self.pool = None

    def pages(self, jobs: list[tuple[list[Page], str]]) -> Iterator[Rendered]:
        """Pages, each job's with its source."""
        return self._map(_render_pages, jobs)

    def datasets(self, chunks: list[list[PublicEntry]]) -> Iterator[Rendered]:
        """Everything of the datasets of each chunk."""
        return self._map(_render_chunk, chunks)

    def _map(self, work: Callable[[J], Rendered], jobs: list[J]) -> Iterator[Rendered]:
        if self.pool is not None:
            return self.pool.imap_unordered(work, jobs)
        _WORKER.update(app=self.app, base=self.base, base_url=self.base_url)
        return (work(job) for job in jobs)


def render_entries(app: Flask, writer: Writer, entries: list[PublicEntry], base_url: str) -> None:
    """Everything of some datasets: their DCAT documents (read together, which keeps their
    package dicts for the pages), their pages (whose other parts are read together too) and
    their public files."""
    rt: Runtime = app.extensions["kaifang"]
    entries = sources.with_files(rt, entries)
    base = rt.settings.base_url.rstrip("/") or base_url  # as portal.app.base_url()
    names = [e.name for e in entries]
    documents = dcat.datasets_documents(rt, names=names, base_url=base, suffixes=METADATA_SUFFIXES)
    with page_parts.prefetched(rt, [e.id for e in entries]):
        for entry in entries:
            writer.pages(app, dataset_pages(entry.name), entry.source, base_url)
            _documents(writer, entry, documents.get(entry.name))
            _public_files(writer, entry)


def _public_files(writer: Writer, entry: PublicEntry) -> None:
    for public in entry.files:
        file = relative_path(public.url_path, exact=True)
        if public.path.is_file():
            sha256 = copy_file(public.path, writer.base / file)
            writer.add(file, sha256, entry.source, quote(public.url_path))
            writer.rendered += 1


def _documents(writer: Writer, entry: PublicEntry, bodies: dict[str, dcat.Document] | None) -> None:
    """The DCAT documents of a dataset: the bodies the app's ``/dataset/<name>.<suffix>``
    answers (the tests compare them)."""
    pages = dataset_documents(entry.name)
    if bodies is None:  # hidden meanwhile
        writer.left += [p.url for p in pages.values()]
        return
    for suffix, item in pages.items():
        body = bodies[suffix].body
        sha256 = write_bytes(writer.base / item.file, body)
        writer.rows.append((item.file, sha256, entry.source, item.url, len(body)))
        writer.rendered += 1


_WORKER: dict[str, Any] = {}


def _start_worker(app: Flask, base: Path, base_url: str) -> None:
    # a worker ends when the pool ends it, whatever handler the forking process had installed
    # (a harvest worker's SIGTERM handler would keep it waiting for work forever)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app.extensions["kaifang"].engine.dispose(close=False)  # connections of its own
    _WORKER.update(app=app, base=base, base_url=base_url)


def _render_pages(job: tuple[list[Page], str]) -> Rendered:
    writer = Writer(_WORKER["base"])
    writer.pages(_WORKER["app"], job[0], job[1], _WORKER["base_url"])
    return writer.take()


def _render_chunk(chunk: list[PublicEntry]) -> Rendered:
    writer = Writer(_WORKER["base"])
    render_entries(_WORKER["app"], writer, chunk, _WORKER["base_url"])
    return writer.take()
