"""When two or three articles fit a question nearly as well, the built-in bot asks which one
the citizen means instead of guessing or giving up, and the citizen answers by button or by
number; every channel kind shows the question its own way."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from telegram import InlineKeyboardMarkup

from channels.kakao.templates import quick_reply
from channels.sms.outbound import sms_text
from channels.telegram.keyboards import keyboard_for
from chatbot.builtin import KnowledgeBot
from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.files import demo_articles
from chatbot.knowledge.memory import MemoryArticles
from chatbot.knowledge.tokenizer import SearchTokenizer
from model import Author, Channel, Direction, Message, MessageStatus, QuickReply
from model.catalog import Catalog
from tests.conftest import citizen_says, hub_app, hub_settings, login
from tests.records import NOW, conversation

# Returning a bike fits "how to return" and "the return did not register" nearly as well.
TWO_WAYS = "따릉이 반납했는데 반납이 안됐다고 떠요"


def bot() -> KnowledgeBot:
    catalog = Catalog()  # the hub's own texts, where the bot's are
    knowledge = KnowledgeBase(MemoryArticles(demo_articles()), SearchTokenizer())
    return KnowledgeBot(knowledge, texts=catalog.text)


async def test_close_articles_make_the_bot_ask_and_a_clear_winner_does_not() -> None:
    turn = await bot().respond(conversation(), TWO_WAYS, "ko")
    assert [choice.article_id for choice in turn.choices] == ["transport-003", "transport-004"]
    assert turn.answered and turn.article_id is None
    lines = (turn.text or "").splitlines()
    assert lines[0].startswith("이 중 어떤 내용을 찾으세요?")
    assert lines[1:] == [f"{n}. {choice.title}" for n, choice in enumerate(turn.choices, 1)]
    clear = await bot().respond(conversation(), "여권 재발급은 어디서 하나요?", "ko")
    assert clear.choices == () and clear.article_id is not None


async def test_the_citizen_answers_by_number_and_gets_that_article(database_url: str) -> None:
    async with TestClient(TestServer(hub_app(hub_settings(database_url)))) as client:
        asked = await citizen_says(client, "c-bike", TWO_WAYS)
        assert asked["state"] == "bot" and "1. " in asked["replies"][0]["text"]
        question = await _last_bot_message(client, asked["conversation_id"])
        # A button per article, which sends its number, and the way to a person.
        assert [a["text"] for a in question["actions"]][:2] == ["1", "2"]
        assert question["actions"][0]["label"].startswith("1. ")

        chosen = await citizen_says(client, "c-bike", "2")
        second_title = question["actions"][1]["label"].removeprefix("2. ")
        assert chosen["replies"][0]["text"].startswith(second_title)
        # The number is only a choice right after the question: "1" now is just a message.
        again = await citizen_says(client, "c-bike", "1")
        assert not again["replies"] or not again["replies"][0]["text"].startswith(second_title)


async def test_a_telegram_button_that_sends_its_label_is_understood_too(database_url: str) -> None:
    async with TestClient(TestServer(hub_app(hub_settings(database_url)))) as client:
        asked = await citizen_says(client, "c-bike", TWO_WAYS)
        question = await _last_bot_message(client, asked["conversation_id"])
        label = question["actions"][0]["label"]
        chosen = await citizen_says(client, "c-bike", label)
        assert chosen["replies"][0]["text"].startswith(label.removeprefix("1. "))


async def test_each_channel_kind_shows_the_question_its_own_way(database_url: str) -> None:
    async with TestClient(TestServer(hub_app(hub_settings(database_url)))) as client:
        asked = await citizen_says(client, "c-bike", TWO_WAYS)
        supervisor = await login(client, "jung", available=False)
        found = await client.get(f"/api/v1/conversations/{asked['conversation_id']}/messages", headers=supervisor)
        hub_messages = (await found.json())["messages"]
    question = next(m for m in reversed(hub_messages) if m["author"] == "bot")
    actions = tuple(QuickReply(a["label"], a["text"]) for a in question["actions"])
    message = Message(
        "m1", asked["conversation_id"], Channel.SMS, Direction.OUT, Author.BOT, question["text"], "ko",
        MessageStatus.QUEUED, NOW, actions=actions,
    )  # fmt: skip
    # SMS has no buttons: the numbered list is in the text and the numbers are the answers.
    sms = sms_text(message)
    assert "1. " in sms and "[1] [2]" in sms
    # Telegram: a button per article that sends its number.
    keyboard = keyboard_for(actions)
    assert isinstance(keyboard, InlineKeyboardMarkup)
    assert [row[0].callback_data for row in keyboard.inline_keyboard][:2] == ["1", "2"]
    # KakaoTalk: quick replies with the article as the label and the number as the message.
    assert quick_reply(actions[0].label, actions[0].text)["messageText"] == "1"
    # The web chat gets the actions with the message; its widget draws them as buttons.
    assert question["actions"][0]["text"] == "1"


async def _last_bot_message(client: TestClient, conversation_id: str) -> dict[str, Any]:
    supervisor = await login(client, "jung", available=False)
    found = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=supervisor)
    return next(m for m in reversed((await found.json())["messages"]) if m["author"] == "bot")
