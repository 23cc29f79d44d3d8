"""The running channels, so the console learns their names without a list of its own."""

from __future__ import annotations

from aiohttp import web

from hub.core import HUB

routes = web.RouteTableDef()


@routes.get("/api/v1/channels")
async def list_channels(request: web.Request) -> web.Response:
    """Every running channel: its name, its label for agents, the longest reply it carries."""
    hub = request.app[HUB]
    await hub.auth.agent(request)
    return web.json_response(
        {
            "channels": [
                {
                    "name": configured.info.channel.value,
                    "label": configured.info.label,
                    "max_text_chars": hub.channels[configured.info.channel].outbound.max_text_chars,
                }
                for configured in hub.settings.channels
            ]
        }
    )
