"""Every failure leaves the hub as `{"error": {"code", "message"}}` with a 4xx or 5xx."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from model.errors import HubError, refuse_nul

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Body = TypeVar("Body", bound=BaseModel)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


def _route(request: web.Request) -> str:
    """The route's pattern, not the path: a path can carry a secret (Kakao's skill token)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        refuse_nul([request.path, *request.query.keys(), *request.query.values()])
        return await handler(request)
    except HubError as error:
        if error.status in (401, 403):
            log.warning("refused %s %s: %s", request.method, _route(request), error.message)
        return error_response(error.status, error.code, error.message)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = error.text if error.text and not error.text.startswith(str(error.status)) else error.reason
        return error_response(error.status, _HTTP_CODES.get(error.status, "http_error"), f"{message}.")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, _route(request))
        return error_response(500, "internal_error", "The hub failed to handle this request; it is logged.")


def _describe(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] == "missing":
        return "missing_field", f"The field '{field}' is required."
    if first["type"] == "string_too_long":
        limit = first.get("ctx", {}).get("max_length")
        return "text_too_long", f"The field '{field}' is longer than {limit} characters."
    return "invalid_field", f"The field '{field}' is invalid: {first['msg']}."


async def read_body(request: web.Request, model: type[Body]) -> Body:
    """The request's JSON body validated as `model`; a clear 400 naming what is wrong."""
    raw = await request.read()
    try:
        data: Any = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HubError(400, "malformed_json", f"The body is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise HubError(400, "invalid_body", "The body must be a JSON object.")
    refuse_nul(data)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        code, message = _describe(error)
        raise HubError(400, code, message) from None
