"""The satisfaction survey (시민 만족도): when an agent resolves a conversation the citizen is asked,
in their language and on their channel, to rate it from 1 to 5, and may then say why.

The rules:
- Only an agent's resolve (with a disposition) asks; a conversation the citizen left (while
  waiting, with the bot, or while the agent served them) or the bot closed is not asked. The
  question ends the closing message itself (one message, one SMS), with a button per score
  where the channel shows buttons, and the numbered scale where it does not (SMS, the
  sign-language video page); `survey_asked` records when.
- A resolve happens once per round (the state machine allows it only from `assigned`), so the
  survey is asked at most once per round; a reopen starts a new round and ends the old survey.
- A message that is a rating ("5", " 5 ", "5점", "５") within `answer_window` of the question,
  before any reopen, records `survey_answered` with `score` and `points` ((score − 1) × 25) and
  thanks the citizen, inviting an optional comment.
- The next message within `comment_window` of the rating is the comment: a second
  `survey_answered` that carries only `comment`, so that the round has exactly one rating (the
  event with `points`) and its comment beside it. A second rating instead of a comment (a
  button tapped twice) is kept but does not count again.
- Any other message reopens the conversation or starts a new one, as without a survey.

The survey never changes a conversation's state: it stays resolved while the citizen answers,
and the answers are stored as its messages, which are offered to no agent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from hub.changes import reply, say
from model import AGENT_LANGUAGE, Author, Channel, Conversation, Event, EventType, Message, QuickReply
from model.catalog import Catalog
from store import conversations

SCORES = (1, 2, 3, 4, 5)
"""The scale: 1 매우 불만족 … 5 매우 만족."""
NUMBERED_CHANNELS = frozenset({Channel.SMS, Channel.SIGN_VIDEO})
"""Channels that show no buttons: the question lists the scale and the citizen sends a number."""
SYSTEM = Author.SYSTEM.value
CITIZEN = Author.CITIZEN.value
MAX_COMMENT_CHARS = 1000
"""A comment longer than this is cut in the event (reports quote it); the message keeps it whole."""
_RATING = re.compile(r"\s*([1-5])\s*점?\s*[.!]?\s*")


@dataclass(frozen=True)
class SurveySettings:
    enabled: bool = True
    """Whether an agent's resolve asks the citizen to rate the conversation."""
    answer_window: timedelta = timedelta(minutes=30)
    """How long after the question a rating counts; later, a number is an ordinary message."""
    comment_window: timedelta = timedelta(minutes=10)
    """How long after the rating the citizen's next message is taken as their comment."""


def points(score: int) -> int:
    """A 1–5 score on the report's 100-point scale: 5 is 100, 1 is 0."""
    return (score - 1) * 25


def rating_in(text: str) -> int | None:
    """The score a message gives: a lone digit from 1 to 5, with spaces, 점 or a full stop around
    it, in any width ("5", " 5 ", "5점", "５"); None for anything else."""
    found = _RATING.fullmatch(unicodedata.normalize("NFKC", text))
    return int(found[1]) if found else None


class AnswerKind(StrEnum):
    """What a message after the question is to the survey."""

    RATING = "rating"
    COMMENT = "comment"
    REPEATED = "repeated"
    """A rating after the rating: kept as a message, not counted again."""


@dataclass(frozen=True)
class SurveyAnswer:
    """What a citizen's message is to the survey of their resolved conversation."""

    kind: AnswerKind
    score: int | None = None
    comment: str | None = None


def answer_in(trail: Sequence[Event], text: str, now: datetime, settings: SurveySettings) -> SurveyAnswer | None:
    """What `text`, arriving at `now`, answers in the survey of the conversation whose events are
    `trail`; None when it is no answer (no survey pending, out of its window, not a rating)."""
    this_round = _this_round(trail)
    asked = [event for event in this_round if event.type == EventType.SURVEY_ASKED]
    if not asked:
        return None
    answers = [event for event in this_round if event.type == EventType.SURVEY_ANSWERED]
    rated = next((event for event in answers if "score" in event.data), None)
    score = rating_in(text)
    if rated is None:
        if score is not None and now - asked[-1].at <= settings.answer_window:
            return SurveyAnswer(AnswerKind.RATING, score=score)
        return None
    if any("comment" in event.data for event in answers) or now - rated.at > settings.comment_window:
        return None
    if score is not None:
        return SurveyAnswer(AnswerKind.REPEATED, score=score)
    comment = text.strip()
    return SurveyAnswer(AnswerKind.COMMENT, comment=comment) if comment else None


def _this_round(trail: Sequence[Event]) -> Sequence[Event]:
    """The events since the last reopen: a reopen starts a new round and ends the old survey."""
    reopens = [i for i, event in enumerate(trail) if event.type == EventType.REOPENED]
    return trail[reopens[-1] + 1 :] if reopens else trail


class Survey:
    """Asks after an agent's resolve, and records and thanks the citizen's answers."""

    def __init__(self, catalog: Catalog, settings: SurveySettings) -> None:
        self._catalog = catalog
        self._settings = settings

    async def close(self, session: AsyncSession, conversation: Conversation, now: datetime) -> Message:
        """The message that closes a conversation an agent has just resolved: the goodbye, and
        (when the survey is on) the question with its scale; records `survey_asked`."""
        if not self._settings.enabled or await self._citizen_left(session, conversation.id):
            return await say(session, conversation, self._catalog, Author.SYSTEM, "system.resolved", now)
        language = conversation.language or AGENT_LANGUAGE
        text, buttons = self._question(conversation.channel, language)
        # The agents read Korean: the catalogue has the same question in it, no engine needed.
        korean = self._question(conversation.channel, AGENT_LANGUAGE)[0] if language != AGENT_LANGUAGE else None
        message = await reply(session, conversation, Author.SYSTEM, text, now, actions=buttons, translation=korean)
        conversations.add_event(session, conversation.id, EventType.SURVEY_ASKED, SYSTEM, now, language=language,
                                message=message.id)  # fmt: skip
        return message

    @staticmethod
    async def _citizen_left(session: AsyncSession, conversation_id: str) -> bool:
        """Whether the citizen closed the chat in this round: nobody is there to ask."""
        return any(
            event.type == EventType.CITIZEN_LEFT
            for event in _this_round(await conversations.events(session, conversation_id))
        )

    def _question(self, channel: Channel, language: str) -> tuple[str, tuple[QuickReply, ...]]:
        """The closing text with the question, and the buttons (none where the channel has none)."""
        goodbye = self._catalog.text("system.resolved", language)
        labels = {score: self._catalog.text(f"survey.scale.{score}", language) for score in SCORES}
        if channel in NUMBERED_CHANNELS:
            scale = "\n".join(f"{score} {label}" for score, label in labels.items())
            return f"{goodbye}\n\n{self._catalog.text('survey.question_numbered', language)}\n{scale}", ()
        buttons = tuple(QuickReply(f"{score} {label}", str(score)) for score, label in labels.items())
        return f"{goodbye}\n\n{self._catalog.text('survey.question', language)}", buttons

    async def answer_to(
        self, session: AsyncSession, conversation: Conversation, text: str, now: datetime
    ) -> SurveyAnswer | None:
        """What the citizen's `text` answers in the survey of their resolved `conversation`."""
        return answer_in(await conversations.events(session, conversation.id), text, now, self._settings)

    async def record(
        self, session: AsyncSession, conversation: Conversation, answer: SurveyAnswer, message_id: str, now: datetime
    ) -> Message:
        """Record the answer given by the citizen's message `message_id` and thank them."""
        if answer.kind is AnswerKind.COMMENT:
            comment = (answer.comment or "")[:MAX_COMMENT_CHARS]
            conversations.add_event(session, conversation.id, EventType.SURVEY_ANSWERED, CITIZEN, now,
                                    comment=comment, message=message_id)  # fmt: skip
            return await say(session, conversation, self._catalog, Author.SYSTEM, "survey.comment_thanks", now,
                             message_id)  # fmt: skip
        if answer.kind is AnswerKind.RATING and answer.score is not None:
            conversations.add_event(session, conversation.id, EventType.SURVEY_ANSWERED, CITIZEN, now,
                                    score=answer.score, points=points(answer.score), message=message_id)  # fmt: skip
        return await say(session, conversation, self._catalog, Author.SYSTEM, "survey.thanks", now, message_id)
