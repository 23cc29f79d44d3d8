"""Queue hours and the centre's holiday calendar: agents read them, admins change them (audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub.api.errors import read_body
from hub.core import HUB
from model import Role
from model.clock import utcnow
from model.errors import HubError, invalid
from model.hours import Holiday, HoursError, QueueHours, parse_ranges

routes = web.RouteTableDef()

Ranges = list[list[str]]


class HoursBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly: dict[str, Ranges]
    """`{"mon": [["09:00", "18:00"]], …, "sun": []}`: a day left out is closed."""
    holidays: Ranges | None = None
    """The queue's own hours on a holiday (the night team: `[["00:00", "24:00"]]`); null: the holiday's."""
    after_hours_queue: str | None = None


class HolidayBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: date
    name: str = Field(min_length=1, max_length=100)
    hours: Ranges = Field(default_factory=list)
    """Special hours that day; empty: the queues that follow the calendar are closed."""


def _hours_error(error: HoursError) -> HubError:
    return invalid(str(error), "invalid_hours")


async def _hours_json(request: web.Request, name: str) -> dict[str, Any]:
    found, status = await request.app[HUB].hours.queue_hours(name, utcnow())
    return {"queue": name, **found.to_json(), "always_open": found.always_open, "status": status.to_json()}


@routes.get("/api/v1/queues/{name}/hours")
async def get_hours(request: web.Request) -> web.Response:
    """A queue's weekly hours, holiday hours, after-hours queue and whether it is open now."""
    await request.app[HUB].auth.agent(request)
    return web.json_response(await _hours_json(request, request.match_info["name"]))


@routes.put("/api/v1/queues/{name}/hours")
async def put_hours(request: web.Request) -> web.Response:
    """Set a queue's hours (admin, audited)."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, HoursBody)
    try:
        hours = QueueHours.parse(body.weekly, body.holidays, body.after_hours_queue)
    except HoursError as error:
        raise _hours_error(error) from None
    await hub.hours.set_queue_hours(admin.actor, request.match_info["name"], hours)
    return web.json_response(await _hours_json(request, request.match_info["name"]))


@routes.get("/api/v1/holidays")
async def list_holidays(request: web.Request) -> web.Response:
    """The holidays of a year (?year=, this year in the hub's zone by default)."""
    hub = request.app[HUB]
    await hub.auth.agent(request)
    raw = request.query.get("year") or str(utcnow().astimezone(hub.settings.timezone).year)
    if not (raw.isascii() and raw.isdigit()) or not 1900 <= int(raw) <= 2999:
        raise invalid(f"year: {raw!r} is not a year like 2026.", "invalid_year")
    found = await hub.hours.holidays(int(raw))
    return web.json_response({"year": int(raw), "holidays": [holiday.to_json() for holiday in found]})


@routes.post("/api/v1/holidays")
async def set_holiday(request: web.Request) -> web.Response:
    """Add a holiday, or rename one or change its hours (admin, audited): 201 when added, 200 when changed."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, HolidayBody)
    try:
        ranges = parse_ranges(body.hours, "hours")
    except HoursError as error:
        raise _hours_error(error) from None
    holiday = Holiday(body.date, body.name, ranges)
    added = await hub.hours.set_holiday(admin.actor, holiday)
    return web.json_response(holiday.to_json(), status=201 if added else 200)


@routes.delete("/api/v1/holidays/{date}")
async def remove_holiday(request: web.Request) -> web.Response:
    """Remove a holiday (admin, audited); a public one removed is not seeded again."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    raw = request.match_info["date"]
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise invalid(f"{raw!r} is not a date like 2026-12-31.", "invalid_date") from None
    await hub.hours.remove_holiday(admin.actor, day)
    return web.Response(status=204)
