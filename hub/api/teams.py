"""Teams and parts of agents (팀, 파트): supervisors read them, administrators change them."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, StrictInt, StringConstraints

from hub.api.errors import read_body
from hub.core import HUB
from model import Role
from model.errors import not_found
from store import teams

routes = web.RouteTableDef()

# A slash would make `dasan teams assign USERNAME TEAM/PART` ambiguous.
GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^/]+$")]


class NameBody(BaseModel):
    """A team's or a part's name."""

    name: GroupName


class AgentPartBody(BaseModel):
    """The part an agent is in: a part's id, or null for none."""

    part: StrictInt | None


def _id(request: web.Request, what: str) -> int:
    """The path's numeric id; an id that is not a number names nothing (404)."""
    text = request.match_info["id"]
    if not text.isdigit():
        raise not_found(f"The {what} {text!r}")
    return int(text)


@routes.get("/api/v1/teams")
async def list_teams(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    async with hub.store.read() as session:
        found = await teams.all_teams(session)
    return web.json_response({"teams": [team.to_json() for team in found]})


@routes.post("/api/v1/teams")
async def create_team(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        team = await teams.create_team(session, body.name)
    return web.json_response(team.to_json(), status=201)


@routes.patch("/api/v1/teams/{id}")
async def rename_team(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    team_id = _id(request, "team")
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        team = await teams.rename_team(session, team_id, body.name)
    return web.json_response(team.to_json())


@routes.delete("/api/v1/teams/{id}")
async def delete_team(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    team_id = _id(request, "team")
    async with hub.store.write() as session:
        await teams.delete_team(session, team_id)
    return web.Response(status=204)


@routes.post("/api/v1/teams/{id}/parts")
async def create_part(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    team_id = _id(request, "team")
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        part = await teams.create_part(session, team_id, body.name)
    return web.json_response(part.to_json(), status=201)


@routes.patch("/api/v1/parts/{id}")
async def rename_part(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    part_id = _id(request, "part")
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        part = await teams.rename_part(session, part_id, body.name)
    return web.json_response(part.to_json())


@routes.delete("/api/v1/parts/{id}")
async def delete_part(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    part_id = _id(request, "part")
    async with hub.store.write() as session:
        await teams.delete_part(session, part_id)
    return web.Response(status=204)


@routes.put("/api/v1/agents/{username}/part")
async def set_agent_part(request: web.Request) -> web.Response:
    """Put an agent in a part, or in none: `{"part": id | null}`."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, AgentPartBody)
    async with hub.store.write() as session:
        member = await teams.set_part(session, request.match_info["username"], body.part)
    return web.json_response(member.to_json())
