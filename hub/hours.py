"""Which queues are open now, and who serves a closed one: the queue hours (model.hours) with
the centre's holiday calendar, in the hub's timezone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as public_holidays
from sqlalchemy.ext.asyncio import AsyncSession

from model.audit import AuditAction
from model.clock import utcnow
from model.errors import invalid, not_found
from model.hours import ALWAYS_OPEN, Holiday, QueueHours, Schedule
from model.records import iso
from store import audit, queues
from store import hours as hours_store
from store.db import Store

PublicHolidays = Callable[[list[int]], Mapping[date, str]]


def korean_public_holidays(years: list[int]) -> dict[date, str]:
    """Korea's public holidays with their Korean names: lunar ones (설날, 추석) and substitute days included."""
    return dict(public_holidays.KR(years=years, language="ko"))


@dataclass(frozen=True)
class QueueStatus:
    """Whether a queue is open at a time, when that changes, and which queue serves its citizens."""

    queue: str
    open: bool
    opens_at: datetime | None
    """When a closed queue opens next; None when it is open or never opens."""
    closes_at: datetime | None
    """When an open queue closes; None when it is closed or never closes."""
    served_by: str
    """The queue itself when open, else its after-hours queue when that one is open, else itself."""

    def to_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "open": self.open,
            "opens_at": iso(self.opens_at) if self.opens_at else None,
            "closes_at": iso(self.closes_at) if self.closes_at else None,
            "served_by": self.served_by,
        }


def queue_status(queue: str, hours: Mapping[str, QueueHours], calendar: Mapping[date, Holiday], zone: ZoneInfo,
                 at: datetime) -> QueueStatus:  # fmt: skip
    """The status of `queue` at `at`; `hours` holds the queues that have hours set (the others are always open)."""
    schedule = Schedule(hours.get(queue, ALWAYS_OPEN), calendar, zone)
    if schedule.is_open(at):
        return QueueStatus(queue, True, None, schedule.closes_at(at), queue)
    return QueueStatus(queue, False, schedule.next_opening(at), None, _served_by(queue, hours, calendar, zone, at))


def _served_by(queue: str, hours: Mapping[str, QueueHours], calendar: Mapping[date, Holiday], zone: ZoneInfo,
               at: datetime) -> str:  # fmt: skip
    """For a closed queue: its after-hours queue when that one is open, else the queue itself."""
    after = hours.get(queue, ALWAYS_OPEN).after_hours_queue
    if after and Schedule(hours.get(after, ALWAYS_OPEN), calendar, zone).is_open(at):
        return after
    return queue


class Hours:
    """Queue hours and holidays as the rest of the hub asks about them."""

    def __init__(self, store: Store, zone: ZoneInfo, public: PublicHolidays = korean_public_holidays) -> None:
        self._store = store
        self.zone = zone
        self._public = public

    async def seed(self, session: AsyncSession, now: datetime) -> int:
        """Add this year's and next year's public holidays the calendar never had."""
        year = now.astimezone(self.zone).year
        return await hours_store.seed_holidays(session, self._public([year, year + 1]))

    async def status(self, queue: str, at: datetime) -> QueueStatus:
        """Whether `queue` is open at `at`, when it opens or closes, and who serves it."""
        async with self._store.read() as session:
            return (await self.statuses(session, [queue], at))[queue]

    async def statuses(self, session: AsyncSession, queues: list[str], at: datetime) -> dict[str, QueueStatus]:
        """The status of each of `queues` at `at`, read in one go."""
        hours = await hours_store.all_queue_hours(session)
        calendar = await hours_store.holidays(session) if hours else {}
        return {queue: queue_status(queue, hours, calendar, self.zone, at) for queue in queues}

    async def queue_hours(self, queue: str, at: datetime) -> tuple[QueueHours, QueueStatus]:
        """A queue's hours and its status at `at`; 404 for no such queue."""
        async with self._store.read() as session:
            if await queues.queue(session, queue) is None:
                raise not_found(f"The queue {queue!r}")
            return await hours_store.queue_hours(session, queue), (await self.statuses(session, [queue], at))[queue]

    async def set_queue_hours(self, actor: str, queue: str, hours: QueueHours) -> None:
        """Set a queue's hours, audited as `actor`: 404 for no such queue, 400 for an after-hours
        queue that does not exist or is the queue itself."""
        now = utcnow()
        async with self._store.write() as session:
            if await queues.queue(session, queue) is None:
                raise not_found(f"The queue {queue!r}")
            after = hours.after_hours_queue
            if after == queue:
                raise invalid(
                    f"The queue {queue!r} cannot hand over to itself after hours.", "invalid_after_hours_queue"
                )
            if after is not None and await queues.queue(session, after) is None:
                raise invalid(f"after_hours_queue: there is no queue {after!r}.", "unknown_queue")
            await hours_store.set_queue_hours(session, queue, hours, now)
            audit.record(session, actor, AuditAction.HOURS_CHANGED, f"queue:{queue}", now, hours.to_json())

    async def holidays(self, year: int) -> list[Holiday]:
        """The holidays kept in a year, in date order."""
        async with self._store.read() as session:
            return list((await hours_store.holidays(session, date(year, 1, 1), date(year, 12, 31))).values())

    async def set_holiday(self, actor: str, holiday: Holiday) -> bool:
        """Add a holiday, or rename it or change its hours, audited as `actor`; True when added."""
        async with self._store.write() as session:
            previous = await hours_store.set_holiday(session, holiday)
            audit.record(session, actor, AuditAction.HOLIDAY_SET, f"holiday:{holiday.day.isoformat()}", utcnow(),
                         {**holiday.to_json(), "previous_name": previous})  # fmt: skip
        return previous is None

    async def remove_holiday(self, actor: str, day: date) -> None:
        """Remove a holiday, audited as `actor`; 404 when there is none that day."""
        now = utcnow()
        async with self._store.write() as session:
            removed = await hours_store.remove_holiday(session, day, now)
            if removed is None:
                raise not_found(f"A holiday on {day.isoformat()}")
            audit.record(session, actor, AuditAction.HOLIDAY_REMOVED, f"holiday:{day.isoformat()}", now,
                         removed.to_json())  # fmt: skip

    async def handovers(self, session: AsyncSession, at: datetime) -> dict[str, str]:
        """Each closed queue whose after-hours queue is open now, with that queue."""
        hours = await hours_store.all_queue_hours(session)
        if not any(h.after_hours_queue for h in hours.values()):
            return {}
        day = at.astimezone(self.zone).date()
        # A range starts at most a day before it is open: the days around `at` decide.
        calendar = await hours_store.holidays(session, day - timedelta(days=1), day + timedelta(days=1))
        serving = {queue: _served_by(queue, hours, calendar, self.zone, at) for queue in hours}
        return {
            queue: served
            for queue, served in serving.items()
            if served != queue and not Schedule(hours[queue], calendar, self.zone).is_open(at)
        }
