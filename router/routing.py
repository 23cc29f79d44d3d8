"""Where a citizen's message takes the conversation: the bot's answer, a queue, or nothing.

Pure decisions over model records. The hub asks `before_bot` first; when that leaves the
message to the bot, the hub runs the bot (with its timeout) and asks `after_bot` with the
bot's turn. The hub writes what the returned `Plan` says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from model import AGENT_LANGUAGE, CATEGORIES, BotTurn, Channel, Conversation, ConversationState, Decider
from router.intents import asks_for_person


class Step(StrEnum):
    ANSWER = "answer"
    NOT_FOUND = "not_found"
    HANDOFF = "handoff"
    REMIND = "remind"
    NONE = "none"


@dataclass(frozen=True)
class Plan:
    """What happens to one citizen message, decided before anything is written."""

    step: Step
    reason: str = ""
    queue: str | None = None
    turn: BotTurn | None = None
    notice: str | None = None
    """A catalogue key the bot says before handing over."""


@dataclass(frozen=True)
class RouterSettings:
    bot_timeout_seconds: float = 4.0
    bot_failures_before_handoff: int = 2
    offer_timeout_seconds: float = 30.0
    sweep_interval_seconds: float = 1.0
    foreign_overflow_seconds: float = 120.0
    """How long a foreign-language conversation waits for an agent who speaks the language
    before any agent may take it with machine translation (when an engine translates it)."""
    decline_memory_seconds: float = 600.0
    """How long a conversation is not offered again to an agent who declined it."""


def queue_for(conversation: Conversation) -> str:
    """Sign language and foreign languages have their own queues; else the category's."""
    if conversation.channel is Channel.SIGN_VIDEO:
        return "sign_language"
    if conversation.language and conversation.language != AGENT_LANGUAGE:
        return "foreign_language"
    return conversation.category or "other"


def before_bot(conversation: Conversation, text: str, people_only: bool, bot_speaks: bool) -> Plan | None:
    """The step for a citizen message decided without the bot; None: ask the bot.

    `people_only`: the conversation's queue is served by people only; `bot_speaks`: the bot
    answers in the conversation's language."""
    state = conversation.state
    if not text.strip():  # a photo or a location alone: for a person to look at, not the bot
        return Plan(Step.NONE)
    if state.waiting:
        return Plan(Step.REMIND) if asks_for_person(text) else Plan(Step.NONE)
    if state is not ConversationState.BOT:
        return Plan(Step.NONE)
    queue = queue_for(conversation)
    if asks_for_person(text):
        return Plan(Step.HANDOFF, "citizen asked for a person", queue)
    if people_only:
        return Plan(Step.HANDOFF, f"the {queue} queue is served by people only", queue)
    if not bot_speaks:
        language = conversation.language or AGENT_LANGUAGE
        return Plan(Step.HANDOFF, f"the bot cannot answer in {language}", queue, notice="bot.handoff_language")
    return None


def learned_category(conversation: Conversation, turn: BotTurn) -> str | None:
    """The category the bot recognised, when it changes the conversation's: an agent's
    correction always stands."""
    if turn.category not in CATEGORIES or conversation.category_source is Decider.AGENT:
        return None
    return turn.category if turn.category != conversation.category else None


def after_bot(conversation: Conversation, turn: BotTurn, settings: RouterSettings) -> Plan:
    """The step once the bot has had its turn on a conversation in the bot state."""
    queue = queue_for(conversation)
    if (category := learned_category(conversation, turn)) is not None:
        queue = queue_for(replace(conversation, category=category))
    if turn.wants_handoff:
        return Plan(Step.HANDOFF, "the bot handed over", queue, turn)
    if turn.answered:
        return Plan(Step.ANSWER, turn=turn)
    if conversation.bot_failures + 1 >= settings.bot_failures_before_handoff:
        return Plan(Step.HANDOFF, "the bot failed twice", queue, turn)
    return Plan(Step.NOT_FOUND, turn=turn)
