"""API keys: made, listed and revoked by their user; a request signed with one acts as that user."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from datasets.accounts.permissions import Actor
from datasets.accounts.users import actor_of
from datasets.errors import NotAuthorized, NotFound, ValidationError
from datasets.models import ApiKey, User
from datasets.runtime import Runtime

#
# A key is ``kf_`` and 32 random bytes (URL-safe base64). Only its SHA-256 is stored: a slow
# password hash (scrypt) protects guessable secrets, but 256 random bits cannot be guessed, so a
# fast hash loses nothing, and it lets a request find its key with one indexed lookup instead of
# trying a slow hash against every key.
API_KEY_PREFIX = "kf_"
_API_KEY = re.compile(r"^kf_[A-Za-z0-9_-]{43}$")
PREFIX_LENGTH = 10  # "kf_" and 7 characters: enough for a user to tell keys apart
MAX_ACTIVE_KEYS = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _key_dict(row: ApiKey) -> dict:
    """A key as lists show it: never the key, never its hash."""
    return {
        "id": row.id,
        "label": row.label,
        "prefix": row.prefix,
        "created_at": _stamp(row.created_at),
        "last_used_at": _stamp(row.last_used_at),
        "revoked_at": _stamp(row.revoked_at),
        "active": row.revoked_at is None,
    }


def create_api_key(
    rt: Runtime, *, user_name: str | None = None, user_id: str | None = None, label: str = ""
) -> dict:
    """A new API key of a user (by name or id). The key is in the result and nowhere else: it
    cannot be shown again."""
    if (user_name is None) == (user_id is None):
        raise ValueError("pass exactly one of user_name and user_id")
    label = (label or "").strip()
    if len(label) > 100:
        raise ValidationError("密钥说明不能超过 100 个字符", {"label": ["不能超过 100 个字符"]})
    with rt.session() as session:
        if user_id is not None:
            user = session.get(User, user_id)
        else:
            user = session.scalar(select(User).where(User.name == user_name))
        if user is None:
            raise NotFound(f"没有用户 {user_name or user_id}")
        if not user.active:
            raise NotAuthorized(f"用户 {user.name} 已停用，不能创建 API 密钥")
        active = session.scalars(
            select(ApiKey.id).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
        ).all()
        if len(active) >= MAX_ACTIVE_KEYS:
            message = f"每个账户最多 {MAX_ACTIVE_KEYS} 个有效的 API 密钥，请先吊销不再使用的密钥"
            raise ValidationError(message, {"label": [message]})
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(
            user_id=user.id, label=label, prefix=key[:PREFIX_LENGTH], key_hash=_key_hash(key)
        )
        session.add(row)
        session.flush()
        return {
            "id": row.id,
            "key": key,
            "prefix": row.prefix,
            "label": row.label,
            "created_at": _stamp(row.created_at),
        }


def list_api_keys(rt: Runtime, actor: Actor) -> list[dict]:
    """The actor's own keys, newest first, revoked ones included (marked ``active: False``)."""
    if actor.is_anonymous:
        raise NotAuthorized("请先登录")
    with rt.reader() as session:
        rows = session.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == actor.user_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        ).all()
        return [_key_dict(row) for row in rows]


def revoke_api_key(rt: Runtime, actor: Actor, key_id: str) -> dict:
    """Revoke a key for good. Users revoke their own keys, operators anyone's; someone else's
    key is "not found", so that nobody learns which ids exist. Revoking twice is harmless."""
    if actor.is_anonymous:
        raise NotAuthorized("请先登录")
    with rt.session() as session:
        row = session.get(ApiKey, key_id) if key_id else None
        if row is None or (row.user_id != actor.user_id and "operator" not in actor.roles):
            raise NotFound("没有这个 API 密钥")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
        return _key_dict(row)


def actor_for_api_key(rt: Runtime, key: str) -> Actor | None:
    """The actor of an API key, or ``None`` for an unknown or revoked key or a disabled account.

    The key is looked up by its SHA-256: what a database index compares is the hash of what the
    caller sent, which tells a timing attacker nothing about stored keys. ``last_used_at`` is
    written at most once a minute per key, not on every request.
    """
    key = (key or "").strip()
    if not _API_KEY.fullmatch(key):
        return None
    digest = _key_hash(key)
    with rt.reader() as session:
        found = session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == digest)
        ).first()
        if found is None:
            return None
        row, user = found
        if not hmac.compare_digest(row.key_hash, digest):
            return None
        if row.revoked_at is not None or not user.active:
            return None
        actor = actor_of(user, api_key_id=row.id)
        last_used = row.last_used_at
    now = datetime.now(UTC)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        with rt.session() as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == actor.api_key_id)
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
    return actor
