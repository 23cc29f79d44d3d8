"""A local Google Cloud Translation Basic (v2): `POST /language/translate/v2` as Google documents it.

`GoogleTranslateStandIn` takes the API key as `?key=` (or an `X-Goog-Api-Key` header) and JSON
(or a form) with `q` (a text or a list, at most 128), `source`, `target` and `format`. It answers
`{"data": {"translations": [{"translatedText": ...}]}}`, translating deterministically
("[<target>] <text>", HTML-escaped unless `format` is "text", as Google escapes by default), or
Google's error `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}],
"status"}}`: 403 PERMISSION_DENIED "The request is missing a valid API key." for no key,
400 INVALID_ARGUMENT "API key not valid. Please pass a valid API key." (with an ErrorInfo
`API_KEY_INVALID` detail) for a wrong one, 400 "Invalid Value" for unknown languages. It counts
requests and characters, and can be told to fail, to rate-limit (429 RESOURCE_EXHAUSTED, or the
older 403 `userRateLimitExceeded`, with Retry-After) or to stall the next requests.

The messages for a missing `q`/`target` and for too many segments are approximations.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web

from tests.standins.server import TranslatorStandIn, json_object, retry_after_header

API_KEY = "AIzaSy" + "D" * 27 + "dasan1"  # 39 characters, like Google's keys
MAX_SEGMENTS = 128
LANGUAGES = frozenset({"ko", "en", "ja", "zh", "zh-CN", "zh-TW", "vi", "mn", "th", "id", "fr", "es", "ru", "de"})
QUOTA_MESSAGE = (
    "Quota exceeded for quota metric 'v2 and v3 general model characters' and limit "
    "'v2 and v3 general model characters per minute' of service 'translate.googleapis.com' "
    "for consumer 'project_number:120120120120'."
)
_USAGE_LIMITS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"})


def translation(text: str, target: str) -> str:
    """What the stand-in answers for `text` into `target` (Google's code), before any escaping."""
    return f"[{target}] {text}"


def _error(
    status: int,
    grpc_status: str | None,
    message: str,
    reason: str,
    retry_after: float | str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> web.Response:
    """Google's JSON error (`status` is left out, as in older 403 quota answers, when None)."""
    domain = "usageLimits" if reason in _USAGE_LIMITS else "global"
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if grpc_status:
        error["status"] = grpc_status
    if details:
        error["details"] = details
    return web.json_response({"error": error}, status=status, headers=retry_after_header(retry_after))


def _key_invalid() -> web.Response:
    detail = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "translate.googleapis.com"},
    }
    message = "API key not valid. Please pass a valid API key."
    return _error(400, "INVALID_ARGUMENT", message, "badRequest", details=[detail])


@dataclass
class GoogleTranslateStandIn(TranslatorStandIn):
    """Cloud Translation v2 on 127.0.0.1; `async with` starts and stops it, and `base_url` is what
    replaces https://translation.googleapis.com in the engine. `received` holds request bodies."""

    api_key: str = API_KEY

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/language/translate/v2", self._translate)

    # -- behaviour ---------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        reason: str | None = None,
        message: str | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next `times` requests with an error in Google's shape."""
        defaults = {
            400: ("INVALID_ARGUMENT", "Invalid Value", "invalid"),
            403: ("PERMISSION_DENIED", "The caller does not have permission", "forbidden"),
            429: ("RESOURCE_EXHAUSTED", QUOTA_MESSAGE, "rateLimitExceeded"),
            500: ("INTERNAL", "Internal error encountered.", "backendError"),
            503: ("UNAVAILABLE", "The service is currently unavailable.", "backendError"),
        }
        grpc_status, default_message, default_reason = defaults.get(status, ("UNKNOWN", "Unknown error", "unknown"))
        if status == 403 and reason in _USAGE_LIMITS:
            grpc_status = None  # the older v2 quota answer: a 403 with `usageLimits` errors only
            default_message = {
                "rateLimitExceeded": "Rate Limit Exceeded",
                "userRateLimitExceeded": "User Rate Limit Exceeded",
                "dailyLimitExceeded": "Daily Limit Exceeded",
            }[reason]
        message, reason = message or default_message, reason or default_reason
        self._fail_next(times, partial(_error, status, grpc_status, message, reason, retry_after))

    def rate_limit_next(self, times: int = 1, retry_after: float | str = 30, status: int = 429) -> None:
        """Answer the next `times` requests with a quota error and a Retry-After: 429
        RESOURCE_EXHAUSTED, or with `status=403` the older `userRateLimitExceeded`."""
        reason = "userRateLimitExceeded" if status == 403 else None
        self.fail_next(status, times, reason=reason, retry_after=retry_after)

    # -- the API -----------------------------------------------------------------------

    async def _translate(self, request: web.Request) -> web.Response:
        self.requests += 1
        if (fault := await self._injected_fault()) is not None:
            return fault
        key = request.query.get("key") or request.headers.get("X-Goog-Api-Key", "")
        if not key:
            return _error(403, "PERMISSION_DENIED", "The request is missing a valid API key.", "forbidden")
        if not secrets.compare_digest(key, self.api_key):
            return _key_invalid()
        body = await _body(request)
        if body is None:
            return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", "parseError")
        q, source, target = body.get("q"), body.get("source"), body.get("target")
        texts = q if isinstance(q, list) else [q] if q is not None else []
        if not texts or not all(isinstance(text, str) for text in texts):
            return _error(400, "INVALID_ARGUMENT", "Required Text", "required")
        if not target:
            return _error(400, "INVALID_ARGUMENT", "Required Target", "required")
        if target not in LANGUAGES or (source and source not in LANGUAGES):
            return _error(400, "INVALID_ARGUMENT", "Invalid Value", "invalid")
        if len(texts) > MAX_SEGMENTS:
            return _error(400, "INVALID_ARGUMENT", "Too many text segments", "invalid")
        self._translated(body, texts)
        escape = body.get("format", "html") != "text"
        translations = []
        for text in texts:
            translated = translation(text, target)
            item = {"translatedText": html.escape(translated) if escape else translated}
            if not source:
                item["detectedSourceLanguage"] = "ko"
            translations.append(item)
        return web.json_response({"data": {"translations": translations}})


async def _body(request: web.Request) -> dict[str, Any] | None:
    """The request's parameters, from JSON or a form (`q` repeated for several texts)."""
    if request.content_type == "application/json":
        return await json_object(request)
    form = await request.post()
    body: dict[str, Any] = {key: str(value) for key, value in form.items()}
    if "q" in form:
        body["q"] = [str(value) for value in form.getall("q")]
    return body
