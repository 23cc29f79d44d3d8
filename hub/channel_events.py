"""Tells every running channel of every conversation change, for those that show it to the
citizen (the web chat's queue position): `OutboundChannel.conversation_changed`."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from channels.base import ChannelParts
from hub.bus import ConversationChanged, EventBus
from model import Channel

log = logging.getLogger(__name__)


async def tell_channels(bus: EventBus, channels: Mapping[Channel, ChannelParts]) -> None:
    """Until cancelled (or the bus closes): each `ConversationChanged` to every channel, in
    order; one channel's failure is logged and the others still hear of it."""
    async with bus.subscribe() as events:
        async for event in events:
            if not isinstance(event, ConversationChanged):
                continue
            for channel, parts in channels.items():
                try:
                    await parts.outbound.conversation_changed(event.conversation)
                except Exception:
                    log.exception("telling the %s channel of conversation %s failed", channel, event.conversation.id)
