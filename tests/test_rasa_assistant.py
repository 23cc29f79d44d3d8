"""The Rasa assistant for real: the trained model in its own Python 3.10 service, the action
server from the hub's environment, and the hub between them and the citizens.

Conversations go through the generic API channel in every hub language: questions answered
from the knowledge base in the citizen's language, a report form filled in, handoffs that
land in the right queue with the bot's summary. Last, Rasa is killed mid-conversation and
brought back.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import async_playwright, expect

from hub.app import build_hub, open_hub
from hub.core import HUB
from model import LANGUAGES as MODEL_LANGUAGES
from tests.browsers import CHROMIUM, CHROMIUM_ARGS, console_login
from tests.conftest import citizen_says, hub_app, hub_settings, login, wait_for
from tests.services import RASA_DIR, RASA_MODEL, Service, action_server, rasa_executable, rasa_server

pytestmark = pytest.mark.rasa
LANGUAGES = list(MODEL_LANGUAGES)
RASA_LOAD_SECONDS = 240  # the model loads in about a minute on two cores; CI may be busier


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One hub database for the module: the action server reads its knowledge base."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('rasa') / 'hub.db'}"

    async def prepare() -> None:
        hub = build_hub(hub_settings(url))
        await open_hub(hub)  # migrations, queues, the demo agents and knowledge base
        await hub.store.close()

    asyncio.run(prepare())
    return url


@pytest.fixture(scope="module")
def assistant(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    if not (rasa_executable().exists() and RASA_MODEL.exists()):
        pytest.fail("Rasa is not prepared: run `make bot-model` (make test does it first)")
    folder = tmp_path_factory.mktemp("services")
    actions = action_server(database_url, folder)
    rasa = rasa_server(actions.url, folder)
    actions.start()
    rasa.start()
    try:
        asyncio.run(actions.ready(timeout=60))
        asyncio.run(rasa.ready(timeout=RASA_LOAD_SECONDS, model_loaded=True))
        yield {"rasa": rasa, "actions": actions}
    finally:
        rasa.kill()
        actions.kill()


@pytest.fixture
async def client(database_url: str, assistant: dict[str, Service]) -> AsyncIterator[TestClient]:
    settings = hub_settings(database_url, rasa_url=assistant["rasa"].url, load_demo=False)
    async with TestClient(TestServer(hub_app(settings))) as test_client:
        hub = test_client.app[HUB]
        await wait_for(lambda: hub.bot.name == "rasa", timeout=10)
        yield test_client


def _responses() -> dict[str, dict[str, str]]:
    """Each fixed response of the domain, by language (the unconditional one is Korean)."""
    domain = yaml.safe_load((RASA_DIR / "domain.yml").read_text(encoding="utf-8"))
    texts: dict[str, dict[str, str]] = {}
    for name, variations in domain["responses"].items():
        for variation in variations:
            language = next((c["value"] for c in variation.get("condition", []) if c["name"] == "language"), "ko")
            texts.setdefault(name, {})[language] = variation["text"]
    return texts


RESPONSES = _responses()


async def _events(client: TestClient, conversation_id: str, kind: str) -> list[dict[str, Any]]:
    supervisor = await login(client, "jung", available=False)
    response = await client.get(f"/api/v1/conversations/{conversation_id}/events", headers=supervisor)
    return [event for event in (await response.json())["events"] if event["type"] == kind]


async def _conversation(client: TestClient, conversation_id: str) -> dict[str, Any]:
    supervisor = await login(client, "jung", available=False)
    return await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=supervisor)).json()


QUESTIONS = {
    "ko": ("따릉이 대여 방법 알려주세요", "transport-001"),
    "en": ("how do I rent a Ttareungyi bike?", "transport-001"),
    "zh": ("我的护照丢了怎么办", "district-003"),
    "ja": ("パスポートをなくしました。どうすればいいですか", "district-003"),
    "vi": ("Làm sao để kiểm tra hóa đơn tiền nước?", "water-001"),
    "mn": ("Би паспортоо гээсэн, яах вэ?", "district-003"),
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_question_is_answered_from_the_knowledge_base_in_the_citizens_language(
    client: TestClient, language: str
) -> None:
    question, article_id = QUESTIONS[language]
    answer = await citizen_says(client, f"faq-{language}", question, language=language)
    kim = await login(client, "kim", available=False)
    article = await (
        await client.get(f"/api/v1/kb/articles/{article_id}", params={"lang": language}, headers=kim)
    ).json()
    assert answer["state"] == "bot"
    assert answer["replies"][0]["text"].startswith(article["title"]), answer["replies"]
    assert RESPONSES["utter_answer_more"][language] in answer["replies"][0]["text"]
    answered = await _events(client, answer["conversation_id"], "bot_answered")
    assert [(e["actor"], e["data"]["article"]) for e in answered] == [("bot:rasa", article_id)]


REPORTS = {
    "ko": ("집 앞에 불법주차된 차가 있어서 신고하려고요", "마포구 월드컵로 212 앞", "오늘 아침 8시부터"),
    "en": ("I want to report illegal parking, a car is blocking my driveway", "in front of 212 World Cup-ro, Mapo-gu",
           "since 8 this morning"),
    "zh": ("我要举报违章停车，有车堵在我家门口", "麻浦区世界杯路212号前", "今天早上8点开始"),
    "ja": ("違法駐車を通報したいです。家の前に車が止められていて出られません", "麻浦区ワールドカップ路212の前", "今朝8時から"),
    "vi": ("tôi muốn báo cáo đỗ xe trái phép, có xe chắn trước cửa nhà tôi", "trước số 212 đường World Cup, quận Mapo",
           "từ 8 giờ sáng nay"),
    "mn": ("хууль бус зогсоолын талаар мэдээлэх гэсэн юм, манай хаалганы өмнө машин хаагаад байна",
           "Мапо дүүргийн World Cup гудамж 212-ын өмнө", "өнөө өглөө 8 цагаас"),
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_report_form_is_filled_and_filed_on_the_conversation(client: TestClient, language: str) -> None:
    complaint, place, when = REPORTS[language]
    answers = {"utter_ask_report_form_location": place, "utter_ask_report_form_time": when}
    answer = await citizen_says(client, f"report-{language}", complaint, language=language)
    for _ in range(3):  # the form asks for what the first message did not say, in order
        text = answer["replies"][0]["text"]
        asked = [name for name in answers if RESPONSES[name][language] in text]
        if not asked:
            break
        answer = await citizen_says(client, f"report-{language}", answers[asked[0]], language=language)
    filed = RESPONSES["utter_report_filed"][language].split("{report_id}")[0]
    assert answer["replies"][0]["text"].startswith(filed), answer["replies"]
    number = re.search(r"\d{8}-[2-9A-Z]{6}", answer["replies"][0]["text"])
    assert number, answer["replies"]
    reports = await _events(client, answer["conversation_id"], "report_filed")
    assert len(reports) == 1
    report = reports[0]["data"]
    assert (report["id"], report["report_type"], reports[0]["actor"]) == (number.group(), "parking", "bot:rasa")
    assert "212" in report["location"] and "8" in report["time"] and report["details"]
    conversation = await _conversation(client, answer["conversation_id"])
    assert (conversation["state"], conversation["category"]) == ("bot", "transport")


WATER_QUESTIONS = {
    "ko": "수도요금이 갑자기 많이 나왔어요",
    "en": "my water bill is too high this month",
    "zh": "这个月水费突然很高",
    "ja": "今月の水道料金が急に高くなりました",
    "vi": "tiền nước tháng này đột nhiên tăng cao",
    "mn": "энэ сарын усны төлбөр гэнэт их гарсан",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_assistants_handoff_lands_in_the_right_queue_with_its_summary(
    client: TestClient, language: str
) -> None:
    sender = f"handoff-{language}"
    first = await citizen_says(client, sender, WATER_QUESTIONS[language], language=language)
    assert first["state"] == "bot"
    # The "talk to a person" button of Rasa's answer sends its payload back as the text.
    handoff = await citizen_says(client, sender, "/ask_person", language=language)
    conversation = await _conversation(client, handoff["conversation_id"])
    expected_queue = "water" if language == "ko" else "foreign_language"
    assert (conversation["state"], conversation["queue"]) == ("queued", expected_queue)
    assert (conversation["language"], conversation["category"]) == (language, "water")
    [handed] = await _events(client, handoff["conversation_id"], "handed_off")
    assert handed["data"]["reason"] == "the bot handed over"
    assert WATER_QUESTIONS[language] in handed["data"]["summary"]
    # After the handoff the assistant stays silent until an agent resolves the conversation.
    later = await citizen_says(client, sender, WATER_QUESTIONS[language], language=language)
    assert later["state"] == "queued"
    assert [r["text"] for r in later["replies"]] == []
    assert len(await _events(client, handoff["conversation_id"], "bot_answered")) == 1


async def test_two_questions_it_cannot_answer_hand_over_with_what_was_asked(client: TestClient) -> None:
    sender = "unanswered-en"
    first = await citizen_says(client, sender, "what is the weather like on Mars today?", language="en")
    assert first["state"] == "bot"
    assert first["replies"][0]["text"] in (RESPONSES["utter_out_of_scope"]["en"], RESPONSES["utter_not_found"]["en"])
    second = await citizen_says(client, sender, "can you recommend a good pizza recipe?", language="en")
    assert second["state"] == "queued"
    conversation = await _conversation(client, second["conversation_id"])
    assert (conversation["queue"], conversation["language"]) == ("foreign_language", "en")
    [handed] = await _events(client, second["conversation_id"], "handed_off")
    assert handed["data"]["reason"] == "the bot failed twice"
    failures = await _events(client, second["conversation_id"], "bot_failed")
    assert [e["actor"] for e in failures] == ["bot:rasa", "bot:rasa"]


async def test_a_phone_number_comes_from_the_directory(client: TestClient) -> None:
    answer = await citizen_says(client, "directory-ko", "외국인종합안내센터 전화번호 알려 주세요", language="ko")
    assert "1345" in answer["replies"][0]["text"]


async def test_without_its_action_server_rasa_says_nothing_and_the_builtin_bot_answers(
    client: TestClient, assistant: dict[str, Service]
) -> None:
    actions = assistant["actions"]
    actions.kill()
    try:
        answer = await citizen_says(client, "no-actions-ko", "따릉이 대여 방법 알려주세요")
    finally:
        actions.start()
        await actions.ready(timeout=60)
    assert answer["state"] == "bot" and "따릉이" in answer["replies"][0]["text"]
    [answered] = await _events(client, answer["conversation_id"], "bot_answered")
    assert answered["actor"] == "bot:builtin"


async def test_rasa_killed_mid_conversation_then_back(client: TestClient, assistant: dict[str, Service]) -> None:
    hub = client.app[HUB]
    rasa = assistant["rasa"]
    sender = "outage-ko"
    before = await citizen_says(client, sender, "따릉이 대여 방법 알려주세요")
    rasa.kill()
    during = await citizen_says(client, sender, "여권 재발급 신청 방법")
    assert during["state"] == "bot" and "여권" in during["replies"][0]["text"]
    assert hub.bot.name == "builtin"
    rasa.start()
    await rasa.ready(timeout=RASA_LOAD_SECONDS, model_loaded=True)
    await wait_for(lambda: hub.bot.name == "rasa", timeout=10)
    after = await citizen_says(client, sender, "수도요금 조회 방법 알려 주세요")
    assert "수도요금" in after["replies"][0]["text"]
    answered = await _events(client, before["conversation_id"], "bot_answered")
    assert [e["actor"] for e in answered] == ["bot:rasa", "bot:builtin", "bot:rasa"]


@pytest.mark.browser
async def test_the_agent_sees_what_the_assistant_took_down(client: TestClient) -> None:
    sender = "notes-ko"
    await citizen_says(client, sender, "윗집에서 밤마다 음악 소리가 너무 커요 소음 신고할게요")
    await citizen_says(client, sender, "마포구 합정동 123-4")
    filed = await citizen_says(client, sender, "어젯밤 11시부터")
    number = re.search(r"\d{8}-[2-9A-Z]{6}", filed["replies"][0]["text"])
    assert number, filed["replies"]
    handoff = await citizen_says(client, sender, "/ask_person")
    assert handoff["state"] == "queued"

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await (
                await chromium.new_context(locale="ko-KR", viewport={"width": 1400, "height": 900})
            ).new_page()
            url = str(client.make_url("")).rstrip("/")
            await console_login(page, url, "jung")
            item = page.get_by_test_id("queued-list").locator(
                f"[data-testid=conversation-item][data-conversation-id='{handoff['conversation_id']}']"
            )
            await item.click()
            notes = page.get_by_test_id("bot-notes")
            await expect(notes).to_contain_text(f"소음 신고 {number.group()}")
            await expect(notes).to_contain_text("위치: 마포구 합정동 123-4")
            await expect(notes).to_contain_text("«윗집에서 밤마다 음악 소리가 너무 커요 소음 신고할게요»")
        finally:
            await chromium.close()
