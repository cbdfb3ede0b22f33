"""政务部门共享: the page telling departments' staff where shared data comes from (also shown,
with status 403, when they ask the portal for a conditional file), and the sharing catalog as
CSV for the government sharing platform (staff only)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from datasets.accounts.permissions import can_read_sharing_catalog
from datasets.catalog.sharing_catalog import sharing_csv
from portal.app import base_url, get_runtime
from portal.auth import current_actor
from portal.extensions import limiter

bp = Blueprint("sharing", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


def sharing_page(refused: str | None = None) -> str:
    """The explanation, with the platform's address when the setting names it."""
    settings = get_runtime().settings
    return render_template(
        "sharing/index.html",
        refused=refused,
        platform_url=settings.share_platform_url,
        supervisor=settings.supervisor_name,
        may_export=can_read_sharing_catalog(current_actor()),
    )


@bp.get("/sharing")
def index() -> ResponseReturnValue:
    return sharing_page()


@bp.get("/sharing/catalog.csv")
def catalog_csv() -> ResponseReturnValue:
    lines = sharing_csv(get_runtime(), current_actor(), base_url=base_url())
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="sharing-catalog-{stamp}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
