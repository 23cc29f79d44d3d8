"""Teams and parts of agents (팀, 파트): supervisors read them, administrators change them, each
change written to the audit log with the change itself."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field, StrictInt, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from hub.api.errors import read_body
from hub.core import HUB
from model import Role
from model.audit import AuditAction
from model.clock import utcnow
from model.errors import not_found
from store import audit, teams

routes = web.RouteTableDef()

# A slash would make `dasan teams assign USERNAME TEAM/PART` ambiguous.
GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^/]+$")]


class NameBody(BaseModel):
    """A team's or a part's name."""

    name: GroupName


class AgentPartBody(BaseModel):
    """The part an agent is in: a part's id, or null for none."""

    # Within the store's 32-bit ids: a larger number names no part (and no engine takes it).
    part: Annotated[StrictInt, Field(ge=-(2**31), lt=2**31)] | None


def _id(request: web.Request, what: str) -> int:
    """The path's numeric id; an id that is not a number names nothing (404)."""
    text = request.match_info["id"]
    # ASCII digits within the store's 32-bit ids: int() also takes '²', '١٢٣' and numbers no row has.
    if not (text.isascii() and text.isdigit() and int(text) < 2**31):
        raise not_found(f"The {what} {text!r}")
    return int(text)


def record_change(session: AsyncSession, actor: str, target: str, change: str, **detail: Any) -> None:
    """A team or part change in the audit log, inside the change's own transaction."""
    audit.record(session, actor, AuditAction.TEAM_CHANGED, target, utcnow(), {"change": change, **detail})


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
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        team = await teams.create_team(session, body.name)
        record_change(session, admin.actor, f"team:{team.id}", "created", name=team.name)
    return web.json_response(team.to_json(), status=201)


@routes.patch("/api/v1/teams/{id}")
async def rename_team(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    team_id = _id(request, "team")
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        before = await teams.team(session, team_id)
        team = await teams.rename_team(session, team_id, body.name)
        record_change(session, admin.actor, f"team:{team.id}", "renamed", old=before.name, name=team.name)
    return web.json_response(team.to_json())


@routes.delete("/api/v1/teams/{id}")
async def delete_team(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    team_id = _id(request, "team")
    async with hub.store.write() as session:
        gone = await teams.team(session, team_id)
        await teams.delete_team(session, team_id)
        record_change(session, admin.actor, f"team:{team_id}", "deleted", name=gone.name)
    return web.Response(status=204)


@routes.post("/api/v1/teams/{id}/parts")
async def create_part(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    team_id = _id(request, "team")
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        part = await teams.create_part(session, team_id, body.name)
        record_change(session, admin.actor, f"part:{part.id}", "created", team=team_id, name=part.name)
    return web.json_response(part.to_json(), status=201)


@routes.patch("/api/v1/parts/{id}")
async def rename_part(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    part_id = _id(request, "part")
    body = await read_body(request, NameBody)
    async with hub.store.write() as session:
        part = await teams.rename_part(session, part_id, body.name)
        record_change(session, admin.actor, f"part:{part.id}", "renamed", name=part.name)
    return web.json_response(part.to_json())


@routes.delete("/api/v1/parts/{id}")
async def delete_part(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    part_id = _id(request, "part")
    async with hub.store.write() as session:
        await teams.delete_part(session, part_id)
        record_change(session, admin.actor, f"part:{part_id}", "deleted")
    return web.Response(status=204)


@routes.put("/api/v1/agents/{username}/part")
async def set_agent_part(request: web.Request) -> web.Response:
    """Put an agent in a part, or in none: `{"part": id | null}`."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, AgentPartBody)
    async with hub.store.write() as session:
        member = await teams.set_part(session, request.match_info["username"], body.part)
        record_change(session, admin.actor, f"agent:{member.username}", "part_set", part=body.part,
                      team_name=member.team, part_name=member.part)  # fmt: skip
    return web.json_response(member.to_json())
