"""The hub's parts, built once by the app factory and handed to whoever needs them."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from aiohttp import web

from channels.base import ChannelAdapter
from chatbot.switch import BotSwitch
from hub.auth import Auth
from hub.bus import EventBus, MessageChanged, Subscription
from hub.config import Settings
from hub.contacts import ContactLinks
from hub.desk import Desk
from model.catalog import Catalog
from hub.ingest import Ingest
from hub.knowledge import KnowledgeBase
from model import Channel, Conversation, Inbound, IngestResult, Message, MessageStatus
from router.router import Router
from store import conversations as store
from store.db import Store
from translation.service import Translator

_FINAL_STATUSES = {MessageStatus.DELIVERED.value, MessageStatus.UNDELIVERED.value, MessageStatus.FAILED.value}


@dataclass
class Hub:
    """Everything a request handler may need; also the port channel adapters talk to."""

    settings: Settings
    store: Store
    bus: EventBus
    catalog: Catalog
    knowledge: KnowledgeBase
    router: Router
    ingest: Ingest
    desk: Desk
    auth: Auth
    contacts: ContactLinks
    bot: BotSwitch
    translator: Translator
    channels: dict[Channel, ChannelAdapter] = field(default_factory=dict)

    async def receive(self, inbound: Inbound) -> IngestResult:
        return await self.ingest.receive(inbound)

    async def conversation(self, channel: Channel, sender: str) -> Conversation | None:
        async with self.store.read() as session:
            row = await store.latest_conversation(session, channel.value, sender)
            return await store.conversation(session, row) if row else None

    async def history(self, channel: Channel, sender: str) -> tuple[Conversation | None, list[Message]]:
        async with self.store.read() as session:
            row = await store.latest_conversation(session, channel.value, sender)
            if row is None:
                return None, []
            return await store.conversation(session, row), await store.messages(session, row.id)

    async def messages_after(self, channel: Channel, sender: str, after: int | None) -> list[Message]:
        async with self.store.read() as session:
            return await store.messages_for_sender(session, channel, sender, after)

    async def citizen_left(self, channel: Channel, sender: str) -> Conversation | None:
        current = await self.conversation(channel, sender)
        return await self.desk.citizen_left(current.id) if current else None

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        return self.bus.subscribe()

    def texts(self, language: str, prefix: str) -> dict[str, str]:
        return self.catalog.texts(language, prefix)

    async def status_reported(
        self, channel: Channel, provider_message_id: str, status: MessageStatus, error: str | None = None
    ) -> Message | None:
        async with self.store.write() as session:
            row = await store.outbound_by_provider_id(session, channel.value, provider_message_id)
            if row is None:
                return None
            # Providers do not promise their reports arrive in order: a late "sent" after
            # "delivered" is old news.
            if status is MessageStatus.SENT and row.status in _FINAL_STATUSES:
                return (await store.message_records(session, [row]))[0]
            row.status = status.value
            row.error = error
            record, message = await store.changed_message(session, row)
        self.bus.publish(MessageChanged(record, message))
        return message

    async def take_held(self, channel: Channel, sender: str) -> list[Message]:
        async with self.store.write() as session:
            rows = await store.held_for(session, channel.value, sender)
            for row in rows:
                row.status = MessageStatus.DELIVERED.value
            await session.flush()
            messages = await store.message_records(session, rows)
            conversation_row = await store.conversation_row(session, rows[0].conversation_id) if rows else None
            record = await store.conversation(session, conversation_row) if conversation_row else None
        if record is not None:
            self.bus.publish(*(MessageChanged(record, message) for message in messages))
        return messages


HUB = web.AppKey("hub", Hub)
