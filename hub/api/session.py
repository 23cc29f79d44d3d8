"""Login, logout and the agent's own presence."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from hub.api.errors import read_body
from hub.auth import SESSION_COOKIE
from hub.core import HUB
from model import Role

routes = web.RouteTableDef()


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PresenceBody(BaseModel):
    state: str


@routes.post("/api/v1/auth/login")
async def login(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    body = await read_body(request, LoginBody)
    result = await hub.auth.login(body.username, body.password)
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


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    return web.json_response((await request.app[HUB].auth.agent(request, Role.EDITOR)).to_json())


@routes.post("/api/v1/me/state")
async def set_presence(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    body = await read_body(request, PresenceBody)
    return web.json_response((await hub.desk.set_presence(agent, body.state)).to_json())
