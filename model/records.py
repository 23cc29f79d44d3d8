"""The conversation model as the rest of the hub sees it: plain, typed, serialisable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from model.masking import mask
from model.vocabulary import (
    AgentState,
    Author,
    Channel,
    ConversationState,
    Decider,
    Direction,
    MessageStatus,
    Role,
)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with zone, the API's only time format."""
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class ChannelIdentity:
    channel: Channel
    external_id: str

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel.value, "external_id": self.external_id}


@dataclass(frozen=True)
class Contact:
    id: str
    display_name: str
    identities: tuple[ChannelIdentity, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "identities": [i.to_json() for i in self.identities],
        }


@dataclass(frozen=True)
class QuickReply:
    """A button the citizen may tap; tapping sends `text` as their message."""

    label: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "text": self.text}


@dataclass(frozen=True)
class Attachment:
    """A photo, file or location sent with a message; `url` is the provider's copy."""

    kind: str
    """image, audio, video, file or location"""
    url: str | None = None
    content_type: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    """Kind-specific details, e.g. latitude and longitude of a location."""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "content_type": self.content_type, "data": dict(self.data)}


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    channel: Channel
    direction: Direction
    author: Author
    text: str
    language: str | None
    status: MessageStatus
    created_at: datetime
    agent: str | None = None
    translation: str | None = None
    """The other side's text: Korean for a citizen's foreign message, the agent's Korean for
    a reply sent translated (`text` is what the citizen wrote or received)."""
    translation_status: str | None = None
    """translated or unavailable; None when none was called for."""
    client_id: str | None = None
    actions: tuple[QuickReply, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    error: str | None = None
    """Why the last delivery attempt failed, for the agent to see."""
    attempts: int = 0
    """How often the outbox has tried to deliver it."""
    abuse: tuple[str, ...] = ()
    """The abuse categories found in a citizen's message (model.abuse), sorted; empty when none."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "direction": self.direction.value,
            "author": self.author.value,
            "agent": self.agent,
            "text": self.text,
            "language": self.language,
            "translation": self.translation,
            "translation_status": self.translation_status,
            "created_at": iso(self.created_at),
            "status": self.status.value,
            "actions": [a.to_json() for a in self.actions],
            "attachments": [a.to_json() for a in self.attachments],
            "error": self.error,
            "abuse": list(self.abuse),
        }
        if self.client_id:
            data["client_id"] = self.client_id
        return data

    def for_citizen(self) -> dict[str, Any]:
        """The message as the citizen's channel shows it: the agents' Korean stays inside."""
        data = self.to_json()
        del data["translation"], data["translation_status"], data["abuse"]
        return data

    def for_agent(self) -> dict[str, Any]:
        """The message as agents see it: personal numbers in `text` and `translation` masked
        until an agent reveals them, `personal_data` saying whether there are any. The bot's and
        the hub's own texts come from the public knowledge base and catalogue: the office numbers
        they give stay readable."""
        data = self.to_json()
        if self.author in (Author.BOT, Author.SYSTEM):
            return data | {"personal_data": False}
        data["text"] = mask(self.text)
        data["translation"] = mask(self.translation) if self.translation is not None else None
        data["personal_data"] = data["text"] != self.text or data["translation"] != self.translation
        return data


@dataclass(frozen=True)
class Conversation:
    id: str
    channel: Channel
    state: ConversationState
    contact: Contact
    sender: str
    language: str | None
    category: str | None
    queue: str | None
    priority: int
    assigned_agent: str | None
    created_at: datetime
    queued_at: datetime | None = None
    offer_expires_at: datetime | None = None
    answered_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    disposition: str | None = None
    bot_failures: int = 0
    category_source: Decider | None = None
    """Who set the category: detected (from the first messages), bot, or agent (wins)."""
    language_source: Decider | None = None
    """Who set the language: detected, citizen or agent; only a detection may be revised."""
    assigned_agent_id: str | None = None
    abandoned: bool = False
    """The citizen left while waiting for a person."""
    queue_position: int | None = None
    last_message: dict[str, Any] | None = None
    warnings: int = 0
    """Standard warnings of the protection protocol sent to the citizen so far."""
    abuse: bool = False
    """Abuse was detected in it or an agent flagged it."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel.value,
            "state": self.state.value,
            "language": self.language,
            "category": self.category,
            "category_source": self.category_source.value if self.category_source else None,
            "queue": self.queue,
            "priority": self.priority,
            "assigned_agent": self.assigned_agent,
            "contact": self.contact.to_json(),
            "created_at": iso(self.created_at),
            "queued_at": iso(self.queued_at),
            "offer_expires_at": iso(self.offer_expires_at),
            "answered_at": iso(self.answered_at),
            "first_response_at": iso(self.first_response_at),
            "resolved_at": iso(self.resolved_at),
            "disposition": self.disposition,
            "queue_position": self.queue_position,
            "last_message": self.last_message,
            "warnings": self.warnings,
            "abuse": self.abuse,
        }


@dataclass(frozen=True)
class Agent:
    id: str
    username: str
    display_name: str
    role: Role
    state: AgentState
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    capacity: dict[str, int]
    idle_since: datetime | None = None
    active_conversations: int = 0
    active: bool = True

    @property
    def actor(self) -> str:
        """Who the agent is in events and the audit log: `agent:<username>`."""
        return f"agent:{self.username}"

    """False once an administrator deactivated the agent: no login, no offers."""

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.value,
            "state": self.state.value,
            "skills": list(self.skills),
            "languages": list(self.languages),
            "capacity": dict(self.capacity),
            "active_conversations": self.active_conversations,
            "active": self.active,
        }


@dataclass(frozen=True)
class Event:
    type: str
    actor: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "actor": self.actor, "at": iso(self.at), "data": self.data}


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    bot_first: bool
    sla_seconds: int
    waiting: int = 0
    longest_wait_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "bot_first": self.bot_first,
            "sla_seconds": self.sla_seconds,
            "waiting": self.waiting,
            "longest_wait_seconds": round(self.longest_wait_seconds, 1),
        }


@dataclass(frozen=True)
class Article:
    """A knowledge-base entry (표준상담DB): what agents and the bot answer from."""

    id: str
    category: str
    title: str
    body: str
    keywords: tuple[str, ...] = ()
    language: str = "ko"
    valid_from: date | None = None
    """First day (city time) a seasonal article (동파, 폭염) answers; None: always has."""
    valid_until: date | None = None
    """Last day it answers; None: no end."""
    outdated: bool = False
    """A variant in another language whose Korean article changed after it was written."""
    directory: tuple[str, ...] = ()
    """Phone-directory offices (`chatbot.phone_directory`) the article refers citizens to."""

    def valid_on(self, day: date) -> bool:
        """Whether the article answers on `day` (city time)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "body": self.body,
            "keywords": list(self.keywords),
            "language": self.language,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "outdated": self.outdated,
            "directory": list(self.directory),
        }


@dataclass(frozen=True)
class Inbound:
    """A citizen's message as every channel adapter hands it to ingest."""

    channel: Channel
    sender: str
    text: str
    provider_message_id: str | None = None
    language: str | None = None
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    verified_phone: str | None = None
    """A phone number the provider vouches for (an SMS sender, a contact shared in Telegram):
    the hub links this identity to the contact who has the same number."""
    opened_from: str | None = None
    """The conversation this one was opened from (a video call asked for in a web chat): a new
    identity joins that conversation's contact, and both conversations say so."""


@dataclass(frozen=True)
class Reply:
    """A bot answer, as returned in the API channel's response."""

    text: str
    language: str | None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "language": self.language}


@dataclass(frozen=True)
class IngestResult:
    conversation_id: str
    message_id: str
    duplicate: bool
    state: ConversationState
    replies: tuple[Reply, ...] = ()


@dataclass(frozen=True)
class ArticleChoice:
    """One of the articles a clarifying question offers."""

    article_id: str
    title: str


@dataclass(frozen=True)
class BotTurn:
    """What a bot (the built-in one or Rasa) made of one citizen message."""

    answered: bool
    """True when the bot found an answer it trusts."""
    text: str | None = None
    confidence: float = 0.0
    article_id: str | None = None
    wants_handoff: bool = False
    """The bot itself decided a person must take over."""
    summary: str | None = None
    """What the bot learned, for the agent who takes over."""
    category: str | None = None
    """The category the bot recognised, for the queue."""
    report: dict[str, Any] | None = None
    """A complaint the bot took down (type, location, time, details), filed on the conversation."""
    by: str = ""
    """Which bot answered: the built-in one, or Rasa."""
    choices: tuple[ArticleChoice, ...] = ()
    """Articles the bot could not choose between: `text` asks the citizen which one they mean."""
