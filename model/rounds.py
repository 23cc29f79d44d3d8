"""A conversation's events read as contacts: one `Round` from its creation, and one more from
each reopen, so that a reopen never erases the first round's wait and outcome.

Every figure of docs/reports.md is a formula over rounds (`hub.reports.figures`); rounds
are derived from the stored events alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from model.records import Event
from model.vocabulary import EventType

AGENT_ACTOR = "agent:"
"""Events an agent caused name them `agent:<username>`."""


@dataclass(frozen=True)
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
    flags: int = 0
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


def rounds_of(conversation_id: str, contact_id: str | None, events: Iterable[Event]) -> list[Round]:
    """The conversation's rounds from its events in the order they were stored."""
    rounds: list[Round] = []
    current: Round | None = None
    for event in events:
        kind, data = event.type, event.data
        if kind == EventType.CREATED:
            current = Round(conversation_id, 0, contact_id, str(data.get("channel", "")), event.at)
            rounds.append(current)
            continue
        if current is None:
            continue  # events before the creation cannot happen; a partial export may start later
        if kind == EventType.REOPENED:
            # The citizen came back: a new contact, in the language and category already known.
            current = Round(
                conversation_id,
                current.number + 1,
                contact_id,
                current.channel,
                event.at,
                language=current.language,
                category=current.category,
            )
            rounds.append(current)
            continue
        current = _applied(current, kind, event)
        rounds[-1] = current
    return rounds


def _applied(current: Round, kind: str, event: Event) -> Round:
    data = event.data
    if kind == EventType.LANGUAGE_SET and data.get("language"):
        return replace(current, language=str(data["language"]))
    if kind == EventType.CATEGORY_SET and data.get("category"):
        return replace(current, category=str(data["category"]))
    if kind == EventType.BOT_ANSWERED:
        return replace(current, bot_answers=current.bot_answers + 1)
    if kind == EventType.HANDED_OFF:
        return replace(current, handed_off=True)
    if kind == EventType.QUEUED and current.queued_at is None:
        return replace(current, queued_at=event.at, queue=data.get("queue"))
    if kind == EventType.ACCEPTED:
        agent = str(data.get("agent") or _agent(event.actor) or "")
        first = current.answered_at or event.at
        return replace(current, answered_at=first, agents=(*current.agents, agent))
    if kind == EventType.FIRST_RESPONSE and current.first_response_at is None:
        return replace(current, first_response_at=event.at)
    if kind == EventType.TRANSFERRED:
        return replace(current, transfers=current.transfers + 1)
    if kind == EventType.DECLINED:
        return replace(current, declines=current.declines + 1)
    if kind == EventType.FLAGGED:
        return replace(current, flags=current.flags + 1)
    if kind == EventType.ABANDONED:
        return replace(current, abandoned=True)
    if kind == EventType.SURVEY_ANSWERED and data.get("points") is not None:
        return replace(current, satisfaction=float(data["points"]))
    if kind == EventType.RESOLVED:
        disposition = data.get("disposition")
        return replace(
            current,
            resolved_at=event.at,
            disposition=disposition,
            agent=_agent(event.actor) if disposition else None,
        )
    return current


def _agent(actor: str) -> str | None:
    return actor[len(AGENT_ACTOR) :] if actor.startswith(AGENT_ACTOR) else None
