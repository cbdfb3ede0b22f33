"""The one place where exceptions become HTTP responses: CKAN's envelope for the API, pages for
everything else."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Flask,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from datasets.errors import (
    ConfigError,
    Conflict,
    KaifangError,
    LoginRequired,
    MalformedInput,
    NotAuthorized,
    NotFound,
    SharedElsewhere,
    TooMany,
    ValidationError,
)

log = logging.getLogger("portal")

# exception class → (HTTP status, CKAN __type)
STATUS: dict[type[KaifangError], tuple[int, str]] = {
    MalformedInput: (400, "Validation Error"),
    NotFound: (404, "Not Found Error"),
    LoginRequired: (401, "Authorization Error"),
    NotAuthorized: (403, "Authorization Error"),
    ValidationError: (409, "Validation Error"),
    TooMany: (429, "Rate Limit Error"),
    Conflict: (409, "Conflict Error"),
}
_HTTP_TYPES = {
    400: "Bad Request",
    401: "Authorization Error",
    403: "Authorization Error",
    404: "Not Found Error",
    405: "Method Not Allowed",
    409: "Validation Error",
    413: "Request Entity Too Large",
    429: "Rate Limit Error",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_HTTP_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的请求方法",
    409: "输入有误",
    413: "请求内容过大",
    429: "访问过于频繁",
    500: "服务器内部错误",
    503: "服务暂时不可用",
}


def form_status(exc: ValidationError | Conflict) -> int:
    """The status of a form page shown again with a refused step's message: 400 for bad
    input, 429 for a limit reached, 409 when the case's state forbids the step."""
    if isinstance(exc, TooMany):
        return 429
    return 400 if isinstance(exc, ValidationError) else 409


def no_store(response: Response) -> Response:
    """For pages showing one person's matters (and contact details): never cached."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_body(
    status: int, message: str, extra: dict[str, Any] | None = None, kind: str | None = None
) -> dict[str, Any]:
    """CKAN's error envelope (``help``, ``success``, ``error`` with ``__type`` and ``message``);
    the services API (/api/v1/) has no CKAN help action, so no ``help``."""
    error: dict[str, Any] = {"__type": kind or _HTTP_TYPES.get(status, "Error"), "message": message}
    error.update(extra or {})
    if request.path.startswith("/api/v1/"):
        return {"success": False, "error": error}
    from portal.app import base_url  # links come from KAIFANG_BASE_URL when it is set

    action = request.view_args.get("action") if request.view_args else None
    help_url = base_url() + "/api/3/action/help_show?name=" + (action or "")
    return {"help": help_url, "success": False, "error": error}


def error_response(
    status: int,
    message: str,
    extra: dict[str, Any] | None = None,
    kind: str | None = None,
    next_steps: tuple[tuple[str, str], ...] = (),
) -> Response:
    if is_api_request():
        response = jsonify(error_body(status, message, extra, kind))
        response.status_code = status
        return response
    html = render_template(
        "error.html",
        status=status,
        title=_HTTP_TITLES.get(status, "出错了"),
        message=message,
        errors=(extra or {}),
        next_steps=next_steps,
    )
    return make_response(html, status)


def register(app: Flask) -> None:
    @app.errorhandler(KaifangError)
    def domain_error(exc: KaifangError) -> ResponseReturnValue:
        if isinstance(exc, ConfigError):
            log.error("configuration error: %s", exc.message)
            return error_response(500, "服务配置有误，请联系平台运维人员")
        status, kind = next(
            (v for cls, v in STATUS.items() if isinstance(exc, cls)), (500, "Error")
        )
        if isinstance(exc, ValidationError) and (
            not is_api_request() or request.path.startswith("/api/v1/")
        ):
            status = 400  # our own API and forms: bad input is 400; CKAN's API keeps 409
        if isinstance(exc, LoginRequired) and not is_api_request():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if isinstance(exc, SharedElsewhere):
            return _shared_elsewhere(exc)
        extra = exc.errors if isinstance(exc, ValidationError) else None
        steps = exc.next_steps if isinstance(exc, NotAuthorized) else ()
        return error_response(status, exc.message, extra, kind, steps)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        message = {
            404: "未找到请求的页面或接口",
            405: "该地址不支持此请求方法",
            429: f"访问过于频繁，请稍后再试（{exc.description}）",
            413: "请求内容过大",
        }.get(status, exc.description or _HTTP_TITLES.get(status, "出错了"))
        response = error_response(status, message)
        if allowed := [v for k, v in exc.get_headers() if k == "Allow"]:
            response.headers["Allow"] = allowed[0]  # a 405 names the methods the address takes
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "服务器内部错误，请稍后再试")


def _shared_elsewhere(exc: SharedElsewhere) -> Response:
    """Government staff asking for a conditional file: 403 with the way to the sharing
    platform (its address in the API's error, the explanation page otherwise)."""
    from portal.app import get_runtime

    platform = get_runtime().settings.share_platform_url
    if is_api_request():
        return error_response(403, exc.message, {"share_platform_url": platform or None})
    from portal.pages.sharing import sharing_page

    return make_response(sharing_page(refused=exc.message), 403)
