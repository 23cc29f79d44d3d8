"""The report's tables: supervisors and admins read every figure, an agent their own."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from hub.core import HUB
from hub.reports.query import ReportQuery, report_query, report_tables
from model import Agent, Role
from model.errors import forbidden

routes = web.RouteTableDef()


def own_figures(reader: Agent, query: ReportQuery) -> ReportQuery:
    """The query as the reader may run it: supervisors and admins as asked; an agent only over
    the rounds they accepted or resolved (the agent filter set to them; another agent or a
    team is refused)."""
    if reader.role.at_least(Role.SUPERVISOR):
        return query
    if query.agent not in (None, reader.username) or query.team is not None:
        raise forbidden("An agent reads their own figures only: leave out 'agent' and 'team'.")
    return replace(query, agent=reader.username)


@routes.get("/api/v1/reports/tables")
async def tables(request: web.Request) -> web.Response:
    """?from=&to= (city days, both included), period=day|week|month, and the filters channel,
    language, category, queue, agent (a username) and team (a team's name). An agent gets their
    own figures."""
    hub = request.app[HUB]
    reader = await hub.auth.agent(request, Role.AGENT)
    query = own_figures(reader, report_query(request))
    return web.json_response(await report_tables(hub, query))
