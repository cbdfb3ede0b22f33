"""Password rules and hashes: what a new password must not be, scrypt, the stand-in hash an
unknown user name is checked against.

A new password (sign-up, change, an account an operator creates) must have at least
``MIN_PASSWORD`` characters and four different ones, must not contain the user name and must
not be on the list of common passwords (``common_passwords.txt``: the 10,000 most common
passwords of the zxcvbn project's list, MIT licence, and the passwords most used on Chinese
sites), nor be one of them with digits or signs added before or after. Passwords already set
are not checked again: their accounts keep working.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import cache
from pathlib import Path

MIN_PASSWORD = 10
MIN_DISTINCT = 4
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
# digits and signs people add around a common word: "password2026!", "@iloveyou1"
_AFFIXES = re.compile(r"^[\d\W_]+|[\d\W_]+$")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


@cache
def stand_in_hash() -> str:
    """A hash with the cost of real ones, made once per process: an unknown user name is
    checked against it, so that signing in takes as long as with a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lower case (lines starting with # are comments)."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def _is_run(text: str) -> bool:
    """Each character one after the previous one, or one before: 1234567890, zyxwvutsrq."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return len(steps) == 1 and steps <= {1, -1}


def password_problem(password: str, name: str = "") -> str | None:
    """Why a new password is refused (one Chinese sentence), or ``None``."""
    password = password or ""
    folded = password.casefold()
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    if len(set(folded)) < MIN_DISTINCT:
        return f"密码过于简单：至少要有 {MIN_DISTINCT} 个不同的字符"
    user = (name or "").strip().casefold()
    if len(user) >= 3 and user in folded:
        return "密码不能包含用户名"
    core = _AFFIXES.sub("", folded)
    common = common_passwords()
    if folded in common or folded.strip() in common or (len(core) >= 4 and core in common):
        return "密码过于常见，容易被猜中，请换一个"
    if _is_run(folded) or (len(core) >= 4 and _is_run(core)):
        return "密码不能是连续的字母或数字"
    return None
