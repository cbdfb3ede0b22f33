"""The data-use agreement an applicant signs before a grant exists (数据使用协议): the newest
template under ``config/agreements/<version>.md``, with its SHA-256 recorded on the grant."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from datasets.errors import NotFound

AGREEMENTS = Path(__file__).resolve().parents[2] / "config" / "agreements"


@dataclass(frozen=True)
class Agreement:
    version: str
    text: str
    sha256: str


def current_agreement() -> Agreement:
    """The newest data-use agreement template (``config/agreements/<version>.md``)."""
    files = sorted(AGREEMENTS.glob("*.md"))
    if not files:
        raise NotFound("未配置数据使用协议模板")
    text = files[-1].read_text(encoding="utf-8")
    return Agreement(files[-1].stem, text, hashlib.sha256(text.encode("utf-8")).hexdigest())
