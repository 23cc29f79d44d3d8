"""Citizens' foreign-language messages in Korean for the agents, without holding them up.

Every message is stored and routed first; this worker follows the bus and translates
afterwards, so a slow or broken translator delays nothing. The agent sees the Korean when
it arrives, or "translation unavailable" with the original.
"""

from __future__ import annotations

import asyncio
import logging

from hub.bus import EventBus, MessageAdded, MessageChanged
from model import AGENT_LANGUAGE, Author, Direction, Message, TranslationStatus
from store import conversations
from store.db import Store
from translation.service import Translator

log = logging.getLogger(__name__)
CONCURRENT = 4


class MessageTranslator:
    """Machine translation of citizens' messages for the agents (not sign-language interpreting)."""

    def __init__(self, store: Store, bus: EventBus, translator: Translator) -> None:
        self._store = store
        self._bus = bus
        self._translator = translator
        self._slots = asyncio.Semaphore(CONCURRENT)
        self._working: dict[str, asyncio.Task[None]] = {}
        """Message id → its translation under way (the start-up sweep and the bus may both
        bring the same message)."""

    def wanted(self, message: Message) -> bool:
        """A citizen's message in a language the agents may not read, that an engine translates."""
        return (
            message.direction is Direction.IN
            and message.author is Author.CITIZEN
            and bool(message.text.strip())
            and message.language not in (None, AGENT_LANGUAGE)
            and message.translation_status is None
            and self._translator.available(message.language or "", AGENT_LANGUAGE)
        )

    async def run(self) -> None:
        """Translate what the last run left, then every new message, until cancelled."""
        if not self._translator.configured:
            return
        try:
            async with self._bus.subscribe() as events:
                for message in await self._left_over():
                    self._start(message)
                async for event in events:
                    if isinstance(event, MessageAdded) and self.wanted(event.message):
                        self._start(event.message)
        finally:
            for task in self._working.values():
                task.cancel()
            await asyncio.gather(*self._working.values(), return_exceptions=True)

    def _start(self, message: Message) -> None:
        if message.id in self._working:
            return
        task = asyncio.create_task(self._translate(message))
        self._working[message.id] = task
        task.add_done_callback(lambda _: self._working.pop(message.id, None))

    async def _left_over(self) -> list[Message]:
        async with self._store.read() as session:
            return [m for m in await conversations.untranslated(session, AGENT_LANGUAGE) if self.wanted(m)]

    async def _translate(self, message: Message) -> None:
        try:
            async with self._slots:
                found = await self._translator.translate(message.text, message.language or "", AGENT_LANGUAGE)
            if found.text is None:
                log.warning("message %s stays untranslated: %s", message.id, found.error)
            status = TranslationStatus.TRANSLATED if found.text is not None else TranslationStatus.UNAVAILABLE
            async with self._store.write() as session:
                await conversations.set_translation(session, message.id, found.text, status.value)
                [(record, changed)] = await conversations.changed_messages(session, [message.id])
            self._bus.publish(MessageChanged(record, changed))
        except Exception:
            log.exception("translating message %s failed", message.id)
