"""The router's clock: offers waiting conversations to agents and takes back lapsed offers.

The decisions are the router's (`router.offers`); this module reads what they need from
the store, writes what they decide, and runs them every second and whenever something
frees an agent or fills a queue.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import AgentChanged, ConversationChanged, EventBus
from hub.changes import Changes
from hub.hours import Hours
from model import AgentState, Conversation, EventType
from model.clock import utcnow
from router.lifecycle import Move, moved
from router.offers import Offer, Translates, lapsed, offers
from router.routing import RouterSettings
from store import agents, conversations
from store.db import Store

log = logging.getLogger(__name__)
ROUTER = "router"
AFTER_HOURS = "after_hours"
"""The reason of a transfer from a closed queue to its after-hours queue."""


class Dispatcher:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        settings: RouterSettings,
        translates: Translates = lambda s, t: False,
        hours: Hours | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self.settings = settings
        self._translates = translates
        self._hours = hours
        self._lock = asyncio.Lock()

    async def dispatch(self) -> None:
        """Hand what waits for a closed queue to its open after-hours queue, then offer every
        waiting conversation that an available agent can take."""
        async with self._lock:
            changes = Changes()
            now = utcnow()
            async with self._store.write() as session:
                waiting = await conversations.waiting(session)
                handed = await self._hand_over(session, waiting, now) if waiting and self._hours else []
                if handed:
                    now_in = {c.id: c for c in handed}
                    waiting = [now_in.get(c.id, c) for c in waiting]  # in the order they are served
                    for record in await conversations.conversations_by_id(session, list(now_in)):
                        changes.events.append(ConversationChanged(record))
                made = await self._offers(session, waiting, now) if waiting else []
                for offer in made:
                    offered = moved(
                        offer.conversation, Move.OFFER, now, agent_id=offer.agent.id, offer_expires_at=offer.expires_at
                    )
                    await conversations.save(session, offered)
                    conversations.add_event(session, offered.id, EventType.OFFERED, ROUTER, now,
                                            agent=offer.agent.username, reason=offer.reason)  # fmt: skip
                if made:
                    for record in await conversations.conversations_by_id(session, [o.conversation.id for o in made]):
                        changes.events.append(ConversationChanged(record))
            changes.publish_to(self._bus)

    async def _offers(self, session: AsyncSession, waiting: list[Conversation], now: datetime) -> list[Offer]:
        """The router's offers of waiting conversations to the agents available now."""
        available = await agents.available(session)
        if not available:
            return []
        held = await conversations.held_by_agent(session)
        since = now - timedelta(seconds=self.settings.decline_memory_seconds)
        declined = await conversations.declined_by(session, [c.id for c in waiting], since)
        return offers(waiting, available, held, now, self.settings, self._translates, declined)

    async def _hand_over(self, session: AsyncSession, waiting: list[Conversation], now: datetime) -> list[Conversation]:
        """Move each conversation waiting for a closed queue to that queue's open after-hours
        queue (the night team's), recorded as a transfer; returns them as moved."""
        assert self._hours is not None
        serving = await self._hours.handovers(session, now)
        handed = []
        for conversation in waiting:
            if (to_queue := serving.get(conversation.queue or "")) is None:
                continue
            conversations.add_event(session, conversation.id, EventType.TRANSFERRED, ROUTER, now,
                                    from_queue=conversation.queue, to_queue=to_queue, reason=AFTER_HOURS)  # fmt: skip
            moved_on = moved(conversation, Move.QUEUE, now, queue=to_queue)
            await conversations.save(session, moved_on)
            handed.append(moved_on)
        return handed

    async def expire_offers(self) -> None:
        """Offers not accepted in time go back to the queue; the agent is set on break."""
        changes = Changes()
        now = utcnow()
        async with self._store.write() as session:
            expired = [c for c in await conversations.offered(session) if lapsed(c, now)]
            for conversation in expired:
                agent = await agents.agent(session, conversation.assigned_agent_id or "")
                await conversations.save(session, moved(conversation, Move.OFFER_LAPSE, now))
                conversations.add_event(session, conversation.id, EventType.OFFER_EXPIRED, ROUTER, now,
                                        agent=agent.username if agent else None)  # fmt: skip
                if agent and agent.state in (AgentState.AVAILABLE, AgentState.BUSY):
                    # An agent who lets an offer lapse is probably away from the desk.
                    on_break = await agents.set_presence(session, agent.id, AgentState.BREAK, now)
                    if on_break is not None:
                        changes.events.append(AgentChanged(on_break))
            for record in await conversations.conversations_by_id(session, [c.id for c in expired]):
                changes.events.append(ConversationChanged(record))
        changes.publish_to(self._bus)

    async def run(self) -> None:
        """Expire offers and offer waiting conversations, until cancelled."""
        while True:
            try:
                await self.expire_offers()
                await self.dispatch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch round failed")
            await asyncio.sleep(self.settings.sweep_interval_seconds)
