"""The Rasa assistant's custom actions, served from the hub's environment by `dasan actions`.

Rasa (its own Python 3.10 service) calls them over HTTP; they read the hub's knowledge
base and phone directory and tell the hub what happened through a custom payload
`{"dasan": {...}}` that `chatbot.rasa_bot.turn_from` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rasa_sdk import Action

from chatbot.actions.directory import PhoneDirectoryLookup
from chatbot.actions.handoff import Handoff
from chatbot.actions.knowledge import AnswerFromKnowledgeBase
from chatbot.actions.language import SetLanguage
from chatbot.actions.report import FileReport
from chatbot.builtin import KnowledgeBot
from chatbot.phone_directory import PhoneDirectory
from chatbot.turn import ArticleSearch
from translation.service import Translator


def all_actions(
    knowledge: ArticleSearch,
    directory: PhoneDirectory,
    min_confidence: float,
    clock: Callable[[], datetime],
    translator: Translator | None,
    texts: Callable[[str, str], str],
) -> list[Action]:
    """Every action the domain names (chatbot/rasa/domain.yml `actions:`). Knowledge answers
    are the built-in bot's over `knowledge`, from `min_confidence` (its `ANSWER_THRESHOLD`)
    up; `texts` gives its catalogue texts (the clarifying question, the machine-translation
    notice). With a translator, questions without an article in the citizen's language get
    the Korean one translated."""
    return [
        SetLanguage(),
        AnswerFromKnowledgeBase(KnowledgeBot(knowledge, min_confidence, translator=translator, texts=texts)),
        FileReport(clock),
        PhoneDirectoryLookup(directory),
        Handoff(),
    ]
