"""Opening hours of a queue: a week of time ranges, a holiday calendar, evaluated in the hub's zone.

A range belongs to the day it starts on: `18:00–09:00` on a Monday runs until Tuesday 09:00,
whatever Tuesday is (a holiday included). `00:00–24:00` is the whole day. On a holiday the
queue keeps its own holiday hours when it has them (the night team: all day), else the
holiday's (none: closed, or the special hours the centre set for that day).
Times in and out are aware datetimes; the answers come back in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The weekly hours' keys, Monday first as `date.weekday()` counts."""

DAY_MINUTES = 24 * 60
HORIZON_DAYS = 400
"""How far ahead an opening or a closing is looked for: past it, the queue never opens (or closes)."""

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    """Hours that cannot be: a malformed time, an empty or overlapping range; says which."""


def minutes(text: str, where: str) -> int:
    """`"HH:MM"` as minutes after midnight, `"24:00"` (the day's end) included."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if match is None or (match[1] == "24" and match[2] != "00"):
        raise HoursError(f"{where}: {text!r} is not a time of day as HH:MM (00:00 to 24:00).")
    return int(match[1]) * 60 + int(match[2])


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, order=True)
class TimeRange:
    """Open from `start` until `end`, in minutes after midnight of the day it starts; an end
    before the start is on the next day (a night range), 1440 is the day's end."""

    start: int
    end: int

    @classmethod
    def parse(cls, pair: Sequence[str], where: str) -> TimeRange:
        """`["09:00", "18:00"]` as a range; `where` names it in the error when it is not one."""
        if isinstance(pair, str) or len(pair) != 2:
            raise HoursError(f'{where}: a range is a pair of times, like ["09:00", "18:00"].')
        start, end = minutes(pair[0], where), minutes(pair[1], where)
        if start == DAY_MINUTES:
            raise HoursError(f"{where}: a range cannot start at 24:00; start it at 00:00 of the next day.")
        if end == start:
            raise HoursError(f"{where}: {pair[0]}–{pair[1]} is empty; use 00:00–24:00 for the whole day.")
        return cls(start, end)

    @property
    def length(self) -> int:
        return self.end - self.start if self.end > self.start else DAY_MINUTES - self.start + self.end

    def to_json(self) -> list[str]:
        return [clock(self.start), clock(self.end)]


WHOLE_DAY = TimeRange(0, DAY_MINUTES)


def parse_ranges(pairs: Sequence[Sequence[str]], where: str) -> tuple[TimeRange, ...]:
    """One day's ranges, sorted; refuses ranges that overlap each other."""
    if isinstance(pairs, str):
        raise HoursError(f'{where}: give a list of ranges, like [["09:00", "18:00"]].')
    parsed = sorted(TimeRange.parse(pair, where) for pair in pairs)
    for before, after in zip(parsed, parsed[1:], strict=False):
        if before.start + before.length > after.start:
            raise HoursError(f"{where}: {'–'.join(before.to_json())} overlaps {'–'.join(after.to_json())}.")
    return tuple(parsed)


@dataclass(frozen=True)
class Holiday:
    """A day the centre keeps as a holiday: closed (no hours) or special hours."""

    day: date
    name: str
    hours: tuple[TimeRange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "name": self.name,
            "closed": not self.hours,
            "hours": [r.to_json() for r in self.hours],
        }


@dataclass(frozen=True)
class QueueHours:
    """A queue's week, its hours on holidays (None: the holiday's own) and the queue that
    takes over while it is closed."""

    weekly: tuple[tuple[TimeRange, ...], ...]
    """Seven days, Monday first."""
    on_holidays: tuple[TimeRange, ...] | None = None
    after_hours_queue: str | None = None

    @classmethod
    def parse(
        cls,
        weekly: Mapping[str, Sequence[Sequence[str]]],
        on_holidays: Sequence[Sequence[str]] | None = None,
        after_hours_queue: str | None = None,
    ) -> QueueHours:
        """From `{"mon": [["09:00", "18:00"]], …}` (a day left out is closed); raises
        `HoursError` naming the first thing wrong, overlaps across midnight included."""
        if unknown := set(weekly) - set(WEEKDAYS):
            raise HoursError(f"weekly: unknown day {sorted(unknown)[0]!r}; days are {', '.join(WEEKDAYS)}.")
        days = tuple(parse_ranges(weekly.get(day, []), f"weekly.{day}") for day in WEEKDAYS)
        for index, day in enumerate(days):
            tomorrow = days[(index + 1) % 7]
            spill = max((r.start + r.length - DAY_MINUTES for r in day), default=0)
            if spill > 0 and tomorrow and tomorrow[0].start < spill:
                raise HoursError(
                    f"weekly.{WEEKDAYS[index]}: its night range runs until {clock(spill)} "
                    f"and overlaps {WEEKDAYS[(index + 1) % 7]}'s {'–'.join(tomorrow[0].to_json())}."
                )
        holiday = None if on_holidays is None else parse_ranges(on_holidays, "holidays")
        return cls(days, holiday, after_hours_queue)

    @property
    def always_open(self) -> bool:
        return all(day == (WHOLE_DAY,) for day in self.weekly) and self.on_holidays == (WHOLE_DAY,)

    def to_json(self) -> dict[str, Any]:
        return {
            "weekly": {name: [r.to_json() for r in day] for name, day in zip(WEEKDAYS, self.weekly, strict=True)},
            "holidays": None if self.on_holidays is None else [r.to_json() for r in self.on_holidays],
            "after_hours_queue": self.after_hours_queue,
        }


ALWAYS_OPEN = QueueHours(weekly=((WHOLE_DAY,),) * 7, on_holidays=(WHOLE_DAY,))
"""A queue nobody set hours for: open day and night, holidays included."""


@dataclass(frozen=True)
class Schedule:
    """A queue's hours against the centre's holidays, in the hub's zone: the questions asked of it."""

    hours: QueueHours
    holidays: Mapping[date, Holiday] = field(default_factory=dict)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))

    def ranges_of(self, day: date) -> tuple[TimeRange, ...]:
        """The ranges that start on `day`."""
        holiday = self.holidays.get(day)
        if holiday is None:
            return self.hours.weekly[day.weekday()]
        return holiday.hours if self.hours.on_holidays is None else self.hours.on_holidays

    def _intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        midnight = datetime.combine(day, time(), tzinfo=self.zone)
        for r in self.ranges_of(day):
            # Wall-clock times of the day, so that a zone with summer time keeps 09:00 at 09:00.
            start = _wall(midnight, r.start, self.zone)
            yield start, _wall(midnight, r.start + r.length, self.zone)

    def _runs(self, first: date) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals from ranges starting on `first` onwards, in order, touching ones merged."""
        pending: tuple[datetime, datetime] | None = None
        for offset in range(HORIZON_DAYS + 1):
            for start, end in sorted(self._intervals(first + timedelta(days=offset))):
                if pending is not None and start <= pending[1]:
                    pending = (pending[0], max(pending[1], end))
                    continue
                if pending is not None:
                    yield pending
                pending = (start, end)
        if pending is not None:
            yield pending

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("opening hours need an aware datetime")
        return at.astimezone(self.zone)

    def is_open(self, at: datetime) -> bool:
        """Whether the queue is open at `at`."""
        local = self._local(at)
        day = local.date()
        return any(start <= local < end for d in (day - timedelta(days=1), day) for start, end in self._intervals(d))

    def next_opening(self, at: datetime) -> datetime | None:
        """The first moment from `at` on when the queue is open (`at` itself when open now),
        in UTC; None when it does not open within the horizon."""
        local = self._local(at)
        for start, end in self._runs(local.date() - timedelta(days=1)):
            if end > local:
                return max(start, local).astimezone(timezone.utc)
        return None

    def closes_at(self, at: datetime) -> datetime | None:
        """When an open queue next closes, in UTC; None when it is closed now or never closes
        within the horizon."""
        local = self._local(at)
        if self.hours.always_open:
            return None
        for start, end in self._runs(local.date() - timedelta(days=1)):
            if start <= local < end:
                horizon = datetime.combine(local.date() + timedelta(days=HORIZON_DAYS), time(), tzinfo=self.zone)
                return None if end >= horizon else end.astimezone(timezone.utc)
            if start > local:
                return None
        return None


def _wall(midnight: datetime, minute: int, zone: ZoneInfo) -> datetime:
    day = midnight.date() + timedelta(days=minute // DAY_MINUTES)
    minute %= DAY_MINUTES
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
