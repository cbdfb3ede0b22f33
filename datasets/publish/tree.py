"""The static tree on disk: trees, their manifests, the atomic switch and the removals.

``OUT/trees/<id>/`` holds one build, ``OUT/trees/<id>.manifest.sqlite`` what it holds (see
``datasets.publish.manifest``): each file's source (``dataset:<id>@<revision>``,
``catalog@<version>``, ``documents@<version>``, ``site@<build>``), SHA-256, URL and size.
``OUT/current`` is a symbolic link to the tree a web server serves and ``OUT/previous`` to the
one before; each is switched by making the new link under a temporary name and renaming it over
the old (``rename(2)`` is atomic), so a web server sees one whole tree or the other, never a
half-built one. The next build rewrites the previous tree in place (``reusable``: its link goes
first, and ``<id>.building`` marks it until the switch). Files are always written new (a
temporary name renamed over), never changed in place: trees share unchanged files by hard links,
and removing a file from the current tree (``remove_sources``) touches no other tree.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from datasets.errors import ValidationError
from datasets.publish.manifest import Manifest, ManifestDB, source_prefix

CURRENT, PREVIOUS, TREES = "current", "previous", "trees"
MANIFEST = ".manifest.sqlite"
METADATA_SUFFIXES = ("ttl", "jsonld", "rdf")  # a dataset's DCAT documents
QUERIED = "_q/"  # the files of URLs with a query string (nginx maps them, never serves _q/)
FILE_MODE, DIR_MODE = 0o644, 0o755
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL
PRUNED = ".pruned-"  # a tree's folder set aside, to be deleted (``StaticOut.prune``)
_UNSAFE_PART = re.compile(r"[\x00-\x1f\x7f\\]")


def relative_path(url_path: str, *, exact: bool = False) -> str:
    """The file of a URL path (not quoted) inside a tree: ``/`` → ``index.html``,
    ``/dataset/x`` → ``dataset/x/index.html``, a path whose last part has a suffix
    (``/data.json``) or any ``exact`` one (a download) as it is. Refuses what could leave the
    tree or hide in it (``..``, empty and dot parts, control characters, backslashes)."""
    if not url_path.startswith("/"):
        raise ValidationError(f"静态路径须以 / 开头：{url_path}")
    parts = url_path.strip("/").split("/") if url_path.strip("/") else []
    for part in parts:
        if part in ("", ".", "..") or _UNSAFE_PART.search(part) or part.startswith("."):
            raise ValidationError(f"静态路径不安全：{url_path!r}")
    if not parts:
        return "index.html"
    if exact:
        return "/".join(parts)
    if url_path.endswith("/") or "." not in parts[-1]:
        return "/".join([*parts, "index.html"])
    return "/".join(parts)


class StaticOut:
    """The output folder of the static build."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def trees(self) -> Path:
        return self.root / TREES

    def tree_path(self, tree: str) -> Path:
        return self.trees / tree

    def manifest_path(self, tree: str) -> Path:
        return self.trees / f"{tree}{MANIFEST}"

    def building_path(self, tree: str) -> Path:
        """There while a build rewrites the tree: neither served nor reused until it is done."""
        return self.trees / f"{tree}.building"

    def removed_path(self, tree: str) -> Path:
        """Sources whose files were removed from a tree after its build, one per line."""
        return self.trees / f"{tree}.removed"

    def linked(self, name: str = CURRENT) -> str | None:
        """The tree id a link (``current``, ``previous``) points at, if any."""
        link = self.root / name
        if not link.is_symlink():
            return None
        target = PurePosixPath(os.readlink(link)).name
        return target if self.tree_path(target).is_dir() else None

    def manifest(self, name: str = CURRENT) -> Manifest | None:
        """What a tree holds now, in memory: its manifest without the sources removed since its
        build (tests, leak checks, nothing a build reads)."""
        tree = self.linked(name)
        if tree is None or not self.manifest_path(tree).is_file():
            return None
        db = ManifestDB(self.manifest_path(tree))
        try:
            return db.load(self.removed_sources(tree))
        finally:
            db.close()

    def removed_sources(self, tree: str) -> tuple[str, ...]:
        """The source prefixes whose files were removed from ``tree`` after its build."""
        if not self.removed_path(tree).is_file():
            return ()
        return tuple(self.removed_path(tree).read_text(encoding="utf-8").split())

    def held_sources(self, name: str = CURRENT) -> set[str]:
        """The sources a tree holds files of (a rollback checks its datasets)."""
        tree = self.linked(name)
        if tree is None or not self.manifest_path(tree).is_file():
            return set()
        db = ManifestDB(self.manifest_path(tree))
        try:
            gone = self.removed_sources(tree)
            return {s for s in db.sources() if not (gone and s.startswith(gone))}
        finally:
            db.close()

    @contextmanager
    def locked(self, name: str = ".lock") -> Iterator[None]:
        """One holder at a time, across processes: of the current tree (``.lock``: a switch, a
        removal, a rollback) or of building (``.build-lock``)."""
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, DIR_MODE)
        with open(self.root / name, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_tree(self) -> tuple[str, Path]:
        """A new, empty tree, marked as being built."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        tree = f"{stamp}-{secrets.token_hex(3)}"
        path = self.tree_path(tree)
        path.mkdir(parents=True, mode=DIR_MODE)
        os.chmod(self.trees, DIR_MODE)
        os.chmod(path, DIR_MODE)
        self.building_path(tree).touch()
        return tree, path

    def reusable(self, base_url: str) -> str | None:
        """The previous tree, for a build to bring up to date in place (writing only what
        changed since it was built), or None. Its ``previous`` link goes first, and it is marked
        as being built, so that no rollback switches to it meanwhile."""
        with self.locked():
            tree = self.linked(PREVIOUS)
            if tree is None or tree == self.linked(CURRENT) or self.building_path(tree).exists():
                return None
            if not self.manifest_path(tree).is_file():
                return None
            db = ManifestDB(self.manifest_path(tree))
            try:
                if db.info().get("base_url") != base_url:
                    return None
            finally:
                db.close()
            self.building_path(tree).touch()
            (self.root / PREVIOUS).unlink()
        return tree

    def switch(self, tree: str) -> None:
        """Point ``current`` at ``tree`` (and ``previous`` at the tree it replaced), atomically."""
        old = self.linked(CURRENT)
        if old is not None and old != tree:
            _relink(self.root / PREVIOUS, f"{TREES}/{old}")
        _relink(self.root / CURRENT, f"{TREES}/{tree}")

    def rollback(self) -> str:
        """Switch back to the previous tree (the current one becomes the previous)."""
        old = self.linked(PREVIOUS)
        if old is None:
            raise ValidationError("没有可切回的上一版静态站点")
        self.switch(old)
        return old

    def prune(self) -> list[Path]:
        """Take the trees other than the current and previous ones (and unfinished builds) out
        of the way: their manifests and marks deleted, their folders renamed aside (``.pruned-``)
        and returned, for the caller to delete once it has let the lock go (``delete_trees``):
        a removal waiting for the lock must not wait for half a million files to be deleted."""
        kept = {self.linked(CURRENT), self.linked(PREVIOUS)}
        folders: list[Path] = []
        if not self.trees.is_dir():
            return folders
        for entry in sorted(self.trees.iterdir()):
            tree = entry.name.removesuffix("-journal").removesuffix(MANIFEST)
            tree = tree.removesuffix(".removed").removesuffix(".building")
            if tree in kept and not self.building_path(tree).exists():
                continue
            if entry.is_dir():
                aside = entry if entry.name.startswith(PRUNED) else entry.with_name(PRUNED + tree)
                os.rename(entry, aside)
                folders.append(aside)
            else:
                entry.unlink(missing_ok=True)
        return folders

    @staticmethod
    def delete_trees(folders: list[Path]) -> None:
        """Delete the folders ``prune`` set aside (a crash before leaves them to the next)."""
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)

    def remove_sources(self, prefixes: tuple[str, ...]) -> list[str]:
        """Delete from the current tree every file made from a source starting with one of
        ``prefixes`` (``dataset:<id>@``), and from its manifest. Returns the paths removed."""
        tree = self.linked(CURRENT)
        if tree is None or not prefixes or not self.manifest_path(tree).is_file():
            return []
        base = self.tree_path(tree)
        db = ManifestDB(self.manifest_path(tree))
        try:
            doomed = [path for prefix in prefixes for path in db.drop_prefix(prefix)]
            remove_files(base, doomed)
            db.commit()
        finally:
            db.close()
        return doomed

    def remove_datasets(self, names: dict[str, set[str]]) -> list[str]:
        """Delete the files of datasets (id → every name it had) from the current tree, and from
        the previous one (a rollback, or the next build, which rewrites it, must not bring them
        back), found by their names (``dataset_files``: no manifest is read, whatever the
        catalog's size), and note their sources as removed, in a tree being built too (its build
        takes them out when it switches it in). Returns the paths removed from the current tree."""
        if not names:
            return []
        current, previous = self.linked(CURRENT), self.linked(PREVIOUS)
        for tree in self.building():
            if tree not in (current, previous):
                self._note_removed(tree, names)
        if previous is not None and previous != current:
            self._remove_names(previous, names)
        return self._remove_names(current, names) if current is not None else []

    def building(self) -> list[str]:
        """The trees a build is writing."""
        if not self.trees.is_dir():
            return []
        return [p.name.removesuffix(".building") for p in self.trees.glob("*.building")]

    def _remove_names(self, tree: str, names: dict[str, set[str]]) -> list[str]:
        base = self.tree_path(tree)
        removed = []
        for name in sorted(set().union(*names.values())):
            folder, files = dataset_files(name)
            if (base / folder).is_dir():
                shutil.rmtree(base / folder)
                removed.append(folder)
            for file in files:
                if (base / file).exists():
                    (base / file).unlink()
                    removed.append(file)
        self._note_removed(tree, names)
        return removed

    def _note_removed(self, tree: str, names: dict[str, set[str]]) -> None:
        with open(self.removed_path(tree), "a", encoding="utf-8") as handle:
            handle.write("".join(f"{source_prefix(i)}\n" for i in sorted(names)))
        os.chmod(self.removed_path(tree), FILE_MODE)


def dataset_files(name: str) -> tuple[str, list[str]]:
    """Where a dataset's files lie in a tree: its folder (page, public files) and its other
    files (DCAT documents, package_show twin). ``portal.publish.pages`` writes them there."""
    if "/" in name:  # a name is one part of a path: never a folder of another dataset
        raise ValidationError(f"数据集名称不安全：{name!r}")
    folder = relative_path(f"/dataset/{name}").removesuffix("/index.html")
    files = [relative_path(f"/dataset/{name}.{suffix}") for suffix in METADATA_SUFFIXES]
    files.append(f"{QUERIED}api/3/action/package_show/{name}.json")
    return folder, files


def remove_files(base: Path, paths: list[str]) -> None:
    """Delete files of a tree, and the folders they leave empty."""
    for path in paths:
        (base / path).unlink(missing_ok=True)
        _remove_empty_parents(base / path, base)


def _relink(link: Path, target: str) -> None:
    temporary = link.with_name(f".{link.name}.{os.getpid()}.{secrets.token_hex(3)}")
    os.symlink(target, temporary)
    os.replace(temporary, link)


def _remove_empty_parents(path: Path, base: Path) -> None:
    parent = path.parent
    while parent != base and parent.is_dir():
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def _create(path: Path) -> tuple[Path | None, int]:
    """Where to write ``path``'s content (mode 0644 whatever the umask): ``path`` itself when
    no file is there (a tree is written while no web server serves it), else a temporary file
    to rename over it (the file there may be a hard link shared with the served tree: never
    written in place); the temporary's name (None for ``path`` itself) and the descriptor.
    The folder is made only when missing: no call per file once a tree has its folders."""
    for attempt in (1, 2):
        try:
            try:
                fd, temporary = os.open(path, _NEW, FILE_MODE), None
            except FileExistsError:
                temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                fd = os.open(temporary, _NEW & ~os.O_EXCL | os.O_TRUNC, FILE_MODE)
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
            path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.fchmod(fd, FILE_MODE)
    return temporary, fd


def _finish(temporary: Path | None, path: Path) -> None:
    if temporary is not None:
        os.replace(temporary, path)


def write_bytes(path: Path, body: bytes) -> str:
    """Write ``body`` to ``path`` new, mode 0644; returns its SHA-256."""
    temporary, fd = _create(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(body)
    _finish(temporary, path)
    return hashlib.sha256(body).hexdigest()


def copy_file(source: Path, path: Path) -> str:
    """Copy ``source`` (an instance file, readable only by its owner) to ``path``, mode 0644;
    returns its SHA-256."""
    digest = hashlib.sha256()
    temporary, fd = _create(path)
    with source.open("rb") as reader, os.fdopen(fd, "wb") as writer:
        for chunk in iter(lambda: reader.read(1 << 20), b""):
            digest.update(chunk)
            writer.write(chunk)
    _finish(temporary, path)
    return digest.hexdigest()


def link_file(source: Path, path: Path) -> None:
    """Share an unchanged file of another tree (a hard link; a copy across devices), in place of
    any file at ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        try:
            os.link(source, temporary)
        except FileNotFoundError:
            if not source.exists():
                raise
            path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            os.link(source, temporary)
    except FileNotFoundError:
        raise
    except OSError:
        shutil.copy2(source, temporary)
        os.chmod(temporary, FILE_MODE)
    os.replace(temporary, path)
