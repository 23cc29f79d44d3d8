"""The report's tables for supervisors: the figures per period, agent, part and team."""

from __future__ import annotations

from aiohttp import web

from hub.core import HUB
from hub.reports.query import report_query, report_tables
from model import Role

routes = web.RouteTableDef()


@routes.get("/api/v1/reports/tables")
async def tables(request: web.Request) -> web.Response:
    """?from=&to= (city days, both included), period=day|week|month, and the filters channel,
    language, category, queue, agent (a username) and team (a team's name)."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    query = report_query(request)
    return web.json_response(await report_tables(hub, query))
