"""Canned replies (상용구): agents list the ones they may use, rendered for the conversation at
hand, and keep their own; supervisors keep their team's; administrators keep every one (a
setting of the centre's). Changes to shared replies (a team's, the centre's) are audited.

Who changes what:
- an agent (and anyone who answers citizens): their own personal replies;
- a supervisor: also their own team's (the team of their part), not another team's, not the centre's;
- an administrator: every reply, the centre's included;
- an editor: none, and lists none (editors answer no citizen).
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from hub import access
from hub.api.errors import read_body
from hub.core import HUB, Hub
from model import AGENT_LANGUAGE, LANGUAGES, Agent, Conversation, Role
from model.audit import AuditAction
from model.canned import (
    PLACEHOLDERS,
    CannedContext,
    CannedReply,
    CannedScope,
    PlaceholderTexts,
    choose_language,
    known_name,
    render,
    unknown_placeholders,
)
from model.clock import utcnow
from model.errors import forbidden, invalid, not_found
from model.hours import WHOLE_DAY, TimeRange
from store import audit, canned
from store import hours as hours_store
from store import queues as queue_store

routes = web.RouteTableDef()
PATH = "/api/v1/canned-replies"

# Typed after a `/` in the reply box: no spaces, no slash, no braces.
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\s/{}]+$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Texts = dict[str, Annotated[str, Field(max_length=4000)]]


def _checked_texts(texts: dict[str, str]) -> dict[str, str]:
    """Known languages only, Korean written; blank variants are left out."""
    if unknown := set(texts) - set(LANGUAGES):
        raise ValueError(f"unknown language {sorted(unknown)[0]!r}; languages are {', '.join(LANGUAGES)}")
    kept = {language: text.strip() for language, text in texts.items() if text.strip()}
    if AGENT_LANGUAGE not in kept:
        raise ValueError("the Korean text (ko) is required")
    return kept


class NewCannedBody(BaseModel):
    """A new canned reply: personal unless a scope is given; a team's names its team (a supervisor's
    own team by default)."""

    model_config = ConfigDict(extra="forbid")
    code: Code
    title: Title
    scope: CannedScope = CannedScope.PERSONAL
    team: int | None = Field(default=None, ge=1, lt=2**31)
    texts: Texts

    @field_validator("texts")
    @classmethod
    def _texts(cls, texts: dict[str, str]) -> dict[str, str]:
        return _checked_texts(texts)


class CannedChangeBody(BaseModel):
    """What changes of a canned reply; `texts` replaces every variant at once."""

    model_config = ConfigDict(extra="forbid")
    code: Code | None = None
    title: Title | None = None
    texts: Texts | None = None

    @field_validator("texts")
    @classmethod
    def _texts(cls, texts: dict[str, str] | None) -> dict[str, str] | None:
        return None if texts is None else _checked_texts(texts)


def may_change(agent: Agent, agent_team: int | None, reply: CannedReply) -> bool:
    """The rule of the module's docstring for one reply."""
    if agent.role is Role.ADMIN:
        return True
    if reply.scope is CannedScope.PERSONAL:
        return agent.role.at_least(Role.AGENT) and reply.owner == agent.username
    if reply.scope is CannedScope.TEAM:
        return agent.role is Role.SUPERVISOR and agent_team is not None and reply.team_id == agent_team
    return False


def refuse_placeholders(texts: dict[str, str]) -> None:
    """400 naming the first `{…}` that is not a placeholder."""
    for language, text in texts.items():
        if unknown := unknown_placeholders(text):
            raise invalid(
                f"The {language} text has the unknown placeholder {{{unknown[0]}}}; "
                f"placeholders are {', '.join('{' + name + '}' for name in PLACEHOLDERS)}.",
                "unknown_placeholder",
            )


async def opening_hours(session: AsyncSession, queue: str | None) -> tuple[tuple[TimeRange, ...], ...] | None:
    """The queue's weekly hours for `{opening_hours}`; None when it is open day and night (and
    for no queue): the catalogue's around-the-clock text (`canned.always_open`) then says so."""
    if queue is None:
        return None
    week = (await hours_store.queue_hours(session, queue)).weekly
    return None if all(day == (WHOLE_DAY,) for day in week) else week


async def _user(request: web.Request) -> tuple[Hub, Agent]:
    """The hub and the caller, who must answer citizens (not an editor)."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    if not agent.role.at_least(Role.AGENT):
        raise forbidden("Canned replies are for those who answer citizens.")
    return hub, agent


def _reply_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not (text.isascii() and text.isdigit() and int(text) < 2**31):
        raise not_found(f"The canned reply {text!r}")
    return int(text)


def _audit(session: AsyncSession, agent: Agent, reply: CannedReply, change: str) -> None:
    audit_change(session, agent.actor, reply, change)


def audit_change(session: AsyncSession, actor: str, reply: CannedReply, change: str) -> None:
    """A change of a shared reply in the audit log, in the change's own transaction; personal ones are the agent's own."""
    if reply.scope is CannedScope.PERSONAL:
        return
    audit.record(session, actor, AuditAction.CANNED_REPLY_CHANGED, f"canned_reply:{reply.id}", utcnow(),
                 {"change": change, "scope": reply.scope.value, "team": reply.team, "code": reply.code})  # fmt: skip


async def _context(session: AsyncSession, agent: Agent, conversation: Conversation) -> CannedContext:
    found = await queue_store.queue(session, conversation.queue) if conversation.queue else None
    return CannedContext(
        agent_name=agent.display_name,
        citizen_name=known_name(conversation.contact.display_name),
        queue=conversation.queue,
        queue_label=found.label if found else None,
        week=await opening_hours(session, conversation.queue),
    )


@routes.get(PATH)
async def list_replies(request: web.Request) -> web.Response:
    """The replies the caller may use (`q`: a code prefix or words of the title or text); with
    `conversation`, each rendered for it in the citizen's language where it is written."""
    hub, agent = await _user(request)
    conversation_id = request.query.get("conversation")
    conversation = await access.readable(hub.store, agent, conversation_id) if conversation_id else None
    query = request.query.get("q", "")
    async with hub.store.read() as session:
        team = await canned.team_of(session, agent.id)
        replies = [reply for reply in await canned.usable(session, agent.id, team) if reply.matches(query)]
        context = await _context(session, agent, conversation) if conversation else None
    # Those whose code starts with what was typed first: `/인` finds 인사 before a text that mentions 인사.
    prefix = query.strip().casefold()
    replies.sort(key=lambda reply: not (prefix and reply.code.casefold().startswith(prefix)))
    words: dict[str, PlaceholderTexts] = {}
    found = []
    for reply in replies:
        item: dict[str, Any] = reply.to_json() | {"editable": may_change(agent, team, reply)}
        if conversation and context:
            chosen, _ = choose_language(reply, conversation.language)
            if chosen not in words:
                words[chosen] = PlaceholderTexts.from_catalog(hub.catalog.texts(chosen, "canned."))
            item["rendered"] = render(reply, conversation.language, context, words).to_json()
        found.append(item)
    return web.json_response({"canned_replies": found})


@routes.post(PATH)
async def create_reply(request: web.Request) -> web.Response:
    hub, agent = await _user(request)
    body = await read_body(request, NewCannedBody)
    refuse_placeholders(body.texts)
    async with hub.store.write() as session:
        team = await canned.team_of(session, agent.id)
        team_id = owner_id = None
        if body.scope is CannedScope.TEAM:
            team_id = body.team if body.team is not None else team
            if team_id is None:
                raise invalid("A team's canned reply needs its team: you are in none, so name one.", "missing_team")
            if not (agent.role is Role.ADMIN or (agent.role is Role.SUPERVISOR and team_id == team)):
                raise forbidden("Only the team's supervisor, or an administrator, adds a team's canned replies.")
        elif body.scope is CannedScope.CENTRE:
            if agent.role is not Role.ADMIN:
                raise forbidden("Only administrators add the centre's canned replies.")
        else:
            owner_id = agent.id
        made = await canned.create(session, code=body.code, title=body.title, scope=body.scope, texts=body.texts,
                                   team_id=team_id, owner_id=owner_id, actor=agent.actor, now=utcnow())  # fmt: skip
        _audit(session, agent, made, "created")
    return web.json_response(made.to_json() | {"editable": True}, status=201)


async def _changeable(hub: Hub, agent: Agent, reply_id: int) -> None:
    """Passes when the reply exists (404) and the caller may change it (403): before any body is read."""
    async with hub.store.read() as session:
        reply = await canned.reply(session, reply_id)
        team = await canned.team_of(session, agent.id)
    if not may_change(agent, team, reply):
        raise forbidden("You may not change this canned reply.")


@routes.patch(f"{PATH}/{{id}}")
async def change_reply(request: web.Request) -> web.Response:
    hub, agent = await _user(request)
    reply_id = _reply_id(request)
    await _changeable(hub, agent, reply_id)
    body = await read_body(request, CannedChangeBody)
    if body.texts is not None:
        refuse_placeholders(body.texts)
    async with hub.store.write() as session:
        changed = await canned.update(session, reply_id, code=body.code, title=body.title, texts=body.texts,
                                      actor=agent.actor, now=utcnow())  # fmt: skip
        _audit(session, agent, changed, "changed")
    return web.json_response(changed.to_json() | {"editable": True})


@routes.delete(f"{PATH}/{{id}}")
async def delete_reply(request: web.Request) -> web.Response:
    hub, agent = await _user(request)
    reply_id = _reply_id(request)
    await _changeable(hub, agent, reply_id)
    async with hub.store.write() as session:
        gone = await canned.reply(session, reply_id)
        await canned.delete(session, reply_id)
        _audit(session, agent, gone, "deleted")
    return web.Response(status=204)
