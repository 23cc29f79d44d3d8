"""The built-in knowledge bot: answers from the knowledge base while Rasa is absent or down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chatbot.knowledge.index import Hit
from chatbot.turn import ArticleSearch
from model import AGENT_LANGUAGE, LANGUAGES, Article, ArticleChoice, BotTurn, Conversation
from translation.service import Translation

ANSWER_THRESHOLD = 0.516
"""The confidence an article needs before the bot answers with it: of all thresholds, the
one that answers the most questions of the calibration part of `chatbot.evaluation` with
the right article while at most 5% of its answers are wrong. After a change to the search,
`python -m chatbot.evaluation` prints the new one (tests/test_bot_evaluation.py checks)."""
TIE_SHARE = 0.5
"""What is left of the confidence when the runner-up ties with the best article (on the
calibration part, anything from 0.3 to 0.6 answers nearly the same questions)."""
CLOSE_SHARE = 0.85
"""A runner-up whose score is at least this share of the best one's is a close call."""
MAX_RUNNERS_UP = 2
SEARCH_DEPTH = 1 + MAX_RUNNERS_UP


class Translates(Protocol):
    """What the bot needs of the hub's translator (`translation.service.Translator`)."""

    def available(self, source: str, target: str) -> bool:
        """Whether some engine translates this pair."""

    async def translate(self, text: str, source: str, target: str) -> Translation:
        """`text` in `target`; never raises."""


@dataclass(frozen=True)
class Finding:
    """What the search made of one question."""

    best: Hit | None
    confidence: float = 0.0
    """How sure the bot is of the best article: the share of the question it covers
    (`Hit.confidence`), lowered when the runner-up scores nearly as high (then the question
    fits two articles, and the best is as likely a guess): by half when they tie."""
    runners_up: tuple[Hit, ...] = ()
    """Other articles nearly as good as the best: what to offer when asking the citizen
    which one they mean."""
    translated_from: str | None = None
    """The question's language, when it was searched among the Korean articles in Korean."""


def finding(hits: list[Hit], translated_from: str | None = None) -> Finding:
    """The best hit, how sure it is, and its close runners-up."""
    if not hits:
        return Finding(None, translated_from=translated_from)
    best, *others = hits
    lead = 1 - others[0].score / best.score if others and best.score > 0 else 1.0
    confidence = best.confidence * min(1.0, TIE_SHARE + lead)
    close = tuple(hit for hit in others if hit.score >= best.score * CLOSE_SHARE)
    return Finding(best, confidence, close[:MAX_RUNNERS_UP], translated_from)


class KnowledgeBot:
    """Answers with the best article when the search is confident enough, else admits it.

    A question is searched among the articles in its own language. Where none is good
    enough and a translator is configured, the question goes to Korean, the Korean
    articles are searched, and the answer comes back translated and marked so. With no
    translator and no article in the citizen's language, the bot does not answer."""

    name = "builtin"

    def __init__(
        self,
        knowledge: ArticleSearch,
        min_confidence: float = ANSWER_THRESHOLD,
        languages: frozenset[str] = frozenset(LANGUAGES),
        translator: Translates | None = None,
        texts: Callable[[str, str], str] | None = None,
        translation_seconds: float = 1.5,
    ) -> None:
        self._knowledge = knowledge
        self._min_confidence = min_confidence
        self._languages = languages
        self._translator = translator
        self._texts = texts
        """Catalogue text by (key, language): the machine-translation notice."""
        self._translation_seconds = translation_seconds
        """For each of a turn's two translations: both fit in the hub's wait for the bot."""

    def speaks(self, language: str) -> bool:
        return language in self._languages

    async def find(self, text: str, language: str) -> Finding:
        """The article the bot would answer `text` with, how sure it is, and the close runners-up."""
        found = finding(await self._knowledge.search(text, language, limit=SEARCH_DEPTH))
        if found.confidence >= self._min_confidence or not self._translates(language):
            return found
        korean = await self._translated(text, language, AGENT_LANGUAGE)
        if korean is None:
            return found
        hits = await self._knowledge.search(korean, AGENT_LANGUAGE, limit=SEARCH_DEPTH)
        through_korean = finding(hits, translated_from=language)
        return through_korean if through_korean.confidence > found.confidence else found

    async def respond(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        return await self.turn_for(text, language)

    async def turn_for(self, text: str, language: str) -> BotTurn:
        """The bot's turn for one question, whoever asks it (the hub's router, or the Rasa
        assistant's knowledge action): the best article, the question which one the citizen
        means, or no answer."""
        found = await self.find(text, language)
        if self._asks(found):
            return self._which_of(found, language)
        answer = await self._answer(found, language) if found.confidence >= self._min_confidence else None
        if answer is None or found.best is None:
            return BotTurn(answered=False, confidence=found.confidence, by=self.name)
        return self._answered(found.best.article, answer, found.confidence)

    async def answer_with(self, article_id: str, language: str) -> BotTurn:
        """The citizen chose this article (from a clarifying question): answer with it."""
        article = await self._knowledge.article(article_id, language)
        if article is None:
            return BotTurn(answered=False, by=self.name)
        return self._answered(article, f"{article.title}\n\n{article.body}", 1.0)

    def _asks(self, found: Finding) -> bool:
        """Whether to ask which article the citizen means rather than guess or give up: the
        best article covers the question well enough, but others come so close that the
        confidence fell below the threshold. Only among articles in the citizen's language."""
        return (
            found.best is not None
            and bool(found.runners_up)
            and found.translated_from is None
            and found.confidence < self._min_confidence <= found.best.confidence
        )

    def _which_of(self, found: Finding, language: str) -> BotTurn:
        assert found.best is not None and self._texts is not None
        choices = tuple(ArticleChoice(hit.article.id, hit.article.title) for hit in (found.best, *found.runners_up))
        numbered = "\n".join(f"{number}. {choice.title}" for number, choice in enumerate(choices, 1))
        return BotTurn(
            answered=True,
            text=f"{self._texts('bot.which_article', language)}\n{numbered}",
            confidence=found.confidence,
            summary=" / ".join(choice.title for choice in choices),
            category=found.best.article.category,
            by=self.name,
            choices=choices,
        )

    def _answered(self, article: Article, text: str, confidence: float) -> BotTurn:
        return BotTurn(
            answered=True,
            text=text,
            confidence=confidence,
            article_id=article.id,
            summary=article.title,
            category=article.category,
            by=self.name,
        )

    async def _answer(self, found: Finding, language: str) -> str | None:
        """The best article in the citizen's language; None when its translation failed."""
        assert found.best is not None
        text = f"{found.best.article.title}\n\n{found.best.article.body}"
        if found.translated_from is None:
            return text
        assert self._texts is not None
        translated = await self._translated(text, AGENT_LANGUAGE, language)
        if translated is None:
            return None
        return f"{translated}\n\n({self._texts('bot.machine_translated', language)})"

    def _translates(self, language: str) -> bool:
        return (
            language != AGENT_LANGUAGE
            and self._translator is not None
            and self._texts is not None
            and self._translator.available(language, AGENT_LANGUAGE)
            and self._translator.available(AGENT_LANGUAGE, language)
        )

    async def _translated(self, text: str, source: str, target: str) -> str | None:
        """`text` in `target`; None when the translator fails or is too slow (it caches what
        it translated, so the same article is translated once)."""
        assert self._translator is not None
        try:
            async with asyncio.timeout(self._translation_seconds):
                return (await self._translator.translate(text, source, target)).text
        except TimeoutError:
            return None
