"""Canned replies (상용구): placeholders filled in each language, who sees and changes which
replies, search by code and words, rendering in the conversation's language, and the audit log
of shared replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from hub.cli import main
from hub.core import HUB
from model import LANGUAGES
from model.canned import (
    CannedContext,
    CannedReply,
    CannedScope,
    PlaceholderTexts,
    describe_week,
    known_name,
    render,
    unknown_placeholders,
)
from model.catalog import Catalog
from model.hours import TimeRange
from store.tables import ContactRow
from tests.conftest import citizen_says, login

PATH = "/api/v1/canned-replies"
GREETING = {
    "ko": "안녕하세요, {citizen_name}. 상담사 {agent_name}입니다. {queue} 상담 시간은 {opening_hours}입니다.",
    "en": "Hello, {citizen_name}. This is {agent_name}. Our counsellors for {queue} are available {opening_hours}.",
    "zh": "{citizen_name}，您好！我是{agent_name}。{queue}咨询服务时间为{opening_hours}。",
    "ja": "{citizen_name}、こんにちは。{agent_name}です。{queue}のご相談は{opening_hours}受け付けております。",
    "vi": "Xin chào {citizen_name}. Tôi là {agent_name}. Thời gian tư vấn ({queue}): {opening_hours}.",
    "mn": "Сайн байна уу, {citizen_name}. Би {agent_name} байна. Зөвлөгөө өгөх цаг ({queue}): {opening_hours}.",
}
RENDERED_UNNAMED = {
    "ko": "안녕하세요, 고객님. 상담사 김민지입니다. 교통 상담 시간은 연중무휴 24시간입니다.",
    "en": "Hello, dear citizen. This is 김민지. Our counsellors for transport are available "
    "24 hours a day, every day of the year.",
    "zh": "尊敬的市民，您好！我是김민지。交通咨询服务时间为每天24小时（全年无休）。",
    "ja": "お客様、こんにちは。김민지です。交通のご相談は年中無休・24時間受け付けております。",
    "vi": "Xin chào Quý khách. Tôi là 김민지. Thời gian tư vấn (Giao thông): 24 giờ mỗi ngày, tất cả các ngày trong năm.",
    "mn": "Сайн байна уу, эрхэм иргэн. Би 김민지 байна. Зөвлөгөө өгөх цаг (Тээвэр): жилийн турш, өдөр бүр 24 цаг.",
}
NAMED = {"ko": "안녕하세요, 홍길동 님.", "en": "Hello, 홍길동.", "zh": "홍길동，您好！", "ja": "홍길동様、こんにちは。",
         "vi": "Xin chào 홍길동.", "mn": "Сайн байна уу, 홍길동."}  # fmt: skip


def _words() -> dict[str, PlaceholderTexts]:
    catalog = Catalog()
    return {language: PlaceholderTexts.from_catalog(catalog.texts(language, "canned.")) for language in LANGUAGES}


def _reply(texts: dict[str, str]) -> CannedReply:
    return CannedReply(1, "인사", "첫인사", CannedScope.CENTRE, texts)


# -- rendering: pure ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_filled_in_each_language(language: str) -> None:
    words = _words()
    unnamed = CannedContext(agent_name="김민지", queue="transport", queue_label="교통")
    rendered = render(_reply(GREETING), language, unnamed, words)
    assert (rendered.text, rendered.language, rendered.needs_translation) == (
        RENDERED_UNNAMED[language],
        language,
        False,
    )

    named = CannedContext(agent_name="김민지", citizen_name="홍길동", queue="transport", queue_label="교통")
    assert render(_reply(GREETING), language, named, words).text.startswith(NAMED[language])


WEEK = (*[(TimeRange(540, 720), TimeRange(780, 1080))] * 5, (TimeRange(540, 780),), ())
"""Weekdays 09:00–12:00 and 13:00–18:00, Saturday 09:00–13:00, closed on Sunday."""
WEEK_SAID = {
    "ko": "월–금 09:00–12:00/13:00–18:00, 토 09:00–13:00",
    "en": "Mon–Fri 09:00–12:00/13:00–18:00, Sat 09:00–13:00",
    "zh": "周一至周五 09:00至12:00/13:00至18:00，周六 09:00至13:00",
    "ja": "月〜金 09:00〜12:00/13:00〜18:00、土 09:00〜13:00",
    "vi": "Thứ Hai–Thứ Sáu 09:00–12:00/13:00–18:00, Thứ Bảy 09:00–13:00",
    "mn": "Даваа–Баасан 09:00–12:00/13:00–18:00, Бямба 09:00–13:00",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_queues_weekly_hours_are_said_in_each_language(language: str) -> None:
    words = _words()[language]
    assert describe_week(WEEK, words) == WEEK_SAID[language]
    assert describe_week([()] * 7, words) == words.closed


def test_the_administrators_queue_label_and_the_queues_hours_are_used() -> None:
    words = _words()
    context = CannedContext(agent_name="김민지", queue="water", queue_label="수도 요금", week=WEEK)
    ko = render(_reply(GREETING), "ko", context, words).text
    assert ko.endswith(f"수도 요금 상담 시간은 {WEEK_SAID['ko']}입니다.")
    en = render(_reply(GREETING), "en", context, words).text  # the catalogue's queue name
    assert en.endswith(f"Our counsellors for water supply are available {WEEK_SAID['en']}.")
    nowhere = render(_reply(GREETING), "ko", CannedContext(agent_name="김민지"), words).text
    assert "120다산콜재단 상담 시간은 연중무휴 24시간입니다." in nowhere


def test_a_reply_without_the_citizens_language_is_korean_flagged_for_translation() -> None:
    rendered = render(_reply({"ko": GREETING["ko"]}), "vi", CannedContext(agent_name="김민지"), _words())
    assert (rendered.language, rendered.needs_translation) == ("ko", True)
    assert rendered.text.startswith("안녕하세요, 고객님.")
    unknown_language = render(_reply(GREETING), None, CannedContext(agent_name="김민지"), _words())
    assert (unknown_language.language, unknown_language.needs_translation) == ("ko", False)


def test_unknown_placeholders_and_made_up_names_are_recognised() -> None:
    assert unknown_placeholders("{citizen_name}님, {name} {queue} {name} {}") == ["name", ""]
    assert unknown_placeholders(GREETING["ko"]) == []
    assert known_name("시민 4821") is None
    assert known_name("") is None
    assert known_name("홍길동") == "홍길동"


# -- through the API --------------------------------------------------------------------------


async def _post(client: TestClient, headers: dict[str, str], body: dict[str, Any], status: int = 201) -> Any:
    response = await client.post(PATH, json=body, headers=headers)
    assert response.status == status, await response.text()
    return await response.json()


async def _codes(client: TestClient, headers: dict[str, str], **query: str) -> list[str]:
    response = await client.get(PATH, params=query, headers=headers)
    assert response.status == 200, await response.text()
    return [reply["code"] for reply in (await response.json())["canned_replies"]]


async def _team_with(client: TestClient, admin: dict[str, str], *usernames: str) -> int:
    team = await (await client.post("/api/v1/teams", json={"name": "상담1팀"}, headers=admin)).json()
    part = await (await client.post(f"/api/v1/teams/{team['id']}/parts", json={"name": "교통"}, headers=admin)).json()
    for username in usernames:
        placed = await client.put(f"/api/v1/agents/{username}/part", json={"part": part["id"]}, headers=admin)
        assert placed.status == 200
    return int(team["id"])


async def _audited(client: TestClient, reply_id: int) -> list[tuple[str, str]]:
    supervisor = await login(client, "jung", available=False)
    response = await client.get("/api/v1/audit", params={"target": f"canned_reply:{reply_id}"}, headers=supervisor)
    return [(entry["actor"], entry["detail"]["change"]) for entry in (await response.json())["entries"]]


async def test_agents_use_the_centres_their_teams_and_their_own_replies(client: TestClient) -> None:
    admin, jung, park, lee = [await login(client, name, available=False) for name in ("admin", "jung", "park", "lee")]
    team_id = await _team_with(client, admin, "jung", "park")
    team_reply = await _post(client, jung, {"code": "버스", "title": "버스 노선 안내", "scope": "team",
                                            "texts": {"ko": "노선은 120 홈페이지에서 확인하실 수 있습니다."}})  # fmt: skip
    assert (team_reply["scope"], team_reply["team_id"]) == ("team", team_id)
    own = await _post(
        client, park, {"code": "인사말", "title": "내 인사", "texts": {"ko": "반갑습니다, {citizen_name}."}}
    )
    await _post(client, lee, {"code": "lee", "title": "이서준의 메모", "texts": {"ko": "확인 후 연락드리겠습니다."}})

    centre = ["hours", "대기", "인사", "종료", "확인"]
    assert sorted(await _codes(client, park)) == sorted([*centre, "버스", "인사말"])
    assert sorted(await _codes(client, lee)) == sorted([*centre, "lee"])  # no team, nobody else's own
    # A code prefix finds its replies first, then those with the words in title or text (마무리 인사).
    assert await _codes(client, park, q="인사") == ["인사", "인사말", "종료"]
    assert await _codes(client, park, q="잠시 기다려") == ["대기"]
    assert await _codes(client, park, q="노선 홈페이지") == ["버스"]

    # Shared replies are audited, personal ones are the agent's own business.
    assert await _audited(client, team_reply["id"]) == [("agent:jung", "created")]
    assert await _audited(client, own["id"]) == []

    # Rendered for an English conversation: its English variant with the citizen's name;
    # a reply written only in Korean comes in Korean, flagged for translation.
    said = await citizen_says(client, "c-en", "I need to talk to a counsellor about my water bill", language="en")
    async with client.app[HUB].store.write() as session:
        await session.execute(update(ContactRow).values(display_name="Anna Kim"))
    response = await client.get(PATH, params={"q": "인사", "conversation": said["conversation_id"]}, headers=park)
    rendered = {reply["code"]: reply["rendered"] for reply in (await response.json())["canned_replies"]}
    assert rendered["인사"]["language"] == "en" and not rendered["인사"]["needs_translation"]
    assert rendered["인사"]["text"].startswith("Hello, Anna Kim. This is 박지현 from the Seoul 120 Dasan Call Center.")
    assert rendered["인사말"] == {"text": "반갑습니다, Anna Kim 님.", "language": "ko", "needs_translation": True}
    # Only for a conversation the agent may read.
    refused = await client.get(PATH, params={"conversation": said["conversation_id"]}, headers=lee)
    assert refused.status == 403

    # A team removed takes its replies with it.
    assert (await client.delete(f"/api/v1/teams/{team_id}", headers=admin)).status == 204
    assert "버스" not in await _codes(client, park)


async def test_wrong_roles_and_bad_texts_are_refused(sqlite_client: TestClient) -> None:
    client = sqlite_client
    admin, jung, kim, lee, han = [
        await login(client, n, available=False) for n in ("admin", "jung", "kim", "lee", "han")
    ]
    team_id = await _team_with(client, admin, "jung", "kim")
    other_team = await (await client.post("/api/v1/teams", json={"name": "상담2팀"}, headers=admin)).json()

    bad = await _post(client, kim, {"code": "x", "title": "x", "texts": {"ko": "{name}님 안녕하세요"}}, 400)
    assert bad["error"]["code"] == "unknown_placeholder" and "{name}" in bad["error"]["message"]
    no_korean = await _post(client, kim, {"code": "x", "title": "x", "texts": {"en": "Hello"}}, 400)
    assert "ko" in no_korean["error"]["message"]
    spaced = await _post(client, kim, {"code": "두 단어", "title": "x", "texts": {"ko": "안녕"}}, 400)
    assert "code" in spaced["error"]["message"]

    kims = await _post(client, kim, {"code": "메모", "title": "메모", "texts": {"ko": "안녕"}})
    await _post(client, kim, {"code": "메모", "title": "또", "texts": {"ko": "안녕"}}, 409)
    await _post(client, lee, {"code": "메모", "title": "이서준의", "texts": {"ko": "안녕"}})  # another scope

    seeded = {reply["code"]: reply for reply in (await (await client.get(PATH, headers=kim)).json())["canned_replies"]}
    assert seeded["인사"]["editable"] is False and seeded["메모"]["editable"] is True
    greeting = f"{PATH}/{seeded['인사']['id']}"
    assert (await client.patch(greeting, json={"title": "인사"}, headers=kim)).status == 403
    assert (await client.patch(greeting, json={"title": "인사"}, headers=jung)).status == 403
    assert (await client.patch(f"{PATH}/{kims['id']}", json={"title": "x"}, headers=lee)).status == 403
    assert (await client.get(PATH, headers=han)).status == 403
    centre = {"code": "공지", "title": "공지", "scope": "centre", "texts": {"ko": "안내드립니다."}}
    await _post(client, jung, centre, 403)
    team = {"code": "팀", "title": "팀", "scope": "team", "texts": {"ko": "안내드립니다."}}
    await _post(client, kim, team, 403)
    await _post(client, jung, {**team, "team": other_team["id"]}, 403)
    await _post(client, jung, team)  # their own team's
    await _post(client, admin, {**team, "team": team_id}, 409)

    # The administrator changes and removes the centre's replies, each change audited.
    changed = await client.patch(greeting, json={"texts": {"ko": "안녕하세요, {citizen_name}."}}, headers=admin)
    assert changed.status == 200 and (await changed.json())["texts"] == {"ko": "안녕하세요, {citizen_name}."}
    unknown = await client.patch(greeting, json={"texts": {"ko": "{agent}"}}, headers=admin)
    assert unknown.status == 400
    assert (await client.delete(greeting, headers=admin)).status == 204
    assert "인사" not in await _codes(client, kim)
    assert await _audited(client, seeded["인사"]["id"]) == [("agent:admin", "deleted"), ("agent:admin", "changed")]


async def test_the_hours_reply_says_the_queues_hours(sqlite_client: TestClient) -> None:
    client = sqlite_client
    admin, kim = await login(client, "admin", available=False), await login(client, "kim", available=False)
    said = await citizen_says(client, "c-hours", "버스 노선 문의 상담사 연결해 주세요")

    async def hours_reply() -> str:
        response = await client.get(PATH, params={"q": "hours", "conversation": said["conversation_id"]}, headers=kim)
        [reply] = (await response.json())["canned_replies"]
        return str(reply["rendered"]["text"])

    assert await hours_reply() == "교통 상담 시간은 연중무휴 24시간입니다."
    weekly = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    response = await client.put("/api/v1/queues/transport/hours", json={"weekly": weekly}, headers=admin)
    assert response.status == 200, await response.text()
    assert await hours_reply() == "교통 상담 시간은 월–금 09:00–18:00입니다."


def test_the_command_line_manages_the_shared_replies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = ["--database", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"]
    assert main([*database, "teams", "add", "상담1팀"]) == 0
    capsys.readouterr()
    assert main([*database, "canned", "add", "주차", "--title", "주차 안내", "--team", "상담1팀",
                 "--ko", "{citizen_name}, 공영주차장 안내입니다.", "--en", "{citizen_name}, about public parking."]) == 0  # fmt: skip
    added = capsys.readouterr().out
    assert added.startswith("added ") and "/주차" in added
    reply_id = added.split()[1]
    assert main([*database, "canned", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"{reply_id}  team:상담1팀  /주차  주차 안내  (en, ko)" in listed
    assert "centre  /인사" in listed  # the seeded greeting
    # The API's checks: a placeholder that does not exist, no Korean, a code taken.
    assert main([*database, "canned", "add", "x", "--title", "x", "--ko", "{주소} 확인"]) == 2
    assert "unknown placeholder {주소}" in capsys.readouterr().err
    assert main([*database, "canned", "add", "x", "--title", "x", "--en", "hello"]) == 2
    assert "Korean" in capsys.readouterr().err
    assert main([*database, "canned", "add", "주차", "--title", "x", "--team", "상담1팀", "--ko", "다시"]) == 2
    assert main([*database, "canned", "remove", reply_id]) == 0
    assert main([*database, "audit", "--action", "canned_reply_changed"]) == 0
    audited = capsys.readouterr().out
    assert audited.count("cli") == 2 and "deleted" in audited and "created" in audited
