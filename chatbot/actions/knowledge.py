"""action_answer_from_knowledge_base: the best article in the citizen's language."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions.signals import category_of_intent, intent_of, language_of, tell_hub
from chatbot.turn import ArticleSearch

CATEGORY_AGREES = 0.75
"""Share of the confidence threshold an article needs when its category is the intent's."""


class AnswerFromKnowledgeBase(Action):
    """Searches the hub's knowledge base with the citizen's own words. An article in the
    category of the recognised intent needs less search confidence than one elsewhere: two
    independent signals agree, and real questions carry words no article has ("what should
    I do?"). A confident answer outside the category still beats none (the classifier can
    be wrong about the category)."""

    def __init__(self, knowledge: ArticleSearch, min_confidence: float) -> None:
        self._knowledge = knowledge
        self._min_confidence = min_confidence

    def name(self) -> str:
        return "action_answer_from_knowledge_base"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        category = category_of_intent(intent_of(tracker))
        hits = await self._knowledge.search(tracker.latest_message.get("text") or "", language, limit=10)
        in_category = [hit for hit in hits if hit.article.category == category
                       and hit.confidence >= self._min_confidence * CATEGORY_AGREES]  # fmt: skip
        confident = [hit for hit in hits if hit.confidence >= self._min_confidence]
        best = (in_category or confident or [None])[0]
        if best is None:
            dispatcher.utter_message(response="utter_not_found")
            tell_hub(
                dispatcher,
                answered=False,
                confidence=round(hits[0].confidence, 3) if hits else 0.0,
                category=category,
                summary=f"답을 찾지 못한 질문: «{tracker.latest_message.get('text')}»",
            )
            return []
        dispatcher.utter_message(text=f"{best.article.title}\n\n{best.article.body}")
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
