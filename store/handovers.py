"""Handovers to departments (부서이관, 담당자 연결) and their delivery, retried until sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from model.handovers import Delivery, Handover, HandoverKind, HandoverRequest, Via
from store.tables import AgentRow, DepartmentRow, HandoverRow


@dataclass(frozen=True)
class Outcome:
    """What one attempt to send a handover left it as."""

    handover_id: str
    delivery: Delivery
    via: Via | None
    error: str | None = None
    next_attempt_at: datetime | None = None


def _selected() -> Select[tuple[HandoverRow, str, str]]:
    return (
        select(HandoverRow, DepartmentRow.name, AgentRow.username)
        .join(DepartmentRow, DepartmentRow.id == HandoverRow.department_id)
        .join(AgentRow, AgentRow.id == HandoverRow.agent_id)
    )


def _record(row: HandoverRow, department: str, agent: str) -> Handover:
    return Handover(
        id=row.id,
        conversation_id=row.conversation_id,
        department_id=row.department_id,
        department=department,
        agent_id=row.agent_id,
        agent=agent,
        kind=HandoverKind(row.kind),
        officer_name=row.officer_name,
        officer_phone=row.officer_phone,
        officer_email=row.officer_email,
        need=row.need,
        created_at=row.created_at,
        delivery=Delivery(row.delivery),
        via=Via(row.via) if row.via else None,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        answer=row.answer,
        answered_at=row.answered_at,
        answered_by=row.answered_by,
    )


async def add(
    session: AsyncSession, conversation_id: str, agent_id: str, new: HandoverRequest, now: datetime
) -> Handover:
    """A new handover of the conversation by the agent, pending: the sender picks it up at once."""
    row = HandoverRow(
        id=uuid.uuid4().hex,
        conversation_id=conversation_id,
        department_id=new.department_id,
        agent_id=agent_id,
        kind=new.kind.value,
        officer_name=new.officer_name,
        officer_phone=new.officer_phone,
        officer_email=new.officer_email,
        need=new.need,
        created_at=now,
        delivery=Delivery.PENDING.value,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(row)
    await session.flush()
    found = await handover(session, row.id)
    assert found is not None
    return found


async def handover(session: AsyncSession, handover_id: str) -> Handover | None:
    found = (await session.execute(_selected().where(HandoverRow.id == handover_id))).first()
    return _record(*found) if found else None


async def of_conversation(session: AsyncSession, conversation_id: str) -> list[Handover]:
    query = _selected().where(HandoverRow.conversation_id == conversation_id).order_by(HandoverRow.created_at)
    return [_record(*found) for found in await session.execute(query)]


async def listed(
    session: AsyncSession,
    state: str | None = None,
    department_id: int | None = None,
    agent_id: str | None = None,
    limit: int = 200,
) -> list[Handover]:
    """The newest handovers first; `state`: a delivery state, `answered` or `unanswered`."""
    query = _selected().order_by(HandoverRow.created_at.desc()).limit(limit)
    if state == "answered":
        query = query.where(HandoverRow.answered_at.is_not(None))
    elif state == "unanswered":
        query = query.where(HandoverRow.answered_at.is_(None))
    elif state is not None:
        query = query.where(HandoverRow.delivery == state)
    if department_id is not None:
        query = query.where(HandoverRow.department_id == department_id)
    if agent_id is not None:
        query = query.where(HandoverRow.agent_id == agent_id)
    return [_record(*found) for found in await session.execute(query)]


async def due(session: AsyncSession, now: datetime, limit: int = 20) -> list[Handover]:
    """Pending handovers whose next attempt has come, oldest first."""
    query = (
        _selected()
        .where(HandoverRow.delivery == Delivery.PENDING.value)
        .where(or_(HandoverRow.next_attempt_at.is_(None), HandoverRow.next_attempt_at <= now))
        .order_by(HandoverRow.created_at)
        .limit(limit)
    )
    return [_record(*found) for found in await session.execute(query)]


async def take(session: AsyncSession, handover: Handover, lease_until: datetime) -> bool:
    """Reserve a due handover for one sender until `lease_until`: False when another process
    took it first (its next attempt moved meanwhile)."""
    taken = await session.execute(
        update(HandoverRow)
        .where(HandoverRow.id == handover.id, HandoverRow.delivery == Delivery.PENDING.value)
        .where(
            HandoverRow.next_attempt_at.is_(None)
            if handover.next_attempt_at is None
            else HandoverRow.next_attempt_at == handover.next_attempt_at
        )
        .values(next_attempt_at=lease_until)
    )
    return taken.rowcount == 1  # type: ignore[attr-defined]


async def record_outcome(session: AsyncSession, outcome: Outcome, now: datetime) -> Handover | None:
    """Store one attempt's outcome; returns the handover as it is afterwards."""
    row = await session.get(HandoverRow, outcome.handover_id)
    if row is None:  # erased meanwhile
        return None
    row.attempts += 1
    row.delivery = outcome.delivery.value
    row.via = outcome.via.value if outcome.via else row.via
    row.last_error = outcome.error
    row.next_attempt_at = outcome.next_attempt_at
    if outcome.delivery is Delivery.SENT:
        row.sent_at = now
    await session.flush()
    return await handover(session, row.id)


async def record_answer(session: AsyncSession, handover_id: str, answer: str, actor: str, now: datetime) -> Handover:
    row = await session.get(HandoverRow, handover_id)
    assert row is not None
    row.answer, row.answered_at, row.answered_by = answer, now, actor
    await session.flush()
    found = await handover(session, handover_id)
    assert found is not None
    return found
