"""Chooses the agent who takes a waiting conversation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from model import AGENT_LANGUAGE, Agent, AgentState, Channel

_NEVER = datetime.min.replace(tzinfo=timezone.utc)


def can_take(
    agent: Agent, queue: str, language: str | None, channel: Channel, held: Mapping[str, int], overflow: bool = False
) -> bool:
    """An available agent with the queue as a skill, the language, and free capacity; in
    `overflow` (machine translation bridges the language), any available agent with capacity.
    A video call is signed: only interpreters take it, whatever language its page's text is in."""
    kind = channel.kind
    signed = channel is Channel.SIGN_VIDEO
    return (
        agent.state is AgentState.AVAILABLE
        and ((overflow and not signed) or queue in agent.skills)
        and (overflow or signed or (language or AGENT_LANGUAGE) in agent.languages)
        and held.get(kind, 0) < agent.capacity.get(kind, 0)
    )


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
