"""One static build: the previous tree brought up to date in place (or a new tree), then
switched in at once.

``OUT/current`` and ``OUT/previous`` are the two trees; a build rewrites the previous one, which
no web server serves (its link goes while the build runs, see ``StaticOut.reusable``), and
touches only what changed since that tree was built: a dataset's files (page, package_show twin,
DCAT documents, public files) are written again when its revision token changed (hard links to
the current tree's files when that one holds them already, else rendered), the files of a
dataset no longer public deleted, everything else left as it is; the manifest (SQLite, one row
per file) answers by source, so an unchanged dataset costs a set lookup and the build's cost
grows with what changed, not with the catalog. With no previous tree (the first builds) or with
``--full``, the build writes a new tree: the current tree's unchanged files linked, or, full,
everything rendered.
The catalog's newest-first lists are written again when the catalog's version changed; the list
of departments, a department's pages and a topic's feed when the digest of what they show
changed; the few site pages always. The whole-catalog documents (data.json, sitemaps, the DCAT
catalog, 开放清单) are written again when the catalog changed up to ``DOCUMENTS_INLINE``
datasets; past that, a changed catalog leaves them to the app until the next full build
(``--full``), so that a build after one change stays quick.
Many datasets to render are spread over worker processes (forked after the app is loaded, each
with its own database connections), in chunks whose files are read in one query.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask

from datasets.catalog import dcat_catalog as dcat
from datasets.catalog.published import catalog_version
from datasets.errors import ValidationError
from datasets.publish import sources
from datasets.publish.manifest import ManifestDB, Row
from datasets.publish.sources import PublicEntry
from datasets.publish.tree import (
    CURRENT,
    METADATA_SUFFIXES,
    StaticOut,
    copy_file,
    link_file,
    relative_path,
    remove_files,
    write_bytes,
)
from datasets.runtime import Runtime
from portal.app import STATIC
from portal.publish.pages import (
    SITE_PAGES,
    Page,
    dataset_documents,
    dataset_pages,
    department_list_pages,
    document_pages,
    list_pages,
    organization_pages,
    page,
    render,
    topic_pages,
)

POOL_THRESHOLD = 400  # datasets to render before worker processes are worth their start
# up to this many public datasets, every build writes the whole-catalog documents again when the
# catalog changed; past it, only a full build does (see ``_documents``)
DOCUMENTS_INLINE = 1_000
CHUNK = 100
# catalog pages over the worker processes past PAGES_POOL jobs: a department's pages, 8 of the
# catalog's lists, or one whole-catalog document each
PAGES_POOL, PAGES_CHUNK = 3, 8


@dataclass(frozen=True)
class BuildResult:
    tree: str
    files: int
    bytes: int
    rendered: int  # files written new
    linked: int  # files shared with the previous tree
    datasets_rendered: int
    left_to_app: list[str]  # URLs the app keeps answering (not 200, cookie, CSRF token)
    removed_after: int  # files of datasets hidden while the build ran
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds of each step


class _Writer:
    """Files written into a tree, and their manifest rows until ``flush``."""

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

    def flush(self, db: ManifestDB) -> None:
        db.add(self.rows)
        self.rows = []


@dataclass
class _Build:
    """One build's state: the tree written (``db`` its manifest) and the current tree whose
    files it may share (``source``, None for a full build)."""

    app: Flask
    out: StaticOut
    tree: str
    writer: _Writer
    db: ManifestDB
    source: ManifestDB | None
    source_base: Path | None
    base_url: str
    have: set[str]  # the sources the tree held before this build
    phases: dict[str, float] = field(default_factory=dict)
    mark: float = field(default_factory=time.monotonic)

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = now - self.mark
        self.mark = now

    def share(self, source: str) -> bool:
        """Link the current tree's files of ``source``; whether it held them all."""
        rows = self.source.files_of(source) if self.source else []
        if not rows or self.source_base is None:
            return False
        try:
            self.writer.link(self.source_base, rows)
        except FileNotFoundError:  # removed from the current tree meanwhile
            return False
        return True


def build(
    app: Flask, out_dir: Path, *, base_url: str, workers: int = 0, full: bool = False
) -> BuildResult:
    """Build the static tree into ``out_dir`` and switch it in; see the module's docstring."""
    started = time.monotonic()
    base_url = base_url.rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ValidationError("静态构建需要网站的公开地址：设置 KAIFANG_BASE_URL 或 --base-url")
    out = StaticOut(out_dir)
    os.umask(0o022)
    with out.locked(".build-lock"):  # one build at a time; removals go on meanwhile
        current = out.linked(CURRENT)
        reused = None if full else out.reusable(base_url)
        tree, base = (reused, out.tree_path(reused)) if reused else out.new_tree()
        db = ManifestDB(out.manifest_path(tree))
        shared = None
        if current and not full and out.manifest_path(current).is_file():
            shared = ManifestDB(out.manifest_path(current))
        try:
            if reused:  # files the removal hook deleted while that tree was the current one
                for prefix in out.removed_sources(tree):
                    db.drop_prefix(prefix)
                out.removed_path(tree).unlink(missing_ok=True)
            state = _Build(
                app,
                out,
                tree,
                _Writer(base),
                db,
                shared,
                out.tree_path(current or tree),
                base_url,
                db.sources(),
            )
            return _run(state, workers, full, started)
        finally:
            db.close()
            if shared:
                shared.close()


def _run(b: _Build, workers: int, full: bool, started: float) -> BuildResult:
    rt: Runtime = b.app.extensions["kaifang"]
    # read first: a change made while the build runs gives the next build a newer version
    version = catalog_version(rt)
    entries = sources.public_entries(rt)
    b.lap("read catalog")
    lists = sources.list_sources(rt, entries)
    wanted = {e.source for e in entries} | set(lists.organizations.values())
    wanted |= set(lists.topics.values()) | {lists.departments}
    wanted |= {f"catalog@{version}", f"documents@{version}"}
    for stale in b.have - wanted:  # changed, hidden, renamed; the last build's site pages
        remove_files(b.writer.base, b.db.drop(stale))
    todo = [e for e in entries if e.source not in b.have and not b.share(e.source)]
    b.writer.flush(b.db)
    b.lap("compare and link")
    _render_datasets(b, todo, workers)
    b.lap("render datasets")
    # the site pages first, one a job: the statistics page, a table of every department, is the
    # longest single page; the catalog's lists and the departments' pages share the other core
    site = f"site@{b.tree}.{secrets.token_hex(3)}"
    jobs = [([page(u)], site) for u in SITE_PAGES]
    jobs += _catalog(b, f"catalog@{version}", list_pages, PAGES_CHUNK)
    jobs += _catalog(b, lists.departments, department_list_pages, PAGES_CHUNK)
    jobs += [
        (pages(name), source)
        for pages, named in ((organization_pages, lists.organizations), (topic_pages, lists.topics))
        for name, source in named.items()
        if source not in b.have and not b.share(source)
    ]
    _render_jobs(b, jobs, workers)
    b.lap("catalog lists and site pages")
    documents = document_pages if full or len(entries) <= DOCUMENTS_INLINE else None
    _render_jobs(b, _catalog(b, f"documents@{version}", documents, 1), workers)
    b.lap("catalog documents")
    _static_assets(b.writer, site)
    b.writer.flush(b.db)
    b.db.set_info({"tree": b.tree, "base_url": b.base_url, "catalog_version": version})
    b.db.commit()
    files, size = b.db.totals()
    b.lap("assets and manifest")
    with b.out.locked():  # the switch, and no removal between it and the check below
        b.out.building_path(b.tree).unlink(missing_ok=True)
        b.out.switch(b.tree)
        b.out.prune()
        # hidden while this build ran: their removal may have found the older tree
        gone = {e.id for e in entries} - sources.public_ids(rt)
        removed = b.out.remove_datasets({e.id: {e.name} for e in entries if e.id in gone})
    b.lap("switch")
    return BuildResult(
        tree=b.tree,
        files=files,
        bytes=size,
        rendered=b.writer.rendered,
        linked=files - b.writer.rendered,
        datasets_rendered=len(todo),
        left_to_app=b.writer.left,
        removed_after=len(removed),
        seconds=time.monotonic() - started,
        phases=b.phases,
    )


def _catalog(
    b: _Build, source: str, pages: Callable[[Runtime], Iterable[Page]] | None, chunk: int
) -> list[tuple[list[Page], str]]:
    """Pages of the whole catalog: kept when the catalog's version is the same, else to render
    again (the jobs returned, ``chunk`` pages each) — or, with no ``pages``, left to the app until
    the next full build (the whole-catalog documents of a large catalog: an incremental build
    stays quick)."""
    if source in b.have or b.share(source) or pages is None:
        return []
    items = list(pages(b.app.extensions["kaifang"]))
    return [(items[i : i + chunk], source) for i in range(0, len(items), chunk)]


def _render_jobs(b: _Build, jobs: list[tuple[list[Page], str]], workers: int) -> None:
    """Render pages (each job's with its source), over the worker processes when many."""
    processes = workers or os.cpu_count() or 1
    if processes <= 1 or len(jobs) < PAGES_POOL:
        for pages, source in jobs:
            b.writer.pages(b.app, pages, source, b.base_url)
        b.writer.flush(b.db)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, _start_worker, (b.app, b.writer.base, b.base_url)) as pool:
        for rows, rendered, left in pool.imap_unordered(_render_pages, jobs):
            b.db.add(rows)
            b.writer.rendered += rendered
            b.writer.left += left
        pool.close()  # the workers end by themselves, then the pool is done
        pool.join()


def _static_assets(writer: _Writer, source: str) -> None:
    """The app's CSS and JavaScript, at /static/ as the app serves them."""
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            file = f"static/{path.relative_to(STATIC).as_posix()}"
            writer.add(file, copy_file(path, writer.base / file), source, f"/{quote(file)}")
            writer.rendered += 1


def render_entries(app: Flask, writer: _Writer, entries: list[PublicEntry], base_url: str) -> None:
    """Everything of some datasets: their pages, their DCAT documents (read together) and
    their public files."""
    rt: Runtime = app.extensions["kaifang"]
    entries = sources.with_files(rt, entries)
    base = rt.settings.base_url.rstrip("/") or base_url  # as portal.app.base_url()
    names = [e.name for e in entries]
    documents = dcat.datasets_documents(rt, names=names, base_url=base, suffixes=METADATA_SUFFIXES)
    for entry in entries:
        writer.pages(app, dataset_pages(entry.name), entry.source, base_url)
        _documents(writer, entry, documents.get(entry.name))
        for public in entry.files:
            file = relative_path(public.url_path, exact=True)
            if public.path.is_file():
                sha256 = copy_file(public.path, writer.base / file)
                writer.add(file, sha256, entry.source, quote(public.url_path))
                writer.rendered += 1


def _documents(
    writer: _Writer, entry: PublicEntry, bodies: dict[str, dcat.Document] | None
) -> None:
    """The three DCAT documents of a dataset: the bodies the app's ``/dataset/<name>.<suffix>``
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


def _render_datasets(b: _Build, todo: list[PublicEntry], workers: int) -> None:
    processes = workers or os.cpu_count() or 1
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    if processes <= 1 or len(todo) < POOL_THRESHOLD:
        for chunk in chunks:
            render_entries(b.app, b.writer, chunk, b.base_url)
            b.writer.flush(b.db)
        return
    # the first chunk here: templates compiled and queries cached before the fork, for all
    render_entries(b.app, b.writer, chunks[0], b.base_url)
    b.writer.flush(b.db)
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, _start_worker, (b.app, b.writer.base, b.base_url)) as pool:
        for rows, rendered, left in pool.imap_unordered(_render_chunk, chunks[1:]):
            b.db.add(rows)
            b.writer.rendered += rendered
            b.writer.left += left
        pool.close()
        pool.join()


_WORKER: dict[str, Any] = {}


def _start_worker(app: Flask, base: Path, base_url: str) -> None:
    # a worker ends when the pool ends it, whatever handler the forking process had installed
    # (a harvest worker's SIGTERM handler would keep it waiting for work forever)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app.extensions["kaifang"].engine.dispose(close=False)  # connections of its own
    _WORKER.update(app=app, base=base, base_url=base_url)


def _render_pages(job: tuple[list[Page], str]) -> tuple[list[Row], int, list[str]]:
    writer = _Writer(_WORKER["base"])
    writer.pages(_WORKER["app"], job[0], job[1], _WORKER["base_url"])
    return writer.rows, writer.rendered, writer.left


def _render_chunk(chunk: list[PublicEntry]) -> tuple[list[Row], int, list[str]]:
    app = _WORKER["app"]
    writer = _Writer(_WORKER["base"])
    render_entries(app, writer, chunk, _WORKER["base_url"])
    return writer.rows, writer.rendered, writer.left
