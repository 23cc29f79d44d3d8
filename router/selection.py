"""Chooses the agent who takes a waiting conversation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from enum import StrEnum

from model import AGENT_LANGUAGE, Agent, AgentState, Channel

_NEVER = datetime.min.replace(tzinfo=timezone.utc)


class Unfit(StrEnum):
    """Why an agent cannot take a conversation."""

    UNAVAILABLE = "unavailable"
    NO_SKILL = "no_skill"
    NO_LANGUAGE = "no_language"
    AT_CAPACITY = "at_capacity"


def unfit(
    agent: Agent,
    queue: str,
    language: str | None,
    channel: Channel,
    held: Mapping[str, int],
    overflow: bool = False,
    translated: bool = False,
) -> Unfit | None:
    """The first reason the agent cannot take the conversation, or None when they can: they must
    be available, have the queue as a skill and the language, and free capacity for the channel's
    kind. In `overflow` any available agent with capacity takes it (machine translation bridges
    the language); `translated`: machine translation bridges the language, the skill still counts.
    A video call is signed: only interpreters take it, whatever language its page's text is in."""
    signed = channel is Channel.SIGN_VIDEO
    if agent.state is not AgentState.AVAILABLE:
        return Unfit.UNAVAILABLE
    if not ((overflow and not signed) or queue in agent.skills):
        return Unfit.NO_SKILL
    if not (overflow or translated or signed or (language or AGENT_LANGUAGE) in agent.languages):
        return Unfit.NO_LANGUAGE
    if held.get(channel.kind, 0) >= agent.capacity.get(channel.kind, 0):
        return Unfit.AT_CAPACITY
    return None


def can_take(
    agent: Agent, queue: str, language: str | None, channel: Channel, held: Mapping[str, int], overflow: bool = False
) -> bool:
    """Whether the agent can take the conversation (`unfit` says why not)."""
    return unfit(agent, queue, language, channel, held, overflow) is None


def choose_agent(
    agents: Iterable[Agent],
    queue: str,
    language: str | None,
    channel: Channel,
    held: Mapping[str, Mapping[str, int]],
    excluded: frozenset[str] = frozenset(),
    overflow: bool = False,
) -> Agent | None:
    """Longest idle first among the agents who can take the conversation."""
    candidates = [
        agent
        for agent in agents
        if agent.id not in excluded and can_take(agent, queue, language, channel, held.get(agent.id, {}), overflow)
    ]
    return min(candidates, key=lambda agent: (agent.idle_since or _NEVER, agent.username), default=None)
