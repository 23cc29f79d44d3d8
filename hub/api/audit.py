"""The audit log of administrative actions, for supervisors and administrators: they oversee
who added agents, changed teams, revealed personal data, lifted blocks or served data requests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from hub.core import HUB
from model import Role
from model.audit import AuditAction
from model.errors import invalid
from store import audit

routes = web.RouteTableDef()

MAX_ENTRIES = 1000
DEFAULT_ENTRIES = 200


def parse_since(text: str, zone: ZoneInfo) -> datetime:
    """An ISO date or date and time; one without an offset is the city's local time."""
    try:
        since = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"'since' must be an ISO date or date and time, not {text!r}.", "invalid_field") from None
    return since if since.tzinfo else since.replace(tzinfo=zone)


def parse_action(text: str) -> AuditAction:
    """One of the audit log's actions, or a 400 listing them."""
    try:
        return AuditAction(text)
    except ValueError:
        known = ", ".join(action.value for action in AuditAction)
        raise invalid(f"'action' must be one of {known}.", "invalid_field") from None


@routes.get("/api/v1/audit")
async def entries(request: web.Request) -> web.Response:
    """?target=<kind>:<id>&action=&since=&limit= — the newest entries first (supervisors, admins)."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    query = request.query
    limit_text = query.get("limit", str(DEFAULT_ENTRIES))
    if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_ENTRIES:
        raise invalid(f"'limit' must be a number from 1 to {MAX_ENTRIES}.", "invalid_field")
    action = parse_action(query["action"]) if query.get("action") else None
    since = parse_since(query["since"], hub.settings.timezone) if query.get("since") else None
    async with hub.store.read() as session:
        found = await audit.entries(
            session, target=query.get("target") or None, action=action, since=since, limit=int(limit_text)
        )
    return web.json_response({"entries": [entry.to_json() for entry in found]})
