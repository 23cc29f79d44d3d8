"""The agent's desk: what an agent or supervisor does to a conversation, and to themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import MAX_REPLY_CHARS
from hub.access import NOT_HOLDING, holding
from hub.bus import AgentChanged, EventBus
from hub.callbacks import Callbacks
from hub.changes import Changes, enqueue, publish_messages, reply, say
from hub.dispatcher import Dispatcher
from hub.questions import record_agent_answer
from hub.survey import Survey
from model import (
    AGENT_LANGUAGE,
    CATEGORIES,
    DISPOSITIONS,
    LANGUAGES,
    QUEUE_NAMES,
    Agent,
    AgentState,
    Author,
    Conversation,
    ConversationState,
    Decider,
    Direction,
    Disposition,
    EventType,
    Message,
    MessageStatus,
    Role,
)
from model.catalog import Catalog
from model.clock import utcnow
from model.errors import HubError, conflict, forbidden, invalid, not_found
from router.lifecycle import Move, RefusedMove, moved
from router.routing import queue_for
from router.selection import Unfit, unfit
from store import agents, conversations
from store.db import Store
from translation.service import Translation, Translator

Change = Callable[[AsyncSession, Conversation, datetime], Awaitable[tuple[Conversation, list[Message]]]]
"""One desk action inside its transaction: the conversation after it and the messages it added."""


class Desk:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        dispatcher: Dispatcher,
        catalog: Catalog,
        translator: Translator,
        survey: Survey,
        callbacks: Callbacks,
    ) -> None:
        self._store = store
        self._bus = bus
        self._dispatcher = dispatcher
        self._catalog = catalog
        self._translator = translator
        self._survey = survey
        self._callbacks = callbacks

    async def _change(self, conversation_id: str, change: Change, redispatch: bool = False) -> Conversation:
        changes = Changes()
        async with self._store.write() as session:
            conversation = await conversations.to_change(session, conversation_id)
            if conversation is None:
                raise not_found("The conversation")
            changed, messages = await change(session, conversation, utcnow())
            await conversations.save(session, changed)
            record = await publish_messages(session, changed.id, messages, changes)
        changes.publish_to(self._bus)
        if redispatch:
            await self._dispatcher.dispatch()
        return record

    @staticmethod
    def _require_holder(agent: Agent, conversation: Conversation) -> None:
        """Only an assigned conversation is answered or resolved, by its agent or a supervisor."""
        if conversation.state is not ConversationState.ASSIGNED:
            raise RefusedMove(conversation.state, Move.RESOLVE)
        if conversation.assigned_agent_id != agent.id and not agent.role.at_least(Role.SUPERVISOR):
            raise forbidden("Another agent holds this conversation.")

    async def _joined(self, session: AsyncSession, conversation: Conversation, name: str, now: datetime) -> Message:
        return await say(session, conversation, self._catalog, Author.SYSTEM, "system.agent_joined", now, agent=name)

    async def claim(self, agent: Agent, conversation_id: str) -> Conversation:
        """Accept an offer, or take a waiting conversation from its queue."""

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            offered = conversation.state is ConversationState.OFFERED
            if offered and conversation.assigned_agent_id != agent.id:
                raise conflict("This conversation is offered to another agent.")
            claimed = moved(conversation, Move.ACCEPT, now, agent_id=agent.id)
            if not offered:
                held = (await conversations.held_by_agent(session)).get(agent.id, {})
                kind = conversation.channel.kind
                if held.get(kind, 0) >= agent.capacity.get(kind, 0):
                    raise conflict("You are at full capacity; resolve a conversation first.")
            conversations.add_event(session, conversation.id, EventType.ACCEPTED, agent.actor, now,
                                    agent=agent.username, pulled_from_queue=not offered)  # fmt: skip
            return claimed, [await self._joined(session, claimed, agent.display_name, now)]

        return await self._change(conversation_id, change)

    async def decline(self, agent: Agent, conversation_id: str) -> Conversation:
        """The agent declines an offer: the conversation goes back to the front of its queue
        and is offered to someone else (not to this agent again for a while)."""

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            declined = moved(conversation, Move.DECLINE, now)
            if conversation.assigned_agent_id != agent.id:
                raise forbidden("This conversation is offered to another agent.")
            conversations.add_event(
                session,
                conversation.id,
                EventType.DECLINED,
                agent.actor,
                now,
                agent=agent.username,
                agent_id=agent.id,
            )
            return declined, []

        return await self._change(conversation_id, change, redispatch=True)

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
        sent: list[Message] = []

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            self._require_holder(agent, conversation)
            if conversation.first_response_at is None:
                conversation = replace(conversation, first_response_at=now)
                conversations.add_event(session, conversation.id, EventType.FIRST_RESPONSE, agent.actor, now)
            translation = korean.strip() if korean is not None else None
            sent.append(await reply(session, conversation, Author.AGENT, text, now, agent_id=agent.id,
                                    translation=translation))  # fmt: skip
            await record_agent_answer(session, conversation, sent[0], now)
            return conversation, sent

        await self._change(conversation_id, change)
        return sent[0]

    async def transfer(
        self, agent: Agent, conversation_id: str, queue: str | None, to_agent: str | None
    ) -> Conversation:
        """Move a conversation to another queue, or straight to a named agent. An agent transfers
        what they hold (offered or assigned to them), a supervisor anything; a named agent must be
        able to take it as the router would choose them (`router.selection.unfit`), machine
        translation bridging the language when it covers both ways."""
        if bool(queue) == bool(to_agent):
            raise invalid("Give either a queue or an agent to transfer to.")
        if queue and queue not in QUEUE_NAMES:
            raise invalid(f"Unknown queue {queue!r}; queues are {', '.join(QUEUE_NAMES)}.", "unknown_queue")

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            if not holding(agent, conversation):
                raise forbidden(NOT_HOLDING)
            actor = agent.actor
            if queue:
                moved(conversation, Move.QUEUE, now)  # refuses a resolved conversation before anything is written
                await agents.idle_from(session, conversation.assigned_agent_id, now)
                conversations.add_event(session, conversation.id, EventType.TRANSFERRED, actor, now,
                                        from_queue=conversation.queue, to_queue=queue)  # fmt: skip
                queued, notice = await enqueue(session, conversation, self._catalog, queue,
                                               f"transferred by {agent.username}", Decider.ROUTER.value, now)  # fmt: skip
                return queued, [notice]
            target = await self._transfer_target(session, conversation, to_agent or "")
            assigned = moved(conversation, Move.ASSIGN, now, agent_id=target.id)
            await agents.idle_from(session, conversation.assigned_agent_id, now)
            conversations.add_event(session, conversation.id, EventType.TRANSFERRED, actor, now,
                                    from_queue=conversation.queue, to_agent=target.username)  # fmt: skip
            return assigned, [await self._joined(session, assigned, target.display_name, now)]

        return await self._change(conversation_id, change, redispatch=True)

    async def _transfer_target(self, session: AsyncSession, conversation: Conversation, username: str) -> Agent:
        """The named agent if they can take the conversation now: 422 for no such agent, 409 naming
        what they lack (presence, skill, language, capacity)."""
        # As set, not shown busy for a full chat load: the capacity of the conversation's own
        # channel kind decides below.
        target = await agents.as_set(session, username)
        if target is None:
            raise HubError(422, "unknown_agent", f"There is no agent {username!r} to transfer to.")
        queue = conversation.queue or "other"
        language = conversation.language or AGENT_LANGUAGE
        translated = self._translator.available(language, AGENT_LANGUAGE) and self._translator.available(
            AGENT_LANGUAGE, language
        )
        held = dict((await conversations.held_by_agent(session)).get(target.id, {}))
        if conversation.assigned_agent_id == target.id and conversation.state.value in conversations.HELD_STATES:
            held[conversation.channel.kind] -= 1  # what they hold already is not more load
        reason = unfit(target, queue, language, conversation.channel, held, translated=translated)
        if reason is None:
            return target
        why = {
            Unfit.UNAVAILABLE: f"they are {target.state.value}, not available",
            Unfit.NO_SKILL: f"they do not have the skill {queue!r}",
            Unfit.NO_LANGUAGE: f"they do not speak {language!r} and no machine translation covers it",
            Unfit.AT_CAPACITY: f"they have no free capacity for a {conversation.channel.kind} conversation",
        }
        raise HubError(409, f"target_{reason.value}", f"Cannot transfer to {target.username}: {why[reason]}.")

    async def resolve(
        self,
        agent: Agent,
        conversation_id: str,
        disposition: str,
        callback_due: datetime | None = None,
        callback_need: str | None = None,
    ) -> Conversation:
        """Close the conversation with a disposition from the report's table; `callback` also
        makes its callback task (hub.callbacks), due at `callback_due` or by default."""
        if disposition not in DISPOSITIONS:
            raise invalid(
                f"Unknown disposition {disposition!r}; use one of {', '.join(DISPOSITIONS)}.", "unknown_disposition"
            )
        calls_back = disposition == Disposition.CALLBACK
        if not calls_back and (callback_due or callback_need):
            raise invalid("callback_due and callback_need go with the disposition callback only.", "not_a_callback")
        due = await self._callbacks.due_for(conversation_id, callback_due, utcnow()) if calls_back else None

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            self._require_holder(agent, conversation)
            resolved = moved(conversation, Move.RESOLVE, now, disposition=disposition)
            conversations.add_event(session, conversation.id, EventType.RESOLVED, agent.actor, now,
                                    disposition=disposition)  # fmt: skip
            await agents.idle_from(session, conversation.assigned_agent_id, now)
            if due is not None:
                await self._callbacks.schedule(session, resolved, resolved.queue or queue_for(resolved), due,
                                               agent.actor, now, need=callback_need, agent_id=agent.id)  # fmt: skip
            # The closing message asks the citizen to rate the conversation (hub.survey).
            return resolved, [await self._survey.close(session, resolved, now)]

        return await self._change(conversation_id, change, redispatch=True)

    async def correct(
        self, agent: Agent, conversation_id: str, language: str | None, category: str | None, priority: int | None
    ) -> Conversation:
        """An agent corrects the language or category, or a supervisor the priority."""
        if language is not None and language not in LANGUAGES:
            raise invalid(f"Unknown language {language!r}.", "unknown_language")
        if category is not None and category not in CATEGORIES:
            raise invalid(f"Unknown category {category!r}.", "unknown_category")
        if priority is not None and not agent.role.at_least(Role.SUPERVISOR):
            raise forbidden("Only a supervisor sets priorities.")

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            actor = agent.actor
            if language is not None and language != conversation.language:
                conversation = replace(conversation, language=language, language_source=Decider.AGENT)
                conversations.add_event(session, conversation.id, EventType.LANGUAGE_SET, actor, now,
                                        language=language, reason="corrected by an agent")  # fmt: skip
            if category is not None and category != conversation.category:
                conversation = replace(conversation, category=category, category_source=Decider.AGENT)
                conversations.add_event(session, conversation.id, EventType.CATEGORY_SET, actor, now,
                                        category=category, reason="corrected by an agent")  # fmt: skip
            if priority is not None and priority != conversation.priority:
                conversation = replace(conversation, priority=priority)
                conversations.add_event(session, conversation.id, EventType.PRIORITY_SET, actor, now,
                                        priority=priority)  # fmt: skip
            if conversation.state is ConversationState.QUEUED and queue_for(conversation) != conversation.queue:
                conversations.add_event(session, conversation.id, EventType.TRANSFERRED, actor, now,
                                        from_queue=conversation.queue, to_queue=queue_for(conversation),
                                        reason="correction")  # fmt: skip
                conversation = moved(conversation, Move.QUEUE, now, queue=queue_for(conversation))
            return conversation, []

        return await self._change(conversation_id, change, redispatch=True)

    async def flag(self, agent: Agent, conversation_id: str, reason: str, action: str) -> Conversation:
        """Record an abuse incident (악성민원) and the action taken."""
        if not reason.strip():
            raise invalid("Say why the conversation is abusive.", "missing_reason")

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            conversations.add_event(session, conversation.id, EventType.FLAGGED, agent.actor, now,
                                    reason=reason.strip()[:500], action=action.strip()[:200])  # fmt: skip
            return conversation, []

        return await self._change(conversation_id, change)

    async def citizen_left(self, conversation_id: str) -> Conversation:
        """The citizen closed the chat: waiting ones count as abandoned."""

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            if conversation.state is ConversationState.RESOLVED:
                return conversation, []
            citizen = Decider.CITIZEN.value
            left = moved(conversation, Move.CITIZEN_LEAVE, now)
            if left.state is ConversationState.ASSIGNED:
                # The agent still resolves it (with a disposition); tell them in the thread.
                conversations.add_event(session, conversation.id, EventType.CITIZEN_LEFT, citizen, now)
                note = await conversations.add_message(
                    session, left, Direction.IN, Author.SYSTEM, self._catalog.text("system.citizen_left", AGENT_LANGUAGE),
                    now, language=AGENT_LANGUAGE, status=MessageStatus.RECEIVED,
                )  # fmt: skip
                return left, [note]
            await agents.idle_from(session, conversation.assigned_agent_id, now)
            if left.abandoned:
                conversations.add_event(session, conversation.id, EventType.ABANDONED, citizen, now,
                                        queue=conversation.queue)  # fmt: skip
            else:
                conversations.add_event(session, conversation.id, EventType.RESOLVED, citizen, now, disposition=None)
            return left, []

        return await self._change(conversation_id, change, redispatch=True)

    async def agent_lost(self, conversation_id: str, agent_id: str) -> Conversation:
        """The agent's side of a call was lost for good: the conversation goes back to the front
        of its queue for another agent, and the citizen is told. Nothing happens when the
        conversation is no longer that agent's (it was transferred or resolved meanwhile)."""

        async def change(
            session: AsyncSession, conversation: Conversation, now: datetime
        ) -> tuple[Conversation, list[Message]]:
            if conversation.state is not ConversationState.ASSIGNED or conversation.assigned_agent_id != agent_id:
                return conversation, []
            requeued = moved(conversation, Move.AGENT_LOST, now)
            await agents.idle_from(session, agent_id, now)
            conversations.add_event(session, conversation.id, EventType.AGENT_LOST, Decider.ROUTER.value, now,
                                    agent_id=agent_id, queue=conversation.queue)  # fmt: skip
            return requeued, [await say(session, requeued, self._catalog, Author.SYSTEM, "system.agent_lost", now)]

        return await self._change(conversation_id, change, redispatch=True)

    async def set_presence(self, agent: Agent, state: str) -> Agent:
        """available, break or offline; becoming available starts the idle clock."""
        allowed = (AgentState.AVAILABLE.value, AgentState.BREAK.value, AgentState.OFFLINE.value)
        if state not in allowed:
            raise invalid(f"Presence must be one of {', '.join(sorted(allowed))}.", "unknown_state")
        async with self._store.write() as session:
            record = await agents.set_presence(session, agent.id, AgentState(state), utcnow())
            if record is None:
                raise not_found("The agent")
        self._bus.publish(AgentChanged(record))
        await self._dispatcher.dispatch()
        return record
