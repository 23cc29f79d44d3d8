"""Callback tasks (재통화) for agents and supervisors: the list with its outcome counts, and the
outcome of a try."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel

from hub.api.errors import read_body
from hub.core import HUB
from model import QUEUE_NAMES
from model.callbacks import CALLBACK_OUTCOMES, CALLBACK_STATES, CallbackOutcome
from model.errors import invalid

routes = web.RouteTableDef()
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class OutcomeBody(BaseModel):
    outcome: str
    """reached, no_answer, wrong_number or cancelled."""


def _listed(request: web.Request, name: str, known: tuple[str, ...]) -> tuple[str, ...]:
    values = tuple(value for value in request.query.get(name, "").split(",") if value)
    if unknown := set(values) - set(known):
        raise invalid(f"Unknown {name} {sorted(unknown)[0]!r}; use one of {', '.join(known)}.", f"unknown_{name}")
    return values


def _month(text: str | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The month `YYYY-MM` as [first moment, first moment of the next) in the hub's timezone."""
    if not text:
        return None, None
    found = _MONTH.fullmatch(text)
    if found is None or not 1970 <= int(found[1]) <= 9998 or not 1 <= int(found[2]) <= 12:
        raise invalid(f"month must be YYYY-MM, not {text!r}.", "invalid_month")
    year, month = int(found[1]), int(found[2])
    start = datetime(year, month, 1, tzinfo=zone)
    return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)


@routes.get("/api/v1/callbacks")
async def list_callbacks(request: web.Request) -> web.Response:
    """Callback tasks, the soonest due first (?state=&queue=&month=YYYY-MM: created that month),
    with the outcomes recorded (that month): supervisors see all, agents their queues'."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)  # agents and up: editors see no conversation
    states = _listed(request, "state", CALLBACK_STATES)
    queues = _listed(request, "queue", QUEUE_NAMES)
    since, until = _month(request.query.get("month"), hub.callbacks.zone)
    found, outcomes = await hub.callbacks.visible(agent, states, queues, since, until)
    return web.json_response({"callbacks": [task.to_json() for task in found], "outcomes": outcomes})


@routes.post("/api/v1/callbacks/{id}/outcome")
async def record_outcome(request: web.Request) -> web.Response:
    """How a try went: reached, no_answer (due again later while tries are left), wrong_number,
    cancelled. The agent with the queue's skill or holding its conversation, or a supervisor."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    task = await hub.callbacks.handled(agent, request.match_info["id"])
    body = await read_body(request, OutcomeBody)
    if body.outcome not in CALLBACK_OUTCOMES:
        raise invalid(
            f"Unknown outcome {body.outcome!r}; use one of {', '.join(CALLBACK_OUTCOMES)}.", "unknown_outcome"
        )
    recorded = await hub.callbacks.record_outcome(agent, task.id, CallbackOutcome(body.outcome))
    return web.json_response(recorded.to_json())
