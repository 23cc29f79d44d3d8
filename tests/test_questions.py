"""The questions editors should write articles for: every question the bot could not answer
and every one an agent answered by hand is kept (masked), similar ones are grouped and
counted, and a group, or an agent's reply, becomes a draft article in one step."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from chatbot.knowledge.tokenizer import SearchTokenizer
from chatbot.questions import group_similar
from hub.core import Hub
from model.clock import utcnow
from store import questions
from store.questions import Question, QuestionKind
from tests.conftest import citizen_says, login

# The demo knowledge base has nothing on street cats' feeding stations.
CAT_FEEDER = "동네 고양이 급식소 설치 신청은 어디서 하나요? 제 번호는 010-1234-5678 이에요"
CAT_FEEDER_AGAIN = "고양이 급식소 설치하려면 허가 받아야 하나요"
PHONE_DIGITS = "1234"
"""The masked part of the citizen's phone number: never stored, never shown to editors."""
ANSWER = "구청 동물보호팀에 신청하시면 됩니다. 담당자 번호는 02-2133-7654 입니다."


async def kept(hub: Hub, kind: QuestionKind | None = None) -> list[Question]:
    async with hub.store.read() as session:
        return await questions.open_questions(session, utcnow() - timedelta(days=1), kind)


async def question_groups(client: TestClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/kb/questions", params=params, headers=headers)
    assert response.status == 200, await response.text()
    return (await response.json())["groups"]


async def handed_to_kim(client: TestClient, sender: str) -> tuple[str, dict[str, str]]:
    """Two questions the bot cannot answer, so it hands over; kim takes the conversation."""
    await citizen_says(client, sender, CAT_FEEDER)
    handed = await citizen_says(client, sender, CAT_FEEDER_AGAIN)
    assert handed["state"] == "queued"
    kim = await login(client, "kim", available=False)
    claimed = await client.post(f"/api/v1/conversations/{handed['conversation_id']}/claim", headers=kim)
    assert claimed.status == 200, await claimed.text()
    return handed["conversation_id"], kim


async def agent_reply(client: TestClient, conversation_id: str, headers: dict[str, str], text: str) -> str:
    sent = await client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}, headers=headers)
    assert sent.status == 201, await sent.text()
    return (await sent.json())["id"]


# -- kept as they happen ------------------------------------------------------------------


async def test_a_question_the_bot_cannot_answer_is_kept_masked_and_once(client: TestClient, hub: Hub) -> None:
    said = await citizen_says(client, "c-cat", CAT_FEEDER, message_id="sms-1")
    assert said["state"] == "bot"
    [question] = await kept(hub)
    assert question.kind is QuestionKind.UNANSWERED and question.language == "ko"
    assert question.message_id == said["message_id"] and question.conversation_id == said["conversation_id"]
    assert "고양이 급식소" in question.text and PHONE_DIGITS not in question.text
    # The provider sends the same message again: still one question.
    await citizen_says(client, "c-cat", CAT_FEEDER, message_id="sms-1")
    async with hub.store.write() as session:
        await questions.record(session, QuestionKind.UNANSWERED, question.message_id, question.conversation_id,
                               "ko", "다른 글", utcnow())  # fmt: skip
    assert [q.text for q in await kept(hub)] == [question.text]
    # Editors see it masked too.
    editor = await login(client, "han", available=False)
    shown = json.dumps(await question_groups(client, editor), ensure_ascii=False)
    assert "고양이 급식소" in shown and PHONE_DIGITS not in shown


async def test_answers_and_clarifying_questions_are_not_kept(client: TestClient, hub: Hub) -> None:
    answered = await citizen_says(client, "c-passport", "여권 재발급은 어디서 하나요?")
    assert answered["replies"]
    # Two articles fit nearly as well: the bot asks which one, and that is an answer too.
    asked = await citizen_says(client, "c-bike", "따릉이 반납했는데 반납이 안됐다고 떠요")
    assert "1. " in asked["replies"][0]["text"]
    # Asking for a person is not a question the bot failed.
    await citizen_says(client, "c-person", "상담사 연결해 주세요")
    assert await kept(hub) == []


async def test_an_agent_answer_is_kept_with_the_questions_the_bot_left(client: TestClient, hub: Hub) -> None:
    conversation_id, kim = await handed_to_kim(client, "c-cat")
    assert [q.kind for q in await kept(hub)] == [QuestionKind.UNANSWERED] * 2
    reply_id = await agent_reply(client, conversation_id, kim, ANSWER)
    [answered] = await kept(hub, QuestionKind.AGENT_ANSWERED)
    assert answered.message_id == reply_id
    assert answered.text.splitlines()[1] == CAT_FEEDER_AGAIN and "고양이 급식소 설치" in answered.text
    assert PHONE_DIGITS not in answered.text and "2133" not in (answered.answer or "")
    assert (answered.answer or "").startswith("구청 동물보호팀에 신청하시면")
    # A second reply answers nothing new; a new question and its reply are kept again.
    await agent_reply(client, conversation_id, kim, "더 궁금한 점 있으세요?")
    await citizen_says(client, "c-cat", "급식소 사료는 누가 채워요?")
    await agent_reply(client, conversation_id, kim, "등록한 돌봄 봉사자가 채웁니다.")
    assert [q.text for q in await kept(hub, QuestionKind.AGENT_ANSWERED)] == [
        answered.text,
        "급식소 사료는 누가 채워요?",
    ]


# -- grouped ------------------------------------------------------------------------------


def test_similar_questions_group_and_unrelated_ones_stay_apart() -> None:
    asked = [
        ("지하철 분실물 어디서 찾아요", "ko"),
        ("수도요금 카드로 낼 수 있나요", "ko"),
        ("How do I pay my water bill?", "en"),
        ("지하철에 두고 내린 가방 찾는 법", "ko"),
        ("여권 재발급 어디서 해요", "ko"),
        ("Where can I pay the water bill", "en"),
        ("When does the first subway train leave?", "en"),
        ("지하철 첫차 몇 시예요", "ko"),
    ]
    groups = [sorted(group) for group in group_similar(asked, SearchTokenizer())]
    assert [0, 3] in groups and [2, 5] in groups
    assert sorted(len(group) for group in groups) == [1, 1, 1, 1, 2, 2]
    assert len(groups[0]) == 2  # the biggest first


async def test_editors_see_groups_counted_with_examples(client: TestClient, hub: Hub) -> None:
    for n, text in enumerate([CAT_FEEDER, CAT_FEEDER_AGAIN, "우리 아파트에 고양이 급식소 설치해도 돼요?"]):
        await citizen_says(client, f"c-cat-{n}", text)
    await citizen_says(client, "c-pool", "한강 수영장 개장일이 언제예요")
    await citizen_says(client, "c-en", "Where can I adopt a stray cat?", language="en")
    editor = await login(client, "han", available=False)
    groups = await question_groups(client, editor)
    assert [group["count"] for group in groups] == [3, 1, 1]
    cats = groups[0]
    assert cats["languages"] == {"ko": 3} and len(cats["examples"]) == 3 and cats["label"] == cats["examples"][0]
    assert len(cats["question_ids"]) == 3 and all(PHONE_DIGITS not in example for example in cats["examples"])
    assert {group["label"] for group in groups[1:]} == {
        "한강 수영장 개장일이 언제예요",
        "Where can I adopt a stray cat?",
    }
    assert (await question_groups(client, editor, kind="agent_answered")) == []
    supervisor = await login(client, "jung", available=False)
    assert len(await question_groups(client, supervisor, days="7", kind="unanswered")) == 3
    kim = await login(client, "kim", available=False)
    assert (await client.get("/api/v1/kb/questions", headers=kim)).status == 403
    for bad in ({"days": "0"}, {"days": "many"}, {"kind": "all"}):
        refused = await client.get("/api/v1/kb/questions", params=bad, headers=editor)
        assert refused.status == 400 and (await refused.json())["error"]["code"] == "invalid_field"


# -- drafts -------------------------------------------------------------------------------


async def test_a_group_becomes_a_draft_and_leaves_the_list(client: TestClient, hub: Hub) -> None:
    for n, text in enumerate([CAT_FEEDER, CAT_FEEDER_AGAIN]):
        await citizen_says(client, f"c-cat-{n}", text)
    editor = await login(client, "han", available=False)
    [group] = await question_groups(client, editor)
    kim = await login(client, "kim", available=False)
    refused = await client.post("/api/v1/kb/questions/draft", json={"question_ids": group["question_ids"]}, headers=kim)
    assert refused.status == 403

    made = await client.post("/api/v1/kb/questions/draft", json={"question_ids": group["question_ids"]}, headers=editor)
    assert made.status == 201, await made.text()
    entry = await made.json()
    assert entry["state"] == "draft" and entry["created_by"] == "han" and entry["title"] == group["label"]
    body = entry["draft"]["variants"]["ko"]["body"]
    assert all(f"- {example}" in body for example in group["examples"]) and PHONE_DIGITS not in body
    assert entry["category"] == (group["category"] or "other")
    assert await question_groups(client, editor) == []
    again = await client.post(
        "/api/v1/kb/questions/draft", json={"question_ids": group["question_ids"]}, headers=editor
    )
    assert again.status == 409
    unknown = await client.post("/api/v1/kb/questions/draft", json={"question_ids": [999_999]}, headers=editor)
    assert unknown.status == 404 and (await unknown.json())["error"]["code"] == "not_found"
    empty = await client.post("/api/v1/kb/questions/draft", json={"question_ids": []}, headers=editor)
    assert empty.status in (400, 422)


async def test_an_agent_turns_their_reply_into_a_draft(client: TestClient, hub: Hub) -> None:
    conversation_id, kim = await handed_to_kim(client, "c-cat")
    await agent_reply(client, conversation_id, kim, "안녕하세요, 상담사 김민지입니다.")
    reply_id = await agent_reply(client, conversation_id, kim, ANSWER)

    editor = await login(client, "han", available=False)
    lee = await login(client, "lee", available=False)
    for outsider in (editor, lee):
        refused = await client.post("/api/v1/kb/entries/from-message", json={"message_id": reply_id}, headers=outsider)
        assert refused.status == 403

    made = await client.post("/api/v1/kb/entries/from-message", json={"message_id": reply_id}, headers=kim)
    assert made.status == 201, await made.text()
    entry = await made.json()
    korean = entry["draft"]["variants"]["ko"]
    # The reply right after the greeting answers the question before the greeting.
    assert korean["title"].startswith("동네 고양이 급식소 설치 신청은") and PHONE_DIGITS not in korean["title"]
    assert korean["body"].startswith("구청 동물보호팀에 신청하시면") and "2133" not in korean["body"]
    assert entry["state"] == "draft" and entry["created_by"] == "kim"
    conversation = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=kim)).json()
    assert entry["category"] == (conversation["category"] or "other")
    # The question it answers leaves the editors' list.
    assert await kept(hub, QuestionKind.AGENT_ANSWERED) == []
    assert await kept(hub, QuestionKind.UNANSWERED) == []

    supervisor = await login(client, "jung", available=False)
    again = await client.post("/api/v1/kb/entries/from-message", json={"message_id": reply_id}, headers=supervisor)
    assert again.status == 201 and (await again.json())["created_by"] == "jung"
    messages = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=kim)
    citizen_id = next(m["id"] for m in (await messages.json())["messages"] if m["author"] == "citizen")
    not_reply = await client.post("/api/v1/kb/entries/from-message", json={"message_id": citizen_id}, headers=kim)
    assert not_reply.status == 400 and (await not_reply.json())["error"]["code"] == "not_an_answer"
    for unknown in ("999999", "x1"):
        missing = await client.post("/api/v1/kb/entries/from-message", json={"message_id": unknown}, headers=kim)
        assert missing.status == 404
