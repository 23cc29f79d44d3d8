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


def demo_knowledge() -> tuple[KnowledgeBase, set[tuple[str, str]]]:
    """The demo knowledge base, in memory, and the (id, language) of every article it holds."""
    articles = demo_articles()
    knowledge = KnowledgeBase(MemoryArticles(articles), SearchTokenizer())
    return knowledge, {(article.id, article.language) for article in articles}


def demo_bot() -> tuple[KnowledgeBot, set[tuple[str, str]]]:
    """The built-in bot on the demo knowledge base, without a translator (the default
    install), and the (id, language) of every article it holds."""
    knowledge, written = demo_knowledge()
    return KnowledgeBot(knowledge), written


def conversation_language(identifier: LanguageIdentifier, text: str) -> str:
    """The language the hub sets on a conversation whose first message is `text`: the
    identified one when identification is decisive, else Korean."""
    identified = identifier.identify(text)
    return identified.language if identified and identified.decisive else AGENT_LANGUAGE


def reachable(question: Question, written: set[tuple[str, str]]) -> bool:
    """Whether a bot without a translator can answer `question` rightly: its article is
    written in its language, or no article answers it."""
    return question.article is None or (question.article, question.language) in written


async def evaluate(
    bot: KnowledgeBot, identifier: LanguageIdentifier, questions: list[Question], written: set[tuple[str, str]]
) -> list[Outcome]:
    """The bot's best article for each question, asked in the conversation's language."""
    outcomes = []
    for question in questions:
        language = conversation_language(identifier, question.text)
        found = await bot.find(question.text, language) if bot.speaks(language) else Finding(None)
        outcomes.append(
            Outcome(
                question,
                language,
                found.best.article.id if found.best else None,
                found.confidence,
                tuple(hit.article.id for hit in found.runners_up),
                reachable=reachable(question, written),
            )
        )
    return outcomes
