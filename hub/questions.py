"""What editors should write articles for: the citizens' questions the bot could not answer
and those agents answered by hand (kept by ingest and the desk, masked), grouped by what they
ask; a group, or one agent's answer, becomes a draft article in one step."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chatbot.knowledge.tokenizer import SearchTokenizer
from chatbot.questions import group_similar
from hub.editorial import Editorial
from model import AGENT_LANGUAGE, Agent, Author, Conversation, Event, EventType, Message, Role
from model.articles import ArticleContent, ArticleEntry, Variant
from model.clock import utcnow
from model.errors import conflict, forbidden, invalid, not_found
from model.masking import mask
from router.intents import asks_for_person
from store import conversations, questions
from store.db import Store
from store.questions import Question, QuestionKind

MAX_QUESTIONS = 10_000
"""The newest questions grouped at most: 10,000 take about 4 s of one core (in a worker thread)."""
EXAMPLES = 5
TITLE_CHARS = 80
OTHER = "other"
"""The category of a draft whose questions came with none."""
_MAX_MESSAGE_ID = 2**31 - 1
"""Message ids are the store's 32-bit integers: anything else names no message."""


@dataclass(frozen=True)
class QuestionGroup:
    """Similar questions: what one article could answer."""

    label: str
    """The most representative question."""
    count: int
    languages: dict[str, int]
    examples: tuple[str, ...]
    """Up to five different texts, the label first (masked)."""
    question_ids: tuple[int, ...]
    """Every question of the group, the label's first."""
    category: str | None
    """The most common category the questions came with."""

    @classmethod
    def of(cls, members: Sequence[Question]) -> QuestionGroup:
        """The group of `members`, the first being its label."""
        examples = tuple(dict.fromkeys(question.text for question in members))[:EXAMPLES]
        categories = Counter(question.category for question in members if question.category)
        return cls(
            label=members[0].text,
            count=len(members),
            languages=dict(Counter(question.language for question in members).most_common()),
            examples=examples,
            question_ids=tuple(question.id for question in members),
            category=categories.most_common(1)[0][0] if categories else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "count": self.count,
            "languages": self.languages,
            "examples": list(self.examples),
            "question_ids": list(self.question_ids),
            "category": self.category,
        }


class Questions:
    """The questions list editors work from, and drafts made from it or from an answer."""

    def __init__(self, store: Store, editorial: Editorial, tokenizer: SearchTokenizer) -> None:
        self._store = store
        self._editorial = editorial
        self._tokenizer = tokenizer
        # One grouping at a time: the Korean analyser's tagger is not shared between threads.
        self._grouping = asyncio.Lock()

    async def groups(self, reader: Agent, days: int, kind: QuestionKind | None) -> list[QuestionGroup]:
        """The open questions of the last `days` days, similar ones grouped, biggest first;
        questions an article was written for are left out."""
        _may_edit(reader)
        async with self._store.read() as session:
            found = await questions.open_questions(session, utcnow() - timedelta(days=days), kind, MAX_QUESTIONS)
        async with self._grouping:
            grouped = await asyncio.to_thread(
                group_similar, [(question.text, question.language) for question in found], self._tokenizer
            )
        return [QuestionGroup.of([found[index] for index in members]) for members in grouped]

    async def draft(self, editor: Agent, question_ids: Sequence[int]) -> ArticleEntry:
        """A draft article for these questions: titled with the first (a group's label comes
        first in its `question_ids`), its body listing them for the editor to replace with
        the answer. The questions leave the list."""
        _may_edit(editor)
        async with self._store.read() as session:
            found = {question.id: question for question in await questions.by_ids(session, question_ids)}
        if missing := [i for i in question_ids if i not in found]:
            raise not_found(f"The question {missing[0]}")
        if covered := [found[i] for i in question_ids if found[i].article_id]:
            raise conflict(f"The question {covered[0].id} is already covered by the article {covered[0].article_id}.")
        group = QuestionGroup.of([found[i] for i in dict.fromkeys(question_ids)])
        body = "\n".join(
            [f"시민들이 이렇게 물었습니다 ({group.count}건). 이 목록을 지우고 답변을 쓰세요.", ""]
            + [f"- {' '.join(example.split())}" for example in group.examples]
        )
        content = ArticleContent(group.category or OTHER, {AGENT_LANGUAGE: Variant(_title(group.label), body)})
        entry = await self._editorial.propose(editor, content)
        async with self._store.write() as session:
            await questions.cover(session, entry.id, ids=group.question_ids)
        return entry

    async def draft_from_reply(self, agent: Agent, message_id: str) -> ArticleEntry:
        """An agent's reply as a draft article: the citizen's question before it (masked) is
        the title, the reply (masked) the body, the conversation's category the article's.
        Agents turn replies in their own conversations into drafts; supervisors any."""
        async with self._store.read() as session:
            found = await conversations.messages_by_id(session, [message_id]) if _is_message_id(message_id) else []
            if not found:
                raise not_found("The message")
            reply = found[0]
            conversation = await conversations.conversation(session, reply.conversation_id)
            assert conversation is not None
            _may_read(agent, conversation, reply)
            if reply.author is not Author.AGENT:
                raise invalid("Only an agent's reply to a citizen becomes a draft article.", "not_an_answer")
            history = await conversations.messages(session, conversation.id)
            trail = await conversations.events(session, conversation.id)
        asked = asked_before(reply, history, trail, through_replies=True)
        if not asked:
            raise invalid("No citizen's question comes before this reply.", "no_question")
        # The question was kept on the citizen's messages and on the first reply to them.
        answered = [message.id for message in history if int(asked[0].id) <= int(message.id) <= int(reply.id)]
        title = _title(mask(" ".join(_korean(message) for message in asked)))
        content = ArticleContent(conversation.category or OTHER, {AGENT_LANGUAGE: Variant(title, mask(_korean(reply)))})
        entry = await self._editorial.propose(agent, content)
        async with self._store.write() as session:
            await questions.cover(session, entry.id, message_ids=answered)
        return entry


def asked_before(
    reply: Message, history: Sequence[Message], trail: Sequence[Event], through_replies: bool = False
) -> list[Message]:
    """The citizen's messages an agent's `reply` answers, oldest first: those since the last
    answer before it (an agent's reply, or the bot's answer), in the conversation's `history`
    and its `trail` of events. The bot saying it has no answer, queue notices and the citizen
    asking for a person are neither question nor answer. `through_replies`: a reply right
    after other replies of the agent ("안녕하세요", then the answer) answers the question
    they follow."""
    bot_answers = [e.at for e in trail if e.type == EventType.BOT_ANSWERED.value and e.at < reply.created_at]
    last_bot_answer = max(bot_answers, default=None)
    asked: list[Message] = []
    for message in reversed([message for message in history if int(message.id) < int(reply.id)]):
        if last_bot_answer is not None and message.created_at <= last_bot_answer:
            break
        if message.author is Author.AGENT:
            if through_replies and not asked:
                continue
            break
        if message.author is Author.CITIZEN and message.text.strip() and not asks_for_person(message.text):
            asked.append(message)
    return asked[::-1]


async def record_agent_answer(session: AsyncSession, conversation: Conversation, reply: Message, now: datetime) -> None:
    """Keep the citizen's question an agent's reply answers, when neither the bot nor an
    earlier reply answered it (keyed on the reply: kept once)."""
    history = await conversations.messages(session, conversation.id)
    asked = asked_before(reply, history, await conversations.events(session, conversation.id))
    if asked:
        await questions.record(
            session,
            QuestionKind.AGENT_ANSWERED,
            reply.id,
            conversation.id,
            conversation.language or AGENT_LANGUAGE,
            "\n".join(message.text for message in asked),
            now,
            conversation.category,
            answer=_korean(reply),
        )


def _korean(message: Message) -> str:
    """What agents read of a message: the Korean beside a foreign text when there is one."""
    return message.translation or message.text


def _title(text: str) -> str:
    """A question as an article's title: one line, cut at a word near `TITLE_CHARS`."""
    line = " ".join(text.split())
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_CHARS // 2 :] else cut) + "…"


def _is_message_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) <= _MAX_MESSAGE_ID


def _may_edit(agent: Agent) -> None:
    if not agent.role.edits_articles:
        raise forbidden("Only editors, supervisors and admins work on the questions list.")


def _may_read(agent: Agent, conversation: Conversation, reply: Message) -> None:
    if not agent.role.at_least(Role.AGENT):
        raise forbidden("Editors read no conversation.")
    mine = reply.agent == agent.username or conversation.assigned_agent_id == agent.id
    if not mine and not agent.role.at_least(Role.SUPERVISOR):
        raise forbidden("This message is in another agent's conversation.")
