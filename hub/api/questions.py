"""What editors should write next (docs/api.md): the questions the bot could not answer and
those agents answered by hand, grouped; a group, or an agent's reply, as a draft article.

The grouping is `chatbot.questions`, the service `hub.questions`, the storage `store.questions`.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from hub.api.errors import read_body
from hub.api.knowledge import article_worker
from hub.core import HUB
from hub.questions import MAX_QUESTIONS
from model import Role
from model.errors import invalid
from store.questions import QuestionKind

routes = web.RouteTableDef()

MAX_DAYS = 365


class DraftBody(BaseModel):
    # Ids are the store's 32-bit integers: a larger number names no question (and no engine takes it).
    question_ids: list[Annotated[int, Field(ge=1, lt=2**31)]] = Field(min_length=1, max_length=MAX_QUESTIONS)
    """A group's `question_ids`: the first question becomes the title."""


class FromMessageBody(BaseModel):
    message_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


@routes.get("/api/v1/kb/questions")
async def question_groups(request: web.Request) -> web.Response:
    """?days=30&kind=unanswered|agent_answered (editors, supervisors, admins)."""
    hub = request.app[HUB]
    reader = await article_worker(request)
    groups = await hub.questions.groups(reader, _days(request), _kind(request))
    return web.json_response({"groups": [group.to_json() for group in groups]})


@routes.post("/api/v1/kb/questions/draft")
async def draft_for_questions(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    editor = await article_worker(request)
    body = await read_body(request, DraftBody)
    entry = await hub.questions.draft(editor, body.question_ids)
    return web.json_response(entry.to_json(), status=201)


@routes.post("/api/v1/kb/entries/from-message")
async def draft_from_message(request: web.Request) -> web.Response:
    """An agent's reply as a draft article; whoever may read the conversation (not editors)."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request, Role.AGENT)
    body = await read_body(request, FromMessageBody)
    entry = await hub.questions.draft_from_reply(agent, body.message_id)
    return web.json_response(entry.to_json(), status=201)


def _days(request: web.Request) -> int:
    raw = request.query.get("days", "30")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise invalid(f"The query parameter 'days' must be a number from 1 to {MAX_DAYS}.", "invalid_field")
    return int(raw)


def _kind(request: web.Request) -> QuestionKind | None:
    value = request.query.get("kind") or None
    if value is not None and value not in QuestionKind.__members__.values():
        raise invalid(f"Unknown kind {value!r}: unanswered or agent_answered.", "invalid_field")
    return QuestionKind(value) if value else None
