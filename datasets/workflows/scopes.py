"""Grant scopes by column identity: what a grant covers is fixed against the columns the
department saw when it granted (or last confirmed) the scope, never inferred from today's table.

A grant records the dataset's columns ``{name, type, position, personal}`` (``Grant.columns``)
and names the columns it covers (``Grant.fields``). A full grant lists every column, so "all
columns" is a recorded decision and never what an empty intersection leaves over.

When a republication changes the table (a column renamed, removed, added, re-typed or moved, or
a column inside the scope newly found to hold personal information), the grant no longer
matches. Partial and full grants alike then serve nothing (``needs_confirmation``) until the
dataset's department confirms which current columns the grant covers
(``grants.confirm_scope``): a renamed column may hide the same data, and a column added to the
table (perhaps personal) must not silently extend a grant nobody decided on. The holder and the
department are told once, and the change is an audit row.

Grants from before scopes were recorded (no ``scope_changed_at``, empty ``columns``) adopt
the dataset's current columns the first time they are looked at when that is safe: the dataset
has not been republished since the grant was signed, and every granted field is one of its
columns. Otherwise they too wait for the department's confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.models import AuditEntry, Dataset, Grant
from datasets.notify.notices import notify_department, notify_users
from datasets.workflows import cases as c

CONFIRMED = "confirmed"
NEEDS_CONFIRMATION = "needs_confirmation"
STATE_LABELS = {CONFIRMED: "已确认", NEEDS_CONFIRMATION: "待数据提供部门确认"}
# grants whose scope still matters (a revoked or expired grant serves nothing anyway)
LIVE = ("active", "suspended")
# the audit actions that republish a dataset (and may have changed its columns)
REPUBLISHED = ("dataset.publish", "dataset.update")


def snapshot(columns: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A dataset's columns as a grant records them: name, type, position, personal."""
    return [
        {
            "name": str(col.get("name") or ""),
            "type": str(col.get("type") or "string"),
            "position": position,
            "personal": bool(col.get("personal")),
        }
        for position, col in enumerate(columns or [])
    ]


def names(columns: list[dict[str, Any]] | None) -> list[str]:
    return [str(col.get("name") or "") for col in columns or []]


def is_full(grant: Grant) -> bool:
    """The grant covers every column it was granted on (an old grant's empty list, too)."""
    return set(grant.fields or []) == set(names(grant.columns))


def differences(
    recorded: list[dict[str, Any]], current: list[dict[str, Any]] | None, scope: list[str]
) -> list[str]:
    """What changed between the columns a scope was confirmed on and the current ones, in
    words; empty when the grant still matches. ``scope`` is the grant's fields."""
    now = snapshot(current)
    old = {col["name"]: col for col in recorded}
    new = {col["name"]: col for col in now}
    found: list[str] = []
    if gone := [n for n in old if n not in new]:
        found.append("原有字段已删除或改名：" + "、".join(gone))
    if added := [n for n in new if n not in old]:
        found.append("新增或改名后的字段：" + "、".join(added))
    retyped = [
        f"{n}（{old[n]['type']} → {new[n]['type']}）"
        for n in old
        if n in new and old[n]["type"] != new[n]["type"]
    ]
    if retyped:
        found.append("字段类型改变：" + "、".join(retyped))

    def shape(cols: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
        return [(col["name"], col["type"], col["position"]) for col in cols]

    if not found and shape(recorded) != shape(now):
        found.append("字段顺序改变")
    personal = [
        n for n in scope if n in new and new[n]["personal"] and not old.get(n, {}).get("personal")
    ]
    if personal:
        found.append("新识别为个人信息的字段：" + "、".join(personal))
    if outside := [f for f in scope if f not in old]:
        found.append("授权字段不在授权时的字段中：" + "、".join(outside))
    return found


@dataclass(frozen=True)
class Scope:
    """Where a grant's scope stands: ``confirmed`` (serve it) or ``needs_confirmation``
    (serve nothing; ``why`` says what changed). ``adopt``: an old grant whose current columns
    may be recorded now."""

    state: str
    why: str = ""
    adopt: bool = False


def _republished_since(session: Session, dataset: Dataset, grant: Grant) -> bool:
    return (
        session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.object_type == "dataset",
                AuditEntry.object_id == dataset.id,
                AuditEntry.action.in_(REPUBLISHED),
                AuditEntry.at > grant.signed_at,
            )
            .limit(1)
        )
        is not None
    )


def is_old(grant: Grant) -> bool:
    """A grant from before scopes were recorded (its scope was never set)."""
    return grant.scope_changed_at is None


def assess(session: Session, grant: Grant, dataset: Dataset | None) -> Scope:
    """Whether ``grant`` still matches its dataset's columns (reads only)."""
    current = dataset.columns if dataset is not None else []
    scope = list(grant.fields or []) or names(grant.columns)
    if grant.scope_state == NEEDS_CONFIRMATION:
        found = [] if is_old(grant) else differences(grant.columns or [], current, scope)
        return Scope(NEEDS_CONFIRMATION, "；".join(found) or "授权后数据集的字段发生过变化")
    if not is_old(grant):
        found = differences(grant.columns or [], current, scope)
        return Scope(NEEDS_CONFIRMATION, "；".join(found)) if found else Scope(CONFIRMED)
    missing = [f for f in grant.fields or [] if f not in names(current)]
    if missing:
        return Scope(NEEDS_CONFIRMATION, "授权字段已不在数据集中：" + "、".join(missing))
    if dataset is not None and _republished_since(session, dataset, grant):
        return Scope(NEEDS_CONFIRMATION, "授权时未记录数据集的字段，且数据集在授权后重新发布过")
    return Scope(CONFIRMED, adopt=True)


def settle(
    session: Session, grant: Grant, dataset: Dataset | None, *, actor: Actor | str = "system"
) -> Scope:
    """Assess ``grant`` and record the outcome: an old grant adopts the current columns, or a
    grant that no longer matches waits for the department (told once)."""
    found = assess(session, grant, dataset)
    if found.adopt and dataset is not None:
        record(grant, dataset.columns, grant.fields or names(dataset.columns))
        _audit(session, actor, "grant.scope_record", grant, fields=list(grant.fields))
    elif found.state == NEEDS_CONFIRMATION and grant.scope_state != NEEDS_CONFIRMATION:
        flag(session, grant, dataset, found.why, actor=actor)
    return found


def record(grant: Grant, columns: list[dict[str, Any]] | None, fields: list[str]) -> None:
    """Fix the grant's scope: ``fields`` out of ``columns`` (the dataset's, as they are now)."""
    grant.columns = snapshot(columns)
    grant.fields = list(fields)
    grant.scope_state = CONFIRMED
    grant.scope_changed_at = c.now_utc()


def flag(
    session: Session, grant: Grant, dataset: Dataset | None, why: str, *, actor: Actor | str
) -> None:
    """The grant's scope no longer matches: it serves nothing until the department confirms
    it; the holder and the department's reviewers are told why."""
    grant.scope_state = NEEDS_CONFIRMATION
    grant.scope_changed_at = c.now_utc()
    _audit(
        session,
        actor,
        "grant.scope_change",
        grant,
        why=why,
        fields=list(grant.fields or []),
        recorded=names(grant.columns),
        current=names(dataset.columns if dataset else []),
    )
    title = dataset.title if dataset else ""
    link = f"/services/grants/{grant.id}"
    notify_users(
        session,
        [grant.user_id],
        subject=f"授权 {grant.reference} 的授权范围待确认：数据集字段发生变化",
        body=f"数据集“{title}”的字段发生变化（{why}）。数据提供部门重新确认授权字段之前，"
        "该授权暂不能获取数据。",
        link=link,
    )
    notify_department(
        session,
        dataset.organization_id if dataset else None,
        subject=f"授权 {grant.reference} 的授权范围待确认：数据集“{title}”的字段发生变化",
        body=f"{why}。请在授权页面确认授权字段对应的现有字段；确认之前该授权不能获取数据。",
        link=link,
    )


def review_grant_scopes(
    session: Session, dataset: Dataset, *, before: list[dict[str, Any]] | None, actor: str
) -> int:
    """After a republication set ``dataset.columns`` (``before``: the columns it replaced):
    every live grant on the dataset whose scope no longer matches waits for confirmation.
    Returns how many were newly flagged."""
    held = session.scalars(
        select(Grant)
        .where(Grant.dataset_id == dataset.id, Grant.status.in_(LIVE))
        .with_for_update()
    ).all()
    changed = differences(snapshot(before), dataset.columns, names(before))
    flagged = 0
    for grant in held:
        if grant.scope_state == NEEDS_CONFIRMATION:
            continue
        if is_old(grant) and changed:  # its columns were the ones just replaced
            flag(session, grant, dataset, "；".join(changed), actor=actor)
        else:
            settle(session, grant, dataset, actor=actor)
        flagged += grant.scope_state == NEEDS_CONFIRMATION
    return flagged


def refusal(grant: Grant, found: Scope) -> str:
    """Why a download under ``grant`` is refused while its scope waits for confirmation."""
    return (
        f"授权范围待确认：数据集的字段发生变化（{found.why}），数据提供部门重新确认授权"
        f"字段之前，授权 {grant.reference} 不能获取数据"
    )


def _audit(session: Session, actor: Actor | str, action: str, grant: Grant, **detail: Any) -> None:
    c.audit_row(session, actor, action, "grant", grant.id, {"reference": grant.reference, **detail})
