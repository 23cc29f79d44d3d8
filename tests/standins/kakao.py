"""Kakao's side, played locally: skill requests, one-time callback URLs, a 상담톡 partner.

`KakaoStandin` builds SkillPayload requests in the shape of Kakao i Open Builder's skill
reference, serves the callback URLs it hands out (each takes one POST, within its
deadline, and checks it is a valid version 2.0 response), and plays a 상담톡 partner that
records the messages it is sent and can be told to fail.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.standins.server import StandIn

TEXT_LIMIT = 1000
MAX_OUTPUTS = 3
MAX_QUICK_REPLIES = 10
LABEL_LIMIT = 14


def response_problems(body: Any) -> list[str]:
    """What in a skill response breaks Kakao's documented rules; empty when it is valid."""
    if not isinstance(body, dict) or body.get("version") != "2.0":
        return ["the response must be an object with version 2.0"]
    if body.get("useCallback") is True:
        data = body.get("data")
        return [] if isinstance(data, dict) and isinstance(data.get("text"), str) else ["useCallback needs data.text"]
    template = body.get("template")
    if not isinstance(template, dict):
        return ["template is missing"]
    problems: list[str] = []
    outputs = template.get("outputs")
    if not isinstance(outputs, list) or not 1 <= len(outputs) <= MAX_OUTPUTS:
        problems.append(f"template.outputs must hold 1 to {MAX_OUTPUTS} outputs")
        outputs = outputs if isinstance(outputs, list) else []
    for output in outputs:
        text = output.get("simpleText", {}).get("text") if isinstance(output, dict) else None
        if not isinstance(text, str) or not text:
            problems.append("every output here is a simpleText with text")
        elif len(text) > TEXT_LIMIT:
            problems.append(f"a simpleText holds at most {TEXT_LIMIT} characters, not {len(text)}")
    replies = template.get("quickReplies", [])
    if len(replies) > MAX_QUICK_REPLIES:
        problems.append(f"at most {MAX_QUICK_REPLIES} quick replies")
    for reply in replies:
        if reply.get("action") != "message" or not reply.get("messageText"):
            problems.append("a message quick reply needs messageText")
        if not 1 <= len(reply.get("label", "")) <= LABEL_LIMIT:
            problems.append(f"a quick reply label holds 1 to {LABEL_LIMIT} characters")
    return problems


@dataclass
class Callback:
    """One callback URL handed out with a skill request."""

    token: str
    expires_at: float
    posts: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class PartnerMessage:
    user_key: str
    text: str
    serial_number: str | None


class KakaoStandin(StandIn):
    """Run with `async with KakaoStandin() as kakao:`; `kakao.url` is where it listens."""

    def __init__(self, bot_id: str = "dasan-bot-0001", callback_seconds: float = 60.0, partner_key: str = "") -> None:
        self.bot_id = bot_id
        self.callback_seconds = callback_seconds
        self.partner_key = partner_key or uuid.uuid4().hex
        self.callbacks: dict[str, Callback] = {}
        self.partner_messages: list[PartnerMessage] = []
        self.partner_attempts = 0
        self._partner_failures: list[int] = []

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/callback/{token}", self._callback)
        app.router.add_post("/partner/v1/messages", self._partner)

    # -- skill requests ------------------------------------------------------------------

    def skill_payload(
        self, utterance: str, user_id: str, *, callback: bool = False, bot_id: str | None = None
    ) -> dict[str, Any]:
        """A SkillPayload as Open Builder sends it; with `callback`, a fresh one-time callback URL."""
        block = {"id": "5f0f2a9e1b2c3d4e5f607182", "name": "폴백 블록"}
        user_request: dict[str, Any] = {
            "timezone": "Asia/Seoul",
            "params": {"ignoreMe": "true", "surface": "Kakaotalk.plusfriend"},
            "block": block,
            "utterance": utterance,
            "lang": "ko",
            "user": {
                "id": user_id,
                "type": "botUserKey",
                "properties": {"botUserKey": user_id, "plusfriendUserKey": f"pf{user_id[:10]}", "isFriend": True},
            },
        }
        if callback:
            user_request["callbackUrl"] = self.new_callback()
        return {
            "intent": {"id": block["id"], "name": block["name"], "extra": {"reason": {"code": 1, "message": "OK"}}},
            "userRequest": user_request,
            "bot": {"id": bot_id or self.bot_id, "name": "120다산콜"},
            "action": {
                "name": "dasan_hub",
                "clientExtra": None,
                "params": {},
                "id": "6a1b2c3d4e5f60718293a4b5",
                "detailParams": {},
            },
            "contexts": [],
        }

    def new_callback(self) -> str:
        token = uuid.uuid4().hex
        self.callbacks[token] = Callback(token, time.monotonic() + self.callback_seconds)
        return f"{self.url}/callback/{token}"

    def callback(self, url: str) -> Callback:
        return self.callbacks[url.rsplit("/", 1)[1]]

    async def wait_for_callback(self, url: str, timeout: float = 5.0) -> dict[str, Any]:
        """The body POSTed to a callback URL, once it arrives."""
        found = self.callback(url)
        await asyncio.wait_for(found.arrived.wait(), timeout)
        return found.posts[0]

    async def _callback(self, request: web.Request) -> web.Response:
        found = self.callbacks.get(request.match_info["token"])
        if found is None:
            return web.json_response({"status": "FAIL", "message": "unknown callback"}, status=404)
        body = await request.json()
        if found.posts:
            found.refused.append("used")
            return web.json_response({"status": "FAIL", "message": "callback already used"}, status=400)
        if time.monotonic() > found.expires_at:
            found.refused.append("expired")
            return web.json_response({"status": "FAIL", "message": "callback expired"}, status=400)
        problems = response_problems(body)
        if problems:
            found.refused.append("; ".join(problems))
            return web.json_response({"status": "FAIL", "message": "; ".join(problems)}, status=400)
        found.posts.append(body)
        found.arrived.set()
        return web.json_response(
            {"taskId": found.token, "status": "SUCCESS", "message": "OK", "timestamp": int(time.time() * 1000)}
        )

    # -- the 상담톡 partner ------------------------------------------------------------------

    @property
    def partner_url(self) -> str:
        return f"{self.url}/partner/v1/messages"

    def fail_partner(self, times: int, status: int = 500) -> None:
        """The partner's next `times` answers are this HTTP status."""
        self._partner_failures += [status] * times

    async def _partner(self, request: web.Request) -> web.Response:
        self.partner_attempts += 1
        if request.headers.get("Authorization") != f"Bearer {self.partner_key}":
            return web.json_response({"code": "unauthorised"}, status=401)
        if self._partner_failures:
            return web.json_response({"code": "unavailable"}, status=self._partner_failures.pop(0))
        body = await request.json()
        text = body.get("text")
        if not isinstance(body.get("user_key"), str) or not isinstance(text, str) or not 1 <= len(text) <= TEXT_LIMIT:
            return web.json_response({"code": "invalid_message"}, status=400)
        self.partner_messages.append(PartnerMessage(body["user_key"], text, body.get("serial_number")))
        return web.json_response({"code": "success", "message_id": f"p-{len(self.partner_messages)}"})
