"""What a harvester hands to the catalog: one normalised record per source object.

Every source kind (data packages, department exports, CKAN, DCAT …) turns what it reads into these
plain values; the catalog's import service does the rest (classification, storage, validation,
publication), the same way for all of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Unmirrored:
    """Why a remote file could not be downloaded (未镜像), and when it was last tried (ISO
    time, UTC). ``link``: the original URL is a public address the harvester itself would be
    allowed to fetch, so an unconditional entry may show it."""

    reason: str  # no address, no host: may be shown with a file of any openness class
    tried_at: str
    host: str
    link: bool = False
    detail: str = ""  # the same with the address, for operators (the harvest history)


@dataclass(frozen=True)
class FileRecord:
    """A data file: on local disk (``path``), or only named by a remote source until fetched.

    ``fingerprint`` is what a remote source says of the file's content (its hash, size or
    modification date); it lets an unchanged file be recognised without downloading it.
    """

    path: Path | None
    name: str
    format: str
    title: str = ""
    description: str = ""
    media_type: str | None = None
    source_url: str | None = None
    declared_encoding: str | None = None
    schema: dict[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None
    unmirrored: Unmirrored | None = None  # set when a download failed (then ``path`` is None)


@dataclass(frozen=True)
class ProviderRecord:
    title: str
    code: str | None = None


@dataclass(frozen=True)
class HarvestRecord:
    """One catalog entry as read from a source, normalised to our vocabulary where possible.

    ``openness``/``exclusion_rule`` stay as declared; the openness engine interprets them.
    ``unnormalised`` keeps values that could not be mapped (field → original value).
    """

    identifier: str
    title: str
    provider: ProviderRecord
    name: str | None = None
    notes: str = ""
    code: str | None = None
    topic: str | None = None
    keywords: tuple[str, ...] = ()
    openness: str | None = None
    conditions: str | None = None
    exclusion_rule: str | None = None
    exclusion_basis: str | None = None
    share_type: str | None = None
    share_conditions: str | None = None
    share_method: str | None = None
    share_basis: str | None = None
    update_cycle: str | None = None
    issued: date | None = None
    modified: date | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    record_count: int | None = None
    license_id: str | None = None
    license_title: str | None = None
    license_url: str | None = None
    source_url: str | None = None
    related: tuple[dict[str, Any], ...] = ()
    files: tuple[FileRecord, ...] = ()
    # masking policies the source declares, column → policy code
    masking: dict[str, str] = field(default_factory=dict)
    unnormalised: dict[str, Any] = field(default_factory=dict)

    def metadata_hash(self, file_hashes: list[str], extra: Any = None) -> str:
        """A hash of everything that would change the published entry (``extra``: state that
        lives outside the record, such as masking rules and an operator's classification)."""
        data = asdict(self)
        data["files"] = [
            {k: v for k, v in f.items() if k not in ("path", "unmirrored")} for f in data["files"]
        ]
        data["file_hashes"] = file_hashes
        data["extra"] = extra
        blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()
