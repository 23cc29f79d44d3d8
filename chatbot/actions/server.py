"""The action server Rasa calls (`action_endpoint` in chatbot/rasa/endpoints.yml).

Rasa's own action server runs on Sanic; the hub serves everything with aiohttp, so this is
rasa-sdk's executor (trackers, dispatcher, events: the protocol itself) behind an aiohttp
route with the same wire format: `POST /webhook`, `GET /actions`, `GET /health`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

log = logging.getLogger(__name__)
EXECUTOR = web.AppKey("executor", ActionExecutor)
MAX_CALL_BYTES = 16 * 1024 * 1024  # a call carries the whole tracker and the domain


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
    if not isinstance(call, dict) or not isinstance(call.get("tracker"), dict):
        return _error(400, "An action call needs 'next_action' and 'tracker'.")
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
