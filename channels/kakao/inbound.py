"""The KakaoTalk channel's way in: a Kakao i Open Builder skill server.

Kakao asks, the hub answers. Each citizen message arrives as a skill request that must be
answered within five seconds, and that answer is the only way to reach the citizen, unless
the block uses callbacks (one late answer per request, within a minute) or a 상담톡 partner
is configured (the outbound side). Replies the citizen was not given are held, and go out
first in the citizen's next skill response.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from channels.base import HubPort
from channels.json_body import json_object
from channels.kakao import templates
from channels.kakao.inline import INLINE_AUTHORS, InlineAnswers, Turn, held_id
from channels.kakao.payload import SkillRequest, bot_id, parse_skill_request
from channels.kakao.settings import Settings
from model import Channel, ConversationState, Direction, Inbound, IngestResult, Message, MessageStatus
from model.errors import HubError
from model.locks import KeyedLocks

log = logging.getLogger(__name__)

CALLBACK_WINDOW_SECONDS = 55.0
"""Kakao keeps a callback URL for one minute; what is not ready by then is held instead."""
CALLBACK_TIMEOUT_SECONDS = 5.0
SKILL_PATH = "/webhooks/kakao/skill/{token}"


@dataclass(frozen=True)
class _Answer:
    """What the hub made of one skill request."""

    result: IngestResult
    replies: tuple[Message, ...] = ()
    """This request's bot and system replies that no channel has handled yet, in order."""
    repeated: tuple[str, ...] = ()
    """For a repeated request: the texts answered the first time."""


@dataclass(frozen=True)
class _Composed:
    body: dict[str, Any]
    carried: tuple[str, ...]
    """Ids of this request's replies that the response carries."""
    left_over: tuple[Message, ...]
    """Held messages that did not fit and must be held again."""


class KakaoInbound:
    """Answers each skill request with the replies ready for it, held ones first."""

    def __init__(self, hub: HubPort, settings: Settings, inline: InlineAnswers) -> None:
        self._hub = hub
        self._settings = settings
        self._inline = inline
        self._taking = KeyedLocks()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session: aiohttp.ClientSession | None = None

    def routes(self) -> list[web.RouteDef]:
        return [web.post(SKILL_PATH, self.skill)]

    async def start(self) -> None:
        """Open the HTTP session the late answers (callbacks) go through."""
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Give up the late answers still under way and close their session."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- the skill request -------------------------------------------------------------

    async def skill(self, request: web.Request) -> web.Response:
        """Answer one SkillPayload with a version 2.0 SkillResponse (or a callback promise)."""
        # Kakao signs nothing: the secret path and the bot id are checked before the body is used.
        given = request.match_info["token"].encode()
        if not hmac.compare_digest(given, self._settings.skill_token.encode()):
            raise HubError(403, "forbidden", "This skill URL is not valid.")
        payload = json_object(await request.read())
        sent_by = bot_id(payload)
        if not hmac.compare_digest(sent_by.encode(), self._settings.bot_id.encode()):
            log.warning("Kakao skill request from an unknown bot %r", sent_by[:64])
            raise HubError(403, "forbidden", "The skill request is not from this hub's Kakao bot.")
        skill = parse_skill_request(payload, request.headers)
        return web.json_response(await self._respond(skill))

    async def _respond(self, skill: SkillRequest) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self._settings.reply_wait_seconds
        turn: Turn | None = self._inline.begin(skill.sender)
        held: list[Message] = []
        try:
            async with self._taking.hold(skill.sender):
                held = await self._hub.take_held(Channel.KAKAO, skill.sender)
            work = asyncio.create_task(self._receive(skill))
            done, _ = await asyncio.wait({work}, timeout=max(0.0, deadline - loop.time()))
            if work in done:
                composed = self._compose(held, work.result())
                self._inline.settle(turn, composed.carried)
                await self._hold_again(composed.left_over)
                return composed.body
            if skill.callback_url:
                self._spawn(self._call_back(skill.callback_url, work, held, turn, started))
                turn = None  # settled by the callback
                return templates.callback_ack(self._text("kakao.waiting", None))
            # No way to answer later: the replies will be held for the citizen's next message.
            self._inline.settle(turn)
            self._watch(work)
            composed = self._compose(held, None, "kakao.received")
            await self._hold_again(composed.left_over)
            return composed.body
        except BaseException:
            # The citizen saw none of the held messages: they wait for the next response.
            await self._hold_again(held)
            raise
        finally:
            if turn is not None:
                self._inline.settle(turn)

    async def _receive(self, skill: SkillRequest) -> _Answer:
        result = await self._hub.receive(
            Inbound(Channel.KAKAO, skill.sender, skill.utterance, provider_message_id=skill.provider_message_id)
        )
        if result.duplicate:
            return _Answer(result, repeated=tuple(reply.text for reply in result.replies))
        # Ingest stores the replies right after the citizen's message. Those still queued are
        # this request's to carry; `deliver` waits for this turn before it handles them.
        later = await self._hub.messages_after(Channel.KAKAO, skill.sender, int(result.message_id))
        replies = tuple(
            message
            for message in later
            if message.direction is Direction.OUT
            and message.author in INLINE_AUTHORS
            and message.status is MessageStatus.QUEUED
        )
        return _Answer(result, replies)

    def _compose(self, held: Sequence[Message], answer: _Answer | None, notice: str | None = None) -> _Composed:
        """Held messages first, then this request's replies, within Kakao's limits.

        `notice` is a `kakao.*` text key to end with; with nothing else to say the citizen
        learns that their message reached the agents.
        """
        items: list[tuple[Message | None, str]] = [(message, message.text) for message in held]
        state: ConversationState | None = None
        if answer is not None:
            state = answer.result.state
            items += [(reply, reply.text) for reply in answer.replies]
            already = {message.text for message in held}
            items += [(None, text) for text in answer.repeated if text not in already]
        if not items and notice is None:
            notice = self._forwarded_notice()
        language = next((m.language for m, _ in items if m is not None and m.language), None)
        if notice is not None:
            items.append((None, self._text(notice, language)))
        packed = templates.pack([text for _, text in items])
        if packed.truncated:
            log.warning("a message for Kakao was longer than one response holds and was cut short")
        shown, rest = items[: packed.included], items[packed.included :]
        if any(message is not None for message, _ in rest):
            # What did not fit comes later: say so, where there is room for a word.
            more = self._text("kakao.more_sent" if self._settings.partner_url else "kakao.more", language)
            hinted = templates.pack([text for _, text in shown] + [more])
            if hinted.included == len(shown) + 1:
                packed = hinted
        quick = [
            templates.quick_reply(action.label, action.text)
            for message, _ in shown
            if message is not None
            for action in message.actions
        ]
        if state is ConversationState.BOT:
            label = self._hub.texts(language or "ko", "action.")["action.ask_person"]
            quick.append(templates.quick_reply(label, label))
        replies = {reply.id for reply in answer.replies} if answer else set()
        return _Composed(
            body=templates.skill_response(packed.bubbles, quick),
            carried=tuple(m.id for m, _ in shown if m is not None and m.id in replies),
            left_over=tuple(m for m, _ in rest if m is not None and m.id not in replies),
        )

    def _forwarded_notice(self) -> str:
        return "kakao.forwarded" if self._settings.partner_url else "kakao.forwarded_held"

    def _text(self, key: str, language: str | None) -> str:
        return self._hub.texts(language or "ko", "kakao.")[key]

    async def _hold_again(self, messages: Sequence[Message]) -> None:
        """Held messages taken for a response that did not carry them wait for the next one."""
        for message in messages:
            try:
                found = await self._hub.status_reported(Channel.KAKAO, held_id(message.id), MessageStatus.HELD)
            except Exception:
                log.exception("holding message %s again failed", message.id)
                continue
            if found is None:
                log.warning("message %s was taken for Kakao but could not be held again", message.id)

    # -- the late answer -----------------------------------------------------------------

    async def _call_back(
        self, url: str, work: asyncio.Task[_Answer], held: list[Message], turn: Turn, started: float
    ) -> None:
        """POST the answer to Kakao's one-time callback URL once it is ready."""
        try:
            remaining = started + CALLBACK_WINDOW_SECONDS - asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(max(0.0, remaining)):
                    answer = await asyncio.shield(work)
                composed = self._compose(held, answer)
            except TimeoutError:
                log.warning("the answer was not ready within Kakao's callback window; it will be held")
                self._watch(work)
                composed = self._compose(held, None, "kakao.received")
            except Exception:
                log.exception("a Kakao skill request failed after its callback was promised")
                composed = self._compose(held, None, "kakao.failed")
            if await self._post_callback(url, composed.body):
                self._inline.settle(turn, composed.carried)
                await self._hold_again(composed.left_over)
            else:
                self._inline.settle(turn)
                await self._hold_again(held)
        finally:
            self._inline.settle(turn)

    async def _post_callback(self, url: str, body: dict[str, Any]) -> bool:
        host = urlsplit(url).netloc  # the URL itself is a one-time secret: log only its host
        try:
            async with self._http().post(
                url, json=body, timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_SECONDS)
            ) as response:
                text = await response.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            log.warning("the callback to Kakao (%s) failed: %s", host, type(error).__name__)
            return False
        try:
            answer = json.loads(text) if text else None
        except ValueError:
            answer = None
        refused = isinstance(answer, dict) and str(answer.get("status", "")).upper() in ("FAIL", "ERROR")
        if response.status >= 300 or refused:
            log.warning("Kakao (%s) refused the callback: HTTP %d %s", host, response.status, text[:200])
            return False
        return True

    # -- background work ---------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the Kakao channel is not started")
        return self._session

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._watch(task)

    @staticmethod
    def _watch(task: asyncio.Task[Any]) -> None:
        """Log the failure of work that nobody awaits any more (its request was answered)."""

        def report(done: asyncio.Task[Any]) -> None:
            if not done.cancelled() and done.exception() is not None:
                log.error("Kakao skill work failed", exc_info=done.exception())

        task.add_done_callback(report)
