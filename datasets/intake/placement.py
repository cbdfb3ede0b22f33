"""Where a dataset's files go once it is classified, and what of them the public sees.

One function decides it for every path into the catalog (a harvest, an operator releasing a
quarantined dataset, a reclassification):

| class / state                    | original        | public file       | preview         |
|----------------------------------|-----------------|-------------------|-----------------|
| 无条件开放, no personal data      | public root     | the original      | raw rows        |
| 无条件开放 de-identified          | private root    | masked copy       | masked rows     |
| 有条件开放                        | private root    | none              | masked rows     |
| quarantined, suspended           | private root    | none              | none            |
| 不予开放 (listed)                 | nothing stored  | none              | none            |

Validation reports of files the public cannot download as they are lose their cell values.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets.intake.prepare import MASKABLE_FORMATS, scan_report, stored_preview
from datasets.intake.storage import PRIVATE, PUBLIC, StoredFile
from datasets.intake.validation import redact_report
from datasets.openness import rules as op
from datasets.openness.masking import default_rules, mask_csv, mask_rows, mask_xlsx
from datasets.openness.masking.policies import transform
from datasets.runtime import Runtime
from datasets.tables import Limits


@dataclass(frozen=True)
class Placement:
    original: StoredFile
    public: StoredFile | None
    preview: dict[str, Any]
    masking_applied: dict[str, str]
    report: dict[str, Any]
    pii: dict[str, Any] = field(default_factory=dict)


def preview_rules(pii: Mapping[str, Any], rules: Mapping[str, str]) -> dict[str, str]:
    """Masking for a preview of the file's table: the default policy of every finding in it,
    then the explicit rules."""
    report = scan_report(dict(pii))
    table = report.columns if report.table_columns is None else report.table_columns
    findings = [(f.column, f.kind) for f in report.findings if f.personal and f.column in table]
    return {**default_rules(findings), **{c: p for c, p in rules.items() if c in table}}


def place_file(
    rt: Runtime,
    *,
    path: Path,
    fmt: str,
    classification: op.Classification,
    pii: Mapping[str, Any],
    rules: Mapping[str, str],
    report: Mapping[str, Any],
    raw_preview: Mapping[str, Any],
    stored_original: StoredFile | None = None,
    withheld: bool = False,
    staged_sha256: str | None = None,
) -> Placement:
    """Store ``path`` (unless ``stored_original`` says it is stored already) and make its public
    version and preview according to ``classification``. ``withheld``: a rights-holder
    objection suspends the dataset, so nothing is made public (as for a quarantined one).
    ``staged_sha256``: ``path`` is a prepared copy of ours with this hash, moved into the
    store rather than read again."""
    scanned = scan_report(dict(pii))
    plain_public = (
        not withheld
        and classification.state == "active"
        and classification.openness == op.UNCONDITIONAL
        and not scanned.personal_columns
        and not scanned.held
    )
    root = PUBLIC if plain_public else PRIVATE
    original = stored_original
    if original is None or original.root != root:
        staged = staged_sha256 is not None
        original = rt.store.put(path, root=root, extension=fmt, sha256=staged_sha256, move=staged)
    path = rt.store.path(original.root, original.key)  # a staged copy is moved there
    if plain_public:
        return Placement(original, original, dict(raw_preview), {}, dict(report), dict(pii))
    redacted = redact_report(dict(report))
    if classification.state != "active" or withheld:
        return Placement(original, None, {}, {}, redacted, dict(pii))
    if classification.openness == op.CONDITIONAL:
        applied = preview_rules(pii, rules)
        preview = _masked_preview(rt, raw_preview, applied)
        return Placement(original, None, preview, applied, redacted, dict(pii))
    # unconditional and de-identified: publish a masked copy of the original's table
    table = scanned.columns if scanned.table_columns is None else scanned.table_columns
    applied = {c: p for c, p in rules.items() if c in table}
    public, preview = _masked_copy(rt, path, fmt, applied)
    return Placement(original, public, preview, applied, redacted, dict(pii))


def _masked_preview(
    rt: Runtime, raw_preview: Mapping[str, Any], rules: Mapping[str, str]
) -> dict[str, Any]:
    if not raw_preview:
        return {}
    header = list(raw_preview.get("fields", []))
    key = rt.masking_key()
    rows = mask_rows(header, raw_preview.get("rows", []), rules, key=key)
    text = transform("mask-text", key)  # a header row may hold data (a sheet without one)
    return {"fields": [text(h) for h in header], "rows": rows, "masked": sorted(rules)}


def _masked_copy(
    rt: Runtime, path: Path, fmt: str, rules: Mapping[str, str]
) -> tuple[StoredFile | None, dict[str, Any]]:
    if fmt not in MASKABLE_FORMATS:
        return None, {}
    rt.paths.staging.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=rt.paths.staging, suffix=f".{fmt}")
    os.close(fd)
    target = Path(name)
    try:
        masker = mask_csv if fmt == "csv" else mask_xlsx
        masker(path, target, rules, key=rt.masking_key(), limits=Limits.from_settings(rt.settings))
        preview = stored_preview(target, fmt)
        stored = rt.store.put(target, root=PUBLIC, extension=fmt, move=True)
    finally:
        target.unlink(missing_ok=True)
    if preview:
        preview["masked"] = sorted(rules)
    return stored, preview
