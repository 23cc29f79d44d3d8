"""Queues, agents, the supervisor's overview and the statistics summary."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub import supervision
from hub.api.errors import read_body
from hub.api.reports import own_figures
from hub.core import HUB
from hub.reports.query import ReportQuery, city_days, report_totals
from model import Role
from model.clock import utcnow
from model.errors import not_found
from store import agents, queues, translations

routes = web.RouteTableDef()


class QueueBody(BaseModel):
    label: str | None = Field(default=None, min_length=1, max_length=100)
    bot_first: bool | None = None
    sla_seconds: int | None = Field(default=None, ge=1, le=3600)


@routes.get("/api/v1/queues")
async def list_queues(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request)
    now = utcnow()
    async with hub.store.read() as session:
        found = await queues.queues_with_waiting(session, now)
        hours = await hub.hours.statuses(session, [queue.name for queue in found], now)
    return web.json_response({"queues": [_with_hours(queue.to_json(), hours[queue.name].to_json()) for queue in found]})


def _with_hours(queue: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    """A queue with whether it is open now, when it opens or closes, and who serves it (hub.hours)."""
    return {**queue, **{key: status[key] for key in ("open", "opens_at", "closes_at", "served_by")}}


@routes.patch("/api/v1/queues/{name}")
async def update_queue(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, QueueBody)
    async with hub.store.write() as session:
        record = await queues.update(session, request.match_info["name"], **body.model_dump(exclude_none=True))
    if record is None:
        raise not_found("The queue")
    return web.json_response(record.to_json())


@routes.get("/api/v1/agents")
async def list_agents(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    async with hub.store.read() as session:
        found = await agents.all_agents(session)
    return web.json_response({"agents": [agent.to_json() for agent in found]})


@routes.get("/api/v1/supervisor/overview")
async def overview(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    async with hub.store.read() as session:
        return web.json_response(await supervision.overview(session, hub.settings.timezone))


@routes.get("/api/v1/stats/summary")
async def summary(request: web.Request) -> web.Response:
    """The report's figures over the city days ?from=&to= (both included), from the events; an
    agent's own figures for an agent."""
    hub = request.app[HUB]
    reader = await hub.auth.agent(request, Role.AGENT)
    first, last = city_days(request, hub.settings.timezone)
    return web.json_response(await report_totals(hub, own_figures(reader, ReportQuery(first, last))))


@routes.get("/api/v1/translation/usage")
async def translation_usage(request: web.Request) -> web.Response:
    """What each machine-translation engine was sent per day: requests, characters (what
    the engines bill), failures."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    first, last = city_days(request, hub.settings.timezone)
    async with hub.store.read() as session:
        rows = await translations.usage(session, first.isoformat(), last.isoformat())
    return web.json_response(
        {
            "days": [
                {"day": r.day, "engine": r.engine, "requests": r.requests, "characters": r.characters,
                 "failures": r.failures}
                for r in rows
            ]
        }
    )  # fmt: skip
