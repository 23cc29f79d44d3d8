"""The routes of `/kb/`: pages for citizens, the sitemap and the feed for portals, no login.

Every answer carries a weak ETag of its body and a short public max-age: a portal or a
browser that already has it gets 304 Not Modified without the body.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from hub.core import HUB, Hub
from hub.public_kb import pages, portals
from hub.public_kb.articles import PublishedArticles
from model import LANGUAGES
from model.catalog import DEFAULT_LANGUAGE
from model.clock import utcnow
from model.errors import not_found
from store.knowledge import ArticleStore

RESULTS = 10
RELATED = 3
MAX_QUERY = 200
PAGE_MAX_AGE = 60
"""Seconds a page may be reused without asking: an editor's change shows within a minute."""
PORTAL_MAX_AGE = 300

routes = web.RouteTableDef()


@routes.get("/kb")
async def kb_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound(pages.HOME)


@routes.get("/kb/")
async def home(request: web.Request) -> web.Response:
    """The home page (every article in the language, by category), or the results for `q`;
    with `article`, the same article in the chosen language (the picker on an article page)."""
    hub = request.app[HUB]
    language = request.query.get("lang")
    negotiated = language is None
    if language is None:
        language = _preferred(request)
    elif language not in LANGUAGES:
        return _not_found(hub, _preferred(request))
    published = _published(hub)
    if article_id := request.query.get("article"):
        found = await published.article(article_id, language)
        raise web.HTTPSeeOther(pages.article_path(article_id, language) if found else pages.home_path(language))
    chrome = _chrome(hub, language)
    query = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
    if query:
        body = pages.search_page(chrome, query, await published.search(query, language, RESULTS))
    else:
        articles = await published.all()
        in_language = [article for article in articles if article.language == language]
        korean = sum(article.language == DEFAULT_LANGUAGE for article in articles)
        body = pages.home_page(chrome, in_language, korean_has_more=korean > len(in_language))
    return _cached(request, body, "text/html", PAGE_MAX_AGE, by_language=negotiated)


@routes.get("/kb/kb.js")
async def script(request: web.Request) -> web.Response:
    return _cached(request, pages.SCRIPT, "text/javascript", PORTAL_MAX_AGE)


@routes.get("/kb/sitemap.xml")
async def sitemap(request: web.Request) -> web.Response:
    """Every published article page, for search engines and portals."""
    hub = request.app[HUB]
    body = portals.sitemap(_public_url(hub), await _published(hub).all())
    return _cached(request, body, "application/xml", PORTAL_MAX_AGE)


@routes.get("/kb/feed.json")
async def feed(request: web.Request) -> web.Response:
    """The published articles as a JSON Feed 1.1, in every language or only in `lang`."""
    hub = request.app[HUB]
    language = request.query.get("lang")
    if language is not None and language not in LANGUAGES:
        raise not_found(f"The language {language!r}")
    texts = hub.catalog.texts(language or DEFAULT_LANGUAGE, "kb.")
    body = portals.feed(_public_url(hub), await _published(hub).all(language), texts, language)
    return _cached(request, body, "application/feed+json", PORTAL_MAX_AGE)


@routes.get("/kb/{language}/")
async def language_home(request: web.Request) -> web.Response:
    """A shortened article address: the language's home page."""
    language = request.match_info["language"]
    if language not in LANGUAGES:
        return _not_found(request.app[HUB], _preferred(request))
    raise web.HTTPFound(pages.home_path(language))


@routes.get("/kb/{language}/{article_id}")
async def article(request: web.Request) -> web.Response:
    """One published article in one language."""
    hub = request.app[HUB]
    language, article_id = request.match_info["language"], request.match_info["article_id"]
    if language not in LANGUAGES:
        return _not_found(hub, _preferred(request))
    published = _published(hub)
    found = await published.article(article_id, language)
    if found is None:
        return _not_found(hub, language)
    # The article's own words find its neighbours; another topic's match on one word is no help.
    hits = await published.search(f"{found.title} {' '.join(found.keywords)}", language, 3 * RELATED)
    related = [hit.article for hit in hits if hit.article.id != found.id and hit.article.category == found.category]
    offices = hub.editorial.offices(found.directory, language)
    body = pages.article_page(
        _chrome(hub, language), found, await published.languages(article_id), related[:RELATED], offices
    )
    return _cached(request, body, "text/html", PAGE_MAX_AGE)


def _published(hub: Hub) -> PublishedArticles:
    zone = hub.settings.timezone
    return PublishedArticles(hub.knowledge, ArticleStore(hub.store), lambda: utcnow().astimezone(zone).date())


def _public_url(hub: Hub) -> str:
    return hub.settings.public_url.rstrip("/")


def _chrome(hub: Hub, language: str) -> pages.Chrome:
    return pages.Chrome(language, hub.catalog.texts(language, "kb."), _public_url(hub))


def _preferred(request: web.Request) -> str:
    """The first of the hub's languages the browser asks for (Accept-Language), else Korean."""
    ranked = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, parameters = part.partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().split("-")[0].lower()))
    return next((code for weight, _, code in sorted(ranked) if weight < 0 and code in LANGUAGES), DEFAULT_LANGUAGE)


def _not_found(hub: Hub, language: str) -> web.Response:
    """A page for citizens, not the API's JSON error: they may have followed an old link."""
    body = pages.not_found_page(_chrome(hub, language))
    return web.Response(
        status=404,
        text=body,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "Vary": "Accept-Language"},
    )


def _cached(
    request: web.Request, body: str, content_type: str, max_age: int, by_language: bool = False
) -> web.Response:
    """`body` with its validator; 304 without it when the client's copy is the same.
    `by_language`: the language came from Accept-Language, so caches must keep one per language."""
    tag = hashlib.blake2b(body.encode(), digest_size=16).hexdigest()
    headers = {
        "Cache-Control": f"public, max-age={max_age}",
        "ETag": f'W/"{tag}"',  # weak: the same body is sent compressed or not
        "Vary": "Accept-Encoding, Accept-Language" if by_language else "Accept-Encoding",
    }
    if any(seen.value in (tag, "*") for seen in request.if_none_match or ()):
        return web.Response(status=304, headers=headers)
    response = web.Response(text=body, content_type=content_type, charset="utf-8", headers=headers)
    response.enable_compression()
    return response
