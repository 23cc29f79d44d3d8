"""Knowledge-base articles: what is published (`kb_articles`, what the search and the public
pages read), and the workflow behind it (entries, immutable revisions, history, the change
log every process's search index follows). `ArticleStore` is the search's source; the
functions below work inside a session the caller opened."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Article, ArticleState
from model.articles import ArticleAction, ArticleContent, ArticleEntry, ArticleEvent
from store.db import Store
from store.tables import ArticleChangeRow, ArticleEntryRow, ArticleEventRow, ArticleRevisionRow, ArticleRow

SYSTEM = "system"
"""The actor of imports and the demo knowledge base."""


class ArticleStore:
    """The published articles, each call in its own transaction (`chatbot.knowledge.base.ArticleSource`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def all_articles(self) -> list[Article]:
        """Every published article in every language, by id."""
        async with self._store.read() as session:
            return [_article(row) for row in await session.scalars(select(ArticleRow).order_by(ArticleRow.id))]

    async def articles(self, ids: Sequence[str]) -> list[Article]:
        """The published variants of these articles (none for a withdrawn one)."""
        async with self._store.read() as session:
            rows = await session.scalars(select(ArticleRow).where(ArticleRow.id.in_(list(ids))))
            return [_article(row) for row in rows]

    async def changes_since(self, mark: int) -> tuple[int, list[str]]:
        """The newest change's number and the articles whose published text changed after `mark`."""
        async with self._store.read() as session:
            rows = (
                await session.execute(
                    select(ArticleChangeRow.seq, ArticleChangeRow.article_id).where(ArticleChangeRow.seq > mark)
                )
            ).all()
        if not rows:
            return mark, []
        return max(seq for seq, _ in rows), sorted({article_id for _, article_id in rows})

    async def article(self, article_id: str, language: str) -> Article | None:
        """One published article in one language, if it is written in it."""
        async with self._store.read() as session:
            row = await session.get(ArticleRow, (article_id, language))
            return _article(row) if row else None

    async def languages(self, article_id: str) -> list[str]:
        """The languages an article is published in, sorted."""
        async with self._store.read() as session:
            found = await session.scalars(select(ArticleRow.language).where(ArticleRow.id == article_id))
            return sorted(found)

    async def upsert(self, articles: list[Article], now: datetime) -> int:
        """Publish articles as given (an import, the demo): each id becomes one published
        revision holding its variants; returns how many variants were written."""
        async with self._store.write() as session:
            return await import_published(session, articles, SYSTEM, now)


def _article(row: ArticleRow) -> Article:
    return Article(
        row.id,
        row.category,
        row.title,
        row.body,
        tuple(row.keywords or ()),
        row.language,
        row.valid_from,
        row.valid_until,
        bool(row.outdated),
        tuple(row.directory or ()),
    )


async def import_published(session: AsyncSession, articles: list[Article], actor: str, now: datetime) -> int:
    """Publish each article id's variants as its next revision; a language the import does not
    carry keeps its published text (marked outdated when the Korean changed)."""
    by_id: dict[str, list[Article]] = defaultdict(list)
    for item in articles:
        by_id[item.id].append(item)
    known = await _known_ids(session, list(by_id))
    # New articles (the demo, a first import) are written in one go, a statement per table:
    # no reads, and none of the ORM's bookkeeping for hundreds of rows it will never see again.
    new_rows: dict[type, list[dict[str, object]]] = defaultdict(list)
    for article_id, variants in by_id.items():
        content = ArticleContent.of(variants)
        if article_id not in known:
            for row in _first_revision(article_id, content, actor, now, ArticleAction.IMPORTED, published=True):
                new_rows[type(row)].append(_values(row))
            continue
        current = await entry(session, article_id)
        assert current is not None
        merged = ArticleContent(
            content.category,
            current.draft.variants | content.variants,
            content.valid_from,
            content.valid_until,
            content.directory,
        )
        await write_revision(session, article_id, merged.after_edit(current.draft), actor, now, ArticleAction.IMPORTED)
        await publish(session, article_id, actor, now, action=None)
    for table, rows in new_rows.items():  # in _first_revision's order: entries before what refers to them
        await session.execute(insert(table), rows)
    await session.flush()
    return len(articles)


def _values(row: object) -> dict[str, object]:
    """The column values set on an unsaved row."""
    return {column.key: getattr(row, column.key) for column in inspect(type(row)).column_attrs
            if column.key in vars(row)}  # fmt: skip


async def _known_ids(session: AsyncSession, ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), 500):  # SQLite limits a statement's parameters
        chunk = ids[start : start + 500]
        known.update(await session.scalars(select(ArticleEntryRow.id).where(ArticleEntryRow.id.in_(chunk))))
    return known


def _first_revision(
    article_id: str, content: ArticleContent, author: str, now: datetime, action: ArticleAction, published: bool
) -> list[object]:
    """The rows of a new article: its entry, first revision and history line; when
    `published`, also what citizens and the bot read of it."""
    rows: list[object] = [
        ArticleEntryRow(
            id=article_id,
            state=(ArticleState.PUBLISHED if published else ArticleState.DRAFT).value,
            category=content.category,
            title=content.title,
            outdated=content.outdated,
            head=1,
            published=1 if published else None,
            created_by=author,
            created_at=now,
            updated_at=now,
        ),
        ArticleRevisionRow(article_id=article_id, number=1, content=content.to_json(), author=author, created_at=now),
        ArticleEventRow(article_id=article_id, revision=1, action=action.value, actor=author, at=now),
    ]
    if published:
        rows.append(ArticleChangeRow(article_id=article_id, changed_at=now))
        rows.extend(_published_row(item, 1, now) for item in content.articles(article_id))
    return rows


def _published_row(item: Article, revision: int, now: datetime) -> ArticleRow:
    return ArticleRow(
        id=item.id,
        language=item.language,
        category=item.category,
        title=item.title,
        body=item.body,
        keywords=list(item.keywords),
        updated_at=now,
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        outdated=item.outdated,
        directory=list(item.directory),
        revision=revision,
    )


async def entry(session: AsyncSession, article_id: str, *, lock: bool = False) -> ArticleEntry | None:
    """The article's workflow entry with its newest revision, if it exists."""
    query = select(ArticleEntryRow).where(ArticleEntryRow.id == article_id)
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        return None
    head = await session.get(ArticleRevisionRow, (article_id, row.head))
    assert head is not None
    return _entry(row, ArticleContent.from_json(head.content), await _approvals(session, article_id, row.head))


def _entry(row: ArticleEntryRow, draft: ArticleContent, approvals: tuple[str, ...]) -> ArticleEntry:
    return ArticleEntry(
        row.id,
        ArticleState(row.state),
        row.head,
        row.published,
        draft,
        row.created_by,
        row.created_at,
        row.updated_at,
        approvals,
    )


async def _approvals(session: AsyncSession, article_id: str, revision: int) -> tuple[str, ...]:
    """Who approved `revision` since it was last submitted (a return sends it back to draft)."""
    events = await session.scalars(
        select(ArticleEventRow)
        .where(ArticleEventRow.article_id == article_id, ArticleEventRow.revision == revision)
        .order_by(ArticleEventRow.id)
    )
    approvers: list[str] = []
    for event in events:
        if event.action in (ArticleAction.SUBMITTED, ArticleAction.RETURNED):
            approvers = []
        elif event.action == ArticleAction.APPROVED and event.actor not in approvers:
            approvers.append(event.actor)
    return tuple(approvers)


async def entries(
    session: AsyncSession,
    state: ArticleState | None = None,
    query: str | None = None,
    outdated: bool = False,
    limit: int = 200,
) -> list[ArticleEntry]:
    """Articles in the workflow, the most recently changed first: in `state`, whose id or
    newest title contains `query`, or with a variant marked outdated."""
    rows_query = select(ArticleEntryRow, ArticleRevisionRow).join(
        ArticleRevisionRow,
        (ArticleRevisionRow.article_id == ArticleEntryRow.id) & (ArticleRevisionRow.number == ArticleEntryRow.head),
    )
    if state is not None:
        rows_query = rows_query.where(ArticleEntryRow.state == state.value)
    if query:
        rows_query = rows_query.where(or_(ArticleEntryRow.id.contains(query), ArticleEntryRow.title.contains(query)))
    if outdated:
        rows_query = rows_query.where(ArticleEntryRow.outdated.is_(True))
    rows_query = rows_query.order_by(ArticleEntryRow.updated_at.desc(), ArticleEntryRow.id).limit(limit)
    found = []
    for row, head in (await session.execute(rows_query)).all():
        draft = ArticleContent.from_json(head.content)
        found.append(_entry(row, draft, ()))
    return found


async def create(session: AsyncSession, article_id: str, content: ArticleContent, author: str, now: datetime) -> None:
    """A new article whose first revision is a draft."""
    session.add_all(_first_revision(article_id, content, author, now, ArticleAction.CREATED, published=False))
    await session.flush()


async def write_revision(
    session: AsyncSession,
    article_id: str,
    content: ArticleContent,
    author: str,
    now: datetime,
    action: ArticleAction = ArticleAction.EDITED,
    comment: str | None = None,
) -> int:
    """The article's next revision (a draft again); returns its number."""
    row = await session.get(ArticleEntryRow, article_id)
    assert row is not None
    row.head += 1
    row.state, row.category, row.updated_at = ArticleState.DRAFT.value, content.category, now
    row.title, row.outdated = content.title, content.outdated
    session.add(
        ArticleRevisionRow(
            article_id=article_id, number=row.head, content=content.to_json(), author=author, created_at=now
        )
    )
    await record(session, article_id, row.head, action, author, now, comment)
    return row.head


async def record(
    session: AsyncSession,
    article_id: str,
    revision: int,
    action: ArticleAction,
    actor: str,
    now: datetime,
    comment: str | None = None,
    state: ArticleState | None = None,
) -> None:
    """One line of the article's history; with `state`, the article moves there."""
    session.add(
        ArticleEventRow(
            article_id=article_id, revision=revision, action=action.value, actor=actor, comment=comment, at=now
        )
    )
    if state is not None:
        row = await session.get(ArticleEntryRow, article_id)
        assert row is not None
        row.state, row.updated_at = state.value, now
    await session.flush()


async def publish(
    session: AsyncSession,
    article_id: str,
    actor: str,
    now: datetime,
    action: ArticleAction | None = ArticleAction.PUBLISHED,
) -> None:
    """The newest revision becomes what citizens and the bot read."""
    row = await session.get(ArticleEntryRow, article_id)
    assert row is not None
    head = await session.get(ArticleRevisionRow, (article_id, row.head))
    assert head is not None
    await session.execute(delete(ArticleRow).where(ArticleRow.id == article_id))
    for item in ArticleContent.from_json(head.content).articles(article_id):
        session.add(_published_row(item, row.head, now))
    row.published, row.state, row.updated_at = row.head, ArticleState.PUBLISHED.value, now
    session.add(ArticleChangeRow(article_id=article_id, changed_at=now))
    if action is not None:
        await record(session, article_id, row.head, action, actor, now)
    await session.flush()


async def archive(session: AsyncSession, article_id: str, actor: str, now: datetime, comment: str | None) -> None:
    """Withdraw the article: nobody reads it any more; its history stays."""
    row = await session.get(ArticleEntryRow, article_id)
    assert row is not None
    await session.execute(delete(ArticleRow).where(ArticleRow.id == article_id))
    row.published = None
    session.add(ArticleChangeRow(article_id=article_id, changed_at=now))
    await record(session, article_id, row.head, ArticleAction.ARCHIVED, actor, now, comment, ArticleState.ARCHIVED)


async def history(session: AsyncSession, article_id: str) -> list[ArticleEvent]:
    """What happened to the article, oldest first."""
    rows = await session.scalars(
        select(ArticleEventRow).where(ArticleEventRow.article_id == article_id).order_by(ArticleEventRow.id)
    )
    return [ArticleEvent(row.revision, ArticleAction(row.action), row.actor, row.at, row.comment) for row in rows]


async def revision(session: AsyncSession, article_id: str, number: int) -> tuple[ArticleContent, str, datetime] | None:
    """One revision's content, author and time."""
    row = await session.get(ArticleRevisionRow, (article_id, number))
    return (ArticleContent.from_json(row.content), row.author, row.created_at) if row else None


async def count(session: AsyncSession) -> int:
    """How many articles the workflow holds."""
    return int(await session.scalar(select(func.count()).select_from(ArticleEntryRow)) or 0)
