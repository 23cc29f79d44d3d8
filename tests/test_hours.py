"""Queue hours (model.hours): weekdays, nights across midnight, the Korean holiday calendar, UTC in
and out; and who serves a closed queue (hub.hours). Pure logic, no hub."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hub.hours import korean_public_holidays, queue_status
from model.hours import ALWAYS_OPEN, WEEKDAYS, WHOLE_DAY, Holiday, HoursError, QueueHours, Schedule, TimeRange

SEOUL = ZoneInfo("Asia/Seoul")
UTC = timezone.utc
KOREA = {day: Holiday(day, name) for day, name in korean_public_holidays([2026, 2027]).items()}
OFFICE = QueueHours.parse({day: [["09:00", "18:00"]] for day in WEEKDAYS[:5]} | {"sat": [["10:00", "14:00"]]})
# The night team on a holiday: the whole day, then its usual night until 09:00.
NIGHT = QueueHours.parse({day: [["18:00", "09:00"]] for day in WEEKDAYS}, [["00:00", "18:00"], ["18:00", "09:00"]])


def seoul(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


def office(calendar: dict[date, Holiday] | None = None) -> Schedule:
    return Schedule(OFFICE, KOREA if calendar is None else calendar, SEOUL)


# 2026-11-30 is a Monday, and no holiday falls in that week.
@pytest.mark.parametrize(
    ("day", "noon_open", "opens", "closes"),
    [
        ("2026-11-30", True, None, "2026-11-30T18:00"),
        ("2026-12-01", True, None, "2026-12-01T18:00"),
        ("2026-12-02", True, None, "2026-12-02T18:00"),
        ("2026-12-03", True, None, "2026-12-03T18:00"),
        ("2026-12-04", True, None, "2026-12-04T18:00"),
        ("2026-12-05", True, None, "2026-12-05T14:00"),
        ("2026-12-06", False, "2026-12-07T09:00", None),
    ],
)
def test_every_weekday_at_noon(day: str, noon_open: bool, opens: str | None, closes: str | None) -> None:
    schedule = office()
    noon = seoul(f"{day}T12:00")
    assert schedule.is_open(noon) is noon_open
    assert schedule.next_opening(noon) == (seoul(opens) if opens else noon)
    assert schedule.closes_at(noon) == (seoul(closes) if closes else None)


@pytest.mark.parametrize("day", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"])
def test_a_weekday_evening_waits_for_the_next_morning_and_friday_for_saturday(day: str) -> None:
    evening = seoul(f"{day}T19:30")
    assert not office().is_open(evening)
    expected = seoul(f"{day}T09:00") + timedelta(days=1)
    if expected.weekday() == 5:
        expected = expected.replace(hour=10)
    assert office().next_opening(evening) == expected


def test_the_edges_of_a_range_open_at_the_start_and_close_at_the_end() -> None:
    assert office().is_open(seoul("2026-12-01T09:00"))
    assert not office().is_open(seoul("2026-12-01T08:59:59"))
    assert not office().is_open(seoul("2026-12-01T18:00"))
    assert office().is_open(seoul("2026-12-01T17:59:59"))


def test_a_night_range_runs_across_midnight_into_the_next_day() -> None:
    night = Schedule(NIGHT, KOREA, SEOUL)
    assert night.is_open(seoul("2026-12-01T03:00"))
    assert night.closes_at(seoul("2026-12-01T03:00")) == seoul("2026-12-01T09:00")
    assert not night.is_open(seoul("2026-12-01T12:00"))
    assert night.next_opening(seoul("2026-12-01T12:00")) == seoul("2026-12-01T18:00")
    # Sunday night into Monday morning: the range belongs to Sunday.
    assert night.is_open(seoul("2026-12-07T08:59"))


def test_day_and_night_together_never_close() -> None:
    around = QueueHours.parse({day: [["09:00", "18:00"], ["18:00", "09:00"]] for day in WEEKDAYS})
    schedule = Schedule(around, {}, SEOUL)
    assert schedule.is_open(seoul("2026-12-01T18:00"))
    assert schedule.closes_at(seoul("2026-12-01T18:00")) is None


def test_a_queue_with_no_hours_never_opens() -> None:
    schedule = Schedule(QueueHours.parse({}), KOREA, SEOUL)
    assert not schedule.is_open(seoul("2026-12-01T12:00"))
    assert schedule.next_opening(seoul("2026-12-01T12:00")) is None
    assert schedule.closes_at(seoul("2026-12-01T12:00")) is None


def test_always_open_is_open_on_holidays_too() -> None:
    schedule = Schedule(ALWAYS_OPEN, KOREA, SEOUL)
    for moment in ("2026-02-17T03:00", "2026-12-25T12:00", "2026-12-06T23:59"):
        assert schedule.is_open(seoul(moment))
        assert schedule.next_opening(seoul(moment)) == seoul(moment)
        assert schedule.closes_at(seoul(moment)) is None


def test_the_korean_calendar_has_lunar_holidays_and_substitute_days_with_korean_names() -> None:
    names = {day: holiday.name for day, holiday in KOREA.items()}
    assert names[date(2026, 2, 17)] == "설날"
    assert names[date(2026, 9, 25)] == "추석"
    assert "대체" in names[date(2026, 3, 2)]  # 삼일절 falls on a Sunday in 2026
    assert "대체" in names[date(2026, 10, 5)]  # 개천절 on a Saturday


def test_seollal_closes_the_office_for_three_days() -> None:
    # 2026-02-16 to 18 (Monday to Wednesday): 설날 전날, 설날, 설날 다음날.
    for day in ("2026-02-16", "2026-02-17", "2026-02-18"):
        assert not office().is_open(seoul(f"{day}T12:00"))
        assert office().next_opening(seoul(f"{day}T12:00")) == seoul("2026-02-19T09:00")
    assert office().is_open(seoul("2026-02-19T12:00"))
    assert office(calendar={}).is_open(seoul("2026-02-17T12:00"))


def test_a_substitute_holiday_closes_the_monday() -> None:
    assert not office().is_open(seoul("2026-03-02T12:00"))
    assert office().next_opening(seoul("2026-02-28T15:00")) == seoul("2026-03-03T09:00")


def test_chuseok_and_the_substitute_for_gaecheonjeol() -> None:
    # 추석 2026-09-24..26 (Thursday to Saturday), 개천절 Saturday 10-03 with its Monday 10-05.
    assert office().next_opening(seoul("2026-09-23T18:30")) == seoul("2026-09-28T09:00")
    assert office().next_opening(seoul("2026-10-02T18:30")) == seoul("2026-10-06T09:00")


def test_a_holiday_with_special_hours() -> None:
    last_day = date(2026, 12, 31)
    short_day = {last_day: Holiday(last_day, "종무일", (TimeRange.parse(["10:00", "14:00"], "hours"),))}
    schedule = office(calendar=short_day)
    assert schedule.is_open(seoul("2026-12-31T11:00"))
    assert schedule.closes_at(seoul("2026-12-31T11:00")) == seoul("2026-12-31T14:00")
    assert schedule.next_opening(seoul("2026-12-31T09:30")) == seoul("2026-12-31T10:00")


def test_a_night_range_from_the_evening_before_keeps_running_into_a_holiday() -> None:
    # Sunday 2026-02-15 evening to Monday 09:00, and Monday 2026-02-16 is 설날 전날.
    night = QueueHours.parse({day: [["18:00", "09:00"]] for day in WEEKDAYS})
    schedule = Schedule(night, KOREA, SEOUL)
    assert schedule.is_open(seoul("2026-02-16T03:00"))
    assert schedule.closes_at(seoul("2026-02-16T03:00")) == seoul("2026-02-16T09:00")
    # The holiday itself is closed (the calendar's hours), its own night range included.
    assert not schedule.is_open(seoul("2026-02-16T20:00"))
    assert not schedule.is_open(seoul("2026-02-19T03:00"))  # the night of 설날 다음날
    assert schedule.next_opening(seoul("2026-02-16T09:00")) == seoul("2026-02-19T18:00")


def test_the_night_team_keeps_its_own_hours_on_holidays() -> None:
    night = Schedule(NIGHT, KOREA, SEOUL)
    assert night.is_open(seoul("2026-02-17T12:00"))
    # Open from 설날 전날 until the morning after 설날 다음날, the 18th's night range included.
    assert night.closes_at(seoul("2026-02-17T12:00")) == seoul("2026-02-19T09:00")
    # A holiday's range ends with its day unless it runs across midnight.
    whole_days = Schedule(QueueHours(NIGHT.weekly, (WHOLE_DAY,)), KOREA, SEOUL)
    assert whole_days.closes_at(seoul("2026-02-17T12:00")) == seoul("2026-02-19T00:00")


def test_times_come_in_and_go_out_in_utc() -> None:
    at = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 09:30 in Seoul, a Tuesday
    assert office().is_open(at)
    closes = office().closes_at(at)
    assert closes == datetime(2026, 12, 1, 9, 0, tzinfo=UTC) and closes.tzinfo == UTC
    opens = office().next_opening(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # 19:00 in Seoul
    assert opens == datetime(2026, 12, 2, 0, 0, tzinfo=UTC) and opens.tzinfo == UTC
    with pytest.raises(ValueError):
        office().is_open(datetime(2026, 12, 1, 12, 0))


@pytest.mark.parametrize(
    ("weekly", "named"),
    [
        ({"mon": [["9:00", "18:00"]]}, "weekly.mon: '9:00'"),
        ({"tue": [["09:00", "25:00"]]}, "weekly.tue: '25:00'"),
        ({"wed": [["09:00", "24:30"]]}, "weekly.wed: '24:30'"),
        ({"thu": [["09:00", "09:00"]]}, "is empty"),
        ({"fri": [["24:00", "09:00"]]}, "cannot start at 24:00"),
        ({"sat": [["09:00", "13:00"], ["12:00", "18:00"]]}, "09:00–13:00 overlaps 12:00–18:00"),
        ({"mon": [["18:00", "10:00"]], "tue": [["09:00", "18:00"]]}, "weekly.mon: its night range runs until 10:00"),
        ({"sun": [["22:00", "02:00"]], "mon": [["01:00", "05:00"]]}, "overlaps mon's 01:00–05:00"),
        ({"funday": []}, "unknown day 'funday'"),
        ({"mon": [["09:00"]]}, "a range is a pair of times"),
        ({"mon": "09:00-18:00"}, "give a list of ranges"),
    ],
)
def test_impossible_hours_are_refused_naming_what_is_wrong(weekly: dict, named: str) -> None:
    with pytest.raises(HoursError, match=named.replace("(", r"\(")):
        QueueHours.parse(weekly)


def test_hours_read_back_as_they_were_written() -> None:
    stored = NIGHT.to_json()
    assert QueueHours.parse(stored["weekly"], stored["holidays"], stored["after_hours_queue"]) == NIGHT
    assert NIGHT.to_json()["weekly"]["mon"] == [["18:00", "09:00"]]
    assert ALWAYS_OPEN.always_open and not NIGHT.always_open


def test_a_closed_queue_is_served_by_its_after_hours_queue_while_that_one_is_open() -> None:
    hours = {"transport": QueueHours(OFFICE.weekly, None, "night"), "night": NIGHT}
    evening = seoul("2026-12-01T20:00")
    status = queue_status("transport", hours, KOREA, SEOUL, evening)
    assert (status.open, status.served_by, status.opens_at) == (False, "night", seoul("2026-12-02T09:00"))
    noon = queue_status("transport", hours, KOREA, SEOUL, seoul("2026-12-01T12:00"))
    assert (noon.open, noon.served_by, noon.closes_at) == (True, "transport", seoul("2026-12-01T18:00"))
    # Saturday 15:00: the office closed at 14:00 and the night team starts at 18:00.
    gap = queue_status("transport", hours, KOREA, SEOUL, seoul("2026-12-05T15:00"))
    assert (gap.open, gap.served_by) == (False, "transport")
    assert queue_status("water", hours, KOREA, SEOUL, evening).served_by == "water"  # no hours: always open


# -- properties over arbitrary weeks ---------------------------------------------------------------

_minute = st.integers(0, 47).map(lambda half_hours: half_hours * 30)
_range = st.tuples(_minute, _minute).filter(lambda r: r[0] != r[1])
_week = st.dictionaries(st.sampled_from(WEEKDAYS), st.lists(_range, max_size=2), max_size=7)
_moment = st.datetimes(datetime(2026, 1, 1), datetime(2027, 11, 30)).map(lambda d: d.replace(second=0, microsecond=0))


def _text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _schedule(week: dict[str, list[tuple[int, int]]], holiday_hours: bool) -> Schedule:
    try:
        hours = QueueHours.parse(
            {day: [[_text(a), _text(b)] for a, b in ranges] for day, ranges in week.items()},
            [["08:00", "12:00"]] if holiday_hours else None,
        )
    except HoursError:
        assume(False)
        raise
    return Schedule(hours, KOREA, SEOUL)


def _boundaries(schedule: Schedule, first: datetime, last: datetime) -> list[datetime]:
    """Every moment between two times at which openness may change (a range's start or end)."""
    edges = {r.start for day in schedule.hours.weekly for r in day} | {
        (r.start + r.length) % 1440 for day in schedule.hours.weekly for r in day
    }
    edges |= {480, 720}
    day, found = first.astimezone(SEOUL).date() - timedelta(days=1), []
    while day <= last.astimezone(SEOUL).date():
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=SEOUL)
        found += [midnight + timedelta(minutes=m) for m in sorted(edges)]
        day += timedelta(days=1)
    return [moment for moment in found if first <= moment < last]


@settings(max_examples=60, deadline=None)
@given(week=_week, holiday_hours=st.booleans(), moment=_moment)
def test_the_next_opening_is_open_and_nothing_before_it_is(week: dict, holiday_hours: bool, moment: datetime) -> None:
    schedule = _schedule(week, holiday_hours)
    at = moment.replace(tzinfo=SEOUL).astimezone(UTC)
    opening = schedule.next_opening(at)
    if opening is None:
        assert not any(schedule.ranges_of(at.astimezone(SEOUL).date() + timedelta(days=n)) for n in range(-1, 15))
        return
    assert opening.tzinfo == UTC and opening >= at and schedule.is_open(opening)
    assert (opening == at) == schedule.is_open(at)
    assert not any(schedule.is_open(moment) for moment in [at, *_boundaries(schedule, at, opening)] if moment < opening)


@settings(max_examples=60, deadline=None)
@given(week=_week, holiday_hours=st.booleans(), moment=_moment)
def test_an_open_queue_stays_open_until_it_closes(week: dict, holiday_hours: bool, moment: datetime) -> None:
    schedule = _schedule(week, holiday_hours)
    at = moment.replace(tzinfo=SEOUL)
    closing = schedule.closes_at(at)
    if not schedule.is_open(at):
        assert closing is None
        return
    assume(closing is not None)
    assert closing > at and not schedule.is_open(closing)
    assert all(schedule.is_open(moment) for moment in _boundaries(schedule, at, closing))
