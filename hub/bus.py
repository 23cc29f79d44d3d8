"""In-process event bus: the console, the web chat and delivery subscribe to changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from model import Agent, Conversation, Message, Role


@dataclass(frozen=True)
class MessageAdded:
    conversation: Conversation
    message: Message


@dataclass(frozen=True)
class MessageChanged:
    conversation: Conversation
    message: Message


@dataclass(frozen=True)
class ConversationChanged:
    conversation: Conversation


@dataclass(frozen=True)
class AgentChanged:
    agent: Agent


@dataclass(frozen=True)
class AbuseAlert:
    """A citizen's message read as a threat, as talk of self-harm or as an emergency: supervisors
    must know at once."""

    kind: str
    """threat, self_harm or emergency"""
    conversation: Conversation
    message: Message
    lines: tuple[str, ...] = ()
    """The crisis lines the message called for (model.crisis: 119, 112, 109)."""
    emergencies: tuple[str, ...] = ()
    """What emergency the message reports (fire, medical, crime, attempt), if any."""
    supervisors: frozenset[str] | None = None
    """The supervisors it is for (with the admins): the night team's at night; None for every supervisor."""

    def reaches(self, agent: Agent) -> bool:
        """Whether the agent's console shows the alert."""
        if self.supervisors is None or agent.role is Role.ADMIN:
            return agent.role.at_least(Role.SUPERVISOR)
        return agent.id in self.supervisors


HubEvent = MessageAdded | MessageChanged | ConversationChanged | AgentChanged | AbuseAlert


class Subscription:
    """Events in publication order. A subscriber that falls too far behind is cut off."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[HubEvent | None] = asyncio.Queue(size)
        self.overflowed = False

    def offer(self, event: HubEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True

    async def __anext__(self) -> HubEvent:
        if self.overflowed:
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def __aiter__(self) -> "Subscription":
        return self

    def close(self) -> None:
        try:
            self._queue.put_nowait(None)
        except asyncio.QueueFull:
            self.overflowed = True


class EventBus:
    """Publish never blocks; every subscriber gets every event, in order."""

    def __init__(self, subscriber_queue_size: int = 2000) -> None:
        self._subscribers: set[Subscription] = set()
        self._size = subscriber_queue_size

    def publish(self, *events: HubEvent) -> None:
        for event in events:
            for subscription in list(self._subscribers):
                subscription.offer(event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        subscription = Subscription(self._size)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    def close(self) -> None:
        for subscription in list(self._subscribers):
            subscription.close()
