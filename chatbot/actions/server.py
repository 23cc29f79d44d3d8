"""The action server Rasa calls (`action_endpoint` in chatbot/rasa/endpoints.yml).

Rasa's own action server runs on Sanic; the hub serves everything with aiohttp, so this is
rasa-sdk's executor (trackers, dispatcher, events: the protocol itself) behind an aiohttp
route with the same wire format: `POST /webhook`, `GET /actions`, `GET /health`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

EXECUTOR = web.AppKey("executor", ActionExecutor)
MAX_CALL_BYTES = 16 * 1024 * 1024  # a call carries the whole tracker and the domain


class _Shape(BaseModel):
    """Only the fields rasa-sdk and the actions read are checked; the rest passes through."""

    model_config = ConfigDict(extra="allow")


class _Intent(_Shape):
    name: str | None = None


class _ParseData(_Shape):
    text: str | None = None
    intent: _Intent | None = None
    metadata: dict[str, Any] | None = None


class _Event(_Shape):
    text: str | None = None
    parse_data: _ParseData | None = None


class _Slots(_Shape):
    """The slots the actions read: all text or categorical in domain.yml."""

    language: str | None = None
    category: str | None = None
    report_type: str | None = None
    location: str | None = None
    time: str | None = None
    details: str | None = None


class _Tracker(_Shape):
    sender_id: str
    slots: _Slots = _Slots()
    latest_message: _ParseData | None = None
    events: list[_Event] = []


class _Call(_Shape):
    """An action call as Rasa posts it. Checked before the executor runs, so a malformed
    tracker is the caller's 400, not an AttributeError deep in an action."""

    next_action: str
    tracker: _Tracker
    domain: dict[str, Any] | None = None


def create_action_server(actions: list[Action]) -> web.Application:
    """An aiohttp application that runs `actions` for Rasa."""
    executor = ActionExecutor()
    for action in actions:
        executor.register_action(action)
    app = web.Application(client_max_size=MAX_CALL_BYTES)
    app[EXECUTOR] = executor
    app.router.add_post("/webhook", _webhook)
    app.router.add_get("/actions", _actions)
    app.router.add_get("/health", _health)
    return app


def _error(status: int, message: str, action_name: str | None = None) -> web.Response:
    return web.json_response({"error": message, "action_name": action_name}, status=status)


async def _webhook(request: web.Request) -> web.Response:
    try:
        call: Any = json.loads(await request.read())  # aiohttp inflates Rasa's deflated trackers
    except ValueError:
        return _error(400, "The body is not a JSON action call.")
    try:
        _Call.model_validate(call)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        return _error(400, f"The action call's '{field}' is invalid: {first['msg']}.")
    try:
        result = await request.app[EXECUTOR].run(call)
    except ActionExecutionRejection as rejection:
        return _error(400, rejection.message, rejection.action_name)
    except ActionNotFoundException as missing:
        return _error(404, missing.message, missing.action_name)
    except ActionMissingDomainException as missing:
        return _error(449, missing.message, missing.action_name)  # Rasa resends with the domain
    return web.json_response(result.model_dump() if result else None)


async def _actions(request: web.Request) -> web.Response:
    return web.json_response([item.model_dump() for item in request.app[EXECUTOR].list_actions()])


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
