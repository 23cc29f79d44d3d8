"""Callback tasks (model.callbacks): queries and writes in model records."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import ConversationState, EventType
from model.callbacks import CallbackOutcome, CallbackState, CallbackTask
from store.conversations import agent_usernames
from store.tables import CallbackTaskRow, ConversationRow, EventRow

_OPEN = tuple(state.value for state in CallbackState if state.open)


def new_id() -> str:
    return uuid.uuid4().hex


async def _records(session: AsyncSession, rows: Sequence[CallbackTaskRow]) -> list[CallbackTask]:
    usernames = await agent_usernames(session, {row.agent_id for row in rows if row.agent_id})
    return [
        CallbackTask(
            id=row.id,
            conversation_id=row.conversation_id,
            contact_id=row.contact_id,
            queue=row.queue,
            channel=row.channel,
            need=row.need,
            due_at=row.due_at,
            created_by=row.created_by,
            state=CallbackState(row.state),
            created_at=row.created_at,
            updated_at=row.updated_at,
            outcome=CallbackOutcome(row.outcome) if row.outcome else None,
            attempts=row.attempts,
            agent=usernames.get(row.agent_id or ""),
            offered_at=row.offered_at,
            done_at=row.done_at,
        )
        for row in rows
    ]


async def add(session: AsyncSession, task: CallbackTask, agent_id: str | None = None) -> None:
    session.add(
        CallbackTaskRow(
            id=task.id,
            conversation_id=task.conversation_id,
            contact_id=task.contact_id,
            queue=task.queue,
            channel=task.channel,
            need=task.need,
            due_at=task.due_at,
            created_by=task.created_by,
            state=task.state.value,
            outcome=None,
            attempts=task.attempts,
            agent_id=agent_id,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )
    )
    await session.flush()


async def save(session: AsyncSession, task: CallbackTask, agent_id: str | None = None) -> None:
    """Write the task's changeable fields; `agent_id`: the agent who has it now (kept when None)."""
    row = await session.get(CallbackTaskRow, task.id)
    if row is None:
        raise LookupError(f"callback task {task.id} does not exist")
    row.state = task.state.value
    row.outcome = task.outcome.value if task.outcome else None
    row.attempts = task.attempts
    row.due_at = task.due_at
    row.updated_at = task.updated_at
    row.offered_at = task.offered_at
    row.done_at = task.done_at
    row.agent_id = agent_id or row.agent_id
    await session.flush()


async def task(session: AsyncSession, task_id: str, lock: bool = False) -> CallbackTask | None:
    query = select(CallbackTaskRow).where(CallbackTaskRow.id == task_id)
    row = await session.scalar(query.with_for_update() if lock else query)
    return (await _records(session, [row]))[0] if row else None


async def open_for(session: AsyncSession, conversation_id: str) -> CallbackTask | None:
    """The conversation's callback task not done yet (there is at most one), locked."""
    row = await session.scalar(
        select(CallbackTaskRow)
        .where(CallbackTaskRow.conversation_id == conversation_id, CallbackTaskRow.state.in_(_OPEN))
        .with_for_update()
    )
    return (await _records(session, [row]))[0] if row else None


async def work_waiting(session: AsyncSession, now: datetime) -> bool:
    """Whether a pending task has come due or an offered one's conversation was accepted."""
    due_one = select(CallbackTaskRow.id).where(
        CallbackTaskRow.state == CallbackState.PENDING.value, CallbackTaskRow.due_at <= now
    )
    accepted_one = (
        select(CallbackTaskRow.id)
        .join(ConversationRow, ConversationRow.id == CallbackTaskRow.conversation_id)
        .where(
            CallbackTaskRow.state == CallbackState.OFFERED.value,
            ConversationRow.state == ConversationState.ASSIGNED.value,
        )
    )
    return bool(await session.scalar(select(or_(exists(due_one), exists(accepted_one)))))


async def due(session: AsyncSession, now: datetime) -> list[CallbackTask]:
    """Pending tasks whose time has come, oldest due first, locked (one another process holds is
    left for its next round)."""
    rows = await session.scalars(
        select(CallbackTaskRow)
        .where(CallbackTaskRow.state == CallbackState.PENDING.value, CallbackTaskRow.due_at <= now)
        .order_by(CallbackTaskRow.due_at)
        .with_for_update(skip_locked=True)
    )
    return await _records(session, list(rows))


async def accepted(session: AsyncSession) -> list[tuple[CallbackTask, str]]:
    """Offered tasks whose conversation an agent has accepted since, with that agent's id."""
    rows = (
        await session.execute(
            select(CallbackTaskRow, ConversationRow.assigned_agent_id)
            .join(ConversationRow, ConversationRow.id == CallbackTaskRow.conversation_id)
            .where(
                CallbackTaskRow.state == CallbackState.OFFERED.value,
                ConversationRow.state == ConversationState.ASSIGNED.value,
            )
            .with_for_update(of=CallbackTaskRow, skip_locked=True)
        )
    ).all()
    records = await _records(session, [row for row, _ in rows])
    return [(record, agent_id) for record, (_, agent_id) in zip(records, rows, strict=True)]


async def listing(
    session: AsyncSession,
    states: tuple[str, ...] = (),
    queues: tuple[str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[CallbackTask]:
    """Tasks in the states and queues asked (all when empty), created in [since, until),
    the soonest due first."""
    query = select(CallbackTaskRow)
    if states:
        query = query.where(CallbackTaskRow.state.in_(states))
    if queues:
        query = query.where(CallbackTaskRow.queue.in_(queues))
    if since is not None:
        query = query.where(CallbackTaskRow.created_at >= since)
    if until is not None:
        query = query.where(CallbackTaskRow.created_at < until)
    rows = await session.scalars(query.order_by(CallbackTaskRow.due_at, CallbackTaskRow.id).limit(limit))
    return await _records(session, list(rows))


async def outcomes(
    session: AsyncSession, queues: tuple[str, ...], since: datetime | None, until: datetime | None
) -> dict[str, int]:
    """Outcomes recorded in [since, until) per outcome, of the queues asked (all when empty):
    counted from the conversations' events, so a `no_answer` retried counts as often as it was
    recorded."""
    query = select(EventRow.data).where(EventRow.type == EventType.CALLBACK_OUTCOME.value)
    if since is not None:
        query = query.where(EventRow.at >= since)
    if until is not None:
        query = query.where(EventRow.at < until)
    counts: Counter[str] = Counter()
    for data in await session.scalars(query):
        if not queues or data.get("queue") in queues:
            counts[str(data.get("outcome"))] += 1
    return dict(counts)
