"""Every failure leaves the hub as `{"error": {"code", "message"}}` with a 4xx or 5xx."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

# The API's handlers and the channels' webhooks read JSON bodies alike (channels/json_body.py).
from channels.json_body import read_body
from model.errors import HubError, TooManyRequests, refuse_nul

__all__ = ["error_middleware", "error_response", "read_body"]

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

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
    429: "too_many_requests",
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
        response = error_response(error.status, error.code, error.message)
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = error.text if error.text and not error.text.startswith(str(error.status)) else error.reason
        return error_response(error.status, _HTTP_CODES.get(error.status, "http_error"), f"{message}.")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, _route(request))
        return error_response(500, "internal_error", "The hub failed to handle this request; it is logged.")
