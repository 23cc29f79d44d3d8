"""The agent's desk: what an agent or supervisor does to a conversation, and to themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import AgentChanged, EventBus
from model.clock import utcnow
from model.errors import HubError, conflict, forbidden, invalid, not_found
from model.catalog import Catalog
from model import (
    AGENT_LANGUAGE,
    QUEUE_NAMES,
    Agent,
    AgentState,
    Author,
    Category,
    Channel,
    Conversation,
    ConversationState,
    Direction,
    Disposition,
    EventType,
    Language,
    Message,
    MessageStatus,
    Role,
    TranslationStatus,
)
from router.router import Changes, Router, add_catalog_message, publish_messages, queue_for
from store import agents as agent_store
from store import conversations as store
from store.db import Store
from store.tables import AgentRow, ConversationRow, MessageRow
from translation.service import Translation, Translator

MAX_REPLY_CHARS = 4000
Change = Callable[[AsyncSession, ConversationRow, datetime], Awaitable[list[MessageRow]]]


def _actor(agent: Agent) -> str:
    return f"agent:{agent.username}"


class Desk:
    def __init__(self, store_: Store, bus: EventBus, router: Router, catalog: Catalog, translator: Translator) -> None:
        self._store = store_
        self._bus = bus
        self._router = router
        self._catalog = catalog
        self._translator = translator

    async def _change(self, conversation_id: str, change: Change, redispatch: bool = False) -> Conversation:
        changes = Changes()
        async with self._store.write() as session:
            row = await store.conversation_row(session, conversation_id, lock=True)
            if row is None:
                raise not_found("The conversation")
            messages = await change(session, row, utcnow())
            await session.flush()
            await publish_messages(session, row, messages, changes)
            record = await store.conversation(session, row)
        changes.publish_to(self._bus)
        if redispatch:
            await self._router.dispatch()
        return record

    def _require_holder(self, agent: Agent, row: ConversationRow) -> None:
        if row.state != ConversationState.ASSIGNED.value:
            raise conflict(
                f"The conversation is {row.state}; only an assigned conversation can be answered or resolved."
            )
        if row.assigned_agent_id != agent.id and not agent.role.at_least(Role.SUPERVISOR):
            raise forbidden("Another agent holds this conversation.")

    def _joined(
        self, session: AsyncSession, row: ConversationRow, agent_name: str, now: datetime
    ) -> Awaitable[MessageRow]:
        return add_catalog_message(session, row, self._catalog, Author.SYSTEM, "system.agent_joined", now,
                                   agent=agent_name)  # fmt: skip

    async def claim(self, agent: Agent, conversation_id: str) -> Conversation:
        """Accept an offer, or take a waiting conversation from its queue."""

        async def change(session: AsyncSession, row: ConversationRow, now: datetime) -> list[MessageRow]:
            if row.state == ConversationState.OFFERED.value and row.assigned_agent_id != agent.id:
                raise conflict("This conversation is offered to another agent.")
            if row.state == ConversationState.QUEUED.value:
                held = (await store.held_by_agent(session)).get(agent.id, {})
                kind = Channel(row.channel).kind
                if held.get(kind, 0) >= agent.capacity.get(kind, 0):
                    raise conflict("You are at full capacity; resolve a conversation first.")
            elif row.state != ConversationState.OFFERED.value:
                raise conflict(f"The conversation is {row.state} and cannot be claimed.")
            pulled = row.state == ConversationState.QUEUED.value
            row.state = ConversationState.ASSIGNED.value
            row.assigned_agent_id = agent.id
            row.offer_expires_at = None
            row.answered_at = row.answered_at or now
            store.add_event(
                session, row.id, EventType.ACCEPTED, _actor(agent), now, agent=agent.username, pulled_from_queue=pulled
            )
            return [await self._joined(session, row, agent.display_name, now)]

        return await self._change(conversation_id, change)

    async def translate_reply(self, text: str, language: str | None) -> Translation:
        """The agent's Korean `text` in the citizen's `language`, to preview or to send."""
        if not language or language == AGENT_LANGUAGE:
            raise invalid("This conversation is in Korean: there is nothing to translate.", "nothing_to_translate")
        if not self._translator.available(AGENT_LANGUAGE, language):
            raise HubError(409, "translation_not_configured", f"No machine translation into {language} is set up.")
        if not text.strip():
            raise invalid("The reply is empty.", "empty_text")
        found = await self._translator.translate(text.strip(), AGENT_LANGUAGE, language)
        if found.text is None:
            raise HubError(
                503,
                "translation_unavailable",
                f"Machine translation is unavailable ({found.error}). Try again, or write in the citizen's language.",
            )
        return found

    async def reply(self, agent: Agent, conversation_id: str, text: str, korean: str | None = None) -> Message:
        """Send the citizen a message from the agent; `korean`: what the agent wrote, when
        `text` is its machine translation (both are kept)."""
        text = text.strip()
        if not text:
            raise invalid("The reply is empty.", "empty_text")
        if len(text) > MAX_REPLY_CHARS:
            raise invalid(f"The reply is longer than {MAX_REPLY_CHARS} characters.", "text_too_long")
        sent: list[MessageRow] = []

        async def change(session: AsyncSession, row: ConversationRow, now: datetime) -> list[MessageRow]:
            self._require_holder(agent, row)
            if row.first_response_at is None:
                row.first_response_at = now
                store.add_event(session, row.id, EventType.FIRST_RESPONSE, _actor(agent), now)
            message = await store.add_outbound(session, row, Author.AGENT, text, now, agent_id=agent.id)
            if korean is not None:
                message.translation, message.translation_status = korean.strip(), TranslationStatus.TRANSLATED.value
            sent.append(message)
            return sent

        await self._change(conversation_id, change)
        async with self._store.read() as session:
            return (await store.message_records(session, sent))[0]

    async def transfer(
        self, agent: Agent, conversation_id: str, queue: str | None, to_agent: str | None
    ) -> Conversation:
        """Move a conversation to another queue, or straight to a named agent."""
        if bool(queue) == bool(to_agent):
            raise invalid("Give either a queue or an agent to transfer to.")
        if queue and queue not in QUEUE_NAMES:
            raise invalid(f"Unknown queue {queue!r}; queues are {', '.join(QUEUE_NAMES)}.", "unknown_queue")

        async def change(session: AsyncSession, row: ConversationRow, now: datetime) -> list[MessageRow]:
            if row.state == ConversationState.RESOLVED.value:
                raise conflict("A resolved conversation cannot be transferred.")
            if row.state == ConversationState.ASSIGNED.value:
                self._require_holder(agent, row)
            await self._idle_from(session, row.assigned_agent_id, now)
            if queue:
                store.add_event(
                    session, row.id, EventType.TRANSFERRED, _actor(agent), now, from_queue=row.queue, to_queue=queue
                )
                return [await self._router.enqueue(session, row, queue, f"transferred by {agent.username}", now)]
            target = await agent_store.by_username(session, to_agent or "")
            if target is None:
                raise not_found(f"The agent {to_agent!r}")
            store.add_event(
                session,
                row.id,
                EventType.TRANSFERRED,
                _actor(agent),
                now,
                from_queue=row.queue,
                to_agent=target.username,
            )
            row.state = ConversationState.ASSIGNED.value
            row.assigned_agent_id = target.id
            row.offer_expires_at = None
            row.answered_at = row.answered_at or now
            return [await self._joined(session, row, target.display_name, now)]

        return await self._change(conversation_id, change, redispatch=True)

    async def resolve(self, agent: Agent, conversation_id: str, disposition: str) -> Conversation:
        """Close the conversation with a disposition from the report's table."""
        if disposition not in {d.value for d in Disposition}:
            raise invalid(
                f"Unknown disposition {disposition!r}; use one of {', '.join(d.value for d in Disposition)}.",
                "unknown_disposition",
            )

        async def change(session: AsyncSession, row: ConversationRow, now: datetime) -> list[MessageRow]:
            self._require_holder(agent, row)
            row.state = ConversationState.RESOLVED.value
            row.resolved_at = now
            row.disposition = disposition
            store.add_event(session, row.id, EventType.RESOLVED, _actor(agent), now, disposition=disposition)
            await self._idle_from(session, row.assigned_agent_id, now)
            return [await add_catalog_message(session, row, self._catalog, Author.SYSTEM, "system.resolved", now)]

        return await self._change(conversation_id, change, redispatch=True)

    async def correct(
        self, agent: Agent, conversation_id: str, language: str | None, category: str | None, priority: int | None
    ) -> Conversation:
        """An agent corrects the language or category, or a supervisor the priority."""
        if language is not None and language not in {lang.value for lang in Language}:
            raise invalid(f"Unknown language {language!r}.", "unknown_language")
        if category is not None and category not in {c.value for c in Category}:
            raise invalid(f"Unknown category {category!r}.", "unknown_category")
        if priority is not None and not agent.role.at_least(Role.SUPERVISOR):
            raise forbidden("Only a supervisor sets priorities.")

        async def change(session: AsyncSession, row: ConversationRow, now: datetime) -> list[MessageRow]:
            actor = _actor(agent)
            if language is not None and language != row.language:
                row.language, row.language_source = language, "agent"
                store.add_event(
                    session,
                    row.id,
                    EventType.LANGUAGE_SET,
                    actor,
                    now,
                    language=language,
                    reason="corrected by an agent",
                )
            if category is not None and category != row.category:
                row.category, row.category_source = category, "agent"
                store.add_event(
                    session,
                    row.id,
                    EventType.CATEGORY_SET,
                    actor,
                    now,
                    category=category,
                    reason="corrected by an agent",
                )
            if priority is not None and priority != row.priority:
                row.priority = priority
                store.add_event(session, row.id, EventType.PRIORITY_SET, actor, now, priority=priority)
            if row.state == ConversationState.QUEUED.value and queue_for(row) != row.queue:
                store.add_event(
                    session,
                    row.id,
                    EventType.TRANSFERRED,
                    actor,
                    now,
                    from_queue=row.queue,
                    to_queue=queue_for(row),
                    reason="correction",
                )
                row.queue = queue_for(row)
            return []

        return await self._change(conversation_id, change, redispatch=True)

    async def flag(self, agent: Agent, conversation_id: str, reason: str, action: str) -> Conversation:
        """Record an abuse incident (악성민원) and the action taken."""
        if not reason.strip():
            raise invalid("Say why the conversation is abusive.", "missing_reason")

        async def change(session: AsyncSession, row: ConversationRow, now: datetime) -> list[MessageRow]:
            store.add_event(
                session,
                row.id,
                EventType.FLAGGED,
                _actor(agent),
                now,
                reason=reason.strip()[:500],
                action=action.strip()[:200],
            )
            return []

        return await self._change(conversation_id, change)

    async def citizen_left(self, conversation_id: str) -> Conversation:
        """The citizen closed the chat: waiting ones count as abandoned."""

        async def change(session: AsyncSession, row: ConversationRow, now: datetime) -> list[MessageRow]:
            if row.state == ConversationState.ASSIGNED.value:
                # The agent still resolves it (with a disposition); tell them in the thread.
                store.add_event(session, row.id, EventType.CITIZEN_LEFT, "citizen", now)
                row.last_message_at = now
                note = await store.add_message(
                    session, conversation_id=row.id, channel=row.channel, sender=row.sender,
                    provider_message_id=None, direction=Direction.IN.value, author=Author.SYSTEM.value,
                    text=self._catalog.text("system.citizen_left", "ko"), language="ko",
                    status=MessageStatus.RECEIVED.value, created_at=now,
                )  # fmt: skip
                return [note]
            if row.state == ConversationState.RESOLVED.value:
                return []
            await self._idle_from(session, row.assigned_agent_id, now)
            if row.state in (ConversationState.QUEUED.value, ConversationState.OFFERED.value):
                row.abandoned = True
                store.add_event(session, row.id, EventType.ABANDONED, "citizen", now, queue=row.queue)
            else:
                store.add_event(session, row.id, EventType.RESOLVED, "citizen", now, disposition=None)
            row.state = ConversationState.RESOLVED.value
            row.resolved_at = now
            row.assigned_agent_id = None
            return []

        return await self._change(conversation_id, change, redispatch=True)

    async def set_presence(self, agent: Agent, state: str) -> Agent:
        """available, break or offline; becoming available starts the idle clock."""
        allowed = {AgentState.AVAILABLE.value, AgentState.BREAK.value, AgentState.OFFLINE.value}
        if state not in allowed:
            raise invalid(f"Presence must be one of {', '.join(sorted(allowed))}.", "unknown_state")
        async with self._store.write() as session:
            row = await session.get(AgentRow, agent.id)
            if row is None:
                raise not_found("The agent")
            if state == AgentState.AVAILABLE.value and row.state != state:
                row.idle_since = utcnow()
            row.state = state
            await session.flush()
            record = await agent_store.record(session, row)
        self._bus.publish(AgentChanged(record))
        await self._router.dispatch()
        return record

    async def _idle_from(self, session: AsyncSession, agent_id: str | None, now: datetime) -> None:
        """A conversation left this agent: their idle time counts from now."""
        if agent_id:
            row = await session.get(AgentRow, agent_id)
            if row is not None:
                row.idle_since = now
