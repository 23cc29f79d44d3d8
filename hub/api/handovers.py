"""Departments (admins change them, agents pick from them) and handovers to them (부서이관,
담당자 연결): made on a conversation, listed, and the department's answer recorded."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub import access, departments
from hub.api.errors import read_body
from hub.core import HUB
from hub.departments import DepartmentBody, DepartmentChange, Email, Phone
from hub.handovers import HANDOVERS
from model import Role
from model.errors import forbidden, invalid, not_found
from model.handovers import Delivery, HandoverKind, HandoverRequest
from store import departments as department_store
from store import handovers as handover_store

routes = web.RouteTableDef()

STATES = (*(state.value for state in Delivery), "answered", "unanswered")


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
"""Words a person wrote: blank is no text (400), not an empty record."""


class HandoverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: int = Field(ge=1, lt=2**31, description="The department's id")
    kind: Literal["department", "officer"] = "department"
    need: Text = Field(description="What the citizen needs, for the department")
    officer_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    officer_phone: Phone | None = None
    officer_email: Email | None = None


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text


def _department_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not (text.isascii() and text.isdigit() and int(text) < 2**31):
        raise not_found(f"The department {text!r}")
    return int(text)


@routes.get("/api/v1/departments")
async def list_departments(request: web.Request) -> web.Response:
    """The departments by name (`?active=1`: only those a handover may go to)."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    async with hub.store.read() as session:
        found = await department_store.all_departments(session, request.query.get("active") in ("1", "true"))
    admin = agent.role.at_least(Role.ADMIN)
    return web.json_response({"departments": [department.to_json(with_secret=admin) for department in found]})


@routes.post("/api/v1/departments")
async def add_department(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    body = await read_body(request, DepartmentBody)
    department = await departments.add_department(hub.store, admin.actor, body)
    return web.json_response(department.to_json(with_secret=True), status=201)


@routes.patch("/api/v1/departments/{id}")
async def change_department(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    department_id = _department_id(request)
    body = await read_body(request, DepartmentChange)
    department = await departments.change_department(hub.store, admin.actor, department_id, body)
    return web.json_response(department.to_json(with_secret=True))


@routes.delete("/api/v1/departments/{id}")
async def remove_department(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    admin = await hub.auth.agent(request, Role.ADMIN)
    await departments.remove_department(hub.store, admin.actor, _department_id(request))
    return web.Response(status=204)


@routes.post("/api/v1/conversations/{id}/handover")
async def hand_over(request: web.Request) -> web.Response:
    """Hand the conversation to a department or connect the citizen to its officer: the
    citizen is told who will contact them and the conversation is resolved."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    await access.readable(hub.store, agent, request.match_info["id"])
    body = await read_body(request, HandoverBody)
    kind = HandoverKind(body.kind)
    if kind is HandoverKind.OFFICER and not body.officer_name:
        raise invalid("Name the officer the citizen is connected to (officer_name).", "missing_officer")
    wanted = HandoverRequest(body.department, kind, body.need, body.officer_name, body.officer_phone,
                             body.officer_email)  # fmt: skip
    conversation, handover = await request.app[HANDOVERS].create(agent, request.match_info["id"], wanted)
    return web.json_response({"handover": handover.to_json(), "conversation": conversation.to_json()}, status=201)


@routes.get("/api/v1/conversations/{id}/handovers")
async def conversation_handovers(request: web.Request) -> web.Response:
    """The conversation's handovers with where their delivery stands."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    conversation = await access.readable(hub.store, agent, request.match_info["id"])
    async with hub.store.read() as session:
        found = await handover_store.of_conversation(session, conversation.id)
    return web.json_response({"handovers": [handover.to_json() for handover in found]})


@routes.get("/api/v1/handovers")
async def list_handovers(request: web.Request) -> web.Response:
    """Handovers, newest first (`?state=pending|sent|failed|answered|unanswered&department=ID`):
    a supervisor's all, an agent's their own."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    if agent.role is Role.EDITOR:
        raise forbidden("Editors hand nothing over.")
    state = request.query.get("state") or None
    if state is not None and state not in STATES:
        raise invalid(f"Unknown state {state!r}; use one of {', '.join(STATES)}.", "unknown_state")
    department = request.query.get("department") or None
    if department is not None and not (department.isascii() and department.isdigit() and int(department) < 2**31):
        raise invalid(f"department is a department's id, not {department!r}.", "unknown_department")
    mine = None if agent.role.at_least(Role.SUPERVISOR) else agent.id
    async with hub.store.read() as session:
        found = await handover_store.listed(session, state, int(department) if department else None, mine)
    return web.json_response({"handovers": [handover.to_json() for handover in found]})


@routes.post("/api/v1/handovers/{id}/answer")
async def record_answer(request: web.Request) -> web.Response:
    """The department's answer, recorded on the handover and its conversation."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    await request.app[HANDOVERS].readable(agent, request.match_info["id"])
    body = await read_body(request, AnswerBody)
    handover = await request.app[HANDOVERS].answer(agent, request.match_info["id"], body.text)
    return web.json_response(handover.to_json())
