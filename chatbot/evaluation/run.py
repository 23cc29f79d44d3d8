"""Asks the built-in bot every labelled question, as the hub would on a first message."""

from __future__ import annotations

from chatbot.builtin import Finding, KnowledgeBot
from chatbot.evaluation.questions import Question
from chatbot.evaluation.scoring import Outcome
from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.files import demo_articles
from chatbot.knowledge.memory import MemoryArticles
from chatbot.knowledge.tokenizer import SearchTokenizer
from model import AGENT_LANGUAGE
from translation.langid import LanguageIdentifier


def demo_bot() -> tuple[KnowledgeBot, set[tuple[str, str]]]:
    """The built-in bot on the demo knowledge base, without a translator (the default
    install), and the (id, language) of every article it holds."""
    articles = demo_articles()
    bot = KnowledgeBot(KnowledgeBase(MemoryArticles(articles), SearchTokenizer()))
    return bot, {(article.id, article.language) for article in articles}


async def evaluate(
    bot: KnowledgeBot, identifier: LanguageIdentifier, questions: list[Question], written: set[tuple[str, str]]
) -> list[Outcome]:
    """The bot's best article for each question. The bot is asked in the language the hub
    would set on a conversation's first message: the identified one when identification
    is decisive, else Korean."""
    outcomes = []
    for question in questions:
        identified = identifier.identify(question.text)
        language = identified.language if identified and identified.decisive else AGENT_LANGUAGE
        found = await bot.find(question.text, language) if bot.speaks(language) else Finding(None)
        outcomes.append(
            Outcome(
                question,
                language,
                found.best.article.id if found.best else None,
                found.confidence,
                tuple(hit.article.id for hit in found.runners_up),
                reachable=question.article is None or (question.article, question.language) in written,
            )
        )
    return outcomes
