"""Files of the static tree removed in the commit that changes their dataset.

With ``KAIFANG_STATIC_DIR`` set, every session notes the datasets whose public face may have
changed (withdrawn, held, deleted, reclassified, suspended by a rights-holder objection, renamed,
a new revision) and, once its transaction is committed, deletes their files from the current
tree (and from the previous one, which the next build rewrites), found by the names the dataset
had (no manifest is read: this runs in web requests and in every harvest transaction, at any
catalog size). The web server then passes their URLs to the
app, which answers what is true now (the page, a notice or 404) until the next
``kaifang build-static`` writes them again.
Lists that name such a dataset (home, search landing, department pages) are refreshed by that
next build.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from datasets.errors import ValidationError
from datasets.models import Dataset
from datasets.publish.tree import StaticOut

log = logging.getLogger(__name__)

_NOTED = "static_removals"
# a change of one of these columns may change what the dataset's static files say
_WATCHED = (
    "state",
    "openness",
    "suspended_by",
    "revision",
    "name",
    "exclusion_rule",
    "metadata_modified",
)


def watch(sessions: sessionmaker[Session], static_dir: str) -> None:
    """Make every session of ``sessions`` remove the static files of the datasets it changed,
    right after it commits."""
    out = StaticOut(Path(static_dir))

    def remove(session: Session) -> None:
        noted: dict[str, set[str]] = session.info.pop(_NOTED, {})
        if noted:
            remove_datasets(out, noted)

    event.listen(sessions, "before_flush", _note)
    event.listen(sessions, "after_commit", remove)
    event.listen(sessions, "after_rollback", _forget)


def remove_datasets(out: StaticOut, names: dict[str, set[str]]) -> list[str]:
    """Delete the files of datasets (id → the names it had) from the current and previous
    trees; the paths removed from the current one."""
    try:
        with out.locked():
            return out.remove_datasets(names)
    except (OSError, ValidationError) as exc:  # the commit stands; the next build drops them
        log.error("静态站点文件未能删除（%s）：%s", ", ".join(sorted(names)), exc)
        return []


def _note(session: Session, _context: Any, _instances: Any) -> None:
    noted: dict[str, set[str]] = session.info.setdefault(_NOTED, {})
    for obj in session.dirty:
        if isinstance(obj, Dataset) and obj.id and _changed(obj):
            history = inspect(obj).attrs["name"].history
            noted.setdefault(obj.id, set()).update(
                n for n in (obj.name, *(history.deleted or ())) if n
            )
    for obj in session.deleted:
        if isinstance(obj, Dataset) and obj.id and obj.name:
            noted.setdefault(obj.id, set()).add(obj.name)


def _changed(obj: Dataset) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in _WATCHED)


def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)
