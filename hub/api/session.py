"""Login, logout (here or everywhere), an administrator's revocation of an agent's sessions,
and the agent's own presence."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from hub.api.errors import read_body
from hub.auth import SESSION_COOKIE
from hub.core import HUB
from hub.security import client_address
from model import Role
from model.errors import not_found
from store import agents as agent_store

routes = web.RouteTableDef()
LOGIN = "/api/v1/auth/login"


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PresenceBody(BaseModel):
    state: str


@routes.post(LOGIN)
async def login(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    body = await read_body(request, LoginBody)
    address = client_address(request, hub.settings.limits.trusted_proxies)
    result = await hub.auth.login(body.username, body.password, address)
    response = web.json_response({"token": result.token, "agent": result.agent.to_json()})
    response.set_cookie(
        SESSION_COOKIE, result.token, httponly=True, samesite="Strict", secure=hub.settings.secure_cookies, path="/"
    )
    return response


@routes.post("/api/v1/auth/logout")
async def logout(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.EDITOR)
    await hub.auth.logout(request)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.post("/api/v1/auth/logout-everywhere")
async def logout_everywhere(request: web.Request) -> web.Response:
    """End every session of the agent behind the request, this one included."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request, Role.EDITOR)
    revoked = await hub.auth.revoke(agent, agent)
    response = web.json_response({"revoked": revoked})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.post("/api/v1/agents/{username}/sessions/revoke")
async def revoke_sessions(request: web.Request) -> web.Response:
    """An administrator ends every session of an agent (audited); their consoles close within seconds."""
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    async with hub.store.read() as session:
        agent = await agent_store.by_username(session, request.match_info["username"])
    if agent is None:
        raise not_found(f"The agent {request.match_info['username']!r}")
    return web.json_response({"revoked": await hub.auth.revoke(agent, admin)})


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    return web.json_response((await request.app[HUB].auth.agent(request, Role.EDITOR)).to_json())


@routes.post("/api/v1/me/state")
async def set_presence(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    body = await read_body(request, PresenceBody)
    return web.json_response((await hub.desk.set_presence(agent, body.state)).to_json())
