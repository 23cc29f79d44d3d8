"""action_answer_from_knowledge_base: the built-in bot's answer, in Rasa's conversation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions.signals import category_of_intent, intent_of, language_of, tell_hub
from chatbot.builtin import KnowledgeBot


class AnswerFromKnowledgeBase(Action):
    """Answers as the built-in bot would (`KnowledgeBot.turn_for`): the same search, the same
    confidence threshold, the same question which article the citizen means when two or
    three come close, and the same Korean article machine-translated when none is written
    in the citizen's language. The intent adds nothing to the decision: letting an article of
    the intent's category pass from three quarters of the threshold (this action's former
    rule) answered about as many more questions of the calibration part wrongly as rightly,
    far past the 5% of wrong answers the threshold is calibrated for
    (`python -m chatbot.evaluation.through_rasa` measures both bots)."""

    def __init__(self, bot: KnowledgeBot) -> None:
        self._bot = bot

    def name(self) -> str:
        return "action_answer_from_knowledge_base"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = tracker.latest_message.get("text") or ""
        turn = await self._bot.turn_for(question, language_of(tracker))
        if turn.answered:  # with an article, or asking which of `choices` the citizen means
            dispatcher.utter_message(text=turn.text)
            if not turn.choices:
                dispatcher.utter_message(response="utter_answer_more")
            tell_hub(
                dispatcher,
                answered=True,
                article=turn.article_id,
                confidence=round(turn.confidence, 3),
                category=turn.category,
                summary=turn.summary,
                choices=[asdict(choice) for choice in turn.choices] or None,  # as in `BotTurn.choices`
            )
        else:
            dispatcher.utter_message(response="utter_not_found")
            tell_hub(
                dispatcher,
                answered=False,
                confidence=round(turn.confidence, 3),
                category=category_of_intent(intent_of(tracker)),
                summary=f"답을 찾지 못한 질문: «{question}»",
            )
        return []
