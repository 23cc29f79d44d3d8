"""The after-hours answer: a citizen handed to a queue nobody serves now is told so at once.

When the bot hands a conversation to a queue that is closed, with no open after-hours queue to
take it (hub.hours), the conversation stays with the bot instead of waiting for nobody: the
citizen is told, in their language, that the queue is closed and when it opens (in the hub's
timezone), and is offered a callback (a button where the channel has them). A reply right after
the offer that accepts it (the button, or a few exact words: "네", "yes", "はい"…) makes a
callback task due at the queue's next opening (hub.callbacks), and the citizen is told when.
An urgent conversation (a threat, talk of self-harm) is queued whatever the hours: supervisors
are alerted to it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import EventBus
from hub.callbacks import Callbacks, last_words
from hub.changes import Changes, publish_messages, reply
from hub.hours import Hours, QueueStatus
from hub.protection import URGENT_PRIORITY
from model import AGENT_LANGUAGE, Author, Conversation, ConversationState, EventType, Message, QuickReply, Reply
from model.callbacks import CITIZEN, accepts_callback
from model.catalog import Catalog
from model.clock import utcnow
from store import conversations
from store.db import Store

_TURNS = frozenset(
    {
        EventType.BOT_ANSWERED.value,
        EventType.BOT_FAILED.value,
        EventType.HANDED_OFF.value,
        EventType.QUEUED.value,
        EventType.CALLBACK_OFFERED.value,
        EventType.CALLBACK_SCHEDULED.value,
    }
)
"""Events that answer a citizen's message: the offer is open while it is the last of them."""


class AfterHours:
    def __init__(
        self, store: Store, bus: EventBus, catalog: Catalog, hours: Hours, callbacks: Callbacks, zone: ZoneInfo
    ) -> None:
        self._store = store
        self._bus = bus
        self._catalog = catalog
        self._hours = hours
        self._callbacks = callbacks
        self._zone = zone

    def when(self, moment: datetime, language: str) -> str:
        """`moment` as the citizen reads it: their language, the hub's timezone."""
        local = moment.astimezone(self._zone)
        month = self._catalog.text("callback.months", language).split(",")[local.month - 1]
        return self._catalog.text("callback.when", language, month=month, day=local.day, time=local.strftime("%H:%M"))

    async def closed(self, conversation: Conversation, queue: str, now: datetime) -> QueueStatus | None:
        """The queue's status when nobody serves it now and it opens later; None when the
        conversation can go to it (open, served by its after-hours queue, never opening, or urgent)."""
        if conversation.priority >= URGENT_PRIORITY:
            return None
        status = await self._hours.status(queue, now)
        if status.open or status.served_by != queue or status.opens_at is None:
            return None
        return status

    async def offer(
        self, session: AsyncSession, conversation: Conversation, status: QueueStatus, now: datetime, in_reply_to: str
    ) -> Message:
        """Tell the citizen the queue is closed and when it opens, and offer a callback."""
        assert status.opens_at is not None
        conversations.add_event(session, conversation.id, EventType.CALLBACK_OFFERED, "router", now,
                                queue=status.queue, opens_at=status.opens_at.isoformat())  # fmt: skip
        language = conversation.language or AGENT_LANGUAGE
        button = self._catalog.text("action.callback", language)
        return await self._say(session, conversation, "callback.after_hours", status.opens_at, now, in_reply_to,
                               (QuickReply(button, button),))  # fmt: skip

    async def accept(self, conversation: Conversation, text: str, message_id: str) -> tuple[Reply, ...] | None:
        """When `text` accepts the callback just offered: the task, due at the queue's next
        opening, and the citizen told when; None for any other message."""
        language = conversation.language or AGENT_LANGUAGE
        if conversation.state is not ConversationState.BOT:
            return None
        if not accepts_callback(text, self._catalog.text("action.callback", language)):
            return None
        async with self._store.read() as session:
            turns = [e for e in await conversations.events(session, conversation.id) if e.type in _TURNS]
        if not turns or turns[-1].type != EventType.CALLBACK_OFFERED.value:
            return None
        queue = str(turns[-1].data["queue"])
        now = utcnow()
        status = await self._hours.status(queue, now)
        due = status.opens_at if not status.open and status.opens_at is not None else now
        changes = Changes()
        async with self._store.write() as session:
            current = await conversations.to_change(session, conversation.id)
            assert current is not None
            await self._callbacks.schedule(
                session, current, queue, due, CITIZEN, now, need=await last_words(session, current.id, but=message_id)
            )
            told = await self._say(session, current, "callback.scheduled", due, now, message_id)
            await publish_messages(session, current.id, [told], changes)
        changes.publish_to(self._bus)
        return (Reply(told.text, told.language),)

    async def _say(
        self,
        session: AsyncSession,
        conversation: Conversation,
        key: str,
        moment: datetime,
        now: datetime,
        in_reply_to: str,
        actions: tuple[QuickReply, ...] = (),
    ) -> Message:
        """A catalogue text with a time in it, in the citizen's language, the Korean beside it
        for the agents (each with the time as its own language writes it)."""
        language = conversation.language or AGENT_LANGUAGE
        text = self._catalog.text(key, language, when=self.when(moment, language))
        korean = self._catalog.text(key, AGENT_LANGUAGE, when=self.when(moment, AGENT_LANGUAGE))
        return await reply(session, conversation, Author.BOT, text, now, in_reply_to, actions,
                           translation=korean if language != AGENT_LANGUAGE else None)  # fmt: skip
