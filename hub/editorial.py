"""The knowledge base's editorial workflow (표준상담DB): draft → review → published, who may
do what, history and differences between revisions.

An article's published text keeps answering while its next revision is written and
reviewed; publishing replaces it at once in this process's search index, and in the
others' within seconds (they follow `kb_changes`).
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from chatbot.knowledge.base import KnowledgeBase
from chatbot.phone_directory import PhoneDirectory
from model import AGENT_LANGUAGE, Agent, Article, ArticleState
from model.articles import ArticleAction, ArticleContent, ArticleEntry, ArticleEvent
from model.clock import utcnow
from model.errors import HubError, conflict, forbidden, invalid, not_found
from store import knowledge as articles
from store.db import Store

MOVES: dict[ArticleAction, tuple[frozenset[ArticleState], ArticleState | None]] = {
    ArticleAction.EDITED: (frozenset(ArticleState), ArticleState.DRAFT),
    ArticleAction.SUBMITTED: (frozenset({ArticleState.DRAFT}), ArticleState.REVIEW),
    ArticleAction.APPROVED: (frozenset({ArticleState.REVIEW}), None),
    ArticleAction.RETURNED: (frozenset({ArticleState.REVIEW}), ArticleState.DRAFT),
    ArticleAction.PUBLISHED: (frozenset({ArticleState.REVIEW}), ArticleState.PUBLISHED),
    ArticleAction.ARCHIVED: (
        frozenset({ArticleState.DRAFT, ArticleState.REVIEW, ArticleState.PUBLISHED}),
        ArticleState.ARCHIVED,
    ),
}
"""Each workflow action: the states it may start from, and where it leaves the article."""


@dataclass(frozen=True)
class FieldDiff:
    """One field that differs between two revisions."""

    field: str
    """`category`, `valid_from`, `valid_until`, `directory`, or `<language>.title|body|keywords`."""
    before: str
    after: str

    def to_json(self) -> dict[str, Any]:
        diff = difflib.unified_diff(self.before.splitlines(), self.after.splitlines(), "before", "after", lineterm="")
        return {"field": self.field, "before": self.before, "after": self.after, "diff": "\n".join(diff)}


class Editorial:
    """Writes, reviews and publishes articles, checking each role's rights (DESIGN.md):
    anyone may propose a draft; editors, supervisors and admins edit, review and publish,
    but an editor publishes only what someone else approved too."""

    def __init__(self, store: Store, knowledge: KnowledgeBase, directory: PhoneDirectory) -> None:
        self._store = store
        self._knowledge = knowledge
        self._directory = directory

    async def propose(self, author: Agent, content: ArticleContent, article_id: str | None = None) -> ArticleEntry:
        """A new article as a draft (agents too may propose one)."""
        self._check(content)
        article_id = article_id or f"kb-{secrets.token_hex(5)}"
        taken = conflict(f"An article with the id {article_id!r} already exists.")
        try:
            async with self._store.write() as session:
                if await articles.entry(session, article_id) is not None:
                    raise taken
                await articles.create(session, article_id, content, author.username, utcnow())
                return await self._entry(session, article_id)
        except IntegrityError:  # another editor created it in between
            raise taken from None

    async def edit(
        self,
        editor: Agent,
        article_id: str,
        content: ArticleContent,
        base: int | None,
        checked: frozenset[str] = frozenset(),
    ) -> ArticleEntry:
        """The article's next revision, a draft again; `base` is the revision the editor
        started from (409 when someone saved another since); `checked`: languages a translator
        compared with the Korean and found current."""
        self._may_edit(editor)
        self._check(content)
        async with self._store.write() as session:
            current = await self._current(session, article_id, ArticleAction.EDITED)
            if base is not None and base != current.head:
                raise HubError(
                    409,
                    "edit_conflict",
                    f"Revision {current.head} was saved after revision {base}: reload and edit again.",
                )
            await articles.write_revision(
                session, article_id, content.after_edit(current.draft, checked), editor.username, utcnow()
            )
            return await self._entry(session, article_id)

    async def move(
        self, editor: Agent, article_id: str, action: ArticleAction, comment: str | None = None
    ) -> ArticleEntry:
        """Submit for review, approve, return to draft, publish or archive."""
        self._may_edit(editor)
        if action is ArticleAction.RETURNED and not (comment or "").strip():
            raise invalid("Say what to change when returning an article to its author.", "missing_field")
        now = utcnow()
        async with self._store.write() as session:
            current = await self._current(session, article_id, action)
            if action is ArticleAction.PUBLISHED:
                self._may_publish(editor, current)
                await articles.publish(session, article_id, editor.username, now)
            elif action is ArticleAction.ARCHIVED:
                await articles.archive(session, article_id, editor.username, now, comment)
            else:
                if action is ArticleAction.APPROVED and editor.username in current.approvals:
                    raise conflict("You already approved this revision.")
                await articles.record(
                    session, article_id, current.head, action, editor.username, now, comment, MOVES[action][1]
                )
            entry = await self._entry(session, article_id)
        if action in (ArticleAction.PUBLISHED, ArticleAction.ARCHIVED):
            await self._knowledge.refresh()
        return entry

    async def import_articles(self, editor: Agent, items: list[Article]) -> int:
        """Publish checked import lines as given (each id's next revision); returns how many."""
        self._may_edit(editor)
        for content in {item.id: ArticleContent.of([item]) for item in items}.values():
            self._check_directory(content)
        async with self._store.write() as session:
            written = await articles.import_published(session, items, editor.username, utcnow())
        await self._knowledge.refresh()
        return written

    async def published(self, reader: Agent) -> list[Article]:
        """Every published variant, for an export."""
        self._may_edit(reader)
        return await articles.ArticleStore(self._store).all_articles()

    async def entry(self, reader: Agent, article_id: str) -> ArticleEntry:
        self._may_edit(reader)
        async with self._store.read() as session:
            return await self._entry(session, article_id)

    async def entries(
        self, reader: Agent, state: ArticleState | None, query: str | None, outdated: bool, limit: int = 200
    ) -> list[ArticleEntry]:
        self._may_edit(reader)
        async with self._store.read() as session:
            return await articles.entries(session, state, query, outdated, limit)

    async def history(self, reader: Agent, article_id: str) -> list[ArticleEvent]:
        self._may_edit(reader)
        async with self._store.read() as session:
            await self._entry(session, article_id)
            return await articles.history(session, article_id)

    async def diff(
        self, reader: Agent, article_id: str, before: int | None, after: int | None
    ) -> tuple[int, int, list[FieldDiff]]:
        """What changed between two revisions (by default: the published one, or the first, to the newest)."""
        self._may_edit(reader)
        async with self._store.read() as session:
            current = await self._entry(session, article_id)
            before = before or current.published or 1
            after = after or current.head
            old = await articles.revision(session, article_id, before)
            new = await articles.revision(session, article_id, after)
        if old is None or new is None:
            raise not_found(f"Revision {before if old is None else after} of this article")
        return before, after, _differences(old[0], new[0])

    def can_publish(self, editor: Agent, entry: ArticleEntry) -> bool:
        """Whether `editor` may publish the article now."""
        try:
            self._may_edit(editor)
            self._may_publish(editor, entry)
        except HubError:
            return False
        return entry.state is ArticleState.REVIEW

    def offices(self, office_ids: Iterable[str], language: str = AGENT_LANGUAGE) -> list[dict[str, str]]:
        """The phone-directory offices an article links to, with their names in `language` and numbers."""
        found = (self._directory.office(office_id) for office_id in office_ids)
        return [{"id": o.id, "name": o.name_in(language), "number": o.number} for o in found if o is not None]

    async def _current(self, session: Any, article_id: str, action: ArticleAction) -> ArticleEntry:
        current = await articles.entry(session, article_id, lock=True)
        if current is None:
            raise not_found("The article")
        allowed, _ = MOVES[action]
        if current.state not in allowed:
            raise HubError(409, "wrong_state", f"An article in state {current.state.value!r} cannot be {action.value}.")
        return current

    async def _entry(self, session: Any, article_id: str) -> ArticleEntry:
        found = await articles.entry(session, article_id)
        if found is None:
            raise not_found("The article")
        return found

    @staticmethod
    def _may_edit(agent: Agent) -> None:
        if not agent.role.edits_articles:
            raise forbidden("Only editors, supervisors and admins work on articles; agents propose drafts.")

    @staticmethod
    def _may_publish(editor: Agent, entry: ArticleEntry) -> None:
        if not entry.approvals:
            raise HubError(409, "not_approved", "Nobody has approved this revision yet.")
        if not editor.role.publishes_own_review and set(entry.approvals) <= {editor.username}:
            raise HubError(
                403,
                "needs_second_review",
                "Another editor or a supervisor must approve this revision before you publish it.",
            )

    def _check(self, content: ArticleContent) -> None:
        if "ko" not in content.variants:
            raise invalid("An article needs its Korean text (variants.ko).", "missing_field")
        if content.valid_from and content.valid_until and content.valid_until < content.valid_from:
            raise invalid("valid_until is before valid_from.", "invalid_field")
        self._check_directory(content)

    def _check_directory(self, content: ArticleContent) -> None:
        unknown = [office for office in content.directory if self._directory.office(office) is None]
        if unknown:
            raise invalid(f"Unknown phone-directory office {unknown[0]!r}.", "invalid_field")


def _differences(old: ArticleContent, new: ArticleContent) -> list[FieldDiff]:
    def fields(content: ArticleContent) -> dict[str, str]:
        values = {
            "category": content.category,
            "valid_from": content.valid_from.isoformat() if content.valid_from else "",
            "valid_until": content.valid_until.isoformat() if content.valid_until else "",
            "directory": ", ".join(content.directory),
        }
        for language, variant in content.variants.items():
            values |= {
                f"{language}.title": variant.title,
                f"{language}.body": variant.body,
                f"{language}.keywords": ", ".join(variant.keywords),
            }
        return values

    before, after = fields(old), fields(new)
    names = list(before) + [name for name in after if name not in before]
    return [
        FieldDiff(name, before.get(name, ""), after.get(name, ""))
        for name in names
        if before.get(name, "") != after.get(name, "")
    ]
