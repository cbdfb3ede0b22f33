"""What the web tests share: a key prefix in the rate-limit tests' Redis, per test."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
import redis

from tests.factories import LIMITS_REDIS


@pytest.fixture
def prefix() -> Iterator[str]:
    """A prefix of the rate-limit keys of one test, its keys deleted afterwards."""
    name = f"kaifang-test-{uuid4().hex[:12]}"
    yield name
    store = redis.Redis.from_url(LIMITS_REDIS)
    for key in store.scan_iter(match=f"{name}*"):
        store.delete(key)
