"""Ingest: every citizen message from every channel comes in here.

Persist first (idempotent on channel, sender and provider message id), then let the
router decide, then publish. One citizen's messages are handled strictly in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import EventBus
from model.clock import utcnow
from hub.contacts import link_verified_phone
from model.errors import refuse_nul
from hub.knowledge import KnowledgeBase
from model.locks import KeyedLocks
from model import (
    Author,
    Category,
    Conversation,
    ConversationState,
    Direction,
    EventType,
    Inbound,
    IngestResult,
    Language,
    MessageStatus,
    Reply,
)
from router.categories import CategoryGuess, guess_category
from router.router import Changes, Router, Step, publish_messages
from store import conversations as store
from store.db import Store
from store.tables import ConversationRow, MessageRow
from translation.langid import LanguageIdentifier

CITIZEN = "citizen"
_LANGUAGES = {language.value for language in Language}


@dataclass(frozen=True)
class _Stored:
    conversation: Conversation
    message_id: int
    duplicate: bool
    replies: tuple[Reply, ...] = ()


class Ingest:
    def __init__(
        self,
        store_: Store,
        bus: EventBus,
        router: Router,
        languages: LanguageIdentifier,
        knowledge: KnowledgeBase,
        reopen_window: timedelta,
    ) -> None:
        self._store = store_
        self._bus = bus
        self._router = router
        self._languages = languages
        self._knowledge = knowledge
        self._reopen_window = reopen_window
        self._order = KeyedLocks()

    async def receive(self, inbound: Inbound) -> IngestResult:
        """Store one citizen message, route it, and return what the bot answered at once."""
        # Every channel comes through here: one check for what the store cannot hold.
        refuse_nul([inbound.sender, inbound.text, inbound.provider_message_id, inbound.display_name,
                    inbound.metadata, [(a.url, a.content_type, a.data) for a in inbound.attachments]])  # fmt: skip
        async with self._order.hold((inbound.channel, inbound.sender)):
            stored = await self._store_once(inbound)
            if stored.duplicate:
                return IngestResult(
                    stored.conversation.id, str(stored.message_id), True, stored.conversation.state, stored.replies
                )
            plan = await self._router.plan(stored.conversation, inbound.text)
            changes = Changes()
            async with self._store.write() as session:
                row = await store.conversation_row(session, stored.conversation.id, lock=True)
                message = await session.get(MessageRow, stored.message_id)
                assert row is not None and message is not None
                replies = await self._router.apply(session, row, plan, message, utcnow())
                # A handoff makes the citizen's message matter to agents: publish it again with
                # the conversation as it is now queued (subscribers keep messages by id).
                published = [message, *replies] if plan.step is Step.HANDOFF else replies
                if published or plan.step is not Step.NONE:
                    await publish_messages(session, row, published, changes)
                state = ConversationState(row.state)
            changes.publish_to(self._bus)
            if plan.step is Step.HANDOFF:
                await self._router.dispatch()
            return IngestResult(
                stored.conversation.id,
                str(stored.message_id),
                False,
                state,
                tuple(Reply(reply.text, reply.language) for reply in replies),
            )

    async def _store_once(self, inbound: Inbound) -> _Stored:
        try:
            return await self._persist(inbound)
        except IntegrityError:
            # Another process stored the same provider message first.
            return await self._persist(inbound)

    async def _guess_category(self, text: str) -> CategoryGuess | None:
        """Keywords first; else the category of a confident knowledge-base match."""
        if guess := guess_category(text):
            return guess
        hits = await self._knowledge.search(text, "ko", limit=1)
        if hits and hits[0].confidence >= 0.5:
            return CategoryGuess(Category(hits[0].article.category), f"knowledge-base article {hits[0].article.id}")
        return None

    async def _persist(self, inbound: Inbound) -> _Stored:
        changes = Changes()
        now = utcnow()
        channel = inbound.channel.value
        async with self._store.write() as session:
            if inbound.provider_message_id:
                existing = await store.find_inbound(session, channel, inbound.sender, inbound.provider_message_id)
                if existing:
                    row = await store.conversation_row(session, existing.conversation_id)
                    assert row is not None
                    replies = await store.replies_to(session, existing.id)
                    return _Stored(
                        await store.conversation(session, row),
                        existing.id,
                        True,
                        tuple(Reply(r.text, r.language) for r in replies),
                    )
            display_name = inbound.display_name or f"시민 {inbound.sender[-4:]}"
            contact_id = (await store.ensure_contact(session, channel, inbound.sender, display_name, now)).id
            if inbound.verified_phone:
                contact_id = await link_verified_phone(session, contact_id, inbound.verified_phone) or contact_id
            row, requeue = await self._open_conversation(session, contact_id, inbound, now)
            language = self._set_language(session, row, inbound, now)
            if row.category is None:
                guess = await self._guess_category(inbound.text)
                if guess:
                    row.category, row.category_source = guess.category.value, "detected"
                    store.add_event(
                        session,
                        row.id,
                        EventType.CATEGORY_SET,
                        CITIZEN,
                        now,
                        category=guess.category.value,
                        reason=guess.reason,
                    )
            row.last_message_at = now
            message = await store.add_message(
                session,
                conversation_id=row.id,
                channel=channel,
                sender=inbound.sender,
                provider_message_id=inbound.provider_message_id,
                direction=Direction.IN.value,
                author=Author.CITIZEN.value,
                text=inbound.text,
                language=language,
                status=MessageStatus.RECEIVED.value,
                created_at=now,
                attachments=[attachment.to_json() for attachment in inbound.attachments],
            )
            new_messages = [message]
            if requeue:
                new_messages.append(await self._router.enqueue(session, row, requeue, "reopened", now, message.id))
            record = await publish_messages(session, row, new_messages, changes)
        changes.publish_to(self._bus)
        return _Stored(record, message.id, False)

    async def _open_conversation(
        self, session: AsyncSession, contact_id: str, inbound: Inbound, now: datetime
    ) -> tuple[ConversationRow, str | None]:
        """The citizen's current conversation (open, reopened or new) and a queue to return it to."""
        row = await store.latest_conversation(session, inbound.channel.value, inbound.sender)
        if row is not None and row.state != ConversationState.RESOLVED.value:
            return row, None
        if row is not None and row.resolved_at and now - row.resolved_at <= self._reopen_window:
            store.add_event(session, row.id, EventType.REOPENED, CITIZEN, now)
            # A person had it: back to that queue. The bot had it: back to the bot.
            reopened_queue = row.queue if row.answered_at else None
            row.resolved_at = row.disposition = None
            row.answered_at = row.first_response_at = None
            row.abandoned, row.bot_failures = False, 0
            row.queued_at = None
            if not reopened_queue:
                row.state, row.queue = ConversationState.BOT.value, None
            return row, reopened_queue
        row = store.create_conversation(session, contact_id, inbound.channel.value, inbound.sender, now)
        await session.flush()
        store.add_event(session, row.id, EventType.CREATED, CITIZEN, now, channel=inbound.channel.value)
        return row, None

    def _set_language(self, session: AsyncSession, row: ConversationRow, inbound: Inbound, now: datetime) -> str | None:
        """The message's language; the conversation's language follows clear evidence only."""
        if inbound.language in _LANGUAGES and row.language_source != "agent":
            if row.language != inbound.language:
                row.language, row.language_source = inbound.language, "citizen"
                store.add_event(
                    session,
                    row.id,
                    EventType.LANGUAGE_SET,
                    CITIZEN,
                    now,
                    language=inbound.language,
                    reason="the citizen's choice",
                )
            return inbound.language
        found = self._languages.identify(inbound.text)
        if found is None:
            return row.language
        # Once a person serves the conversation its queue depends on the language: keep it.
        revisable = row.language_source in (None, "detected") and row.state == ConversationState.BOT.value
        if found.decisive and revisable and row.language != found.language:
            row.language, row.language_source = found.language, "detected"
            store.add_event(
                session,
                row.id,
                EventType.LANGUAGE_SET,
                "router",
                now,
                language=found.language,
                reason=f"identified with confidence {found.confidence:.2f}",
            )
        return found.language if found.decisive else row.language
