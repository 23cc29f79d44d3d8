"""Administrators manage agents (create, change, deactivate, reactivate, reset a password) and
the API channel's key; the actions themselves are in `hub/agent_admin.py`."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub import agent_admin
from hub.api.errors import read_body
from hub.core import HUB
from model import Role

routes = web.RouteTableDef()


class PasswordBody(BaseModel):
    """A new password for the agent; left out, the hub makes a temporary one."""

    model_config = ConfigDict(extra="forbid")
    password: str | None = Field(default=None, max_length=256)


@routes.post("/api/v1/agents")
async def create_agent(request: web.Request) -> web.Response:
    """201 with the agent, and the generated password (shown this once) when none was given."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, agent_admin.AgentCreation)
    agent, generated = await agent_admin.create_agent(hub, body, admin.actor)
    return web.json_response({"agent": agent.to_json(), "password": generated}, status=201)


@routes.patch("/api/v1/agents/{username}")
async def update_agent(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, agent_admin.AgentProfile)
    agent = await agent_admin.update_agent(hub, request.match_info["username"], body, admin.actor)
    return web.json_response(agent.to_json())


@routes.post("/api/v1/agents/{username}/deactivate")
async def deactivate_agent(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    agent = await agent_admin.deactivate_agent(hub, request.match_info["username"], admin.actor)
    return web.json_response(agent.to_json())


@routes.post("/api/v1/agents/{username}/reactivate")
async def reactivate_agent(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    agent = await agent_admin.reactivate_agent(hub, request.match_info["username"], admin.actor)
    return web.json_response(agent.to_json())


@routes.post("/api/v1/agents/{username}/password")
async def reset_password(request: web.Request) -> web.Response:
    """The agent's new password (the generated one is in the answer, this once); their sessions end."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, PasswordBody) if request.body_exists else PasswordBody()
    reset = await agent_admin.reset_password(hub, request.match_info["username"], admin.actor, body.password)
    return web.json_response({"password": reset.generated, "sessions_revoked": reset.sessions})


@routes.get("/api/v1/channels/keys")
async def channel_keys(request: web.Request) -> web.Response:
    """Which channels hold a key and where it comes from; never the key."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.ADMIN)
    return web.json_response({"channels": await agent_admin.channel_keys(hub)})


@routes.post("/api/v1/channels/api/key/rotate")
async def rotate_api_key(request: web.Request) -> web.Response:
    """A new API channel key, shown this once; the old one stops working at once."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    return web.json_response({"key": await agent_admin.rotate_api_key(hub, admin.actor)})
