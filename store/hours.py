"""Queue hours and the centre's holiday calendar (model.hours)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from model.hours import ALWAYS_OPEN, Holiday, QueueHours, parse_ranges
from store.tables import HolidayRow, QueueHoursRow


def _hours(row: QueueHoursRow) -> QueueHours:
    # Stored as validated when set: parsing again cannot fail.
    return QueueHours.parse(row.weekly, row.on_holidays, row.after_hours_queue)


def _holiday(row: HolidayRow) -> Holiday:
    return Holiday(row.day, row.name, parse_ranges(row.hours, "hours"))


async def queue_hours(session: AsyncSession, queue: str) -> QueueHours:
    """A queue's hours; open day and night when none were set."""
    row = await session.get(QueueHoursRow, queue)
    return _hours(row) if row else ALWAYS_OPEN


async def all_queue_hours(session: AsyncSession) -> dict[str, QueueHours]:
    """The hours of every queue that has some set (the others are always open)."""
    return {row.queue: _hours(row) for row in await session.scalars(select(QueueHoursRow))}


async def set_queue_hours(session: AsyncSession, queue: str, hours: QueueHours, now: datetime) -> None:
    row = await session.get(QueueHoursRow, queue)
    if row is None:
        row = QueueHoursRow(queue=queue)
        session.add(row)
    stored = hours.to_json()
    row.weekly = stored["weekly"]
    row.on_holidays = stored["holidays"]
    row.after_hours_queue = hours.after_hours_queue
    row.updated_at = now
    await session.flush()


async def holidays(session: AsyncSession, first: date | None = None, last: date | None = None) -> dict[date, Holiday]:
    """The holidays kept (not removed), by day, optionally between two days (both included)."""
    query = select(HolidayRow).where(HolidayRow.removed_at.is_(None)).order_by(HolidayRow.day)
    if first is not None:
        query = query.where(HolidayRow.day >= first)
    if last is not None:
        query = query.where(HolidayRow.day <= last)
    return {row.day: _holiday(row) for row in await session.scalars(query)}


async def seed_holidays(session: AsyncSession, public: Mapping[date, str]) -> int:
    """Add the public holidays the calendar has never had (a removed one stays removed);
    returns how many were added."""
    known = set(await session.scalars(select(HolidayRow.day).where(HolidayRow.day.in_(list(public)))))
    added = [HolidayRow(day=day, name=name, hours=[], seeded=True) for day, name in public.items() if day not in known]
    session.add_all(added)
    await session.flush()
    return len(added)


async def set_holiday(session: AsyncSession, holiday: Holiday) -> str | None:
    """Add a holiday, rename it or change its hours (a removed one comes back); returns the
    name it had, None when it was not kept."""
    row = await session.get(HolidayRow, holiday.day)
    previous = row.name if row is not None and row.removed_at is None else None
    if row is None:
        row = HolidayRow(day=holiday.day, seeded=False)
        session.add(row)
    row.name = holiday.name
    row.hours = [r.to_json() for r in holiday.hours]
    row.removed_at = None
    await session.flush()
    return previous


async def remove_holiday(session: AsyncSession, day: date, now: datetime) -> Holiday | None:
    """Remove a kept holiday; returns it, None when there was none that day."""
    row = await session.get(HolidayRow, day)
    if row is None or row.removed_at is not None:
        return None
    row.removed_at = now
    await session.flush()
    return _holiday(row)
