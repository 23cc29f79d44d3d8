"""A local Papago: NAVER Cloud Platform's Text Translation as NCP's API guide documents it.

`PapagoStandIn` serves `POST /nmt/v1/translation`: headers `X-NCP-APIGW-API-KEY-ID` and
`X-NCP-APIGW-API-KEY` (a wrong or missing pair: the gateway's 401, error 200 "Authentication
Failed"), a form (or JSON) with `source`, `target` and one `text`. It checks them as Papago
does (N2MT01..N2MT08: missing or unsupported languages, source equal to target, a pair with no
translator among NCP's 29, a missing or too long text) and answers
`{"message": {"result": {"srcLangType", "tarLangType", "translatedText"}}}`, translating
deterministically ("[<target>] <text>"). Errors are `{"error": {"errorCode", "message"}}`, or
with `legacy_errors` the older Naver Developers shape `{"errorCode", "errorMessage"}`. It
counts requests and characters, and can be told to fail, to rate-limit (429 with Retry-After)
or to stall the next requests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web

from tests.standins.server import TranslatorStandIn, json_object, retry_after_header

CLIENT_ID = "dasan120papago"
CLIENT_SECRET = "Pz" + "0" * 38
MAX_TEXT = 5000
LANGUAGES = ("ko", "en", "ja", "zh-CN", "zh-TW", "vi", "th", "id", "fr", "es", "ru", "de", "it")
_ONE_WAY = (
    [("ko", other) for other in ("en", "ja", "zh-CN", "zh-TW", "vi", "th", "id", "fr", "es", "ru", "de", "it")]
    + [("en", other) for other in ("ja", "zh-CN", "zh-TW", "vi", "th", "id", "fr", "es", "ru", "de")]
    + [("ja", other) for other in ("zh-CN", "zh-TW", "vi", "th", "id", "fr")]
    + [("zh-CN", "zh-TW")]
)
PAIRS = frozenset(_ONE_WAY + [(target, source) for source, target in _ONE_WAY])
"""NCP's 29 language pairs, both ways."""


def translation(text: str, target: str) -> str:
    """What the stand-in answers for `text` into `target` (Papago's code)."""
    return f"[{target}] {text}"


@dataclass
class PapagoStandIn(TranslatorStandIn):
    """Papago Text Translation on 127.0.0.1; `async with` starts and stops it, and `base_url` is
    what replaces https://papago.apigw.ntruss.com in the engine. `received` holds the parameters
    (form or JSON), one text each."""

    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    legacy_errors: bool = False
    """Answer errors in the older flat shape `{"errorCode", "errorMessage"}`."""

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/nmt/v1/translation", self._translate)

    # -- behaviour ---------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        code: str | None = None,
        message: str | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next `times` requests with an error in Papago's shape (gateway codes for
        401/429/503/504, translator codes N2MT.. for 400/500)."""
        defaults = {
            400: ("N2MT04", "Unsupported target language"),
            401: ("200", "Authentication Failed"),
            429: ("420", "Rate Limited"),
            500: ("N2MT99", "Internal server errors"),
            503: ("500", "Endpoint Error"),
            504: ("510", "Endpoint Timeout"),
        }
        default_code, default_message = defaults.get(status, ("900", "Unexpected Error"))
        code, message = code or default_code, message or default_message
        self._fail_next(times, partial(self._error, status, code, message, retry_after))

    def rate_limit_next(self, times: int = 1, retry_after: float | str = 30) -> None:
        """Answer the next `times` requests as the gateway's rate limit does, with a Retry-After."""
        self.fail_next(429, times, retry_after=retry_after)

    # -- the API -----------------------------------------------------------------------

    def _error(self, status: int, code: str, message: str, retry_after: float | str | None = None) -> web.Response:
        """Papago's error shape, or the older flat one with `legacy_errors` (read when answering)."""
        body: dict[str, Any]
        if self.legacy_errors:
            body = {"errorMessage": message, "errorCode": code}
        else:
            body = {"error": {"errorCode": code, "message": message}}
        return web.json_response(body, status=status, headers=retry_after_header(retry_after))

    def _authorised(self, request: web.Request) -> bool:
        client_id = request.headers.get("X-NCP-APIGW-API-KEY-ID", "")
        client_secret = request.headers.get("X-NCP-APIGW-API-KEY", "")
        return secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(
            client_secret, self.client_secret
        )

    async def _translate(self, request: web.Request) -> web.Response:
        self.requests += 1
        if (fault := await self._injected_fault()) is not None:
            return fault
        if not self._authorised(request):
            return self._error(401, "200", "Authentication Failed")
        params = await _params(request)
        source, target, text = params.get("source", ""), params.get("target", ""), params.get("text", "")
        problem = _problem(source, target, text)
        if problem is not None:
            status, code, message = problem
            return self._error(status, code, message)
        self._translated(params, [text])
        result = {"srcLangType": source, "tarLangType": target, "translatedText": translation(text, target)}
        message = {"@type": "response", "@service": "naverservice.nmt.proxy", "@version": "1.0.0", "result": result}
        return web.json_response({"message": message})


def _problem(source: str, target: str, text: str) -> tuple[int, str, str] | None:
    """Papago's N2MT error for these parameters, if any."""
    if not source:
        return 400, "N2MT01", "source parameter is needed"
    if source not in LANGUAGES:
        return 400, "N2MT02", "Unsupported source language"
    if not target:
        return 400, "N2MT03", "target parameter is needed"
    if target not in LANGUAGES:
        return 400, "N2MT04", "Unsupported target language"
    if source == target:
        return 400, "N2MT05", "source and target must be different"
    if (source, target) not in PAIRS:
        return 400, "N2MT06", "There is no source-to-target translator"
    if not text:
        return 400, "N2MT07", "text parameter is needed"
    if len(text) > MAX_TEXT:
        return 400, "N2MT08", "text parameter exceeds max length"
    return None


async def _params(request: web.Request) -> dict[str, str]:
    """The request's parameters, from a form or JSON (NCP takes either)."""
    if request.content_type == "application/json":
        data = await json_object(request) or {}
        return {str(key): str(value) for key, value in data.items()}
    return {key: str(value) for key, value in (await request.post()).items()}
