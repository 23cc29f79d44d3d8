"""Crisis lines (docs/protection.md): emergencies found in six languages and the traps that must
stay clean (no database), then through HTTP the lines a citizen gets at once in their language,
the record on the conversation and the supervisors' alert, even for a blocked contact."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.core import Hub
from model.abuse import AbuseCategory
from model.catalog import Catalog
from model.crisis import CrisisLine, Emergency, EmergencyDetector, crisis_lines
from model.vocabulary import Language
from tests.conftest import citizen_says, login
from tests.sockets import receive_until
from tests.test_abuse import citizen_questions
from tests.test_console_socket import console

FIRE, MEDICAL, CRIME, ATTEMPT = Emergency.FIRE, Emergency.MEDICAL, Emergency.CRIME, Emergency.ATTEMPT

REPORTS: list[tuple[str, str | None, Emergency]] = [
    # Korean: with and without spaces, the polite and the plain forms
    ("집에 불이 났어요 빨리 와주세요", "ko", FIRE),
    ("불났어요!!", "ko", FIRE),
    ("아파트 복도에 연기가 자욱해요", "ko", FIRE),
    ("가스가 새는 것 같아요", "ko", FIRE),
    ("옆집에 화재가 발생했어요", "ko", FIRE),
    ("아버지가 쓰러지셨어요", "ko", MEDICAL),
    ("사람이 쓰러졌는데 숨을 안 쉬어요", "ko", MEDICAL),
    ("길에 사람이 쓰러져 있어요", "ko", MEDICAL),
    ("아이가 의식이 없어요", "ko", MEDICAL),
    ("할머니가 차에 치였어요", "ko", MEDICAL),
    ("도둑이 들었어요", "ko", CRIME),
    ("누가 쫓아와요 무서워요", "ko", CRIME),
    ("누가 문을 열려고 해요", "ko", CRIME),
    ("남편이 저를 때려요", "ko", CRIME),
    ("수면제를 한 통 다 먹었어요", "ko", ATTEMPT),
    ("손목을 그었어요", "ko", ATTEMPT),
    # English
    ("My house is on fire!", "en", FIRE),
    ("The kitchen caught fire", "en", FIRE),
    ("I smell gas in the hallway", "en", FIRE),
    ("My father is not breathing", "en", MEDICAL),
    ("Someone collapsed at the bus stop", "en", MEDICAL),
    ("my friend passed out and won't wake up", "en", MEDICAL),
    ("He is not breathing, I don't know if he is alive", "en", MEDICAL),
    ("Someone is breaking in to my apartment", "en", CRIME),
    ("A man is following me home", "en", CRIME),
    ("I took all my pills", "en", ATTEMPT),
    # Chinese
    ("我家着火了", "zh", FIRE),
    ("楼道里冒烟了", "zh", FIRE),
    ("我妈妈晕倒了", "zh", MEDICAL),
    ("他没有呼吸了", "zh", MEDICAL),
    ("有人跟踪我", "zh", CRIME),
    ("家里有小偷", "zh", CRIME),
    ("我吃了很多安眠药", "zh", ATTEMPT),
    # Japanese
    ("火事です！", "ja", FIRE),
    ("部屋に煙が充満しています", "ja", FIRE),
    ("父が倒れました", "ja", MEDICAL),
    ("友達が息をしていない", "ja", MEDICAL),
    ("道で人が倒れています", "ja", MEDICAL),
    ("泥棒が入りました", "ja", CRIME),
    ("誰かに追いかけられています", "ja", CRIME),
    ("睡眠薬を全部飲みました", "ja", ATTEMPT),
    # Vietnamese
    ("Nhà tôi đang cháy", "vi", FIRE),
    ("Có cháy ở tầng 3", "vi", FIRE),
    ("Mẹ tôi bất tỉnh", "vi", MEDICAL),
    ("Bạn tôi ngừng thở", "vi", MEDICAL),
    ("Có trộm vào nhà", "vi", CRIME),
    ("Có người đi theo tôi", "vi", CRIME),
    ("Tôi đã uống thuốc ngủ rất nhiều", "vi", ATTEMPT),
    # Mongolian
    ("Манай байранд гал гарсан", "mn", FIRE),
    ("Гал гарч байна туслаарай", "mn", FIRE),
    ("Ээж ухаан алдсан", "mn", MEDICAL),
    ("Хүүхэд амьсгалахгүй байна", "mn", MEDICAL),
    ("Гэрт хулгайч орсон", "mn", CRIME),
    ("Намайг дагаж байна", "mn", CRIME),
    ("Нойрны эм их уусан", "mn", ATTEMPT),
    # no language hint: every lexicon is read
    ("火事です", None, FIRE),
    ("Mẹ tôi bất tỉnh", None, MEDICAL),
]

TRAPS: list[tuple[str, str | None]] = [
    # topics: rules, prevention, opening hours, first-aid courses
    ("화재 안전 규칙이 궁금해요", "ko"),
    ("화재 발생 시 대피 요령 알려주세요", "ko"),
    ("불이 나면 어떻게 대피해야 하나요?", "ko"),
    ("근처 응급실 운영시간 알려주세요", "ko"),
    ("심폐소생술 교육 신청하고 싶어요", "ko"),
    ("소화기 점검은 어디에 신청하나요", "ko"),
    ("What are the fire safety rules for apartments?", "en"),
    ("What are the hospital's opening hours?", "en"),
    ("what to do if someone is not breathing", "en"),
    ("How do I report a burglary from last week?", "en"),
    ("消防安全规定是什么", "zh"),
    ("医院几点开门", "zh"),
    ("如果着火了怎么办", "zh"),
    ("火事になったらどうすればいいですか", "ja"),
    ("病院の診療時間を教えてください", "ja"),
    ("Quy định phòng cháy chữa cháy là gì?", "vi"),
    ("Bệnh viện mở cửa lúc mấy giờ?", "vi"),
    ("Галын аюулгүй байдлын дүрэм юу вэ", "mn"),
    # the past, or something told about
    ("지난주에 불이 났던 건물 복구는 언제 하나요", "ko"),
    ("어제 불이 났어요. 피해 보상은 어떻게 받나요?", "ko"),
    ("작년에 교통사고가 났는데 보험 문의드려요", "ko"),
    ("My house caught fire last year, can I get support?", "en"),
    ("去年我家着火了，可以申请补助吗", "zh"),
    ("Hôm qua nhà tôi bị cháy rồi, tôi cần hỗ trợ", "vi"),
    ("Өчигдөр манай байранд гал гарсан", "mn"),
    # the other meanings of the same words
    ("가로수가 쓰러졌어요", "ko"),
    ("나무가 쓰러져 있어요 치워주세요", "ko"),
    ("담배 연기가 가득 들어와요", "ko"),
    ("가로등 불이 나갔어요", "ko"),
    ("버스 타고 있어요", "ko"),
    ("킥보드가 쓰러져 있어요 치워 주세요", "ko"),
    ("시민의식이 없어요 쓰레기를 아무데나 버려요", "ko"),
    ("공무원들이 정신을 못 차리네요", "ko"),
    ("정류장에서 비를 맞고 있어요 버스가 안 와요", "ko"),
    ("가스가 새는지 점검 받고 싶어요", "ko"),
    ("화재가 발생했을 때 대피 방법", "ko"),
    ("공사장 먼지 때문에 숨을 못 쉬겠어요", "ko"),
    ("심정지 환자 응급처치 교육 일정", "ko"),
    ("보도블록 때문에 넘어져서 다쳤어요 보상해 주세요", "ko"),
    ("what to do if someone is not breathing", "en"),
    ("地铁上有小偷要注意", "zh"),
    ("倒れた木を片付けてください", "ja"),
    ("Bị đánh thuế bao nhiêu?", "vi"),
    ("木が倒れています", "ja"),
    ("燃えるゴミの日はいつですか", "ja"),
    ("Tôi bị cháy nắng", "vi"),
]


@pytest.fixture(scope="module")
def detector() -> EmergencyDetector:
    return EmergencyDetector()


@pytest.mark.parametrize(("text", "language", "kind"), REPORTS, ids=[r[0] for r in REPORTS])
def test_an_emergency_is_found(detector: EmergencyDetector, text: str, language: str | None, kind: Emergency) -> None:
    finding = detector.detect(text, language)
    assert finding is not None, f"{text!r} was not found"
    assert kind in finding.kinds
    assert finding.matches


@pytest.mark.parametrize(("text", "language"), TRAPS, ids=[t[0] for t in TRAPS])
def test_no_emergency_in_a_topic_the_past_or_another_meaning(
    detector: EmergencyDetector, text: str, language: str | None
) -> None:
    assert detector.detect(text, language) is None
    assert detector.detect(text) is None, "found when every language is read"


def test_every_language_and_kind_has_a_report() -> None:
    covered = {(language, kind) for _, language, kind in REPORTS}
    assert {(language.value, kind) for language in Language for kind in Emergency} - covered == set()


def test_now_wins_over_the_past_in_the_same_sentence(detector: EmergencyDetector) -> None:
    assert detector.detect("어제 불났던 건물에 지금 또 불이 났어요", "ko") is not None
    assert detector.detect("Last year's fire was bad, and now the house is on fire again, help", "en") is not None
    # The past belongs to its own sentence.
    finding = detector.detect("어제도 연락드렸어요. 지금 아버지가 쓰러지셨어요!", "ko")
    assert finding is not None and finding.kinds == {MEDICAL}


def test_real_citizen_questions_are_no_emergency(detector: EmergencyDetector) -> None:
    questions = citizen_questions()
    assert len(questions) >= 500
    found = [(text, detector.detect(text, language)) for text, language in questions]
    assert [(text, finding) for text, finding in found if finding is not None] == []


@pytest.mark.parametrize(
    ("abuse", "emergencies", "lines"),
    [
        ({AbuseCategory.SELF_HARM}, set(), ("109",)),
        (set(), {ATTEMPT}, ("119", "109")),
        ({AbuseCategory.THREAT}, set(), ("112",)),
        (set(), {CRIME}, ("112",)),
        (set(), {FIRE}, ("119",)),
        (set(), {MEDICAL}, ("119",)),
        ({AbuseCategory.SELF_HARM}, {FIRE, CRIME}, ("119", "112", "109")),
        ({AbuseCategory.INSULT, AbuseCategory.SEXUAL}, set(), ()),
    ],
)
def test_the_lines_for_each_crisis(
    abuse: set[AbuseCategory], emergencies: set[Emergency], lines: tuple[str, ...]
) -> None:
    assert crisis_lines(abuse, emergencies) == lines


@pytest.mark.parametrize("language", [language.value for language in Language])
def test_each_line_is_told_in_every_language_as_free_and_around_the_clock(language: str) -> None:
    catalog = Catalog()
    for line in CrisisLine:
        text = catalog.text(f"crisis.{line.value}", language)
        assert text != catalog.text(f"crisis.{line.value}", "en") or language == "en"
        assert set(re.findall(r"\d{3,}", text)) == {line.value}, text  # its number, and no other line
        assert "24" in text


# -- through the hub ---------------------------------------------------------------------


async def _events(client: TestClient, conversation_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/conversations/{conversation_id}/events", headers=headers)
    assert response.status == 200
    return (await response.json())["events"]


def _sent(events: list[dict[str, Any]]) -> list[list[str]]:
    return [event["data"]["lines"] for event in events if event["type"] == "crisis_line_sent"]


async def test_self_harm_gets_109_at_once_in_the_citizens_language_and_alerts_supervisors(
    client: TestClient, hub: Hub
) -> None:
    supervisor, _, jung = await console(client, "jung", available=False)
    for sender, text, language in [
        ("sad-ko", "너무 힘들어요 죽고 싶어요", "ko"),
        ("sad-en", "I want to die, I can't go on", "en"),
        ("sad-vi", "Tôi không muốn sống nữa", "vi"),
    ]:
        answer = await citizen_says(client, sender, text, language=language)
        first, *rest = answer["replies"]
        assert first == {"text": hub.catalog.text("crisis.109", language), "language": language}
        assert rest, "the queue notice follows the line"
        assert answer["state"] in ("queued", "offered")  # to a person, never the bot
        alert, _ = await receive_until(supervisor, lambda f: f["type"] == "alert")
        assert alert["kind"] == "self_harm" and alert["lines"] == ["109"]
        assert alert["conversation_id"] == answer["conversation_id"]
        events = await _events(client, answer["conversation_id"], jung)
        [sent] = [e for e in events if e["type"] == "crisis_line_sent"]
        assert sent["data"]["lines"] == ["109"] and sent["data"]["reply_id"]

    # The agents read the line the citizen got, in Korean beside it.
    response = await client.get(f"/api/v1/conversations/{answer['conversation_id']}/messages", headers=jung)
    messages = (await response.json())["messages"]
    [line] = [m for m in messages if m["id"] == sent["data"]["reply_id"]]
    assert line["author"] == "system" and line["translation"] == hub.catalog.text("crisis.109", "ko")
    # Within the hour the same line is not repeated, and the supervisors still hear of it.
    again = await citizen_says(client, "sad-vi", "Tôi muốn chết", language="vi")
    assert hub.catalog.text("crisis.109", "vi") not in [r["text"] for r in again["replies"]]
    alert, _ = await receive_until(supervisor, lambda f: f["type"] == "alert")
    assert alert["kind"] == "self_harm"
    assert _sent(await _events(client, answer["conversation_id"], jung)) == [["109"]]
    await supervisor.close()


async def test_a_fire_gets_119_a_crime_112_and_a_question_about_fire_none(client: TestClient, hub: Hub) -> None:
    supervisor, _, jung = await console(client, "jung", available=False)
    fire = await citizen_says(client, "fire-1", "집에 불이 났어요! 연기가 자욱해요")
    assert fire["replies"][0]["text"] == hub.catalog.text("crisis.119", "ko")
    alert, _ = await receive_until(supervisor, lambda f: f["type"] == "alert")
    assert (alert["kind"], alert["lines"], alert["emergencies"]) == ("emergency", ["119"], ["fire"])
    record = await (await client.get(f"/api/v1/conversations/{fire['conversation_id']}", headers=jung)).json()
    assert record["priority"] == 5 and record["state"] in ("queued", "offered") and record["abuse"] is False
    events = await _events(client, fire["conversation_id"], jung)
    assert _sent(events) == [["119"]] and "abuse_detected" not in {e["type"] for e in events}

    crime = await citizen_says(client, "crime-1", "Someone is breaking in, please help", language="en")
    assert crime["replies"][0]["text"] == hub.catalog.text("crisis.112", "en")
    alert, _ = await receive_until(supervisor, lambda f: f["type"] == "alert")
    assert (alert["kind"], alert["lines"], alert["emergencies"]) == ("emergency", ["112"], ["crime"])

    question = await citizen_says(client, "safe-1", "아파트 화재 안전 규칙이 궁금해요")
    texts = [reply["text"] for reply in question["replies"]]
    assert not any(hub.catalog.text(f"crisis.{line.value}", "ko") in texts for line in CrisisLine)
    assert _sent(await _events(client, question["conversation_id"], jung)) == []
    await supervisor.close()


async def test_a_blocked_contact_still_gets_the_line(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    supervisor, _, _ = await console(client, "jung", available=False)
    opened = await citizen_says(client, "blocked-1", "상담사 연결해 주세요")
    conversation = f"/api/v1/conversations/{opened['conversation_id']}"
    assert (await client.post(f"{conversation}/claim", headers=kim)).status == 200
    for _ in range(3):
        assert (await client.post(f"{conversation}/warn", headers=kim, json={})).status == 201
    ended = await client.post(f"{conversation}/end-under-protocol", headers=kim, json={"block_hours": 24})
    assert ended.status == 200

    answer = await citizen_says(client, "blocked-1", "아버지가 쓰러지셨어요 숨을 안 쉬어요")
    assert answer["state"] == "resolved"  # still blocked: no one else answers it
    texts = [reply["text"] for reply in answer["replies"]]
    assert texts[0] == hub.catalog.text("crisis.119", "ko") and len(texts) == 2  # then the block notice
    alert, _ = await receive_until(supervisor, lambda f: f["type"] == "alert")
    assert (alert["kind"], alert["lines"]) == ("emergency", ["119"])
    assert _sent(await _events(client, opened["conversation_id"], kim)) == [["119"]]
    await supervisor.close()


async def test_at_night_the_alert_goes_to_the_night_teams_supervisors(client: TestClient, hub: Hub) -> None:
    admin_headers = await login(client, "admin", available=False)
    closed = {"weekly": {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
              "after_hours_queue": "night"}  # fmt: skip
    for queue in ("transport", "water", "city", "district", "other"):
        response = await client.put(f"/api/v1/queues/{queue}/hours", json=closed, headers=admin_headers)
        assert response.status == 200, await response.text()
    # lee leads the night team tonight.
    night_lead = {"role": "supervisor", "skills": ["night"]}
    assert (await client.patch("/api/v1/agents/lee", json=night_lead, headers=admin_headers)).status == 200
    day, _, _ = await console(client, "jung", available=False)
    night, _, _ = await console(client, "lee", available=False)
    admin, _, _ = await console(client, "admin", available=False)

    answer = await citizen_says(client, "night-citizen", "너무 힘들어요 죽고 싶어요")
    assert answer["replies"][0]["text"] == hub.catalog.text("crisis.109", "ko")
    for socket in (night, admin):
        alert, _ = await receive_until(socket, lambda f: f["type"] == "alert")
        assert (alert["kind"], alert["conversation_id"]) == ("self_harm", answer["conversation_id"])
    # The day supervisor reads every message, and sees no alert before a later one.
    later = await citizen_says(client, "another-citizen", "안녕하세요")
    _, before = await receive_until(
        day, lambda f: f["type"] == "message" and f["conversation_id"] == later["conversation_id"]
    )
    assert [frame for frame in before if frame["type"] == "alert"] == []
    for socket in (day, night, admin):
        await socket.close()
