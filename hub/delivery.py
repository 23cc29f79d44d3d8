"""Hands each outbound message to its channel and records the status it reached."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from channels.base import ChannelAdapter
from hub.bus import EventBus, MessageAdded, MessageStatusChanged
from hub.model import Channel, Direction, MessageStatus
from store import conversations as store
from store.db import Store
from store.tables import MessageRow

log = logging.getLogger(__name__)


class Delivery:
    def __init__(self, store_: Store, bus: EventBus, channels: Mapping[Channel, ChannelAdapter]) -> None:
        self._store = store_
        self._bus = bus
        self._channels = channels

    async def run(self) -> None:
        async with self._bus.subscribe() as events:
            async for event in events:
                if isinstance(event, MessageAdded) and event.message.direction is Direction.OUT:
                    await self._deliver(event)

    async def _deliver(self, event: MessageAdded) -> None:
        adapter = self._channels.get(event.conversation.channel)
        if adapter is None:
            log.error("no adapter for channel %s", event.conversation.channel)
            return
        try:
            status = await adapter.deliver(event.conversation, event.message)
        except Exception:
            log.exception("delivery of message %s failed", event.message.id)
            status = MessageStatus.FAILED
        if status is event.message.status:
            return
        async with self._store.write() as session:
            row = await session.get(MessageRow, int(event.message.id))
            if row is None:
                return
            row.status = status.value
            await session.flush()
            message = (await store.message_records(session, [row]))[0]
        self._bus.publish(MessageStatusChanged(event.conversation, message))
