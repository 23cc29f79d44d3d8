"""Which waiting conversation is offered to which agent, and when an offer lapses.

Pure decisions over model records: the hub reads the waiting conversations, the available
agents and what each holds, and writes the offers this module returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from model import AGENT_LANGUAGE, Agent, Conversation, ConversationState
from router.routing import RouterSettings
from router.selection import choose_agent

Translates = Callable[[str, str], bool]
"""Whether machine translation covers a pair (source, target)."""


@dataclass(frozen=True)
class Offer:
    conversation: Conversation
    agent: Agent
    expires_at: datetime
    reason: str


def overflows(conversation: Conversation, now: datetime, settings: RouterSettings, translates: Translates) -> bool:
    """A foreign-language conversation that waited long enough for a speaker may go to any
    agent, when machine translation covers both ways."""
    language = conversation.language or AGENT_LANGUAGE
    waited = (now - (conversation.queued_at or now)).total_seconds()
    return (
        language != AGENT_LANGUAGE
        and waited >= settings.foreign_overflow_seconds
        and translates(language, AGENT_LANGUAGE)
        and translates(AGENT_LANGUAGE, language)
    )


def offers(
    waiting: Iterable[Conversation],
    agents: list[Agent],
    held: Mapping[str, Mapping[str, int]],
    now: datetime,
    settings: RouterSettings,
    translates: Translates,
    declined: Mapping[str, frozenset[str]] | None = None,
) -> list[Offer]:
    """Offers for the waiting conversations, in the order given (higher priority, then longer
    waiting, first): each to the longest idle available agent with the skill, the language
    and free capacity, counting the offers made here; never to an agent who declined it
    (`declined`: conversation id → agent ids)."""
    declined = declined or {}
    load: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for agent_id, kinds in held.items():
        load[agent_id].update(kinds)
    made: list[Offer] = []
    for conversation in waiting:
        language = conversation.language or AGENT_LANGUAGE
        queue = conversation.queue or "other"
        excluded = declined.get(conversation.id, frozenset())
        agent = choose_agent(agents, queue, language, conversation.channel, load, excluded)
        reason = f"longest idle available agent with skill {conversation.queue} and language {language}"
        if agent is None and overflows(conversation, now, settings, translates):
            agent = choose_agent(agents, queue, language, conversation.channel, load, excluded, overflow=True)
            reason = (
                f"no agent who speaks {language} within {settings.foreign_overflow_seconds:g} s: "
                "the longest idle available agent, with machine translation"
            )
        if agent is None:
            continue
        load[agent.id][conversation.channel.kind] += 1
        expires_at = now + timedelta(seconds=settings.offer_timeout_seconds)
        made.append(Offer(conversation, agent, expires_at, reason))
    return made


def lapsed(conversation: Conversation, now: datetime) -> bool:
    """An offer not accepted by its deadline returns to the queue."""
    return (
        conversation.state is ConversationState.OFFERED
        and conversation.offer_expires_at is not None
        and conversation.offer_expires_at < now
    )
