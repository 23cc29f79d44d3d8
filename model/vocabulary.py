"""The hub's fixed vocabulary (DESIGN.md): channels, languages, categories, states."""

from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    KAKAO = "kakao"
    TELEGRAM = "telegram"
    WEBCHAT = "webchat"
    API = "api"
    SIGN_VIDEO = "sign_video"

    @property
    def kind(self) -> str:
        """Capacity is counted per channel kind: a video call takes a whole agent."""
        return "video" if self is Channel.SIGN_VIDEO else "chat"


class Language(StrEnum):
    KO = "ko"
    EN = "en"
    ZH = "zh"
    JA = "ja"
    VI = "vi"
    MN = "mn"


class Category(StrEnum):
    TRANSPORT = "transport"
    WATER = "water"
    CITY = "city"
    DISTRICT = "district"
    OTHER = "other"


class ConversationState(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"

    @property
    def waiting(self) -> bool:
        return self in (ConversationState.QUEUED, ConversationState.OFFERED)


class Disposition(StrEnum):
    RESOLVED = "resolved"
    DIRECTORY = "directory"
    CONNECTED = "connected"
    TRANSFERRED = "transferred"
    CALLBACK = "callback"


class AgentState(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    BREAK = "break"
    OFFLINE = "offline"


class Role(StrEnum):
    EDITOR = "editor"
    """Writes and reviews knowledge-base articles; reads no conversation."""
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    def at_least(self, other: "Role") -> bool:
        """Conversations, reports and settings: each role may do all a lower one may. Articles
        do not follow this order (agents only propose them): see `edits_articles`."""
        order = [Role.EDITOR, Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
        return order.index(self) >= order.index(other)

    @property
    def edits_articles(self) -> bool:
        """Whether this role edits, reviews and publishes knowledge-base articles."""
        return self is not Role.AGENT

    @property
    def publishes_own_review(self) -> bool:
        """Whether this role may publish an article nobody but themselves approved."""
        return self in (Role.SUPERVISOR, Role.ADMIN)


class ArticleState(StrEnum):
    """Where an article's newest revision stands (표준상담DB workflow). A published article
    keeps answering while its next revision is a draft or in review."""

    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    """Withdrawn: nobody reads it any more, its history stays."""


class Author(StrEnum):
    CITIZEN = "citizen"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class TranslationStatus(StrEnum):
    """A message's machine translation (the agents work in Korean)."""

    TRANSLATED = "translated"
    UNAVAILABLE = "unavailable"
    """The engine failed or timed out: the agent reads the original."""


AGENT_LANGUAGE = "ko"
"""The language agents work in; everything else is translated for them when it can be."""


class MessageStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    HELD = "held"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


class EventType(StrEnum):
    """Every change of a conversation is stored as one of these, in order."""

    CREATED = "created"
    LANGUAGE_SET = "language_set"
    CATEGORY_SET = "category_set"
    BOT_ANSWERED = "bot_answered"
    BOT_FAILED = "bot_failed"
    HANDED_OFF = "handed_off"
    QUEUED = "queued"
    OFFERED = "offered"
    OFFER_EXPIRED = "offer_expired"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    FIRST_RESPONSE = "first_response"
    TRANSFERRED = "transferred"
    PRIORITY_SET = "priority_set"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ABANDONED = "abandoned"
    CITIZEN_LEFT = "citizen_left"
    CONTACT_LINKED = "contact_linked"
    REPORT_FILED = "report_filed"
    FLAGGED = "flagged"
    VIDEO_REQUESTED = "video_requested"
    """The citizen asked for a sign-language video call from this conversation."""
    AGENT_LOST = "agent_lost"
    """The agent's side of a call was lost: the conversation went back to the front of its queue."""
    SURVEY_ASKED = "survey_asked"
    """The citizen was asked to rate the conversation just resolved."""
    SURVEY_ANSWERED = "survey_answered"
    """The citizen's rating: `data.score` 1–5, `data.points` on the report's 100-point scale,
    `data.comment` when they said why."""
    ABUSE_DETECTED = "abuse_detected"
    """A citizen's message read as abusive: `data.message_id`, `data.categories` (model.abuse)."""
    WARNED = "warned"
    """The protection protocol's standard warning went to the citizen: `data.count` so far."""
    ENDED_UNDER_PROTOCOL = "ended_under_protocol"
    """The agent ended the conversation under the protection protocol after its warnings."""
    CONTACT_BLOCKED = "contact_blocked"
    """The contact may not write until `data.until` (`data.block_id`)."""
    BLOCK_LIFTED = "block_lifted"
    """A supervisor lifted the contact's block on appeal (`data.block_id`)."""
    CRISIS_LINE_SENT = "crisis_line_sent"
    """The citizen was given crisis lines at once (`data.lines`, e.g. ["119"]) for their message
    (`data.message_id`): self-harm, a threat or an emergency (model.crisis); `data.reply_id`."""
    HANDED_OVER = "handed_over"
    """Handed to a department or connected to its officer (`data.handover_id`, `data.kind`, `data.department`)."""
    HANDOVER_SENT = "handover_sent"
    """The handover reached its department (`data.handover_id`, `data.via`: email or webhook)."""
    HANDOVER_FAILED = "handover_failed"
    """Sending the handover was given up (`data.handover_id`, `data.error`)."""
    HANDOVER_ANSWERED = "handover_answered"
    """The department's answer, recorded by an agent (`data.handover_id`, `data.answer`)."""
    CALLBACK_OFFERED = "callback_offered"
    """The citizen's queue was closed: they were told when it opens and offered a callback (`data.queue`)."""
    CALLBACK_SCHEDULED = "callback_scheduled"
    """A callback task was made or set again (`data.callback`, `data.due_at`, `data.by`)."""
    CALLBACK_DUE = "callback_due"
    """The callback came due: the conversation went to its queue for an agent (`data.callback`)."""
    CALLBACK_OUTCOME = "callback_outcome"
    """An agent recorded how the callback went (`data.callback`, `data.outcome`, `data.attempts`)."""


class Decider(StrEnum):
    """Who set a conversation's language or category, or moved its state: an agent's word
    wins over the citizen's choice, which wins over what was detected."""

    CITIZEN = "citizen"
    DETECTED = "detected"
    """Identified from the citizen's words (language identification, category keywords)."""
    BOT = "bot"
    ROUTER = "router"
    AGENT = "agent"


LANGUAGES: tuple[str, ...] = tuple(language.value for language in Language)
CATEGORIES: tuple[str, ...] = tuple(category.value for category in Category)
DISPOSITIONS: tuple[str, ...] = tuple(disposition.value for disposition in Disposition)
CONVERSATION_STATES: tuple[str, ...] = tuple(state.value for state in ConversationState)
SPECIAL_QUEUES = ("foreign_language", "sign_language", "night")
"""Queues no category routes to: languages, sign-language video, and the night team (야간팀),
which takes over the others' conversations outside their hours when an admin says so."""
QUEUE_NAMES: tuple[str, ...] = CATEGORIES + SPECIAL_QUEUES
