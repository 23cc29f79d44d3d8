"""The protection protocol: the standard warning, ending under the protocol, blocks and incidents
(docs/protection.md)."""

from __future__ import annotations

import re

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub import access
from hub.api.errors import read_body
from hub.core import HUB
from model.errors import invalid

routes = web.RouteTableDef()
_BLOCK_ID = re.compile(r"[0-9]{1,9}")


class WarnBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndBody(BaseModel):
    block_hours: int = Field(default=0, ge=0)
    """0: no block; the most the hub allows is `DASAN_PROTECTION_MAX_BLOCK_HOURS`."""
    note: str = Field(default="", max_length=500)


class LiftBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@routes.post("/api/v1/conversations/{id}/warn")
async def warn(request: web.Request) -> web.Response:
    """The standard warning, in the citizen's language, in the agent's name."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    if await request.read():
        await read_body(request, WarnBody)
    warned = await hub.protection.warn(agent, request.match_info["id"])
    return web.json_response(warned.to_json(), status=201)


@routes.post("/api/v1/conversations/{id}/end-under-protocol")
async def end_under_protocol(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    await access.readable(hub.store, agent, request.match_info["id"])  # before the body is read
    body = await read_body(request, EndBody)
    ended = await hub.protection.end(agent, request.match_info["id"], body.block_hours, body.note)
    return web.json_response(ended.to_json())


@routes.get("/api/v1/protection/incidents")
async def incidents(request: web.Request) -> web.Response:
    """A month's abuse incidents (city calendar), with the count against the report's ceiling."""
    hub = request.app[HUB]
    await hub.supervisor(request)
    found = await hub.protection.incidents(request.query.get("month"))
    return web.json_response(found.to_json())


@routes.get("/api/v1/protection/blocks")
async def blocks(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.supervisor(request)
    active = request.query.get("active", "0")
    if active not in ("0", "1", "true", "false"):
        raise invalid("active must be 1 or 0.", "invalid_active")
    found = await hub.protection.blocks(active_only=active in ("1", "true"))
    return web.json_response({"blocks": [block.to_json() for block in found]})


@routes.post("/api/v1/protection/blocks/{id}/lift")
async def lift(request: web.Request) -> web.Response:
    """Lift a block on the citizen's appeal (audited)."""
    hub = request.app[HUB]
    supervisor = await hub.supervisor(request)
    body = await read_body(request, LiftBody)
    if not _BLOCK_ID.fullmatch(request.match_info["id"]):
        raise invalid("A block's id is a number.", "invalid_block_id")
    block = await hub.protection.lift(supervisor, int(request.match_info["id"]), body.reason.strip())
    return web.json_response(block.to_json())
