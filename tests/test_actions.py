"""The action server's wire format and the pieces behind it, without Rasa (the conversations
with Rasa itself are in test_rasa_assistant.py)."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from chatbot.actions import all_actions
from chatbot.actions.report import report_number
from chatbot.actions.server import create_action_server
from chatbot.builtin import ANSWER_THRESHOLD, KnowledgeBot
from chatbot.knowledge.index import Hit
from chatbot.phone_directory import PhoneDirectory
from model import Article
from model.catalog import Catalog
from model.clock import utcnow
from store.db import Store
from tests.services import RASA_DIR
from tests.standins.libretranslate import API_KEY as LIBRE_KEY
from tests.standins.libretranslate import LibreTranslateStandIn
from translation.backends import LibreTranslate
from translation.engine import EngineSettings
from translation.glossary import Glossary
from translation.service import Translator

NOW = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)  # 00:30 the next day in Seoul


BILL = Article("water-001", "water", "Checking your water bill", "On the Arisu site.", (), "en")
LEAK = Article("water-008", "water", "A sudden rise in the water bill", "Check for a leak.", (), "en")
NO_WATER = Article("water-016", "water", "No water from the tap", "Check the meter valve.", (), "en")


class WaterArticles:
    """A search whose hits the question names: "bill" is a sure hit, "high bill" ties with the
    leak article, "tap" covers less of the question than the bot's threshold."""

    async def search(self, query: str, language: str = "ko", limit: int = 5) -> list[Hit]:
        if "tap" in query:
            return [Hit(NO_WATER, 2.0, ANSWER_THRESHOLD - 0.05)]
        if "high bill" in query:
            return [Hit(BILL, 3.0, 0.9), Hit(LEAK, 2.9, 0.85)][:limit]
        return [Hit(BILL, 3.0, 0.9)] if "bill" in query else []

    async def article(self, article_id: str, language: str = "ko") -> Article | None:
        return next((a for a in (BILL, LEAK, NO_WATER) if a.id == article_id), None)


def water_actions(texts: Catalog) -> list[Any]:
    return all_actions(WaterArticles(), PhoneDirectory.read(), ANSWER_THRESHOLD, lambda: NOW, None, texts.text)


@pytest.fixture
async def actions() -> Any:
    async with TestClient(TestServer(create_action_server(water_actions(Catalog())))) as client:
        yield client


def call(action: str, text: str, slots: dict[str, Any] | None = None, intent: str = "faq_water") -> dict[str, Any]:
    """An action call as Rasa 3.6 posts it (rasa/core/actions/action.py RemoteAction)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "metadata": {"language": "en"}}
    return {
        "next_action": action,
        "sender_id": "c-1",
        "version": "3.6.21",
        "domain": {"version": "3.1", "slots": {}, "responses": {}, "actions": []},
        "tracker": {
            "sender_id": "c-1",
            "slots": {"language": "en", **(slots or {})},
            "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


async def test_the_answer_comes_with_its_article_for_the_hub(actions: TestClient) -> None:
    response = await actions.post("/webhook", json=call("action_answer_from_knowledge_base", "my water bill"))
    assert response.status == 200
    result = await response.json()
    assert result["responses"][0]["text"] == "Checking your water bill\n\nOn the Arisu site."
    assert result["responses"][1]["response"] == "utter_answer_more"
    signal = result["responses"][2]["custom"]["dasan"]
    assert (signal["answered"], signal["article"], signal["category"]) == (True, "water-001", "water")
    missing = await (await actions.post("/webhook", json=call("action_answer_from_knowledge_base", "bus"))).json()
    assert missing["responses"][0]["response"] == "utter_not_found"
    assert missing["responses"][1]["custom"]["dasan"]["answered"] is False


async def test_close_articles_get_the_built_in_bots_question_which_one_is_meant(actions: TestClient) -> None:
    result = await (await actions.post("/webhook", json=call("action_answer_from_knowledge_base", "high bill"))).json()
    [question, signal] = result["responses"]
    which = Catalog().text("bot.which_article", "en")
    assert question["text"] == f"{which}\n1. Checking your water bill\n2. A sudden rise in the water bill"
    hub = signal["custom"]["dasan"]
    assert (hub["answered"], "article" in hub) == (True, False)
    assert hub["choices"] == [{"article_id": "water-001", "title": "Checking your water bill"},
                              {"article_id": "water-008", "title": "A sudden rise in the water bill"}]  # fmt: skip


@pytest.mark.parametrize("question", ["my water bill", "high bill", "no water from the tap", "bus"])
async def test_the_action_decides_as_the_built_in_bot_does(actions: TestClient, question: str) -> None:
    """The same search and threshold: an article of the intent's own category below the
    threshold is not answered either."""
    expected = await KnowledgeBot(WaterArticles(), texts=Catalog().text).turn_for(question, "en")
    result = await (await actions.post("/webhook", json=call("action_answer_from_knowledge_base", question))).json()
    hub = result["responses"][-1]["custom"]["dasan"]
    assert result["responses"][0].get("text") == (expected.text if expected.answered else None)
    assert (hub["answered"], hub.get("article"), hub["confidence"]) == (
        expected.answered,
        expected.article_id,
        round(expected.confidence, 3),
    )


async def test_a_filed_report_gets_a_number_and_clears_the_form(actions: TestClient) -> None:
    slots = {"report_type": "noise", "location": "Hapjeong-dong", "time": "since 11 pm", "details": "loud music"}
    result = await (await actions.post("/webhook", json=call("action_file_report", "since 11 pm", slots))).json()
    filed = result["responses"][0]
    assert filed["response"] == "utter_report_filed" and filed["report_id"].startswith("20261130-")
    report = result["responses"][1]["custom"]["dasan"]["report"]
    assert report == {"id": filed["report_id"], **slots}
    set_slots = {event["name"]: event["value"] for event in result["events"] if event["event"] == "slot"}
    assert set_slots == {"report_id": filed["report_id"], "report_type": None, "location": None, "time": None,
                         "details": None}  # fmt: skip


async def test_the_handoff_names_category_language_and_what_was_asked(actions: TestClient) -> None:
    body = call("action_handoff", "my water bill doubled")
    body["tracker"]["events"].append(
        {"event": "user", "text": "/ask_person", "parse_data": {"intent": {"name": "ask_person"}}}
    )
    result = await (await actions.post("/webhook", json=body)).json()
    signal = result["responses"][1]["custom"]["dasan"]
    assert (signal["handoff"], signal["category"], signal["language"]) == (True, "water", "en")
    assert "«my water bill doubled»" in signal["summary"] and "/ask_person" not in signal["summary"]


async def test_bad_calls_get_clear_answers(actions: TestClient) -> None:
    assert (await actions.post("/webhook", data=b"{not json")).status == 400
    assert (await actions.post("/webhook", json={"next_action": "action_handoff"})).status == 400
    for field, wrong in (("events", [7]), ("latest_message", {"text": 7}), ("slots", {"report_type": ["noise"]})):
        malformed = call("action_handoff", "my water bill")
        malformed["tracker"][field] = wrong
        refused = await actions.post("/webhook", json=malformed)
        assert refused.status == 400 and f"tracker.{field}" in (await refused.json())["error"], field
    unknown = await actions.post("/webhook", json=call("action_launch_rockets", "hi"))
    assert unknown.status == 404 and (await unknown.json())["action_name"] == "action_launch_rockets"
    without_domain = call("action_set_language", "xin chào")
    del without_domain["domain"]
    assert (await actions.post("/webhook", json=without_domain)).status == 449  # Rasa resends with the domain
    switched = call("action_set_language", "xin chào")
    switched["tracker"]["latest_message"]["metadata"] = {"language": "vi"}
    compressed = zlib.compress(json.dumps(switched).encode())  # how Rasa sends a large tracker
    response = await actions.post("/webhook", data=compressed, headers={"Content-Encoding": "deflate"})
    assert (await response.json())["events"] == [
        {"event": "slot", "timestamp": None, "name": "language", "value": "vi"}
    ]


async def test_the_server_runs_exactly_the_actions_the_domain_names(actions: TestClient) -> None:
    domain = yaml.safe_load((RASA_DIR / "domain.yml").read_text(encoding="utf-8"))
    names = {item["name"] for item in await (await actions.get("/actions")).json()}
    assert names == set(domain["actions"])


def test_report_numbers_are_seoul_dates_without_look_alike_letters() -> None:
    numbers = {report_number(NOW) for _ in range(200)}
    assert len(numbers) == 200
    assert all(n.startswith("20261130-") and not set(n[9:]) & set("01IO") for n in numbers)


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("마포구청 전화번호 알려 주세요", "02-3153-8114"),
        ("what is the phone number of Mapo-gu office", "02-3153-8114"),
        ("麻浦区厅的电话号码是多少", "02-3153-8114"),
        ("Мапо дүүргийн захиргааны утасны дугаар хэд вэ", "02-3153-8114"),
        ("số điện thoại trung tâm hỗ trợ người nước ngoài 1345", "1345"),
    ],
)
def test_the_directory_finds_offices_in_any_language(message: str, number: str) -> None:
    office = PhoneDirectory.read().find(message)
    assert office is not None and office.number == number


def test_latin_names_match_whole_words_only() -> None:
    assert PhoneDirectory.read().find("I have complaints about noise") is None


class KoreanOnly:
    async def search(self, query: str, language: str = "ko", limit: int = 5) -> list[Hit]:
        article = Article("water-016", "water", "물이 안 나올 때", "계량기 밸브를 확인하세요.", (), "ko")
        return [Hit(article, 3.0, 0.9)] if language == "ko" and query.startswith("[ko]") else []


async def test_without_an_article_in_the_language_the_korean_one_is_translated_and_says_so(
    database_url: str,
) -> None:
    store = Store(database_url)
    await store.migrate()
    async with LibreTranslateStandIn() as libre:
        engine = EngineSettings(libre.base_url, LIBRE_KEY, timeout_seconds=2)
        translator = Translator([lambda client: LibreTranslate(engine, client)], store, Glossary.read(), utcnow)
        catalog = Catalog()
        actions = all_actions(KoreanOnly(), PhoneDirectory.read(), ANSWER_THRESHOLD, lambda: NOW, translator,
                              catalog.text)  # fmt: skip
        try:
            async with TestClient(TestServer(create_action_server(actions))) as client:
                body = call("action_answer_from_knowledge_base", "Nhà tôi không có nước", intent="faq_water")
                body["tracker"]["slots"]["language"] = "vi"
                result = await (await client.post("/webhook", json=body)).json()
        finally:
            await translator.close()
            await store.close()
    answer = result["responses"][0]["text"]
    assert answer.startswith("[vi] 물이 안 나올 때\n\n계량기 밸브를 확인하세요.")
    assert answer.endswith(f"({catalog.text('bot.machine_translated', 'vi')})")
    assert result["responses"][2]["custom"]["dasan"]["article"] == "water-016"
