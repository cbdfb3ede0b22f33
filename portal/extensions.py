"""Flask extensions, created unbound and bound in the factory."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

from portal.limits import make_limiter

csrf = CSRFProtect()
limiter = make_limiter()  # per app: portal.limits.configure
