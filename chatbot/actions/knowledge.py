"""action_answer_from_knowledge_base: the best article in the citizen's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions.signals import category_of_intent, intent_of, language_of, tell_hub
from chatbot.knowledge.index import Hit
from chatbot.turn import ArticleSearch
from model import AGENT_LANGUAGE
from translation.service import Translator

CATEGORY_AGREES = 0.75
"""Share of the confidence threshold an article needs when its category is the intent's."""


class AnswerFromKnowledgeBase(Action):
    """Searches the hub's knowledge base with the citizen's own words. An article in the
    category of the recognised intent needs less search confidence than one elsewhere: two
    independent signals agree, and real questions carry words no article has ("what should
    I do?"). A confident answer outside the category still beats none (the classifier can
    be wrong about the category)."""

    def __init__(
        self,
        knowledge: ArticleSearch,
        min_confidence: float,
        translator: Translator | None = None,
        texts: Callable[[str, str], str] | None = None,
    ) -> None:
        self._knowledge = knowledge
        self._min_confidence = min_confidence
        self._translator = translator
        self._texts = texts
        """Catalogue text by (key, language): the machine-translation notice."""

    def name(self) -> str:
        return "action_answer_from_knowledge_base"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        category = category_of_intent(intent_of(tracker))
        question = tracker.latest_message.get("text") or ""
        found = await self._answer(question, language, category)
        if found is None:
            dispatcher.utter_message(response="utter_not_found")
            tell_hub(
                dispatcher,
                answered=False,
                confidence=0.0,
                category=category,
                summary=f"답을 찾지 못한 질문: «{question}»",
            )
            return []
        best, answer = found
        dispatcher.utter_message(text=answer)
        dispatcher.utter_message(response="utter_answer_more")
        tell_hub(
            dispatcher,
            answered=True,
            article=best.article.id,
            confidence=round(best.confidence, 3),
            category=best.article.category,
            summary=best.article.title,
        )
        return []

    async def _best(self, question: str, language: str, category: str | None) -> Hit | None:
        hits = await self._knowledge.search(question, language, limit=10)
        in_category = [hit for hit in hits if hit.article.category == category
                       and hit.confidence >= self._min_confidence * CATEGORY_AGREES]  # fmt: skip
        confident = [hit for hit in hits if hit.confidence >= self._min_confidence]
        return (in_category or confident or [None])[0]

    async def _answer(self, question: str, language: str, category: str | None) -> tuple[Hit, str] | None:
        """The best article and its text in the citizen's language, if there is one."""
        best = await self._best(question, language, category)
        if best is not None:
            return best, f"{best.article.title}\n\n{best.article.body}"
        return await self._from_korean(question, language, category) if self._translates(language) else None

    def _translates(self, language: str) -> bool:
        return (
            self._translator is not None
            and self._texts is not None
            and language != AGENT_LANGUAGE
            and self._translator.available(language, AGENT_LANGUAGE)
            and self._translator.available(AGENT_LANGUAGE, language)
        )

    async def _from_korean(self, question: str, language: str, category: str | None) -> tuple[Hit, str] | None:
        """No article in the citizen's language: search the Korean ones with the question in
        Korean, and answer with the best one machine-translated, saying so."""
        assert self._translator is not None and self._texts is not None
        korean = await self._translator.translate(question, language, AGENT_LANGUAGE)
        best = await self._best(korean.text, AGENT_LANGUAGE, category) if korean.text else None
        if best is None:
            return None
        translated = await self._translator.translate(
            f"{best.article.title}\n\n{best.article.body}", AGENT_LANGUAGE, language
        )
        if translated.text is None:
            return None
        return best, f"{translated.text}\n\n({self._texts('bot.machine_translated', language)})"
