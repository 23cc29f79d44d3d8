"""Callback tasks (재통화) as the hub runs them: made when an agent resolves with the disposition
`callback` or a citizen accepts the offer of one, brought back to an agent when due, closed with
the agent's outcome.

How a due task reaches an agent: it reopens its conversation (the state machine's `reopen`, then
`queue`) into the task's queue with a raised priority, and the dispatcher offers it like any other
waiting conversation, to an agent with the queue's skill and free capacity. The agent gets the
whole history with it; the task follows the conversation (offered while it waits, in progress once
an agent has it) until the agent records the outcome (docs/callbacks.md).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import EventBus
from hub.changes import Changes, publish_messages, say
from hub.dispatcher import Dispatcher
from hub.hours import Hours
from model import Agent, Author, Conversation, ConversationState, Decider, EventType, Message, Role, iso
from model.callbacks import (
    CallbackOutcome,
    CallbackSettings,
    CallbackState,
    CallbackTask,
    brought_back,
    outcome_recorded,
    rescheduled,
    taken,
)
from model.catalog import Catalog
from model.clock import utcnow
from model.errors import conflict, forbidden, invalid, not_found
from model.masking import mask
from router.lifecycle import Move, moved
from router.routing import queue_for
from store import callbacks, conversations
from store.db import Store

log = logging.getLogger(__name__)
ROUTER = Decider.ROUTER.value
MAX_NEED_CHARS = 500
PAST_TOLERANCE = timedelta(minutes=1)
"""A due time given this little in the past (clocks differ) is taken as now."""
MAX_AHEAD = timedelta(days=90)
"""The furthest ahead a callback may be promised."""


def may_handle(agent: Agent, task: CallbackTask, holder_id: str | None) -> bool:
    """Supervisors and admins handle every task; an agent those of their skills' queues and
    those whose conversation they hold (`holder_id`); an editor none."""
    if agent.role.at_least(Role.SUPERVISOR):
        return True
    return agent.role is Role.AGENT and (task.queue in agent.skills or holder_id == agent.id)


async def last_words(session: AsyncSession, conversation_id: str, but: str | None = None) -> str:
    """The citizen's last message on the conversation (but the message `but`): what they need."""
    said = [m for m in await conversations.messages(session, conversation_id)
            if m.author is Author.CITIZEN and m.id != but and m.text.strip()]  # fmt: skip
    return said[-1].text if said else ""


class Callbacks:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        dispatcher: Dispatcher,
        catalog: Catalog,
        hours: Hours,
        settings: CallbackSettings,
        zone: ZoneInfo,
    ) -> None:
        self._store = store
        self._bus = bus
        self._dispatcher = dispatcher
        self._catalog = catalog
        self._hours = hours
        self.settings = settings
        self.zone = zone

    # -- making tasks ------------------------------------------------------------------

    async def due_for(self, conversation_id: str, given: datetime | None, now: datetime) -> datetime:
        """When a callback on the conversation is due: the time given (not in the past), else its
        queue's next opening when nobody serves the queue now, else `default_delay` from now."""
        if given is not None:
            if given.tzinfo is None:
                raise invalid("callback_due needs a time zone, e.g. 2026-12-02T09:00:00+09:00.", "invalid_callback_due")
            if given < now - PAST_TOLERANCE:
                raise invalid("callback_due is in the past.", "invalid_callback_due")
            if given - now > MAX_AHEAD:
                raise invalid(f"callback_due is more than {MAX_AHEAD.days} days ahead.", "invalid_callback_due")
            return max(given, now)
        async with self._store.read() as session:
            conversation = await conversations.conversation(session, conversation_id)
        if conversation is None:
            raise not_found("The conversation")
        status = await self._hours.status(conversation.queue or queue_for(conversation), now)
        if not status.open and status.served_by == status.queue and status.opens_at is not None:
            return status.opens_at
        return now + self.settings.default_delay

    async def schedule(
        self,
        session: AsyncSession,
        conversation: Conversation,
        queue: str,
        due_at: datetime,
        by: str,
        now: datetime,
        need: str | None = None,
        agent_id: str | None = None,
    ) -> CallbackTask:
        """A callback task for the conversation, in the caller's transaction: its open task set
        due again when it has one (one promise per conversation), else a new one. `need`: what
        the citizen needs, by default their last message; masked either way."""
        need = mask((need or await last_words(session, conversation.id)).strip())[:MAX_NEED_CHARS]
        task = await callbacks.open_for(session, conversation.id)
        if task is not None:
            task = rescheduled(task, due_at, need, now)
            await callbacks.save(session, task, agent_id)
        else:
            task = CallbackTask(
                id=callbacks.new_id(),
                conversation_id=conversation.id,
                contact_id=conversation.contact.id,
                queue=queue,
                channel=conversation.channel.value,
                need=need,
                due_at=due_at,
                created_by=by,
                state=CallbackState.PENDING,
                created_at=now,
                updated_at=now,
            )
            await callbacks.add(session, task, agent_id)
        conversations.add_event(session, conversation.id, EventType.CALLBACK_SCHEDULED, by, now, callback=task.id,
                                due_at=iso(due_at), queue=task.queue)  # fmt: skip
        return task

    # -- bringing them back ------------------------------------------------------------

    async def sweep(self) -> None:
        """Bring back every task that has come due, and mark those an agent has taken."""
        changes = Changes()
        now = utcnow()
        # A read first, which takes no write lock: nearly every round has nothing to do.
        async with self._store.read() as session:
            if not await callbacks.work_waiting(session, now):
                return
        async with self._store.write() as session:
            due = await callbacks.due(session, now)
            for task in due:
                conversation = await conversations.to_change(session, task.conversation_id)
                assert conversation is not None
                messages = await self._bring_back(session, task, conversation, now)
                await publish_messages(session, conversation.id, messages, changes)
            for task, agent_id in await callbacks.accepted(session):
                await callbacks.save(session, taken(task, now), agent_id)
        changes.publish_to(self._bus)
        if due:
            await self._dispatcher.dispatch()

    async def _bring_back(
        self, session: AsyncSession, task: CallbackTask, conversation: Conversation, now: datetime
    ) -> list[Message]:
        """The due task's conversation to its queue with priority (reopened when resolved, taken
        from the bot when the citizen is talking to it); one already waiting only gets the
        priority, one an agent has stays theirs. Returns the citizen's notice, if any."""
        conversations.add_event(session, conversation.id, EventType.CALLBACK_DUE, ROUTER, now, callback=task.id,
                                queue=task.queue)  # fmt: skip
        held = conversation.state is ConversationState.ASSIGNED
        await callbacks.save(session, brought_back(task, now, held), conversation.assigned_agent_id if held else None)
        if held:
            return []
        if conversation.priority < self.settings.priority:
            conversation = replace(conversation, priority=self.settings.priority)
            conversations.add_event(session, conversation.id, EventType.PRIORITY_SET, ROUTER, now,
                                    priority=self.settings.priority, reason="callback")  # fmt: skip
        if conversation.state.waiting:
            await conversations.save(session, conversation)
            return []
        if conversation.state is ConversationState.RESOLVED:
            conversations.add_event(session, conversation.id, EventType.REOPENED, ROUTER, now, reason="callback",
                                    callback=task.id)  # fmt: skip
            conversation = moved(conversation, Move.REOPEN, now)
        queued = moved(conversation, Move.QUEUE, now, queue=task.queue)
        await conversations.save(session, queued)
        position = await conversations.queue_position(session, queued)
        conversations.add_event(session, queued.id, EventType.QUEUED, ROUTER, now, queue=task.queue,
                                position=position, reason="callback")  # fmt: skip
        return [await say(session, queued, self._catalog, Author.SYSTEM, "callback.due", now)]

    async def run(self) -> None:
        """Sweep for due tasks, until cancelled."""
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("callback sweep failed")
            await asyncio.sleep(self._dispatcher.settings.sweep_interval_seconds)

    # -- the agent's side --------------------------------------------------------------

    async def handled(self, agent: Agent, task_id: str) -> CallbackTask:
        """The task if the agent may handle it: 404 when there is none, 403 when it is not theirs."""
        async with self._store.read() as session:
            task = await callbacks.task(session, task_id)
            if task is None:
                raise not_found("The callback")
            conversation = await conversations.conversation(session, task.conversation_id)
        if not may_handle(agent, task, conversation.assigned_agent_id if conversation else None):
            raise forbidden("This callback is not in your queues or assigned to you.")
        return task

    async def record_outcome(self, agent: Agent, task_id: str, outcome: CallbackOutcome) -> CallbackTask:
        """The agent's outcome of a try: the task is done, or due again after a `no_answer` with
        tries left (`CallbackSettings.max_attempts`)."""
        changes = Changes()
        now = utcnow()
        async with self._store.write() as session:
            task = await callbacks.task(session, task_id, lock=True)
            if task is None:
                raise not_found("The callback")
            if task.state is CallbackState.DONE:
                raise conflict(f"This callback is done already ({task.outcome}).")
            after = outcome_recorded(task, outcome, now, self.settings)
            await callbacks.save(session, after, agent.id)
            next_due = {"next_due_at": iso(after.due_at)} if after.state is CallbackState.PENDING else {}
            conversations.add_event(session, task.conversation_id, EventType.CALLBACK_OUTCOME,
                                    f"agent:{agent.username}", now, callback=task.id, outcome=outcome.value,
                                    attempts=after.attempts, queue=task.queue, **next_due)  # fmt: skip
            await publish_messages(session, task.conversation_id, [], changes)
            recorded = await callbacks.task(session, task_id)
        changes.publish_to(self._bus)
        assert recorded is not None
        return recorded

    async def visible(
        self, agent: Agent, states: tuple[str, ...], queues: tuple[str, ...], since: datetime | None,
        until: datetime | None,
    ) -> tuple[list[CallbackTask], dict[str, int]]:  # fmt: skip
        """The tasks the agent may see among those asked (supervisors all, an agent those of their
        skills' queues), and the outcomes recorded in those queues in the period."""
        if not agent.role.at_least(Role.SUPERVISOR):
            queues = tuple(queue for queue in queues or agent.skills if queue in agent.skills)
            if not queues:
                return [], {}
        async with self._store.read() as session:
            found = await callbacks.listing(session, states, queues, since, until)
            counted = await callbacks.outcomes(session, queues, since, until)
        return found, counted
