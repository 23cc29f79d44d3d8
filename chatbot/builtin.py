"""The built-in knowledge bot: answers from the knowledge base while Rasa is absent or down."""

from __future__ import annotations

from chatbot.turn import ArticleSearch
from model import BotTurn, Conversation


class KnowledgeBot:
    """Answers with the best article when the search is confident enough, else admits it."""

    name = "builtin"

    def __init__(
        self, knowledge: ArticleSearch, min_confidence: float = 0.55, languages: frozenset[str] = frozenset({"ko"})
    ) -> None:
        self._knowledge = knowledge
        self._min_confidence = min_confidence
        self._languages = languages

    def speaks(self, language: str) -> bool:
        return language in self._languages

    async def respond(self, conversation: Conversation, text: str, language: str) -> BotTurn:
        hits = await self._knowledge.search(text, language, limit=1)
        if not hits or hits[0].confidence < self._min_confidence:
            best = hits[0].confidence if hits else 0.0
            return BotTurn(answered=False, confidence=best, by=self.name)
        hit = hits[0]
        return BotTurn(
            answered=True,
            text=f"{hit.article.title}\n\n{hit.article.body}",
            confidence=hit.confidence,
            article_id=hit.article.id,
            summary=hit.article.title,
            by=self.name,
        )
