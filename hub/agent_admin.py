"""Administering agents and the API channel's key: one function per action, shared by the API
(`hub/api/agent_admin.py`) and the `dasan agents` command. Each change and its audit entry are
written in one transaction; the audit entry says what changed, never a password or a key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from channels.api.inbound import ApiInbound
from hub.agents import NewAgent, add_agent
from hub.bus import AgentChanged, ConversationChanged
from hub.core import Hub
from hub.security import API_KEY_SECRET
from model import CATEGORIES, LANGUAGES, Agent, Channel, ConversationState, EventType, Role
from model.audit import AuditAction
from model.clock import utcnow
from model.errors import conflict, invalid, not_found
from model.records import iso
from router.lifecycle import Move, moved
from store import agents as agent_store
from store import audit, conversations, logins
from store import queues as queue_store
from store import secrets as secret_store

MIN_PASSWORD_LENGTH = 10
CAPACITY_KINDS = ("chat", "video")
"""What capacity is counted in (`Channel.kind`)."""
MAX_CAPACITY = 50

KEY_VARIABLES: dict[Channel, tuple[str, ...]] = {
    Channel.SMS: ("DASAN_TWILIO_AUTH_TOKEN",),
    Channel.KAKAO: ("DASAN_KAKAO_SKILL_TOKEN",),
    Channel.TELEGRAM: ("DASAN_TELEGRAM_TOKEN", "DASAN_TELEGRAM_SECRET"),
    Channel.API: ("DASAN_API_CHANNEL_KEY",),
}
"""The channels that authenticate their provider with a secret, and where the operator sets it."""


def _capacity_checked(capacity: dict[str, int] | None) -> dict[str, int] | None:
    if capacity is None:
        return None
    if unknown := set(capacity) - set(CAPACITY_KINDS):
        raise ValueError(f"unknown channel kind {sorted(unknown)[0]!r} (chat or video)")
    if any(not 0 <= places <= MAX_CAPACITY for places in capacity.values()):
        raise ValueError(f"each capacity is 0 to {MAX_CAPACITY}")
    return capacity


def _languages_checked(languages: list[str] | None) -> list[str] | None:
    if languages is not None and (unknown := set(languages) - set(LANGUAGES)):
        raise ValueError(f"unknown language {sorted(unknown)[0]!r}")
    return languages


class AgentProfile(BaseModel):
    """What an administrator may change on an agent; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    skills: list[str] | None = Field(default=None, max_length=20)
    """Queue names (checked against the queues there are)."""
    languages: list[str] | None = Field(default=None, max_length=len(LANGUAGES))
    capacity: dict[str, int] | None = None
    """Conversations at once per channel kind: `{"chat": 3, "video": 1}`."""

    _languages = field_validator("languages")(_languages_checked)
    _capacity = field_validator("capacity")(_capacity_checked)


class AgentCreation(BaseModel):
    """A new agent; without a password the hub makes one and shows it once."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role = Role.AGENT
    skills: list[str] = Field(default_factory=lambda: list(CATEGORIES), max_length=20)
    languages: list[str] = Field(default_factory=lambda: ["ko"], max_length=len(LANGUAGES))
    capacity: dict[str, int] = Field(default_factory=lambda: {"chat": 3, "video": 1})
    password: str | None = Field(default=None, max_length=256)

    _languages = field_validator("languages")(_languages_checked)
    _capacity = field_validator("capacity")(_capacity_checked)


def password_problem(password: str, username: str) -> str | None:
    """Why `password` is too weak for `username`, or None: at least ten characters, letters
    with digits or symbols, and not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if not any(c.isalpha() for c in password) or all(c.isalpha() for c in password):
        return "letters and digits or symbols"
    if username and username.lower() in password.lower():
        return "not the username"
    return None


def _strong(password: str, username: str) -> str:
    if problem := password_problem(password, username):
        raise invalid(f"The field 'password' is too weak: it needs {problem}.", "weak_password")
    return password


def generated_password() -> str:
    """A temporary password to hand over once (16 characters; letters and digits guaranteed)."""
    while True:
        made = secrets.token_urlsafe(12)
        if password_problem(made, "") is None:
            return made


async def _known_queues(session: AsyncSession, skills: list[str] | None) -> None:
    if skills is None:
        return
    names = {queue.name for queue in await queue_store.queues_with_waiting(session, utcnow())}
    if unknown := sorted(set(skills) - names):
        raise invalid(f"The field 'skills' is invalid: there is no queue {unknown[0]!r}.", "invalid_field")


async def _existing(session: AsyncSession, username: str) -> Agent:
    found = await agent_store.by_username(session, username)
    if found is None:
        raise not_found(f"The agent {username!r}")
    return found


async def _refuse_losing_last_admin(session: AsyncSession, agent: Agent) -> None:
    """409 when `agent` is the only active administrator: someone must be able to administer."""
    if agent.role is Role.ADMIN and agent.active and await agent_store.active_admins(session) == [agent.username]:
        raise conflict(f"{agent.username!r} is the last active administrator; make another one first.")


async def create_agent(hub: Hub, body: AgentCreation, actor: str) -> tuple[Agent, str | None]:
    """Add the agent (offline); the generated password when none was given, to show once."""
    password = generated_password() if body.password is None else _strong(body.password, body.username)
    generated = password if body.password is None else None
    async with hub.store.read() as session:
        await _known_queues(session, body.skills)
    try:
        new = NewAgent.model_validate({**body.model_dump(exclude={"password"}), "password": password})
    except ValidationError as error:
        first = error.errors()[0]
        raise invalid(f"The field '{first['loc'][0]}' is invalid: {first['msg']}.", "invalid_field") from None
    await add_agent(hub.store, hub.auth, new, actor=actor)
    async with hub.store.read() as session:
        return await _existing(session, body.username), generated


async def update_agent(hub: Hub, username: str, profile: AgentProfile, actor: str) -> Agent:
    """Change the agent's display name, role, skills, languages or capacity (audited with each
    field's old and new value); a no-op leaves no entry. Nobody changes their own role, and the
    last active administrator keeps theirs (409)."""
    wanted = profile.model_dump(exclude_none=True, mode="json")
    now = utcnow()
    async with hub.store.write() as session:
        agent = await _existing(session, username)
        await _known_queues(session, profile.skills)
        before = agent.to_json()
        changes = {name: {"from": before[name], "to": value} for name, value in wanted.items() if before[name] != value}
        if not changes:
            return agent
        if "role" in changes and actor == f"agent:{username}":
            raise conflict("You cannot change your own role; another administrator can.")
        if "role" in changes and agent.role is Role.ADMIN:
            await _refuse_losing_last_admin(session, agent)
        record = await agent_store.update(session, agent.id, **{name: wanted[name] for name in changes})
        audit.record(session, actor, AuditAction.AGENT_CHANGED, f"agent:{username}", now, changes)
    hub.bus.publish(AgentChanged(record))
    await hub.dispatcher.dispatch()  # new skills or places may take what waits
    return record


async def deactivate_agent(hub: Hub, username: str, actor: str) -> Agent:
    """The agent can no longer log in: their sessions end at once, they are set offline and
    offered nothing, their offers and conversations go back to the front of their queues.
    Refused (409) for oneself and for the last active administrator; deactivating an inactive
    agent changes nothing."""
    if actor == f"agent:{username}":
        raise conflict("You cannot deactivate yourself.")
    now = utcnow()
    async with hub.store.write() as session:
        agent = await _existing(session, username)
        if not agent.active:
            return agent
        await _refuse_losing_last_admin(session, agent)
        record = await agent_store.set_active(session, agent.id, False, now)
        sessions = await logins.revoke_tokens(session, agent.id)
        withdrawn = await _withdraw_offers(session, agent, actor, now)
        held = [
            c.id
            for c in await conversations.list_conversations(
                session, states=(ConversationState.ASSIGNED.value,), agent_id=agent.id, limit=10_000
            )
        ]
        audit.record(session, actor, AuditAction.AGENT_DEACTIVATED, f"agent:{username}", now,
                     {"sessions": sessions, "offers_withdrawn": len(withdrawn), "requeued": len(held)})  # fmt: skip
        changed = await conversations.conversations_by_id(session, withdrawn)
    hub.bus.publish(AgentChanged(record), *(ConversationChanged(c) for c in changed))
    for conversation_id in held:
        # The path of an agent lost for good: the citizen is told, another agent takes over.
        await hub.desk.agent_lost(conversation_id, agent.id)
    await hub.dispatcher.dispatch()
    return record


async def _withdraw_offers(session: AsyncSession, agent: Agent, actor: str, now: datetime) -> list[str]:
    """The offers waiting for `agent` lapse now rather than at their deadline."""
    offered = await conversations.list_conversations(
        session, states=(ConversationState.OFFERED.value,), agent_id=agent.id, limit=10_000
    )
    withdrawn = []
    for found in offered:
        conversation = await conversations.to_change(session, found.id)
        if conversation is None or conversation.assigned_agent_id != agent.id:
            continue
        await conversations.save(session, moved(conversation, Move.OFFER_LAPSE, now))
        conversations.add_event(session, conversation.id, EventType.OFFER_EXPIRED, actor, now,
                                agent=agent.username, reason="agent deactivated")  # fmt: skip
        withdrawn.append(conversation.id)
    return withdrawn


async def reactivate_agent(hub: Hub, username: str, actor: str) -> Agent:
    """The agent may log in again (offline until they set their presence)."""
    now = utcnow()
    async with hub.store.write() as session:
        agent = await _existing(session, username)
        if agent.active:
            return agent
        record = await agent_store.set_active(session, agent.id, True, now)
        audit.record(session, actor, AuditAction.AGENT_REACTIVATED, f"agent:{username}", now)
    hub.bus.publish(AgentChanged(record))
    return record


@dataclass(frozen=True)
class PasswordReset:
    sessions: int
    """How many of the agent's sessions it ended."""
    generated: str | None
    """The temporary password the hub made, to show once; None when one was given."""


async def reset_password(hub: Hub, username: str, actor: str, password: str | None = None) -> PasswordReset:
    """Give the agent `password` (checked for strength) or a generated one, and end their sessions.
    Not one's own (409): a session alone must not be enough to take over its agent's password."""
    if actor == f"agent:{username}":
        raise conflict("You cannot reset your own password here; another administrator can.")
    new = generated_password() if password is None else _strong(password, username)
    generated = new if password is None else None
    hashed = hub.auth.hash_password(new)
    now = utcnow()
    async with hub.store.write() as session:
        agent = await _existing(session, username)
        await agent_store.update(session, agent.id, password_hash=hashed)
        sessions = await logins.revoke_tokens(session, agent.id)
        audit.record(session, actor, AuditAction.PASSWORD_RESET, f"agent:{username}", now,
                     {"generated": generated is not None, "sessions": sessions})  # fmt: skip
    return PasswordReset(sessions, generated)


def _api_settings(hub: Hub) -> Any:
    for configured in hub.settings.channels:
        if configured.info.channel is Channel.API:
            return configured.settings
    return None


async def channel_keys(hub: Hub) -> list[dict[str, Any]]:
    """Which running channels authenticate their provider with a secret and where it comes from;
    never the secret itself."""
    async with hub.store.read() as session:
        made_at = await secret_store.made_at(session, API_KEY_SECRET)
    listed = []
    for configured in hub.settings.channels:
        channel = configured.info.channel
        if channel not in KEY_VARIABLES:
            continue
        entry: dict[str, Any] = {
            "channel": channel.value,
            "label": configured.info.label,
            "source": "environment",
            "variables": list(KEY_VARIABLES[channel]),
            "rotatable": False,
            "made_at": None,
        }
        if channel is Channel.API and configured.settings.key is None:
            entry |= {"source": "hub", "rotatable": True, "made_at": iso(made_at) if made_at else None}
        listed.append(entry)
    return listed


async def rotate_api_key(hub: Hub, actor: str) -> str:
    """A new key for the API channel, to show once: the running hub accepts it and refuses the
    old one at once. Refused (409) when DASAN_API_CHANNEL_KEY sets it: the environment wins."""
    settings = _api_settings(hub)
    if settings is None or Channel.API not in hub.channels:
        raise conflict("The API channel is not running here.")
    if settings.key is not None:
        raise conflict("DASAN_API_CHANNEL_KEY sets the API channel's key; change it there and restart.")
    inbound = hub.channels[Channel.API].inbound
    assert isinstance(inbound, ApiInbound)
    key = await store_new_api_key(hub, actor)
    inbound.use_key(key)
    return key


async def store_new_api_key(hub: Hub, actor: str) -> str:
    """A new key for the API channel, stored and audited; a hub process reads it when it starts
    (the one that rotates through the API also takes it at once)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    async with hub.store.write() as session:
        await secret_store.replace(session, API_KEY_SECRET, key, now)
        audit.record(session, actor, AuditAction.API_KEY_ROTATED, "channel:api", now)
    return key
