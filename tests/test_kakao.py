"""The KakaoTalk channel: an Open Builder skill server against a local stand-in for Kakao."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.base import split_text
from channels.kakao import settings as kakao_settings
from channels.kakao.inline import InlineAnswers
from channels.kakao.settings import Settings as KakaoSettings
from channels.kakao.templates import TEXT_LIMIT, pack
from channels.registry import configured
from chatbot.builtin import KnowledgeBot
from hub.core import HUB
from hub.delivery import OutboxSettings
from model import Article, Channel
from model.clock import utcnow
from tests.conftest import hub_app, hub_settings, login, wait_for
from tests.standins.kakao import KakaoStandin, response_problems

TOKEN = "kakao-skill-" + "x7Qm2v9LpR4tZ8wK3nB6"
BOT_ID = "dasan-bot-0001"
SKILL = f"/webhooks/kakao/skill/{TOKEN}"
PUBLIC_URL = "https://hub.example.test"
FAST_OUTBOX = OutboxSettings(first_retry_seconds=0.05, max_retry_seconds=0.2, sweep_seconds=0.05)


@pytest.fixture
async def kakao() -> AsyncIterator[KakaoStandin]:
    async with KakaoStandin(BOT_ID) as standin:
        yield standin


@asynccontextmanager
async def kakao_hub(database_url: str, **kakao: Any) -> AsyncIterator[TestClient]:
    """A running hub with the KakaoTalk channel; keyword arguments go to `KakaoSettings`."""
    settings = KakaoSettings(skill_token=TOKEN, bot_id=BOT_ID, **kakao)
    channels = tuple(configured({}, PUBLIC_URL, given={Channel.KAKAO: settings}))
    hub = hub_settings(database_url, channels=channels, outbox=FAST_OUTBOX)
    async with TestClient(TestServer(hub_app(hub))) as client:
        yield client


async def skill(
    client: TestClient, payload: dict[str, Any], status: int = 200, path: str = SKILL, **headers: str
) -> dict[str, Any]:
    """POST a skill request as Kakao does and return the response body."""
    response = await client.post(path, json=payload, headers=headers)
    assert response.status == status, await response.text()
    body = await response.json()
    if status == 200:
        assert response_problems(body) == []
    return body


def texts(body: dict[str, Any]) -> list[str]:
    return [output["simpleText"]["text"] for output in body["template"]["outputs"]]


def labels(body: dict[str, Any]) -> list[str]:
    return [reply["label"] for reply in body["template"].get("quickReplies", [])]


async def statuses(client: TestClient, sender: str) -> list[tuple[str, str, str]]:
    """(author, status, text) of every message in the sender's Kakao conversation."""
    conversation = await client.app[HUB].conversation(Channel.KAKAO, sender)
    assert conversation is not None
    headers = await login(client, "jung", available=False)
    response = await client.get(f"/api/v1/conversations/{conversation.id}/messages", headers=headers)
    return [(m["author"], m["status"], m["text"]) for m in (await response.json())["messages"]]


async def reached(client: TestClient, sender: str, author: str, status: str) -> list[tuple[str, str, str]]:
    """Wait until every message of `author` in the conversation has `status`."""

    async def check() -> list[tuple[str, str, str]] | None:
        found = await statuses(client, sender)
        mine = [m for m in found if m[0] == author]
        return found if mine and all(m[1] == status for m in mine) else None

    return await wait_for(check)


async def agent_answers(client: TestClient, sender: str, text: str) -> None:
    """Agent kim takes the sender's queued conversation and replies."""
    conversation = await client.app[HUB].conversation(Channel.KAKAO, sender)
    assert conversation is not None
    kim = await login(client, "kim")
    claimed = await client.post(f"/api/v1/conversations/{conversation.id}/claim", headers=kim)
    assert claimed.status == 200, await claimed.text()
    sent = await client.post(f"/api/v1/conversations/{conversation.id}/messages", json={"text": text}, headers=kim)
    assert sent.status == 201


def slow_bot(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    original = KnowledgeBot.respond

    async def respond(self: KnowledgeBot, *args: Any) -> Any:
        await asyncio.sleep(seconds)
        return await original(self, *args)

    monkeypatch.setattr(KnowledgeBot, "respond", respond)


# -- answering in the skill response ----------------------------------------------------------


async def test_a_question_is_answered_inline_in_v2_format(database_url: str, kakao: KakaoStandin) -> None:
    async with kakao_hub(database_url) as client:
        body = await skill(client, kakao.skill_payload("따릉이 대여 방법 알려주세요", "user-a"))
        assert body["version"] == "2.0"
        assert "따릉이" in texts(body)[0]
        assert 1 <= len(texts(body)) <= 3 and all(len(t) <= TEXT_LIMIT for t in texts(body))
        assert labels(body) == ["상담사 연결"]
        assert body["template"]["quickReplies"][0] == {
            "action": "message",
            "label": "상담사 연결",
            "messageText": "상담사 연결",
        }
        # The outbox saw the answer too, and knows the response carried it: nothing is held.
        found = await reached(client, "user-a", "bot", "delivered")
        assert [m[:2] for m in found] == [("citizen", "received"), ("bot", "delivered")]


async def test_wrong_token_or_bot_is_refused_and_nothing_stored(database_url: str, kakao: KakaoStandin) -> None:
    async with kakao_hub(database_url) as client:
        payload = kakao.skill_payload("따릉이 대여 방법 알려주세요", "intruder")
        wrong_path = "/webhooks/kakao/skill/" + "y" * len(TOKEN)
        error = await skill(client, payload, 403, path=wrong_path)
        assert error["error"]["code"] == "forbidden"
        error = await skill(client, kakao.skill_payload("따릉이", "intruder", bot_id="another-bot"), 403)
        assert error["error"]["code"] == "forbidden"
        # A bad token is refused before the body is even read.
        response = await client.post(wrong_path, data=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status == 403
        response = await client.post(SKILL, data=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status == 400 and (await response.json())["error"]["code"] == "malformed_json"
        no_user = kakao.skill_payload("따릉이", "intruder")
        del no_user["userRequest"]["user"]
        assert "userRequest.user.id" in (await skill(client, no_user, 400))["error"]["message"]
        no_text = kakao.skill_payload("따릉이", "intruder")
        del no_text["userRequest"]["utterance"]
        assert "utterance" in (await skill(client, no_text, 400))["error"]["message"]
        assert await client.app[HUB].conversation(Channel.KAKAO, "intruder") is None


async def test_asking_for_a_person_queues_the_conversation(database_url: str, kakao: KakaoStandin) -> None:
    async with kakao_hub(database_url) as client:
        body = await skill(client, kakao.skill_payload("상담사 연결", "user-q"))
        assert "대기 순번은 1번" in texts(body)[-1]
        assert "상담사 연결" not in labels(body)  # no longer with the bot
        conversation = await client.app[HUB].conversation(Channel.KAKAO, "user-q")
        assert conversation is not None and conversation.state.value == "queued"
        await reached(client, "user-q", "system", "delivered")


async def test_a_repeated_request_is_stored_once(database_url: str, kakao: KakaoStandin) -> None:
    async with kakao_hub(database_url) as client:
        payload = kakao.skill_payload("여권 재발급은 어디서 하나요?", "user-r")
        first = await skill(client, payload, **{"X-Request-Id": "req-1"})
        again = await skill(client, payload, **{"X-Request-Id": "req-1"})
        assert texts(again) == texts(first)
        await skill(client, payload, **{"X-Request-Id": "req-2"})
        citizen = [m for m in await statuses(client, "user-r") if m[0] == "citizen"]
        assert len(citizen) == 2


# -- answering late ---------------------------------------------------------------------------


async def test_a_slow_answer_arrives_once_at_the_callback(
    database_url: str, kakao: KakaoStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_bot(monkeypatch, 0.8)
    async with kakao_hub(database_url, reply_wait_seconds=0.2) as client:
        payload = kakao.skill_payload("따릉이 대여 방법 알려주세요", "user-s", callback=True)
        body = await skill(client, payload)
        assert body == {
            "version": "2.0",
            "useCallback": True,
            "data": {"text": "답변을 준비하고 있어요. 잠시만 기다려 주세요."},
        }
        late = await kakao.wait_for_callback(payload["userRequest"]["callbackUrl"])
        assert "따릉이" in texts(late)[0] and labels(late) == ["상담사 연결"]
        await reached(client, "user-s", "bot", "delivered")
        await asyncio.sleep(0.3)
        callback = kakao.callback(payload["userRequest"]["callbackUrl"])
        assert len(callback.posts) == 1 and callback.refused == []


async def test_a_refused_callback_leaves_the_answer_held(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_bot(monkeypatch, 0.8)
    async with (
        KakaoStandin(BOT_ID, callback_seconds=0.1) as kakao,
        kakao_hub(database_url, reply_wait_seconds=0.2) as client,
    ):
        payload = kakao.skill_payload("따릉이 대여 방법 알려주세요", "user-x", callback=True)
        assert (await skill(client, payload))["useCallback"] is True
        await reached(client, "user-x", "bot", "held")
        assert kakao.callback(payload["userRequest"]["callbackUrl"]).refused == ["expired"]
        monkeypatch.undo()
        body = await skill(client, kakao.skill_payload("혼인신고 방법 알려주세요", "user-x"))
        assert "따릉이" in texts(body)[0]
        await reached(client, "user-x", "bot", "delivered")


async def test_a_slow_answer_without_callback_waits_for_the_next_message(
    database_url: str, kakao: KakaoStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_bot(monkeypatch, 1.6)
    async with kakao_hub(database_url, reply_wait_seconds=1.0) as client:
        body = await skill(client, kakao.skill_payload("따릉이 대여 방법 알려주세요", "user-t"))
        assert texts(body) == ["문의가 접수되었습니다. 답변이 준비되면 다음에 메시지를 보내실 때 함께 보여 드릴게요."]
        await reached(client, "user-t", "bot", "held")
        monkeypatch.undo()
        body = await skill(client, kakao.skill_payload("혼인신고 방법 알려주세요", "user-t"))
        assert "따릉이" in texts(body)[0] and "혼인신고" in "".join(texts(body)[1:])
        await reached(client, "user-t", "bot", "delivered")


# -- agent replies ----------------------------------------------------------------------------


async def test_an_agent_reply_is_held_until_the_citizen_writes(database_url: str, kakao: KakaoStandin) -> None:
    async with kakao_hub(database_url) as client:
        await skill(client, kakao.skill_payload("상담사 연결", "user-h"))
        await agent_answers(client, "user-h", "안녕하세요, 상담사 김민지입니다. 무엇을 도와드릴까요?")
        found = await reached(client, "user-h", "agent", "held")
        assert ("system", "held") in [m[:2] for m in found]  # "김민지 상담사가 연결되었습니다"
        body = await skill(client, kakao.skill_payload("네 안녕하세요", "user-h"))
        shown = "\n\n".join(texts(body))
        assert shown.index("연결되었습니다") < shown.index("상담사 김민지입니다")
        found = await reached(client, "user-h", "agent", "delivered")
        assert all(status == "delivered" for author, status, _ in found if author != "citizen")
        # Nothing is held twice.
        body = await skill(client, kakao.skill_payload("기다릴게요", "user-h"))
        assert "김민지입니다" not in "".join(texts(body))


async def test_an_agent_reply_goes_through_the_partner(database_url: str, kakao: KakaoStandin) -> None:
    async with kakao_hub(database_url, partner_url=kakao.partner_url, partner_key=kakao.partner_key) as client:
        await skill(client, kakao.skill_payload("상담사 연결", "user-p"))
        kakao.fail_partner(2, status=500)
        await agent_answers(client, "user-p", "안녕하세요, 상담사 김민지입니다.")
        found = await reached(client, "user-p", "agent", "sent")
        assert ("system", "sent") in [m[:2] for m in found]
        assert [m.text for m in kakao.partner_messages][-1] == "안녕하세요, 상담사 김민지입니다."
        assert {m.user_key for m in kakao.partner_messages} == {"user-p"}
        assert kakao.partner_attempts == len(kakao.partner_messages) + 2
        # A refusal that will not change is not retried: the agent sees it failed, and why.
        kakao.fail_partner(1, status=400)
        conversation = await client.app[HUB].conversation(Channel.KAKAO, "user-p")
        kim = await login(client, "kim")
        assert conversation is not None
        await client.post(f"/api/v1/conversations/{conversation.id}/messages", json={"text": "다시"}, headers=kim)

        async def refused() -> bool:
            return (await statuses(client, "user-p"))[-1][:2] == ("agent", "failed")

        await wait_for(refused)
        headers = await login(client, "jung", available=False)
        response = await client.get(f"/api/v1/conversations/{conversation.id}/messages", headers=headers)
        assert "HTTP 400" in (await response.json())["messages"][-1]["error"]


# -- Kakao's limits ---------------------------------------------------------------------------


async def test_long_texts_are_split_within_limits(database_url: str, kakao: KakaoStandin) -> None:
    paragraph = "다산 모의 안내문은 긴 답변이 카카오의 한도 안에서 나뉘는지 확인하려고 만든 문서입니다. " * 6
    body_text = "\n\n".join([paragraph] * 9)  # about 2,600 characters
    async with kakao_hub(database_url) as client:
        await client.app[HUB].knowledge.load(
            [Article("city-901", "city", "다산 모의 안내문", body_text, ("모의안내문", "긴답변시험"))]
        )
        body = await skill(client, kakao.skill_payload("모의안내문 긴답변시험 알려주세요", "user-l"))
        shown = texts(body)
        assert len(shown) == 3 and all(len(text) <= TEXT_LIMIT for text in shown)
        assert "".join(shown).replace("\n", "").replace(" ", "") == (
            f"다산 모의 안내문\n\n{body_text}".replace("\n", "").replace(" ", "")
        )
        # Held messages that do not fit wait for the next response, in order; one longer than
        # a whole response holds is cut short rather than never shown.
        await skill(client, kakao.skill_payload("상담사 연결", "user-l"))
        await agent_answers(client, "user-l", "가" * 3990)
        await reached(client, "user-l", "agent", "held")
        body = await skill(client, kakao.skill_payload("네", "user-l"))
        assert texts(body)[0].startswith("김민지 상담사가 연결되었습니다.")
        assert "이어지는 메시지가 있어요" in texts(body)[-1]
        assert (await statuses(client, "user-l"))[-2][:2] == ("agent", "held")
        body = await skill(client, kakao.skill_payload("네", "user-l"))
        assert len(texts(body)) == 3 and texts(body)[0].startswith("가") and texts(body)[-1].endswith("…")
        await reached(client, "user-l", "agent", "delivered")


def test_pack_splits_merges_and_keeps_order() -> None:
    assert pack(["가" * 2500]).bubbles == ("가" * 1000, "가" * 1000, "가" * 500)
    merged = pack(["하나", "둘", "셋", "넷", "다섯"])
    assert merged.bubbles == ("하나\n\n둘\n\n셋\n\n넷\n\n다섯",) and merged.included == 5
    separate = pack(["하나", "둘", "셋"])
    assert separate.bubbles == ("하나", "둘", "셋")
    crowded = pack(["가" * 1500, "나" * 900, "다" * 900])
    assert crowded.included == 2 and len(crowded.bubbles) == 3
    cut = pack(["가" * 3990])
    assert cut.truncated and len(cut.bubbles) == 3 and cut.bubbles[-1].endswith("…")
    sentences = split_text("첫 문장입니다. " * 150, TEXT_LIMIT)
    assert all(len(piece) <= TEXT_LIMIT and piece.endswith("다.") for piece in sentences)


async def test_deliver_learns_what_a_response_carried_before_or_after_it_asks() -> None:
    inline = InlineAnswers()
    now = utcnow()
    early = inline.begin("u")
    asking = asyncio.create_task(inline.carried("u", "7", now + timedelta(seconds=5), wait=5))
    await asyncio.sleep(0.05)
    assert not asking.done()  # asked before the response was decided: it waits
    inline.settle(early, ["7", "8"])
    assert await asking is True
    assert await inline.carried("u", "8", now, wait=5) is True  # asked after
    assert await inline.carried("u", "8", now, wait=5) is False  # forgotten once answered
    late = inline.begin("u")
    started = asyncio.get_running_loop().time()
    # A message older than the open request is not among its replies: no waiting for it.
    assert await inline.carried("u", "9", now - timedelta(minutes=1), wait=5) is False
    assert asyncio.get_running_loop().time() - started < 1
    inline.settle(late)
    assert await inline.carried("u", "10", utcnow(), wait=5) is False


def test_settings_from_the_environment() -> None:
    assert kakao_settings.from_env({}, PUBLIC_URL) is None
    settings = kakao_settings.from_env(
        {
            "DASAN_KAKAO_SKILL_TOKEN": TOKEN,
            "DASAN_KAKAO_BOT_ID": BOT_ID,
            "DASAN_KAKAO_PARTNER_URL": "https://partner.example/v1/messages",
            "DASAN_KAKAO_PARTNER_KEY": "k" * 32,
        },
        PUBLIC_URL,
    )
    assert settings == KakaoSettings(TOKEN, BOT_ID, "https://partner.example/v1/messages", "k" * 32)
    with pytest.raises(ValueError, match="DASAN_KAKAO_BOT_ID"):
        kakao_settings.from_env({"DASAN_KAKAO_SKILL_TOKEN": TOKEN}, PUBLIC_URL)
    with pytest.raises(ValueError, match="DASAN_KAKAO_PARTNER_KEY"):
        partner_only_url = {"DASAN_KAKAO_PARTNER_URL": "https://partner.example/v1/messages"}
        kakao_settings.from_env(
            {"DASAN_KAKAO_SKILL_TOKEN": TOKEN, "DASAN_KAKAO_BOT_ID": BOT_ID, **partner_only_url}, PUBLIC_URL
        )
    with pytest.raises(ValueError):
        kakao_settings.from_env({"DASAN_KAKAO_SKILL_TOKEN": "short", "DASAN_KAKAO_BOT_ID": BOT_ID}, PUBLIC_URL)
    with pytest.raises(ValueError):
        KakaoSettings(TOKEN, BOT_ID, partner_url="https://partner.example")


async def test_the_standin_takes_one_callback_within_its_minute() -> None:
    answer = {"version": "2.0", "template": {"outputs": [{"simpleText": {"text": "안녕하세요"}}]}}
    async with KakaoStandin(BOT_ID, callback_seconds=0.2) as kakao, aiohttp.ClientSession() as http:
        once, late = kakao.new_callback(), kakao.new_callback()
        assert (await http.post(once, json=answer)).status == 200
        assert (await http.post(once, json=answer)).status == 400
        await asyncio.sleep(0.3)
        assert (await http.post(late, json=answer)).status == 400
        bad = kakao.new_callback()
        assert (await http.post(bad, json={"template": {"outputs": []}})).status == 400
    assert kakao.callback(once).refused == ["used"] and kakao.callback(late).refused == ["expired"]
