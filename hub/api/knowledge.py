"""The knowledge base's HTTP API (docs/api.md): search and published articles for everyone
who works in the console; the editorial workflow, history, import and export for editors.

The search itself is `chatbot.knowledge`, the workflow `hub.editorial`, the storage `store.knowledge`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from chatbot.knowledge.files import FileFormat, parse_articles, write_articles
from hub.api.errors import read_body
from hub.core import HUB, Hub
from model import LANGUAGES, Agent, ArticleState, Category, Language, Role
from model.articles import ArticleAction, ArticleContent, ArticleEntry, Variant
from model.errors import HubError, forbidden, invalid, not_found

routes = web.RouteTableDef()

MAX_IMPORT_BYTES = 50 * 1024 * 1024
"""A whole knowledge base fits (100,000 articles as XLSX are about 40 MB); the hub's usual
limit on a request body is far smaller, so the import reads its body itself."""
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class VariantBody(BaseModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    body: Text
    keywords: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=50
    )


class ContentBody(BaseModel):
    """An article as an editor saves it."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")] | None = None
    category: Category
    variants: dict[Language, VariantBody] = Field(min_length=1)
    valid_from: date | None = None
    valid_until: date | None = None
    directory: list[str] = Field(default_factory=list, max_length=20)
    base: int | None = None
    """The revision the editor started from (edits only)."""
    checked: list[Language] = Field(default_factory=list)
    """Languages a translator compared with the Korean and found current (clears `outdated`)."""

    def content(self) -> ArticleContent:
        return ArticleContent(
            self.category.value,
            {
                language.value: Variant(variant.title, variant.body, tuple(variant.keywords))
                for language, variant in self.variants.items()
            },
            self.valid_from,
            self.valid_until,
            tuple(self.directory),
        )


class CommentBody(BaseModel):
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


async def article_worker(request: web.Request) -> Agent:
    """The editor, supervisor or admin behind the request, checked before any body is read: an
    agent only proposes drafts (403 for the rest of the workflow)."""
    worker = await request.app[HUB].auth.agent(request, Role.EDITOR)
    if not worker.role.edits_articles:
        raise forbidden("Only editors, supervisors and admins work on articles; agents propose drafts.")
    return worker


@routes.get("/api/v1/kb/search")
async def search(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.EDITOR)
    query = request.query.get("q", "").strip()
    if not query:
        raise invalid("The query parameter 'q' is required.", "missing_field")
    if len(query) > 500:
        raise invalid("The query is longer than 500 characters.", "text_too_long")
    language = _language(request)
    limit = _number(request, "limit", 5, 1, 50)
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
                    "outdated": hit.article.outdated,
                }
                for hit in hits
            ]
        }
    )


@routes.get("/api/v1/kb/articles/{id}")
async def article(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.EDITOR)
    article_id = request.match_info["id"]
    found = await hub.knowledge.article(article_id, _language(request))
    if found is None:
        raise not_found("The article")
    offices = hub.editorial.offices(found.directory, found.language)
    return web.json_response(
        found.to_json() | {"languages": await hub.knowledge.languages(article_id), "directory_offices": offices}
    )


@routes.get("/api/v1/kb/entries")
async def entries(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    state = request.query.get("state") or None
    if state is not None and state not in ArticleState.__members__.values():
        raise invalid(f"Unknown state {state!r}.", "invalid_field")
    found = await hub.editorial.entries(
        editor,
        ArticleState(state) if state else None,
        request.query.get("q", "").strip() or None,
        request.query.get("outdated") == "true",
        _number(request, "limit", 200, 1, 1000),
    )
    return web.json_response({"entries": [_summary(entry) for entry in found]})


@routes.post("/api/v1/kb/entries")
async def propose(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    author = await hub.auth.agent(request, Role.EDITOR)
    body = await read_body(request, ContentBody)
    entry = await hub.editorial.propose(author, body.content(), body.id)
    return web.json_response(_detail(hub, author, entry), status=201)


@routes.get("/api/v1/kb/entries/{id}")
async def entry(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    return web.json_response(_detail(hub, editor, await hub.editorial.entry(editor, request.match_info["id"])))


@routes.put("/api/v1/kb/entries/{id}")
async def edit(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    body = await read_body(request, ContentBody)
    if body.id is not None and body.id != request.match_info["id"]:
        raise invalid("An article's id cannot change.", "invalid_field")
    checked = frozenset(language.value for language in body.checked)
    entry = await hub.editorial.edit(editor, request.match_info["id"], body.content(), body.base, checked)
    return web.json_response(_detail(hub, editor, entry))


def _workflow(action: ArticleAction) -> Any:
    async def handler(request: web.Request) -> web.Response:
        hub = request.app[HUB]
        editor = await article_worker(request)
        comment = (await read_body(request, CommentBody)).comment if request.can_read_body else None
        entry = await hub.editorial.move(editor, request.match_info["id"], action, comment)
        return web.json_response(_detail(hub, editor, entry))

    handler.__doc__ = f"The article is {action.value}."
    return handler


for _path, _action in (
    ("submit", ArticleAction.SUBMITTED),
    ("approve", ArticleAction.APPROVED),
    ("return", ArticleAction.RETURNED),
    ("publish", ArticleAction.PUBLISHED),
    ("archive", ArticleAction.ARCHIVED),
):
    routes.post(f"/api/v1/kb/entries/{{id}}/{_path}")(_workflow(_action))


@routes.get("/api/v1/kb/entries/{id}/history")
async def history(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    events = await hub.editorial.history(editor, request.match_info["id"])
    return web.json_response({"events": [event.to_json() for event in events]})


@routes.get("/api/v1/kb/entries/{id}/diff")
async def diff(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    before = _number(request, "from", 0, 1, 1_000_000) or None
    after = _number(request, "to", 0, 1, 1_000_000) or None
    before, after, fields = await hub.editorial.diff(editor, request.match_info["id"], before, after)
    return web.json_response({"from": before, "to": after, "fields": [field.to_json() for field in fields]})


@routes.get("/api/v1/kb/export")
async def export(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    file_format = _format(request)
    data = write_articles(await hub.editorial.published(editor), file_format)
    return web.Response(
        body=data,
        content_type=file_format.media_type,
        headers={"Content-Disposition": f'attachment; filename="knowledge-base.{file_format.value}"'},
    )


@routes.post("/api/v1/kb/import")
async def import_file(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    file_format = _format(request)
    data = await _file_body(request)
    if not data:
        raise invalid("The body must be the file to import.", "missing_field")
    items = parse_articles(data, file_format, f"the {file_format.value.upper()} file")
    return web.json_response({"imported": await hub.editorial.import_articles(editor, items)})


async def _file_body(request: web.Request) -> bytes:
    too_large = HubError(413, "payload_too_large", f"An import file may hold at most {MAX_IMPORT_BYTES >> 20} MB.")
    if request.content_length is not None and request.content_length > MAX_IMPORT_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_IMPORT_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _summary(entry: ArticleEntry) -> dict[str, Any]:
    full = entry.to_json()
    return {key: value for key, value in full.items() if key != "draft"} | {
        "languages": sorted(entry.draft.variants),
        "valid_from": full["draft"]["valid_from"],
        "valid_until": full["draft"]["valid_until"],
    }


def _detail(hub: Hub, reader: Agent, entry: ArticleEntry) -> dict[str, Any]:
    return entry.to_json() | {
        "can_publish": hub.editorial.can_publish(reader, entry),
        "directory_offices": hub.editorial.offices(entry.draft.directory),
    }


def _format(request: web.Request) -> FileFormat:
    value = request.query.get("format", "jsonl")
    if value not in FileFormat.__members__.values():
        raise invalid(f"Unknown format {value!r}: jsonl, csv or xlsx.", "invalid_field")
    return FileFormat(value)


def _number(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"The query parameter '{name}' must be a number.", "invalid_field") from None
    if not low <= value <= high:
        raise invalid(f"The query parameter '{name}' must be between {low} and {high}.", "invalid_field")
    return value


def _language(request: web.Request) -> str:
    language = request.query.get("lang", "ko")
    if language not in LANGUAGES:
        raise invalid(f"Unknown language {language!r}.", "unknown_language")
    return language
