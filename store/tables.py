"""SQLAlchemy tables. The Alembic migrations under `migrations/` create exactly these."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class ContactRow(Base):
    __tablename__ = "contacts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # A phone number a provider vouched for, in E.164: the key that links channels.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime]


class ChannelIdentityRow(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_external"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_channel_sender", "channel", "sender"),
        Index("ix_conversations_state_queue", "state", "queue"),
        Index("ix_conversations_created_at", "created_at"),
        # Retention finds the conversations resolved before its date (store.retention).
        Index("ix_conversations_resolved_at", "resolved_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(8))
    # Who set the language: detected, citizen, agent. Only a detection may be revised.
    language_source: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(20))
    category_source: Mapped[str | None] = mapped_column(String(10))
    queue: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    assigned_agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), index=True)
    bot_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    disposition: Mapped[str | None] = mapped_column(String(20))
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)
    last_message_at: Mapped[datetime]


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A provider's retry of the same message id is never stored twice.
        UniqueConstraint("channel", "sender", "provider_message_id", name="uq_message_provider_id"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        Index("ix_messages_outbox", "direction", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(200))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(4))
    author: Mapped[str] = mapped_column(String(10))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    translation: Mapped[str | None] = mapped_column(Text)
    """The other side's text: the Korean of a citizen's foreign message, or the agent's Korean
    of a reply sent translated (`text` is always what the citizen wrote or received)."""
    translation_status: Mapped[str | None] = mapped_column(String(12))
    """pending, translated or unavailable; None when no translation is called for."""
    status: Mapped[str] = mapped_column(String(12))
    in_reply_to: Mapped[int | None] = mapped_column(Integer)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    # The outbox: how often delivery was tried, when to try again, and why it failed.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    abuse: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    """The abuse categories found in a citizen's message (model.abuse); None when none."""


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_conversation", "conversation_id", "id"),
        # A report finds the conversations reopened in its period (store.reports).
        Index("ix_events_type_at", "type", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    type: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(index=True)


class AgentRow(Base):
    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(12))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idle_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    """A deactivated agent cannot log in and is offered nothing; their history stays."""
    deactivated_at: Mapped[datetime | None]


class AuthTokenRow(Base):
    __tablename__ = "auth_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class QueueRow(Base):
    __tablename__ = "queues"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    bot_first: Mapped[bool] = mapped_column(Boolean, default=True)
    sla_seconds: Mapped[int] = mapped_column(Integer, default=60)


class ArticleRow(Base):
    __tablename__ = "kb_articles"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    """An article has one row per language it is written in; the id is shared."""
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    outdated: Mapped[bool] = mapped_column(Boolean, default=False)
    directory: Mapped[list[str]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    """The revision (`ArticleRevisionRow.number`) this published text comes from."""


class ArticleEntryRow(Base):
    """One knowledge-base article through its workflow; `kb_articles` holds what is
    published of it, `kb_revisions` every version written."""

    __tablename__ = "kb_entries"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(12))
    """The newest revision's state (`model.ArticleState`)."""
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    """The newest revision's Korean title (or its first language's), for lists and search."""
    outdated: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether the newest revision has a variant older than its Korean text."""
    head: Mapped[int] = mapped_column(Integer)
    """The newest revision's number."""
    published: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The revision citizens and the bot read, if any."""
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class ArticleRevisionRow(Base):
    """One version of an article, never changed once written: every save makes the next."""

    __tablename__ = "kb_revisions"
    article_id: Mapped[str] = mapped_column(ForeignKey("kb_entries.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    """category, valid_from, valid_until, directory and variants {language: {title, body,
    keywords, outdated}}."""
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ArticleEventRow(Base):
    """Who did what to an article, when: the history editors read."""

    __tablename__ = "kb_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("kb_entries.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime]


class ArticleChangeRow(Base):
    """A published article changed (published, edited, withdrawn): every process's search
    index reads what changed after the last change it applied."""

    __tablename__ = "kb_changes"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime]


class QuestionRow(Base):
    """A citizen's question the bot could not answer, or one an agent answered by hand:
    what editors should write articles for. Text is stored masked."""

    __tablename__ = "kb_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    """`unanswered` (the bot had no answer) or `agent_answered`."""
    message_id: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(32), index=True)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The agent's answer, for `agent_answered`."""
    category: Mapped[str | None] = mapped_column(String(20), nullable=True)
    article_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The article written for it, once there is one."""
    created_at: Mapped[datetime] = mapped_column(index=True)


class TranslationRow(Base):
    """Machine translations already paid for: the same text is never sent twice."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("source", "target", "digest", name="uq_translation_text"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the source text."""
    engine: Mapped[str] = mapped_column(String(20))
    translated: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class TranslationUsageRow(Base):
    """What each engine was asked per day (city time): the basis of its bill."""

    __tablename__ = "translation_usage"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    engine: Mapped[str] = mapped_column(String(20), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    characters: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class TeamRow(Base):
    """A team of agents (팀), as an administrator named it."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class PartRow(Base):
    """A part of a team (파트); its name is unique within the team."""

    __tablename__ = "parts"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_part_team_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class PartMemberRow(Base):
    """An agent's part: the agent is the key, so an agent is in one part at most."""

    __tablename__ = "part_members"
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)


class AuditRow(Base):
    """Who did what to whom: administrative actions, reveals of personal data, data requests."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginFailureRow(Base):
    """A failed login, kept in the database so that every hub process counts the same ones."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class ContactBlockRow(Base):
    """A contact blocked under the protection protocol until a time, unless a supervisor lifts it."""

    __tablename__ = "contact_blocks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(100))


class SecretRow(Base):
    """A secret the hub made itself (the API channel's key when none is configured)."""

    __tablename__ = "hub_secrets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ErasureRow(Base):
    """A conversation whose personal data was anonymised (store.retention): its texts, or only
    its attachments, by the retention job or at the citizen's request."""

    __tablename__ = "erasures"
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    texts_at: Mapped[datetime | None]
    """When its messages' texts, the event texts and the sender were replaced."""
    attachments_at: Mapped[datetime | None]
    """When its messages' attachments were removed (with the texts, or alone, after their shorter period)."""


class QueueHoursRow(Base):
    """A queue's opening hours (model.hours); a queue without a row is open day and night."""

    __tablename__ = "queue_hours"
    queue: Mapped[str] = mapped_column(ForeignKey("queues.name"), primary_key=True)
    weekly: Mapped[dict[str, Any]] = mapped_column(JSON)
    """`{"mon": [["09:00", "18:00"]], …}`."""
    on_holidays: Mapped[list[str] | None] = mapped_column(JSON)
    """The queue's own ranges on a holiday; null: the holiday's (closed or its special hours)."""
    after_hours_queue: Mapped[str | None] = mapped_column(ForeignKey("queues.name"))
    updated_at: Mapped[datetime]


class HolidayRow(Base):
    """A day of the centre's holiday calendar, seeded from the public holidays or added by an
    admin; a removed one keeps its row (`removed_at`) so that seeding does not bring it back."""

    __tablename__ = "holidays"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    hours: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Special hours that day as `[["10:00", "14:00"]]`; empty: closed."""
    seeded: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None]


class CallbackTaskRow(Base):
    """A promise to get back to a citizen (재통화, model.callbacks): due, offered, taken, done."""

    __tablename__ = "callback_tasks"
    __table_args__ = (Index("ix_callback_tasks_state_due_at", "state", "due_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"))
    queue: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    need: Mapped[str] = mapped_column(Text)
    """What the citizen needs, personal numbers masked."""
    due_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12))
    outcome: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    offered_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class DepartmentRow(Base):
    """A department or office the centre hands contacts over to (부서이관, 담당자 연결)."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(40))
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether what is sent to it may carry personal data unmasked."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    directory_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    """The phone directory's office it was seeded from: its names in the citizens' languages."""
    created_at: Mapped[datetime]


class HandoverRow(Base):
    """A conversation handed to a department or connected to its officer, and its delivery."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_delivery_next_attempt_at", "delivery", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    officer_name: Mapped[str | None] = mapped_column(String(100))
    officer_phone: Mapped[str | None] = mapped_column(String(40))
    officer_email: Mapped[str | None] = mapped_column(String(254))
    need: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivery: Mapped[str] = mapped_column(String(20))
    """pending (until sent, retried), sent, failed (for good)."""
    via: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(100))


class CannedReplyRow(Base):
    """A canned reply (상용구, model.canned): centre-wide, a team's, or one agent's own."""

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("scope_key", "code", name="uq_canned_reply_scope_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(10))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    scope_key: Mapped[str] = mapped_column(String(64))
    """`centre`, `team:<id>` or `agent:<id>`: codes are unique per key (a NULL would not be)."""
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)
    """language → text; Korean always."""
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
