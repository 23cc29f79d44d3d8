"""A citizen's request to see or delete their data (PIPA 열람·삭제 요구), for supervisors and admins.

- `GET /api/v1/contacts/{id}/data[?format=zip]`: everything held on the contact, unmasked, as
  a JSON download (or a zip with the recordings).
- `POST /api/v1/contacts/{id}/erase` `{"reason", "confirm": "<the contact's id>"}`: erase it.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub.api.errors import read_body
from hub.core import HUB, Hub
from hub.data_requests import DataRequests
from hub.retention import recordings_archive
from model import Role
from model.errors import invalid

routes = web.RouteTableDef()
DATA_REQUESTS = web.AppKey("data_requests", DataRequests)
FORMATS = {"json": "application/json", "zip": "application/zip"}


def setup(app: web.Application, hub: Hub) -> None:
    """Keep the service the handlers use, with the video channel's recordings when it runs."""
    app[DATA_REQUESTS] = DataRequests(hub.store, recordings_archive(hub.settings))


class EraseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
    """Why: the citizen's request as received (date, how), for the audit log."""
    confirm: str = Field(max_length=64)
    """The contact's id typed again, so that a slip erases nobody."""


@routes.get("/api/v1/contacts/{contact_id}/data")
async def export_contact(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request, Role.SUPERVISOR)
    form = request.query.get("format", "json")
    if form not in FORMATS:
        raise invalid("format is json or zip.", "unknown_format")
    contact_id = request.match_info["contact_id"]
    export = await request.app[DATA_REQUESTS].export(f"agent:{agent.username}", contact_id, form)
    body = export.json_bytes() if form == "json" else await asyncio.to_thread(export.zip_bytes)
    return web.Response(
        body=body,
        content_type=FORMATS[form],
        charset="utf-8" if form == "json" else None,
        headers={
            "Content-Disposition": f'attachment; filename="contact-{contact_id}.{form}"',
            "Cache-Control": "private, no-store",
        },
    )


@routes.post("/api/v1/contacts/{contact_id}/erase")
async def erase_contact(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request, Role.SUPERVISOR)
    body = await read_body(request, EraseBody)
    contact_id = request.match_info["contact_id"]
    if body.confirm.strip() != contact_id:
        raise invalid("confirm must repeat the contact's id exactly.", "confirmation_mismatch")
    if not body.reason.strip():
        raise invalid("Say why: the citizen's request as received.", "missing_reason")
    tally = await request.app[DATA_REQUESTS].erase(f"agent:{agent.username}", contact_id, body.reason.strip())
    return web.json_response({"contact_id": contact_id, "erased": tally.to_json()})
