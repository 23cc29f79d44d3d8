"""A conversation's events read as contacts: one `Round` from its creation, and one more from
each reopen, so that a reopen never erases the first round's wait and outcome.

Every figure of docs/reports.md is a formula over rounds (`hub.reports.figures`); rounds
are derived from the stored events alone. A round reads of each event its type, actor, time
and at most one value of its data (`VALUE_KEYS`), so that the store can read a month of
events as narrow rows (`store.reports`) and build exactly the rounds `rounds_of` builds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from model.records import Event
from model.vocabulary import EventType

AGENT_ACTOR = "agent:"
"""Events an agent caused name them `agent:<username>`."""

VALUE_KEYS: dict[str, str] = {
    EventType.CREATED: "channel",
    EventType.LANGUAGE_SET: "language",
    EventType.CATEGORY_SET: "category",
    EventType.QUEUED: "queue",
    EventType.ACCEPTED: "agent",
    EventType.RESOLVED: "disposition",
    EventType.SURVEY_ANSWERED: "points",
}
"""The one value of its data each event gives its round."""

ABUSE_STEPS: frozenset[str] = frozenset(
    {
        EventType.ABUSE_DETECTED,
        EventType.FLAGGED,
        EventType.WARNED,
        EventType.ENDED_UNDER_PROTOCOL,
        EventType.CONTACT_BLOCKED,
        EventType.BLOCK_LIFTED,
    }
)
"""The steps of an abuse incident (악성민원): a round with any of them is one incident."""

ROUND_EVENTS: frozenset[str] = (
    frozenset(VALUE_KEYS)
    | {
        EventType.BOT_ANSWERED,
        EventType.HANDED_OFF,
        EventType.FIRST_RESPONSE,
        EventType.TRANSFERRED,
        EventType.DECLINED,
        EventType.ABANDONED,
        EventType.REOPENED,
    }
    | ABUSE_STEPS
)
"""Every event type a round reads; the others (offers, priorities…) change no figure."""

Step = tuple[str, str, datetime, Any]
"""An event as a round reads it: type, actor, time, its `VALUE_KEYS` value (or None)."""


@dataclass(frozen=True, slots=True)
class Round:
    """One contact: a conversation from its creation (round 0) or a reopen to its resolution."""

    conversation_id: str
    number: int
    """0 for the first contact; 1, 2… for each reopen."""
    contact_id: str | None
    channel: str
    opened_at: datetime
    language: str | None = None
    category: str | None = None
    queue: str | None = None
    """The first queue it waited in."""
    queued_at: datetime | None = None
    """When it first waited for a person; None when the bot (or nobody) served it."""
    answered_at: datetime | None = None
    """When an agent first accepted it."""
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    disposition: str | None = None
    """The agent's disposition; None when the citizen left or the bot closed it."""
    agent: str | None = None
    """The username of the agent who resolved it."""
    abandoned: bool = False
    """The citizen left while waiting for a person."""
    bot_answers: int = 0
    handed_off: bool = False
    transfers: int = 0
    declines: int = 0
    abuse: bool = False
    """Abuse was detected, flagged or acted on under the protection protocol: an incident."""
    agents: tuple[str, ...] = field(default=())
    """Every agent who accepted it, in order (a transfer adds one)."""
    satisfaction: float | None = None
    """The citizen's rating of the round on the report's 100-point scale, when they gave one."""

    @property
    def waited_for_agent(self) -> bool:
        """Whether it was offered to the agents: waited in a queue."""
        return self.queued_at is not None

    @property
    def wait_seconds(self) -> float | None:
        """From first waiting to first being accepted; None when never answered."""
        if self.queued_at is None or self.answered_at is None:
            return None
        return max(0.0, (self.answered_at - self.queued_at).total_seconds())

    @property
    def handle_seconds(self) -> float | None:
        """From first being accepted to being resolved by an agent."""
        if self.answered_at is None or self.resolved_at is None or self.disposition is None:
            return None
        return max(0.0, (self.resolved_at - self.answered_at).total_seconds())


# Plain strings for the loop below: a month's millions of comparisons with enum members cost seconds.
(
    _CREATED,
    _REOPENED,
    _LANGUAGE_SET,
    _CATEGORY_SET,
    _BOT_ANSWERED,
    _HANDED_OFF,
    _QUEUED,
    _ACCEPTED,
    _FIRST_RESPONSE,
    _TRANSFERRED,
    _DECLINED,
    _ABANDONED,
    _SURVEY_ANSWERED,
    _RESOLVED,
) = (
    EventType.CREATED.value,
    EventType.REOPENED.value,
    EventType.LANGUAGE_SET.value,
    EventType.CATEGORY_SET.value,
    EventType.BOT_ANSWERED.value,
    EventType.HANDED_OFF.value,
    EventType.QUEUED.value,
    EventType.ACCEPTED.value,
    EventType.FIRST_RESPONSE.value,
    EventType.TRANSFERRED.value,
    EventType.DECLINED.value,
    EventType.ABANDONED.value,
    EventType.SURVEY_ANSWERED.value,
    EventType.RESOLVED.value,
)


_ABUSE_STEPS = frozenset(map(str, ABUSE_STEPS))  # plain strings too, for the same reason


def step_of(event: Event) -> Step:
    """What a round reads of one event."""
    key = VALUE_KEYS.get(event.type)
    return event.type, event.actor, event.at, event.data.get(key) if key else None


def rounds_of(conversation_id: str, contact_id: str | None, events: Iterable[Event]) -> list[Round]:
    """The conversation's rounds from its events in the order they were stored."""
    return rounds_from_steps(conversation_id, contact_id, map(step_of, events))


def rounds_from_steps(conversation_id: str, contact_id: str | None, steps: Iterable[Step]) -> list[Round]:
    """The conversation's rounds from its events read as steps, in the order they were stored."""
    rounds: list[Round] = []
    current: _Builder | None = None
    for kind, actor, at, value in steps:
        if kind == _CREATED:
            current = _Builder(conversation_id, 0, contact_id, str(value or ""), at)
        elif current is None:
            continue  # events before the creation cannot happen; a partial export may start later
        elif kind == _REOPENED:
            rounds.append(current.round())
            # The citizen came back: a new contact, in the language and category already known.
            current = _Builder(conversation_id, current.number + 1, contact_id, current.channel, at)
            current.language, current.category = rounds[-1].language, rounds[-1].category
        else:
            current.apply(kind, actor, at, value)
    if current is not None:
        rounds.append(current.round())
    return rounds


class _Builder:
    """A round while its events are read (a month holds millions: no copy per event)."""

    __slots__ = tuple(Round.__dataclass_fields__)

    def __init__(self, conversation_id: str, number: int, contact_id: str | None, channel: str, at: datetime) -> None:
        self.conversation_id, self.number, self.contact_id = conversation_id, number, contact_id
        self.channel, self.opened_at = channel, at
        self.language: str | None = None
        self.category: str | None = None
        self.queue: str | None = None
        self.queued_at: datetime | None = None
        self.answered_at: datetime | None = None
        self.first_response_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.disposition: str | None = None
        self.agent: str | None = None
        self.abandoned = self.handed_off = self.abuse = False
        self.bot_answers = self.transfers = self.declines = 0
        self.agents: tuple[str, ...] = ()
        self.satisfaction: float | None = None

    def apply(self, kind: str, actor: str, at: datetime, value: Any) -> None:
        if kind == _LANGUAGE_SET and value:
            self.language = str(value)
        elif kind == _CATEGORY_SET and value:
            self.category = str(value)
        elif kind == _BOT_ANSWERED:
            self.bot_answers += 1
        elif kind == _HANDED_OFF:
            self.handed_off = True
        elif kind == _QUEUED and self.queued_at is None:
            self.queued_at, self.queue = at, value
        elif kind == _ACCEPTED:
            self.answered_at = self.answered_at or at
            self.agents = (*self.agents, str(value or _agent(actor) or ""))
        elif kind == _FIRST_RESPONSE and self.first_response_at is None:
            self.first_response_at = at
        elif kind == _TRANSFERRED:
            self.transfers += 1
        elif kind == _DECLINED:
            self.declines += 1
        elif kind in _ABUSE_STEPS:
            self.abuse = True
        elif kind == _ABANDONED:
            self.abandoned = True
        elif kind == _SURVEY_ANSWERED and value is not None:
            self.satisfaction = float(value)
        elif kind == _RESOLVED:
            self.resolved_at, self.disposition = at, value or None
            self.agent = _agent(actor) if value else None

    def round(self) -> Round:
        return Round(
            self.conversation_id,
            self.number,
            self.contact_id,
            self.channel,
            self.opened_at,
            self.language,
            self.category,
            self.queue,
            self.queued_at,
            self.answered_at,
            self.first_response_at,
            self.resolved_at,
            self.disposition,
            self.agent,
            self.abandoned,
            self.bot_answers,
            self.handed_off,
            self.transfers,
            self.declines,
            self.abuse,
            self.agents,
            self.satisfaction,
        )


def _agent(actor: str) -> str | None:
    return actor[len(AGENT_ACTOR) :] if actor.startswith(AGENT_ACTOR) else None
