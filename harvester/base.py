"""What every source kind provides, and helpers they share."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from datasets.errors import SourceError, ValidationError
from datasets.intake.records import FileRecord, HarvestRecord
from datasets.runtime import Runtime
from harvester.http import HttpClient

NOT_DOWNLOADED = "未下载资源"  # unnormalised key: distributions listed, not downloaded
ABANDONED_AFTER = 24 * 3600.0  # seconds after which a download folder counts as left behind


@dataclass(frozen=True)
class GatherItem:
    """One object found in a source: its stable identifier and whatever the kind needs later."""

    identifier: str
    payload: Any
    title: str = ""


@dataclass(frozen=True)
class GatherResult:
    items: list[GatherItem]
    # identifier → message for objects that could not even be listed properly
    errors: dict[str, str] = field(default_factory=dict)
    # False when the source could only be read in part; then nothing is withdrawn
    complete: bool = True
    # identifiers the source still holds but reports as not changed since the last complete
    # run (incremental harvests): recorded as unchanged, never fetched, never withdrawn
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceConfig:
    """A harvest source as the kinds see it (plain values, no database object)."""

    id: str
    name: str
    kind: str
    location: str
    config: dict[str, Any]


class SourceKind(ABC):
    """A kind of harvest source. Stages: gather (list objects), fetch (read one), import."""

    kind: str = ""
    description: str = ""

    def __init__(self, source: SourceConfig, rt: Runtime) -> None:
        self.source = source
        self.rt = rt
        self.deadline: float | None = None  # the job's, a time.monotonic()
        self._folder: Path | None = None
        self._folder_lock = threading.Lock()  # downloads run in several threads

    # configuration keys a source of this kind accepts (kaifang source add --config KEY=VALUE)
    config_keys: tuple[str, ...] = ()

    @cached_property
    def http(self) -> HttpClient:
        """The kind's HTTP client: it may read the source's own origin (scheme, host and port
        of the location) even on an internal address, and no other internal address."""
        return HttpClient.for_source(self.source.location, self.rt.settings).until(self.deadline)

    def set_deadline(self, deadline: float | None) -> None:
        """No request of this kind outlasts ``deadline`` (the job's, a ``time.monotonic()``)."""
        self.deadline = deadline
        self.__dict__.pop("http", None)  # made again with the deadline

    @classmethod
    def check_location(cls, location: str) -> str:
        """Validate a location when a source is added; returns it normalised."""
        return location

    @classmethod
    def shown_location(cls, location: str) -> str:
        """The location as pages and the CLI show it (no passwords)."""
        return location

    @classmethod
    def check_config(cls, config: dict[str, str]) -> dict[str, str]:
        """Validate a source's configuration when it is added; returns it normalised."""
        unknown = sorted(set(config) - set(cls.config_keys))
        if unknown:
            allowed = "、".join(cls.config_keys) or "（无）"
            raise ValidationError(
                f"{cls.kind} 来源不支持配置项 {'、'.join(unknown)}；可用：{allowed}",
                {"config": unknown},
            )
        return dict(config)

    @abstractmethod
    def gather(self) -> GatherResult:
        """List the objects of the source. Raises ``SourceError`` if it cannot be read."""

    @abstractmethod
    def fetch(self, item: GatherItem) -> HarvestRecord:
        """Read one object into a record with its files on local disk.

        Raises ``ValidationError`` for an object that cannot be used.
        """

    def download_client(self) -> HttpClient:
        """The client files are downloaded with (a kind may restrict it to some hosts)."""
        return self.http

    def download_folder(self) -> Path:
        """The job's own folder for downloads, under staging; folders of this kind a killed
        harvester left behind (untouched for a day) are removed when it is made."""
        with self._folder_lock:
            return self._make_folder()

    def _make_folder(self) -> Path:
        if self._folder is None:
            staging = self.rt.paths.staging
            staging.mkdir(parents=True, exist_ok=True)
            cutoff = time.time() - ABANDONED_AFTER
            for folder in staging.glob(f"{self.kind}-*"):
                try:
                    if folder.is_dir() and folder.stat().st_mtime < cutoff:
                        shutil.rmtree(folder, ignore_errors=True)
                except OSError:
                    continue
            self._folder = Path(tempfile.mkdtemp(prefix=f"{self.kind}-", dir=staging))
        return self._folder

    def accept_download(self, file: FileRecord, path: Path) -> FileRecord | str:
        """A downloaded file as the record keeps it, or a line for ``NOT_DOWNLOADED`` when it
        turns out not to be a data file (the download is then removed)."""
        return replace(file, path=path)

    def forget_downloads(self, record: HarvestRecord) -> None:
        """Remove the downloads of a record once it is published (or given up): the files
        were copied into staging when they were prepared."""
        if self._folder is None:
            return
        for file in record.files:
            if file.path is not None and Path(file.path).parent == self._folder:
                Path(file.path).unlink(missing_ok=True)

    def fetch_files(self, record: HarvestRecord) -> HarvestRecord:
        """Download the files a record only names (``FileRecord.path`` is None) into staging and
        return the record with local paths; a file that cannot be downloaded is kept with why
        (``FileRecord.unmirrored``). A job downloads through ``harvester.downloading``
        instead, many files at a time."""
        if all(f.path is not None for f in record.files):
            return record
        from harvester.downloading import Downloader

        with Downloader[HarvestRecord](self) as downloads:
            downloads.submit(record, record)
            [(_, fetched, error)] = list(downloads.drain())
        if error is not None:
            raise error
        return fetched

    def close(self) -> None:
        """Release what fetch left behind (downloads in staging)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def local_folder(location: str, *, what: str) -> Path:
    path = Path(location).expanduser()
    if not path.exists():
        raise SourceError(f"{what}不存在：{location}")
    return path.resolve()


def safe_child(base: Path, relative: str) -> Path:
    """``base / relative`` if that stays inside ``base``; refuses absolute paths and '..'."""
    rel = relative.strip().replace("\\", "/")
    if not rel or rel.startswith("/") or re.match(r"^[A-Za-z]:", rel) or "://" in rel:
        raise ValidationError(f"文件路径不安全：{relative}", {"path": [relative]})
    candidate = (base / rel).resolve()
    if base.resolve() not in candidate.parents:
        raise ValidationError(f"文件路径不安全：{relative}", {"path": [relative]})
    return candidate
