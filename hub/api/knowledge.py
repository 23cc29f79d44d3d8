"""The knowledge base's HTTP API for agents (docs/api.md): search, and articles in each language.

The search itself is `chatbot.knowledge`, the articles' storage `store.knowledge`.
"""

from __future__ import annotations

from aiohttp import web

from hub.core import HUB
from model import LANGUAGES
from model.errors import invalid, not_found

routes = web.RouteTableDef()


@routes.get("/api/v1/kb/search")
async def search(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request)
    query = request.query.get("q", "").strip()
    if not query:
        raise invalid("The query parameter 'q' is required.", "missing_field")
    if len(query) > 500:
        raise invalid("The query is longer than 500 characters.", "text_too_long")
    language = _language(request)
    try:
        limit = int(request.query.get("limit", "5"))
    except ValueError:
        raise invalid("The query parameter 'limit' must be a number.", "invalid_field") from None
    if not 1 <= limit <= 50:
        raise invalid("The query parameter 'limit' must be between 1 and 50.", "invalid_field")
    hits = await hub.knowledge.search(query, language, limit)
    return web.json_response(
        {
            "results": [
                {
                    "id": hit.article.id,
                    "title": hit.article.title,
                    "category": hit.article.category,
                    "language": hit.article.language,
                    "score": round(hit.score, 3),
                    "snippet": hit.snippet(),
                }
                for hit in hits
            ]
        }
    )


@routes.get("/api/v1/kb/articles/{id}")
async def article(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request)
    article_id = request.match_info["id"]
    found = await hub.knowledge.article(article_id, _language(request))
    if found is None:
        raise not_found("The article")
    return web.json_response(found.to_json() | {"languages": await hub.knowledge.languages(article_id)})


def _language(request: web.Request) -> str:
    language = request.query.get("lang", "ko")
    if language not in LANGUAGES:
        raise invalid(f"Unknown language {language!r}.", "unknown_language")
    return language
