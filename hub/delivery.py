"""Hands each outbound message to its channel and records the status it reached."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from sqlalchemy import select

from channels.base import ChannelAdapter
from hub.bus import EventBus, MessageAdded, MessageStatusChanged
from hub.model import Channel, Conversation, Direction, MessageStatus
from store import conversations as store
from store.db import Store
from store.tables import MessageRow

log = logging.getLogger(__name__)
BATCH_PAUSE_SECONDS = 0.02


class Delivery:
    """Statuses are written in batches: one transaction for all that a burst delivered."""

    def __init__(self, store_: Store, bus: EventBus, channels: Mapping[Channel, ChannelAdapter]) -> None:
        self._store = store_
        self._bus = bus
        self._channels = channels
        self._reached: dict[int, tuple[Conversation, MessageStatus]] = {}
        self._wake = asyncio.Event()

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_statuses())
        try:
            async with self._bus.subscribe() as events:
                async for event in events:
                    if isinstance(event, MessageAdded) and event.message.direction is Direction.OUT:
                        await self._deliver(event)
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

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
        if status is not event.message.status:
            self._reached[int(event.message.id)] = (event.conversation, status)
            self._wake.set()

    async def _write_statuses(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(BATCH_PAUSE_SECONDS)
            self._wake.clear()
            reached, self._reached = self._reached, {}
            try:
                await self._write(reached)
            except Exception:
                log.exception("recording %d delivery statuses failed", len(reached))

    async def _write(self, reached: dict[int, tuple[Conversation, MessageStatus]]) -> None:
        async with self._store.write() as session:
            rows = list(await session.scalars(select(MessageRow).where(MessageRow.id.in_(reached))))
            for row in rows:
                row.status = reached[row.id][1].value
            await session.flush()
            messages = await store.message_records(session, rows)
        self._bus.publish(*(MessageStatusChanged(reached[int(m.id)][0], m) for m in messages))
