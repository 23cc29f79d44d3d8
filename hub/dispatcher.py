"""The router's clock: offers waiting conversations to agents and takes back lapsed offers.

The decisions are the router's (`router.offers`); this module reads what they need from
the store, writes what they decide, and runs them every second and whenever something
frees an agent or fills a queue.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from hub.bus import AgentChanged, ConversationChanged, EventBus
from hub.changes import Changes
from model import AgentState, EventType
from model.clock import utcnow
from router.lifecycle import Move, moved
from router.offers import Translates, lapsed, offers
from router.routing import RouterSettings
from store import agents, conversations
from store.db import Store

log = logging.getLogger(__name__)
ROUTER = "router"


class Dispatcher:
    def __init__(
        self, store: Store, bus: EventBus, settings: RouterSettings, translates: Translates = lambda s, t: False
    ) -> None:
        self._store = store
        self._bus = bus
        self.settings = settings
        self._translates = translates
        self._lock = asyncio.Lock()

    async def dispatch(self) -> None:
        """Offer every waiting conversation that an available agent can take."""
        async with self._lock:
            changes = Changes()
            now = utcnow()
            async with self._store.write() as session:
                waiting = await conversations.waiting(session)
                available = await agents.available(session) if waiting else []
                if not available:
                    return
                held = await conversations.held_by_agent(session)
                since = now - timedelta(seconds=self.settings.decline_memory_seconds)
                declined = await conversations.declined_by(session, [c.id for c in waiting], since)
                made = offers(waiting, available, held, now, self.settings, self._translates, declined)
                for offer in made:
                    offered = moved(
                        offer.conversation, Move.OFFER, now, agent_id=offer.agent.id, offer_expires_at=offer.expires_at
                    )
                    await conversations.save(session, offered)
                    conversations.add_event(session, offered.id, EventType.OFFERED, ROUTER, now,
                                            agent=offer.agent.username, reason=offer.reason)  # fmt: skip
                for record in await conversations.conversations_by_id(session, [o.conversation.id for o in made]):
                    changes.events.append(ConversationChanged(record))
            changes.publish_to(self._bus)

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
