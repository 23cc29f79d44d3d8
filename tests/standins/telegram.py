"""A local stand-in for the Telegram Bot API, on its wire format, for python-telegram-bot.

`/bot<token>/<method>` answers `{"ok": true, "result": …}` or `{"ok": false, "error_code",
"description", "parameters"}` like api.telegram.org. It accepts parameters as a query
string, form fields (what PTB sends, JSON-encoding non-strings) or a JSON body. It records
what the hub did, can be told to fail, and stops and starts again on the same port.
It also builds the updates Telegram would send, with message ids that never collide with
the ids of the messages the bot sent into the same chat (as on Telegram).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from tests.standins.server import StandIn

TOKEN = "123456:TEST-stand-in-token_abcdefghijklmnop"
SECRET = "dasan-webhook-secret_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "서울 120 다산콜",
    "username": "dasan120_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MAX_TEXT = 4096
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Telegram sends these as JSON inside form fields.
_JSON_FIELDS = ("reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters")


class ApiError(Exception):
    """An `{"ok": false}` answer."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


@dataclass
class _Failure:
    method: str | None
    status: int
    retry_after: int | None


class TelegramStandIn(StandIn):
    """The Bot API for one bot token, on 127.0.0.1; `async with` starts and stops it."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.webhook: dict[str, Any] | None = None
        self.sent: list[dict[str, Any]] = []
        """Every message sendMessage accepted, as the Message it answered plus its reply_markup."""
        self.answered_callbacks: list[str] = []
        self.blocked: set[int] = set()
        """Chats whose user blocked the bot: sendMessage answers 403."""
        self._failures: list[_Failure] = []
        self._pending: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._update_ids = itertools.count(700_000_001)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._users: dict[int, dict[str, Any]] = {}

    # -- lifecycle --------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._dispatch)

    @property
    def base_url(self) -> str:
        """What python-telegram-bot's `base_url` takes (it appends the token)."""
        return f"{self.url}/bot"

    async def stop(self) -> None:
        """Wake the long polls first, so the server's short shutdown grace is enough."""
        self._arrived.set()
        await super().stop()

    # -- steering ---------------------------------------------------------------------

    def fail_next(
        self, times: int = 1, status: int = 429, retry_after: int | None = None, method: str | None = None
    ) -> None:
        """Answer the next `times` calls (of `method`, or of any) with an error.

        429 carries `parameters.retry_after` (default 1 s); 500 is Telegram having a bad day.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        name = method.lower() if method else None
        self._failures.extend(_Failure(name, status, retry_after) for _ in range(times))

    def methods(self) -> list[str]:
        """The Bot API methods called so far, in order."""
        return [method for method, _ in self.calls]

    async def wait_sent(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The sent messages once there are at least `count`."""
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} sent messages, got {[m['text'] for m in self.sent]}")
            await asyncio.sleep(0.02)
        return list(self.sent)

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update for getUpdates (polling mode)."""
        self._pending.append(update)
        self._arrived.set()

    # -- updates as Telegram sends them -----------------------------------------------

    def user(self, chat_id: int, first_name: str = "Citizen", language_code: str | None = "ko") -> dict[str, Any]:
        """The Telegram user behind a private chat (in which chat id = user id)."""
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self._users[chat_id] = user
        return user

    def message_update(
        self, chat_id: int, language_code: str | None = "ko", first_name: str = "Citizen", **fields: Any
    ) -> dict[str, Any]:
        """An update with a new private message carrying `fields` (text, photo, location…)."""
        user = self.user(chat_id, first_name, language_code)
        message = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "from": user,
            **fields,
        }
        return {"update_id": next(self._update_ids), "message": message}

    def text_update(self, chat_id: int, text: str, **options: Any) -> dict[str, Any]:
        return self.message_update(chat_id, text=text, **options)

    def photo_update(self, chat_id: int, caption: str | None = None, **options: Any) -> dict[str, Any]:
        """A photo as Telegram sends it: several sizes of one picture, smallest first."""
        tag = uuid.uuid4().hex[:8]
        sizes = [
            {"file_id": f"photo-{tag}-{w}", "file_unique_id": f"u{tag}{w}", "width": w, "height": h, "file_size": w * h}
            for w, h in ((90, 67), (320, 240), (1280, 960))
        ]
        fields: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            fields["caption"] = caption
        return self.message_update(chat_id, **fields, **options)

    def location_update(self, chat_id: int, latitude: float, longitude: float, **options: Any) -> dict[str, Any]:
        return self.message_update(chat_id, location={"latitude": latitude, "longitude": longitude}, **options)

    def tap(self, sent: dict[str, Any], index: int = 0) -> dict[str, Any]:
        """The callback_query update for tapping inline button `index` of a message the bot sent."""
        buttons = [row[0] for row in sent["reply_markup"]["inline_keyboard"]]
        chat_id = sent["chat"]["id"]
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": uuid.uuid4().hex,
                "from": self._users.get(chat_id) or self.user(chat_id),
                "chat_instance": f"ci-{chat_id}",
                "message": dict(sent),
                "data": buttons[index]["callback_data"],
            },
        }

    # -- the API ----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        match = _PATH.match(request.path)
        if match is None:
            return ApiError(404, "Not Found").response()
        if match["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = match["method"].lower()
        try:
            params = await _params(request)
            self.calls.append((method, params))
            self._maybe_fail(method)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    def _maybe_fail(self, method: str) -> None:
        for failure in self._failures:
            if failure.method in (None, method):
                self._failures.remove(failure)
                if failure.status == 429:
                    raise ApiError(429, f"Too Many Requests: retry after {failure.retry_after}", failure.retry_after)
                raise ApiError(failure.status, "Internal Server Error" if failure.status >= 500 else "Bad Request")

    async def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            raise ApiError(400, "Bad Request: bad webhook: URL is required")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = _int(params, "offset", 0)
        if offset > 0:
            # An offset confirms every update before it: Telegram forgets them.
            self._pending = [update for update in self._pending if update["update_id"] >= offset]
        limit = max(1, min(_int(params, "limit", 100), 100))
        deadline = time.monotonic() + max(0, _int(params, "timeout", 0))
        while not self._pending and self.running:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                break
        return self._pending[:limit]

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        try:
            chat = int(chat_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        markup = params.get("reply_markup")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids[chat]),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": BOT_USER,
            "text": text,
        }
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        self.sent.append({**message, "reply_markup": markup})
        return message

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.answered_callbacks.append(str(query_id))
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: parameters must be an object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    for key in _JSON_FIELDS:
        if isinstance(params.get(key), str):
            try:
                params[key] = json.loads(params[key])
            except json.JSONDecodeError:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
    return params


def _int(params: dict[str, Any], key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: {key} must be an integer") from None


async def post_update(client: TestClient, update: dict[str, Any], secret: str | None = SECRET) -> ClientResponse:
    """POST an update to the hub's webhook as Telegram does; `secret=None` sends no header."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await client.post(WEBHOOK_PATH, json=update, headers=headers)
