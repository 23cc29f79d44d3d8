"""The report's tables over rounds (docs/reports.md): totals, per day, week or month, per
agent, part and team, the category split per month, inbound volume by hour and weekday per
queue, and abuse incidents per month against the ceiling.

Pure functions: the rounds, the agents' teams and parts, and the queues' service-level
seconds come in; a JSON-able dict goes out, the one shape the console's charts and the
exports are drawn from. Days, weeks and months are the city's (its time zone).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from hub.config import ReportTargets
from hub.reports import figures
from model import DISPOSITIONS, Category, Disposition, Member
from model.rounds import Round
from store.stats import percentile

HOURS = 24
WEEKDAYS = 7
ALL_QUEUES = "all"
"""`inbound_by_hour`'s key for every round opened, queued or not."""
REPEAT_WITHIN = timedelta(days=7)
"""The repeat-contact window (`figures.repeat_contact_rate`'s)."""
QUARTER_HOUR = 900
"""Every time zone's offset is a whole number of quarter hours: a city's hour never starts
inside one of UTC's quarter hours."""
DISPOSITION_INDEX: dict[str, int] = {name: number for number, name in enumerate(DISPOSITIONS)}
UNKNOWN = "unknown"
"""How `figures.contacts_by` names a round without the value counted."""
NEVER = np.iinfo(np.int64).min
"""A moment that did not happen (no queueing, no answer…) in a column of microseconds."""
FIELD_NAMES = (
    "channel", "category", "language", "queue", "contact_id", "opened_at", "queued_at", "answered_at",
    "resolved_at", "disposition", "abandoned", "abuse", "satisfaction",
)  # fmt: skip
"""What the report reads of a round."""
ACCEPTED_BY, RESOLVED_BY = attrgetter("agents"), attrgetter("agent")


class Period(StrEnum):
    """How the report's rows split the range: city days, ISO weeks (from Monday), months."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    def start(self, day: date) -> date:
        """The first day of the period holding `day`."""
        if self is Period.WEEK:
            return day - timedelta(days=day.weekday())
        if self is Period.MONTH:
            return day.replace(day=1)
        return day

    def following(self, start: date) -> date:
        """The first day of the next period."""
        if self is Period.WEEK:
            return start + timedelta(days=7)
        if self is Period.MONTH:
            return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start + timedelta(days=1)

    def label(self, start: date) -> str:
        """`2026-11-02`, `2026-W45` (the ISO week's own year) or `2026-11`."""
        if self is Period.WEEK:
            year, week, _ = start.isocalendar()
            return f"{year}-W{week:02d}"
        if self is Period.MONTH:
            return start.strftime("%Y-%m")
        return start.isoformat()

    def starts(self, first: date, last: date) -> list[date]:
        """Every period that holds a day of first..last, in order."""
        found, start = [], self.start(first)
        while start <= last:
            found.append(start)
            start = self.following(start)
        return found


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: the city days first..last, how it is split, and the filters asked
    for (echoed in the report, so that an export says what it shows)."""

    first: date
    last: date
    period: Period
    zone: ZoneInfo
    filters: Mapping[str, str | None]


def rate(value: float) -> float:
    """A share as the report prints it: four places."""
    return round(value, 4)


def seconds(value: float) -> float:
    """A duration as the report prints it: tenths of a second."""
    return round(value, 1)


def figures_of(rounds: Sequence[Round], sla_seconds: Mapping[str, int]) -> dict[str, Any]:
    """Every figure of one row of the report (FIGURES in docs/api.md) over these rounds."""
    everyone = np.arange(len(rounds), dtype=np.int64)
    return figure_rows(Columns.of(rounds, sla_seconds), Rows(everyone, np.zeros_like(everyone), 1))[0]


@dataclass(frozen=True)
class Columns:
    """The rounds as columns, one entry per round. A month holds some 600,000 rounds, and each
    of the report's rows (totals, periods, agents, parts, teams) sums these columns over its
    rounds instead of reading the rounds again; `figures_of` gives exactly what the formulas of
    `hub.reports.figures` give (tests/test_report_tables.py holds them side by side)."""

    channels: tuple[str, ...]
    channel: np.ndarray
    """Each round's index in `channels`; so for categories, languages and queues."""
    categories: tuple[str, ...]
    category: np.ndarray
    languages: tuple[str, ...]
    language: np.ndarray
    queues: tuple[str, ...]
    queue: np.ndarray
    opened: np.ndarray
    """When the round opened, in microseconds since the epoch."""
    settled: np.ndarray
    """Waited for a person and the wait ended (`figures.settled_waits`)."""
    answered: np.ndarray
    """Settled by an agent accepting it."""
    abandoned: np.ndarray
    """Settled by the citizen leaving unanswered."""
    within_sla: np.ndarray
    """Answered within its queue's service-level seconds."""
    wait: np.ndarray
    """`Round.wait_seconds`; NaN when there is none (so for `handle` and `points`)."""
    handle: np.ndarray
    """`Round.handle_seconds`."""
    disposition: np.ndarray
    """The index in `DISPOSITIONS` of the agent's disposition; -1 when no agent resolved it."""
    city_matter: np.ndarray
    """Resolved by an agent, of a known category other than district."""
    district_matter: np.ndarray
    closed: np.ndarray
    """Closed, of a known contact: what the repeat-contact rate divides."""
    repeated: np.ndarray
    """Closed, and the same contact opened another round of the same category within the window."""
    points: np.ndarray
    abuse: np.ndarray
    """An abuse incident: any abuse step in the round (`figures.abuse_incidents`)."""

    @classmethod
    def of(cls, rounds: Sequence[Round], sla_seconds: Mapping[str, int]) -> Columns:
        # Each field of every round is read once (a list of the values the rounds hold: no new
        # objects for the garbage collector to walk); the rest is arithmetic on columns.
        fields = [list(map(attrgetter(name), rounds)) for name in FIELD_NAMES]
        channel, category, language, queue, contact, opened, queued, answered_at, resolved_at = fields[:9]
        disposition_of, abandoned_of, abuse, points = fields[9:]
        channels, channel_codes = _coded(channel)
        categories, category_codes = _coded(category)
        languages, language_codes = _coded(language)
        queues, queue_codes = _coded(queue, missing="")
        opened_at, queued_at, answered, resolved = (
            _microseconds(c) for c in (opened, queued, answered_at, resolved_at)
        )
        disposition = np.fromiter(
            (DISPOSITION_INDEX.get(d, -1) for d in disposition_of), dtype=np.int64, count=len(rounds)
        )
        by_agent = disposition >= 0
        waited, was_answered = queued_at != NEVER, answered != NEVER
        abandoned = np.fromiter(abandoned_of, dtype=bool, count=len(rounds))
        settled = waited & (was_answered | abandoned)
        wait = np.where(waited & was_answered, np.maximum(answered - queued_at, 0) / 1e6, np.nan)
        handle = np.where(
            was_answered & by_agent & (resolved != NEVER), np.maximum(resolved - answered, 0) / 1e6, np.nan
        )
        limits = np.array([sla_seconds.get(q, figures.DEFAULT_SLA_SECONDS) for q in queues], dtype=np.float64)
        district = category_codes == (categories.index(Category.DISTRICT) if Category.DISTRICT in categories else -1)
        known = category_codes != (categories.index(UNKNOWN) if UNKNOWN in categories else -1)
        closed = (resolved != NEVER) & np.fromiter((c is not None for c in contact), dtype=bool, count=len(rounds))
        with np.errstate(invalid="ignore"):  # a NaN wait (never answered) is within no limit
            within_sla = settled & (wait <= limits[queue_codes])
        return cls(
            channels=channels,
            channel=channel_codes,
            categories=categories,
            category=category_codes,
            languages=languages,
            language=language_codes,
            queues=queues,
            queue=queue_codes,
            opened=opened_at,
            settled=settled,
            answered=settled & was_answered,
            abandoned=settled & abandoned & ~was_answered,
            within_sla=within_sla,
            wait=wait,
            handle=handle,
            disposition=disposition,
            city_matter=by_agent & known & ~district,
            district_matter=by_agent & district,
            closed=closed,
            repeated=closed & _repeated(contact, category_codes, opened_at, resolved),
            points=np.array(points, dtype=np.float64),  # None becomes NaN
            abuse=np.fromiter(abuse, dtype=bool, count=len(rounds)),
        )


@dataclass(frozen=True)
class Rows:
    """Which rounds make which of `count` rows: pairs (round, row); a round is in as many rows
    as it belongs to (two agents of a transfer), or in none."""

    rounds: np.ndarray
    rows: np.ndarray
    count: int


def figure_rows(columns: Columns, rows: Rows) -> list[dict[str, Any]]:
    """FIGURES for each row."""
    taken, row, count = rows.rounds, rows.rows, rows.count

    def counted(column: np.ndarray) -> list[int]:
        return np.bincount(row[column[taken]], minlength=count).tolist()

    def spread(codes: np.ndarray, names: tuple[str, ...]) -> list[dict[str, int]]:
        """Rounds per value of a coded column, the values a row has none of left out."""
        cells = np.bincount(row * len(names) + codes[taken], minlength=count * len(names))
        table = cells.reshape(count, len(names)).tolist()
        return [{name: n for name, n in zip(names, line, strict=True) if n} for line in table]

    contacts = np.bincount(row, minlength=count).tolist()
    by_channel = spread(columns.channel, columns.channels)
    by_category = spread(columns.category, columns.categories)
    by_language = spread(columns.language, columns.languages)
    settled, answered, abandoned = counted(columns.settled), counted(columns.answered), counted(columns.abandoned)
    within_sla = counted(columns.within_sla)
    # Every disposition is a key of every row, as in `figures.dispositions`, zeros included.
    closed_by_agents = columns.disposition[taken] >= 0
    cells = np.bincount(
        row[closed_by_agents] * len(DISPOSITIONS) + columns.disposition[taken][closed_by_agents],
        minlength=count * len(DISPOSITIONS),
    )
    dispositions = [
        dict(zip(DISPOSITIONS, line, strict=True)) for line in cells.reshape(count, len(DISPOSITIONS)).tolist()
    ]
    resolved = Disposition.RESOLVED.value
    city, district = counted(columns.city_matter), counted(columns.district_matter)
    is_resolved = columns.disposition == DISPOSITION_INDEX[resolved]
    city_resolved = counted(columns.city_matter & is_resolved)
    district_resolved = counted(columns.district_matter & is_resolved)
    closed, repeated = counted(columns.closed), counted(columns.repeated)
    incidents = counted(columns.abuse)
    waits, handles, points = (_sorted_per_row(c, rows) for c in (columns.wait, columns.handle, columns.points))
    found = []
    for i in range(count):
        by_agents = sum(dispositions[i].values())
        fcr = {
            "all": rate(figures.share(dispositions[i][resolved], by_agents)),
            "city": rate(figures.share(city_resolved[i], city[i])),
            "district": rate(figures.share(district_resolved[i], district[i])),
        }
        found.append(
            {
                "contacts": contacts[i],
                "by_channel": by_channel[i],
                "channel_share": {c: rate(figures.share(n, contacts[i])) for c, n in by_channel[i].items()},
                "by_category": by_category[i],
                "by_language": by_language[i],
                "answer_rate": rate(figures.share(answered[i], settled[i])),
                "abandonment_rate": rate(figures.share(abandoned[i], settled[i])),
                "service_level": rate(figures.share(within_sla[i], settled[i])),
                "wait_seconds": {"p50": seconds(percentile(waits[i], 0.5)), "p90": seconds(percentile(waits[i], 0.9))},
                "handle_seconds": {
                    "mean": seconds(sum(handles[i]) / len(handles[i]) if handles[i] else 0.0),
                    "p50": seconds(percentile(handles[i], 0.5)),
                },
                "first_contact_resolution": fcr["all"],
                "fcr_split": fcr,
                "dispositions": dispositions[i],
                "disposition_share": {d: rate(figures.share(n, by_agents)) for d, n in dispositions[i].items()},
                "repeat_contact_rate": rate(figures.share(repeated[i], closed[i])),
                "satisfaction": round(sum(points[i]) / len(points[i]), 1) if points[i] else None,
                "abuse_incidents": incidents[i],
            }
        )
    return found


def report(
    rounds: Sequence[Round],
    scope: ReportScope,
    members: Mapping[str, Member],
    sla_seconds: Mapping[str, int],
    targets: ReportTargets,
) -> dict[str, Any]:
    """The report's tables for the rounds opened in the scope's days (docs/api.md)."""
    period = scope.period
    columns = Columns.of(rounds, sla_seconds)
    everyone = np.arange(len(rounds), dtype=np.int64)
    days, weekdays, hours = _city_clock(columns.opened, scope.zone)
    starts = period.starts(scope.first, scope.last)
    in_period = _period_index(days, period, starts)
    months = Period.MONTH.starts(scope.first, scope.last)
    month_labels = [start.strftime("%Y-%m") for start in months]
    in_month = _period_index(days, Period.MONTH, months)
    handled, handler = _handled_by(rounds)
    agent_names, agent_number = _coded(handler)
    agent_rows = Rows(np.array(handled, dtype=np.int64), agent_number, len(agent_names))
    parts = _parts(members.values())
    team_names = sorted({team for team, _ in parts})
    placed = [members.get(name) for name in agent_names]
    part_of = [parts.index((m.team, m.part)) if m and (m.team, m.part) in parts else -1 for m in placed]
    team_of = [team_names.index(m.team) if m and m.team in team_names else -1 for m in placed]
    ceiling = targets.abuse_incidents_per_month
    in_range = in_month >= 0
    category_cells = np.bincount(
        in_month[in_range] * len(columns.categories) + columns.category[in_range],
        minlength=len(months) * len(columns.categories),
    ).reshape(len(months), len(columns.categories))
    incidents = np.bincount(in_month[in_range & columns.abuse], minlength=len(months)).tolist()
    return {
        "from": scope.first.isoformat(),
        "to": scope.last.isoformat(),
        "period": period.value,
        "filters": dict(scope.filters),
        "targets": {
            "answer_rate": targets.answer_rate,
            "satisfaction": targets.satisfaction,
            "first_contact_resolution": targets.first_contact_resolution,
            "abuse_incidents_per_month": ceiling,
        },
        "totals": figure_rows(columns, Rows(everyone, np.zeros_like(everyone), 1))[0],
        "periods": [
            {"start": start.isoformat(), "label": period.label(start), **row}
            for start, row in zip(
                starts,
                figure_rows(columns, Rows(everyone[in_period >= 0], in_period[in_period >= 0], len(starts))),
                strict=True,
            )
        ],
        "by_agent": [
            _agent_row(name, members.get(name), row)
            for name, row in zip(agent_names, figure_rows(columns, agent_rows), strict=True)
        ],
        "by_part": [
            {"team": team, "part": part, **row}
            for (team, part), row in zip(
                parts, figure_rows(columns, _regrouped(agent_rows, part_of, len(parts))), strict=True
            )
        ],
        "by_team": [
            {"team": team, **row}
            for team, row in zip(
                team_names, figure_rows(columns, _regrouped(agent_rows, team_of, len(team_names))), strict=True
            )
        ],
        "by_category_month": {
            label: {name: n for name, n in zip(columns.categories, line, strict=True) if n}
            for label, line in zip(month_labels, category_cells.tolist(), strict=True)
        },
        "inbound_by_hour": _inbound(columns, weekdays * HOURS + hours),
        "abuse_by_month": [
            {"month": label, "incidents": round(n), "ceiling": ceiling, "over_ceiling": n > ceiling}
            for label, n in zip(month_labels, incidents, strict=True)
        ],
    }


def _handled_by(rounds: Sequence[Round]) -> tuple[list[int], list[str]]:
    """(round, username) for each agent who accepted or resolved each round: a round counts for
    each of them, as the report's agent filter selects it."""
    taken: list[int] = []
    names: list[str] = []
    for number, accepted, resolver in zip(itertools.count(), map(ACCEPTED_BY, rounds), map(RESOLVED_BY, rounds)):
        if len(accepted) == 1 and accepted[0] and resolver in (None, accepted[0]):
            taken.append(number)  # the usual round: one agent accepted it and resolved it
            names.append(accepted[0])
            continue
        for name in dict.fromkeys((*accepted, resolver)):
            if name:
                taken.append(number)
                names.append(name)
    return taken, names


def _agent_row(username: str, member: Member | None, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "agent": username,
        "name": member.display_name if member else username,
        "team": member.team if member else None,
        "part": member.part if member else None,
        **row,
    }


def _parts(members: Iterable[Member]) -> list[tuple[str, str]]:
    """Every (team, part) some agent is in, by team and part name."""
    return sorted({(m.team, m.part) for m in members if m.team is not None and m.part is not None})


def _regrouped(agent_rows: Rows, group_of_agent: list[int], count: int) -> Rows:
    """Rows of agents' groups (parts, teams) from the agents' rows: a round counts once in a
    group however many of its agents handled it, and not at all for agents in none."""
    if not group_of_agent:
        return Rows(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), count)
    group = np.array(group_of_agent, dtype=np.int64)[agent_rows.rows]
    placed = group >= 0
    pairs = np.unique(agent_rows.rounds[placed] * max(count, 1) + group[placed])
    return Rows(pairs // max(count, 1), pairs % max(count, 1), count)


def _city_clock(opened: np.ndarray, zone: ZoneInfo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each round's opening in city time: the day (an ordinal), the weekday (Monday 0) and the hour."""
    quarters, which = np.unique(opened // (QUARTER_HOUR * 1_000_000), return_inverse=True)
    local = [datetime.fromtimestamp(q * QUARTER_HOUR, zone) for q in quarters.tolist()]
    day = np.array([moment.toordinal() for moment in local], dtype=np.int64)
    weekday = np.array([moment.weekday() for moment in local], dtype=np.int64)
    hour = np.array([moment.hour for moment in local], dtype=np.int64)
    return day[which], weekday[which], hour[which]


def _period_index(days: np.ndarray, period: Period, starts: list[date]) -> np.ndarray:
    """Each round's index in `starts` (the period its day falls in), -1 for a day outside them."""
    number = {start: i for i, start in enumerate(starts)}
    unique, which = np.unique(days, return_inverse=True)
    of_day = [number.get(period.start(date.fromordinal(day)), -1) for day in unique.tolist()]
    return np.array(of_day, dtype=np.int64)[which]


def _inbound(columns: Columns, slot: np.ndarray) -> dict[str, list[list[int]]]:
    """Rounds opened per weekday and hour, per queue waited in and for all rounds."""
    grids = {ALL_QUEUES: slot}
    grids |= {name: slot[columns.queue == number] for number, name in enumerate(columns.queues) if name}
    return {
        name: np.bincount(slots, minlength=WEEKDAYS * HOURS).reshape(WEEKDAYS, HOURS).tolist()
        for name, slots in sorted(grids.items())
    }


def _coded(values: Sequence[str | None], missing: str = UNKNOWN) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct values, sorted (None and empty as `missing`), and each value's index among them."""
    distinct = set(values)
    names = tuple(sorted({value or missing for value in distinct}))
    number = {value: names.index(value or missing) for value in distinct}
    return names, np.fromiter(map(number.__getitem__, values), dtype=np.int64, count=len(values))


def _microseconds(moments: Sequence[datetime | None]) -> np.ndarray:
    """Instants as whole microseconds since the epoch, `NEVER` for None. A float timestamp is
    within a quarter of a microsecond of the instant, so rounding it gives the exact count."""
    seconds = np.fromiter((math.nan if m is None else m.timestamp() for m in moments), np.float64, len(moments))
    return np.where(np.isnan(seconds), NEVER, np.rint(seconds * 1e6)).astype(np.int64)


def _sorted_per_row(column: np.ndarray, rows: Rows) -> list[list[float]]:
    """Each row's values of the column, NaN left out, in ascending order."""
    values, row = column[rows.rounds], rows.rows
    known = ~np.isnan(values)
    values, row = values[known], row[known]
    order = np.lexsort((values, row))
    values, row = values[order].tolist(), row[order]
    bounds = np.searchsorted(row, np.arange(rows.count + 1)).tolist()
    return [values[bounds[i] : bounds[i + 1]] for i in range(rows.count)]


def _repeated(
    contacts: Sequence[str | None], category: np.ndarray, opened: np.ndarray, resolved: np.ndarray
) -> np.ndarray:
    """Per round, whether the same contact's next round of the same category opened within
    `REPEAT_WITHIN` of its close, as `figures.repeat_contact_rate` judges it over these rounds."""
    number = dict(zip(dict.fromkeys(contacts), itertools.count()))
    contact = np.fromiter(map(number.__getitem__, contacts), dtype=np.int64, count=len(contacts))
    # Each contact's rounds of a category in the order they opened (ties as given), each beside the next.
    order = np.lexsort((opened, category, contact))
    same_series = (contact[order][1:] == contact[order][:-1]) & (category[order][1:] == category[order][:-1])
    soon = opened[order][1:] - resolved[order][:-1] <= REPEAT_WITHIN // timedelta(microseconds=1)
    repeated = np.zeros(len(contacts), dtype=bool)
    repeated[order[:-1]] = same_series & soon
    return repeated
