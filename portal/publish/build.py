"""One static build: a new tree, filled from the previous one where nothing changed, switched in
at once.

A dataset's files (page, package_show twin, DCAT documents, public files) are written again only
when its revision token changed (or a file of it is missing from the previous tree, e.g. removed
by ``datasets.publish.removal``); otherwise they are hard links to the previous tree's files. The
catalog's lists are written again when the catalog's version changed, the few site pages always.
The whole-catalog documents (data.json, sitemaps, the DCAT catalog, 开放清单) too, up to
``DOCUMENTS_INLINE`` datasets; past that, a changed catalog leaves them to the app until the next
full build (``--full``), so that a build after one change stays quick.
Many datasets to render are spread over worker processes (forked, each with its own database
connections).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask

from datasets.catalog import dcat_catalog as dcat
from datasets.catalog.published import catalog_version
from datasets.errors import NotFound, ValidationError
from datasets.publish import sources
from datasets.publish.sources import PublicEntry
from datasets.publish.tree import (
    Manifest,
    StaticOut,
    copy_file,
    link_file,
    relative_path,
    write_bytes,
)
from datasets.runtime import Runtime
from portal.app import STATIC
from portal.publish.pages import (
    SITE_PAGES,
    Page,
    dataset_documents,
    dataset_pages,
    document_pages,
    list_pages,
    page,
    render,
)

POOL_THRESHOLD = 400  # datasets to render before worker processes are worth their start
# up to this many public datasets, every build writes the whole-catalog documents again when the
# catalog changed; past it, only a full build does (see ``_documents``)
DOCUMENTS_INLINE = 1_000
CHUNK = 100


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


class _Writer:
    """Files of the new tree and their manifest entries."""

    def __init__(self, base: Path, manifest: Manifest) -> None:
        self.base, self.manifest = base, manifest
        self.rendered = self.linked = 0
        self.left: list[str] = []

    def add(self, file: str, sha256: str, source: str, url: str) -> None:
        self.manifest.files[file] = {"sha256": sha256, "source": source, "url": url}

    def pages(self, app: Flask, pages: Iterable[Page], source: str, base_url: str) -> None:
        for item in pages:
            body = render(app, item.url, base_url)
            if body is None:
                self.left.append(item.url)
                continue
            self.add(item.file, write_bytes(self.base / item.file, body), source, item.url)
            self.rendered += 1

    def link(self, previous: Path, old: Manifest, files: list[str]) -> None:
        """Share ``files`` of the previous tree, all or none (``FileNotFoundError``)."""
        done: list[str] = []
        try:
            for file in files:
                link_file(previous / file, self.base / file)
                done.append(file)
        except FileNotFoundError:
            for file in done:
                (self.base / file).unlink(missing_ok=True)
            raise
        self.manifest.files.update((file, old.files[file]) for file in files)
        self.linked += len(files)


def build(
    app: Flask, out_dir: Path, *, base_url: str, workers: int = 0, full: bool = False
) -> BuildResult:
    """Build the static tree into ``out_dir`` and switch it in; see the module's docstring."""
    started = time.monotonic()
    rt: Runtime = app.extensions["kaifang"]
    base_url = base_url.rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ValidationError("静态构建需要网站的公开地址：设置 KAIFANG_BASE_URL 或 --base-url")
    out = StaticOut(out_dir)
    os.umask(0o022)
    with out.locked(".build-lock"):  # one build at a time; removals go on meanwhile
        old = None if full else out.manifest()
        previous = out.tree_path(old.tree) if old else None
        tree, base = out.new_tree()
        writer = _Writer(base, Manifest(tree, info={"base_url": base_url}))
        # read first: a change made while the build runs gives the next build a newer version
        version = catalog_version(rt)
        writer.manifest.info["catalog_version"] = version
        entries = sources.public_entries(rt)
        todo = _datasets(writer, entries, old, previous)
        _render_datasets(app, writer, todo, base_url, workers)
        _catalog(app, writer, f"catalog@{version}", list_pages, old, previous, base_url)
        documents = document_pages if full or len(entries) <= DOCUMENTS_INLINE else None
        _catalog(app, writer, f"documents@{version}", documents, old, previous, base_url)
        writer.pages(app, (page(u) for u in SITE_PAGES), f"site@{tree}", base_url)
        _static_assets(writer, f"site@{tree}")
        out.manifest_path(tree).write_text(writer.manifest.dump(), encoding="utf-8")
        os.chmod(out.manifest_path(tree), 0o644)
        files = writer.manifest.files
        size = sum((base / f).stat().st_size for f in files)
        with out.locked():  # the switch, and no removal between it and the check below
            out.switch(tree)
            out.prune()
            # hidden while this build ran: their removal may have found the older tree
            gone = {e.id for e in entries} - sources.public_ids(rt)
            removed = out.remove_datasets({e.id: {e.name} for e in entries if e.id in gone})
    return BuildResult(
        tree=tree,
        files=len(files),
        bytes=size,
        rendered=writer.rendered,
        linked=writer.linked,
        datasets_rendered=len(todo),
        left_to_app=writer.left,
        removed_after=len(removed),
        seconds=time.monotonic() - started,
    )


def _datasets(
    writer: _Writer, entries: list[PublicEntry], old: Manifest | None, previous: Path | None
) -> list[PublicEntry]:
    """Link the unchanged datasets' files from the previous tree; the datasets to render."""
    by_source = old.by_source() if old else {}
    todo = []
    for entry in entries:
        kept = by_source.get(entry.source)
        try:
            if not (old and previous and kept):
                raise FileNotFoundError(entry.name)
            writer.link(previous, old, kept)
        except FileNotFoundError:  # new, changed, or removed from the previous tree meanwhile
            todo.append(entry)
    return todo


def _catalog(
    app: Flask,
    writer: _Writer,
    source: str,
    pages: Callable[[Runtime], Iterable[Page]] | None,
    old: Manifest | None,
    previous: Path | None,
    base_url: str,
) -> None:
    """Pages of the whole catalog: the previous tree's when the catalog's version is the same,
    else rendered again — or, with no ``pages``, left to the app until the next full build (the
    whole-catalog documents of a large catalog: an incremental build stays quick)."""
    kept = old.by_source().get(source) if old else None
    if old and previous and kept and all((previous / f).is_file() for f in kept):
        writer.link(previous, old, kept)
    elif pages is not None:
        writer.pages(app, pages(app.extensions["kaifang"]), source, base_url)


def _static_assets(writer: _Writer, source: str) -> None:
    """The app's CSS and JavaScript, at /static/ as the app serves them."""
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            file = f"static/{path.relative_to(STATIC).as_posix()}"
            writer.add(file, copy_file(path, writer.base / file), source, f"/{quote(file)}")
            writer.rendered += 1


def render_entry(app: Flask, writer: _Writer, entry: PublicEntry, base_url: str) -> None:
    """Everything of one dataset: its pages, its DCAT documents and its public files."""
    writer.pages(app, dataset_pages(entry.name), entry.source, base_url)
    _documents(app, writer, entry, base_url)
    for public in entry.files:
        file = relative_path(public.url_path, exact=True)
        if public.path.is_file():
            sha256 = copy_file(public.path, writer.base / file)
            writer.add(file, sha256, entry.source, quote(public.url_path))
            writer.rendered += 1


def _documents(app: Flask, writer: _Writer, entry: PublicEntry, base_url: str) -> None:
    """The three DCAT documents of a dataset from one read and one graph: the bodies the app's
    ``/dataset/<name>.<suffix>`` answers (the tests compare them), for a third of the time."""
    rt: Runtime = app.extensions["kaifang"]
    pages = dataset_documents(entry.name)
    base = rt.settings.base_url.rstrip("/") or base_url  # as portal.app.base_url()
    try:
        bodies = dcat.dataset_documents(rt, name=entry.name, base_url=base, suffixes=tuple(pages))
    except NotFound:  # hidden meanwhile
        writer.left += [p.url for p in pages.values()]
        return
    for suffix, item in pages.items():
        sha256 = write_bytes(writer.base / item.file, bodies[suffix].body)
        writer.add(item.file, sha256, entry.source, item.url)
        writer.rendered += 1


def _render_datasets(
    app: Flask, writer: _Writer, todo: list[PublicEntry], base_url: str, workers: int
) -> None:
    processes = workers or os.cpu_count() or 1
    if processes <= 1 or len(todo) < POOL_THRESHOLD:
        for entry in todo:
            render_entry(app, writer, entry, base_url)
        return
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, _start_worker, (app, writer.base, base_url)) as pool:
        for files, rendered, left in pool.imap_unordered(_render_chunk, chunks):
            writer.manifest.files.update(files)
            writer.rendered += rendered
            writer.left += left


_WORKER: dict[str, Any] = {}


def _start_worker(app: Flask, base: Path, base_url: str) -> None:
    app.extensions["kaifang"].engine.dispose(close=False)  # connections of its own
    _WORKER.update(app=app, base=base, base_url=base_url)


def _render_chunk(chunk: list[PublicEntry]) -> tuple[dict[str, Any], int, list[str]]:
    writer = _Writer(_WORKER["base"], Manifest(""))
    for entry in chunk:
        render_entry(_WORKER["app"], writer, entry, _WORKER["base_url"])
    return writer.manifest.files, writer.rendered, writer.left
