"""What a report asks for (a range of city days and its filters), read once from a request for
every endpoint that draws the report's tables: the tables themselves and their exports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import HUB, Hub
from hub.reports.tables import Period, ReportScope, figures_of, report
from hub.supervision import day_bounds
from model import CATEGORIES, LANGUAGES, QUEUE_NAMES, Channel
from model.clock import utcnow
from model.errors import invalid, not_found
from model.rounds import Round
from store import agents as agent_store
from store import queues, teams
from store.reports import RoundFilter, rounds_between

CHOICES: dict[str, tuple[str, ...]] = {
    "channel": tuple(channel.value for channel in Channel),
    "language": LANGUAGES,
    "category": CATEGORIES,
    "queue": QUEUE_NAMES,
}
"""The filters whose values are the hub's fixed vocabulary."""
MAX_DAYS = 3 * 366
"""A report's longest range: three years, to set a month beside the same month two years before."""


@dataclass(frozen=True)
class ReportQuery:
    """A report's range (city days first..last, both included) and filters."""

    first: date
    last: date
    period: Period = Period.MONTH
    channel: str | None = None
    language: str | None = None
    category: str | None = None
    queue: str | None = None
    agent: str | None = None
    """An agent's username: the rounds they accepted or resolved."""
    team: str | None = None
    """A team's name: the rounds one of its agents accepted or resolved."""

    def filters(self) -> dict[str, str | None]:
        """The filters as the report echoes them."""
        fields = asdict(self)
        return {name: fields[name] for name in ("channel", "language", "category", "queue", "agent", "team")}


def city_day(request: web.Request, name: str, default: date) -> date:
    """The query parameter `name` as a date; a 400 naming it when it is not one."""
    text = request.query.get(name)
    if text is None:
        return default
    try:
        day: date | None = date.fromisoformat(text)
    except ValueError:
        day = None
    # The calendar's first and last days cannot be bounded as instants (no day before or after).
    if day is None or not date.min < day < date.max:
        raise invalid(f"The query parameter '{name}' must be a date like 2018-06-30.", "invalid_field")
    return day


def city_days(request: web.Request, zone: ZoneInfo) -> tuple[date, date]:
    """The ?from=&to= range of city days, both included; today by default."""
    today = utcnow().astimezone(zone).date()
    first, last = city_day(request, "from", today), city_day(request, "to", today)
    if last < first:
        raise invalid("'to' is before 'from'.", "invalid_range")
    return first, last


def report_query(request: web.Request) -> ReportQuery:
    """The report's range, period and filters from the query string; a 400 naming the parameter
    that is wrong. Whether the agent or team exists is checked by `report_tables`."""
    first, last = city_days(request, request.app[HUB].settings.timezone)
    if (last - first).days >= MAX_DAYS:
        raise invalid(f"The query parameter 'to' must be less than {MAX_DAYS} days after 'from'.", "invalid_range")
    period_text = request.query.get("period", Period.MONTH.value)
    if period_text not in {p.value for p in Period}:
        raise invalid("The query parameter 'period' must be day, week or month.", "invalid_field")
    chosen: dict[str, str | None] = {}
    for name in ("channel", "language", "category", "queue", "agent", "team"):
        value = request.query.get(name) or None
        if value is not None and name in CHOICES and value not in CHOICES[name]:
            raise invalid(f"The query parameter '{name}' must be one of {', '.join(CHOICES[name])}.", "invalid_field")
        chosen[name] = value
    return ReportQuery(first, last, Period(period_text), **chosen)


async def report_tables(hub: Hub, query: ReportQuery) -> dict[str, Any]:
    """The report's tables (hub.reports.tables.report) for the query; 404 for an unknown agent or team."""
    async with hub.store.read() as session:
        rounds, sla = await _rounds_asked(session, hub, query)
        members = await teams.members(session)
    scope = ReportScope(query.first, query.last, query.period, hub.settings.timezone, query.filters())
    return report(rounds, scope, members, sla, hub.settings.report_targets)


async def report_totals(hub: Hub, query: ReportQuery) -> dict[str, Any]:
    """The report's figures over the whole query (its `totals`), without the tables."""
    async with hub.store.read() as session:
        rounds, sla = await _rounds_asked(session, hub, query)
    return figures_of(rounds, sla)


async def _rounds_asked(session: AsyncSession, hub: Hub, query: ReportQuery) -> tuple[list[Round], dict[str, int]]:
    """The rounds the query selects, and each queue's service-level seconds."""
    zone = hub.settings.timezone
    start, _ = day_bounds(query.first, zone)
    _, end = day_bounds(query.last, zone)
    agents = await _agents_asked(session, query)
    where = RoundFilter(query.channel, query.language, query.category, query.queue, agents)
    rounds = await rounds_between(session, start, end, where)
    sla = {queue.name: queue.sla_seconds for queue in await queues.queues_with_waiting(session, utcnow())}
    return rounds, sla


async def _agents_asked(session: AsyncSession, query: ReportQuery) -> frozenset[str] | None:
    """The usernames the agent and team filters admit (both: those in both); None when neither is set."""
    admitted: frozenset[str] | None = None
    if query.agent is not None:
        if await agent_store.by_username(session, query.agent) is None:
            raise not_found(f"The agent {query.agent!r}")
        admitted = frozenset({query.agent})
    if query.team is not None:
        members = frozenset((await teams.team_named(session, query.team)).members)
        admitted = members if admitted is None else admitted & members
    return admitted
