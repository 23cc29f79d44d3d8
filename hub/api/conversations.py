"""Conversations as agents see and handle them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from channels.sms.segments import MAX_CHARS, segments
from hub import access
from hub.api.errors import read_body
from hub.core import HUB, Hub
from model import AGENT_LANGUAGE, CONVERSATION_STATES, QUEUE_NAMES, Agent, Conversation, Event, Message
from model.errors import forbidden, invalid
from store import conversations

routes = web.RouteTableDef()


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    translate: bool = False
    """The agent wrote Korean: send its machine translation in the citizen's language."""


class TranslationBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class TransferBody(BaseModel):
    queue: str | None = None
    agent: str | None = None


class ResolveBody(BaseModel):
    disposition: str
    callback_due: datetime | None = None
    """With the disposition callback: when to call back (ISO 8601 with zone); by default the
    queue's next opening when it is closed, else an hour later."""
    callback_need: str | None = Field(default=None, max_length=500)
    """With the disposition callback: what the citizen needs; by default their last message."""


class CorrectionBody(BaseModel):
    language: str | None = None
    category: str | None = None
    priority: int | None = Field(default=None, ge=-10, le=10)


class FlagBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    action: str = Field(default="", max_length=200)


async def _readable(request: web.Request) -> tuple[Hub, Agent, Conversation]:
    """The hub, the agent and the conversation of the path, if the agent may read and act on it
    (401, 403, 404 otherwise): checked before any body is read."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    return hub, agent, await access.readable(hub.store, agent, request.match_info["id"])


@routes.get("/api/v1/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    states = tuple(s for s in request.query.get("state", "").split(",") if s)
    queues = tuple(q for q in request.query.get("queue", "").split(",") if q)
    if unknown := set(states) - set(CONVERSATION_STATES):
        raise invalid(f"Unknown state {sorted(unknown)[0]!r}.", "unknown_state")
    if unknown := set(queues) - set(QUEUE_NAMES):
        raise invalid(f"Unknown queue {sorted(unknown)[0]!r}.", "unknown_queue")
    mine = request.query.get("mine") in ("1", "true")
    found = await access.visible(hub.store, agent, states, queues, mine)
    return web.json_response({"conversations": [c.to_json() for c in found]})


@routes.get("/api/v1/conversations/{id}")
async def get_conversation(request: web.Request) -> web.Response:
    hub, _, conversation = await _readable(request)
    return web.json_response(conversation.to_json() | {"machine_translation": _translates(hub, conversation.language)})


def _translates(hub: Hub, language: str | None) -> bool:
    """Whether the agent can read and answer this language through machine translation."""
    return bool(language) and language != AGENT_LANGUAGE and hub.translator.available(language or "", AGENT_LANGUAGE)


@routes.post("/api/v1/conversations/{id}/translation")
async def preview_translation(request: web.Request) -> web.Response:
    """The agent's Korean draft in the citizen's language, before sending it."""
    hub, _, conversation = await _readable(request)
    body = await read_body(request, TranslationBody)
    found = await hub.desk.translate_reply(body.text, conversation.language)
    return web.json_response({"text": found.text, "language": conversation.language, "engine": found.engine,
                              "cached": found.cached})  # fmt: skip


@routes.patch("/api/v1/conversations/{id}")
async def correct(request: web.Request) -> web.Response:
    hub, agent, _ = await _readable(request)
    body = await read_body(request, CorrectionBody)
    record = await hub.desk.correct(agent, request.match_info["id"], body.language, body.category, body.priority)
    return web.json_response(record.to_json())


@routes.get("/api/v1/conversations/{id}/messages")
async def messages(request: web.Request) -> web.Response:
    return await _listing(request, "messages", conversations.messages)


@routes.get("/api/v1/conversations/{id}/events")
async def events(request: web.Request) -> web.Response:
    return await _listing(request, "events", conversations.events)


async def _listing(
    request: web.Request, name: str, query: Callable[[AsyncSession, str], Awaitable[Sequence[Message | Event]]]
) -> web.Response:
    """One of a conversation's lists (messages, events) for an agent."""
    hub, _, conversation = await _readable(request)
    async with hub.store.read() as session:
        found = await query(session, conversation.id)
    return web.json_response(
        {name: [item.for_agent() if isinstance(item, Message) else item.to_json() for item in found]}
    )


@routes.post("/api/v1/conversations/{id}/claim")
async def claim(request: web.Request) -> web.Response:
    hub, agent, _ = await _readable(request)
    return web.json_response((await hub.desk.claim(agent, request.match_info["id"])).to_json())


@routes.post("/api/v1/conversations/{id}/decline")
async def decline(request: web.Request) -> web.Response:
    hub, agent, _ = await _readable(request)
    return web.json_response((await hub.desk.decline(agent, request.match_info["id"])).to_json())


@routes.post("/api/v1/conversations/{id}/messages")
async def reply(request: web.Request) -> web.Response:
    hub, agent, conversation = await _readable(request)
    body = await read_body(request, ReplyBody)
    text, korean = body.text, None
    if body.translate:
        text, korean = (await hub.desk.translate_reply(body.text, conversation.language)).text or "", body.text
    parts = hub.channels.get(conversation.channel)
    if parts is not None and len(text.strip()) > parts.outbound.max_text_chars:
        raise invalid(
            f"A {conversation.channel} message holds at most {parts.outbound.max_text_chars} characters; this one has "
            f"{len(text.strip())}.",
            "text_too_long",
        )
    message = await hub.desk.reply(agent, request.match_info["id"], text, korean)
    return web.json_response(message.for_agent(), status=201)


@routes.post("/api/v1/conversations/{id}/transfer")
async def transfer(request: web.Request) -> web.Response:
    hub, agent, conversation = await _readable(request)
    if not access.holding(agent, conversation):
        raise forbidden(access.NOT_HOLDING)
    body = await read_body(request, TransferBody)
    record = await hub.desk.transfer(agent, request.match_info["id"], body.queue, body.agent)
    return web.json_response(record.to_json())


@routes.post("/api/v1/conversations/{id}/resolve")
async def resolve(request: web.Request) -> web.Response:
    hub, agent, _ = await _readable(request)
    body = await read_body(request, ResolveBody)
    record = await hub.desk.resolve(agent, request.match_info["id"], body.disposition, body.callback_due,
                                    body.callback_need)  # fmt: skip
    return web.json_response(record.to_json())


@routes.post("/api/v1/conversations/{id}/flag")
async def flag(request: web.Request) -> web.Response:
    hub, agent, _ = await _readable(request)
    body = await read_body(request, FlagBody)
    return web.json_response((await hub.desk.flag(agent, request.match_info["id"], body.reason, body.action)).to_json())


@routes.get("/api/v1/contacts/{id}/history")
async def contact_history(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    await access.readable_contact(hub.store, agent, request.match_info["id"])
    async with hub.store.read() as session:
        history = await conversations.contact_history(session, request.match_info["id"])
    return web.json_response(
        {"conversations": [{**c.to_json(), "messages": [m.for_agent() for m in msgs]} for c, msgs in history]}
    )


class LinkBody(BaseModel):
    contact_id: str = Field(min_length=1, max_length=64)


@routes.post("/api/v1/contacts/{id}/link")
async def link_contact(request: web.Request) -> web.Response:
    """The other contact is the same citizen: its channels and history join this one. An agent
    links two contacts each of which has a conversation they may read."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    await access.readable_contact(hub.store, agent, request.match_info["id"])
    body = await read_body(request, LinkBody)
    await access.readable_contact(hub.store, agent, body.contact_id)
    contact = await hub.contacts.link(agent, request.match_info["id"], body.contact_id)
    return web.json_response(contact.to_json())


class SegmentsBody(BaseModel):
    text: str = Field(max_length=10_000)


@routes.post("/api/v1/sms/segments")
async def sms_segments(request: web.Request) -> web.Response:
    """What a reply costs as SMS, shown to the agent while typing (Korean is UCS-2: 70 / 67)."""
    await request.app[HUB].auth.agent(request)
    body = await read_body(request, SegmentsBody)
    count = segments(body.text)
    return web.json_response(
        {
            "encoding": count.encoding,
            "segments": count.segments,
            "characters": count.characters,
            "max_characters": MAX_CHARS,
        }
    )
