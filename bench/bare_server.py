"""The baseline: a bare aiohttp handler that parses the same JSON and answers at once."""

import sys
import uuid

from aiohttp import web


async def handle(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response(
        {
            "conversation_id": uuid.uuid4().hex,
            "message_id": body["message_id"],
            "duplicate": False,
            "state": "bot",
            "replies": [],
        }
    )


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


app = web.Application()
app.router.add_post("/api/v1/channels/api/messages", handle)
app.router.add_get("/healthz", healthz)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
