"""The report's tables as a file to download: HTML with charts, CSV or XLSX."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from hub.api.reports import own_figures
from hub.core import HUB
from hub.reports import tables_export
from hub.reports.query import report_query, report_tables
from model import Role
from model.errors import invalid

routes = web.RouteTableDef()

FORMATS: dict[str, tuple[str, Callable[[Mapping[str, Any]], bytes]]] = {
    "html": ("text/html; charset=utf-8", lambda tables: tables_export.render_html(tables).encode("utf-8")),
    "csv": ("text/csv; charset=utf-8", tables_export.render_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", tables_export.render_xlsx),
}


@routes.get("/api/v1/reports/tables/export")
async def export_tables(request: web.Request) -> web.Response:
    """?format=html|csv|xlsx and the parameters of /api/v1/reports/tables (range, period, filters);
    an agent exports their own figures."""
    hub = request.app[HUB]
    reader = await hub.auth.agent(request, Role.AGENT)
    chosen = request.query.get("format", "html")
    if chosen not in FORMATS:
        raise invalid(f"The query parameter 'format' must be one of {', '.join(FORMATS)}.", "invalid_field")
    content_type, render = FORMATS[chosen]
    tables = await report_tables(hub, own_figures(reader, report_query(request)))
    filename = f"report-{tables['from']}_{tables['to']}.{chosen}"
    return web.Response(
        body=render(tables),
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
            # The page is shown inside the console (a sandboxed frame); it needs nothing from anywhere.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            "Cache-Control": "no-store",
        },
    )
