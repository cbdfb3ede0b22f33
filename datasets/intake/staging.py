"""A harvested file's own copy in staging, made in the one pass that reads the source.

Everything after it — deciding the encoding, transcoding, scanning, validating, storing — reads
the copy, never the source again: the bytes scanned are the bytes stored even if the source
changes meanwhile. The same pass hashes the bytes (the store then only renames the copy into
place) and, for a text table, learns its first bytes and whether it is UTF-8, so that a UTF-8
file is not read again to decide its encoding.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from datasets.errors import ValidationError
from datasets.intake.storage import file_sha256
from datasets.tables import Sample, Sampler

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StagedCopy:
    path: Path
    size: int
    sha256: str | None  # None for a text file that is not UTF-8: it is stored transcoded
    sample: Sample | None = None  # of a text file

    def content_sha256(self) -> str:
        """The hash of the copy as it is (read again only when the pass did not hash it)."""
        return self.sha256 or file_sha256(self.path)[0]


def new_staged_file(staging: Path, suffix: str) -> Path:
    """A new empty file of ours in staging."""
    staging.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=staging, suffix=suffix)
    os.close(fd)
    return Path(name)


def stage_copy(
    source: Path, staging: Path, *, fmt: str, text: bool, name: str, max_bytes: int = 0
) -> StagedCopy:
    """Copy ``source`` into staging, hashing it as it is copied; ``text``: learn its
    ``Sample`` too (and hash it only while it is UTF-8). A file larger than ``max_bytes``
    (when set) is refused, before it is read or as soon as it grows past it."""
    size = source.stat().st_size
    if max_bytes and size > max_bytes:
        raise _too_large(name, size, max_bytes)
    target = new_staged_file(staging, f".{fmt}")
    digest = hashlib.sha256()
    sampler = Sampler() if text else None
    size = 0
    try:
        with source.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if max_bytes and size > max_bytes:
                    raise _too_large(name, size, max_bytes)
                out.write(chunk)
                if sampler is not None:
                    sampler.feed(chunk)
                if sampler is None or sampler.utf8:
                    digest.update(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    sample = sampler.sample() if sampler is not None else None
    sha = digest.hexdigest() if sample is None or sample.utf8 else None
    return StagedCopy(target, size, sha, sample)


def _too_large(name: str, size: int, max_bytes: int) -> ValidationError:
    return ValidationError(
        f"文件 {name} 超过大小上限（{size} > {max_bytes} 字节）", {"size": [str(size)]}
    )
