"""The knowledge base as a workflow (표준상담DB): editors write, review and publish articles
over the HTTP API; who may do what; history and differences; outdated translations;
seasonal articles; import and export. On SQLite and PostgreSQL, with the demo loaded."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openpyxl import Workbook

from chatbot.knowledge.files import FileFormat, demo_articles, parse_articles, write_articles
from hub.core import Hub
from model import Article
from model.clock import utcnow
from tests.conftest import citizen_says, login

DOG_PARK = {
    "category": "city",
    "variants": {
        "ko": {
            "title": "반려견 놀이터 이용 시간",
            "body": "서울시 반려견 놀이터는 오전 7시부터 오후 9시까지 열며 매주 월요일은 쉽니다. 맹견은 입장할 수 없습니다.",
            "keywords": ["반려견 놀이터", "강아지 운동장"],
        },
        "en": {
            "title": "Dog park opening hours",
            "body": "Seoul's dog parks are open from 7 a.m. to 9 p.m. and closed on Mondays.",
            "keywords": ["dog park"],
        },
    },
    "directory": ["seoul-city-hall"],
}
QUESTION = "강아지 놀이터 몇 시까지 해요?"


async def as_user(client: TestClient, username: str) -> dict[str, str]:
    return await login(client, username, available=False)


async def call(
    client: TestClient, method: str, path: str, headers: dict[str, str], expect: int = 200, **kwargs: Any
) -> Any:
    response = await client.request(method, path, headers=headers, **kwargs)
    body = await response.json()
    assert response.status == expect, body
    return body


async def written_and_submitted(client: TestClient, author: dict[str, str], content: dict[str, Any]) -> str:
    entry = await call(client, "POST", "/api/v1/kb/entries", author, 201, json=content)
    assert (entry["state"], entry["head"], entry["published"]) == ("draft", 1, None)
    await call(client, "POST", f"/api/v1/kb/entries/{entry['id']}/submit", author)
    return entry["id"]


async def bot_answer(client: TestClient, text: str) -> str:
    replies = (await citizen_says(client, f"citizen-{text}", text))["replies"]
    return replies[0]["text"] if replies else ""


async def test_an_article_answers_only_once_a_second_person_approved_and_published_it(client: TestClient) -> None:
    han, yoon = await as_user(client, "han"), await as_user(client, "yoon")
    article_id = await written_and_submitted(client, han, DOG_PARK)

    # In review it answers nobody: not the search, not the bot, not /kb/.
    found = await call(client, "GET", "/api/v1/kb/search", han, params={"q": "반려견 놀이터"})
    assert article_id not in [hit["id"] for hit in found["results"]]
    assert "반려견 놀이터" not in await bot_answer(client, QUESTION)

    refused = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", han, 409)
    assert refused["error"]["code"] == "not_approved"
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", han)
    alone = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", han, 403)
    assert alone["error"]["code"] == "needs_second_review"

    approved = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", yoon, json={"comment": "확인"})
    assert approved["approvals"] == ["han", "yoon"] and approved["can_publish"] is True
    published = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", han)
    assert (published["state"], published["published"]) == ("published", 1)

    # At once, with no restart: the search, the bot and the public page.
    hits = (await call(client, "GET", "/api/v1/kb/search", han, params={"q": "반려견 놀이터 이용 시간"}))["results"]
    assert hits[0]["id"] == article_id
    assert "오후 9시" in await bot_answer(client, QUESTION)
    page = await client.get(f"/kb/ko/{article_id}")
    text = await page.text()
    assert page.status == 200 and "반려견 놀이터 이용 시간" in text and "02-120" in text

    history = (await call(client, "GET", f"/api/v1/kb/entries/{article_id}/history", yoon))["events"]
    assert [(e["action"], e["actor"]) for e in history] == [
        ("created", "han"),
        ("submitted", "han"),
        ("approved", "han"),
        ("approved", "yoon"),
        ("published", "han"),
    ]
    assert history[3]["comment"] == "확인"


async def test_a_supervisor_may_publish_what_only_they_approved(client: TestClient) -> None:
    jung = await as_user(client, "jung")
    article_id = await written_and_submitted(client, jung, DOG_PARK)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", jung)
    twice = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", jung, 409)
    assert "already approved" in twice["error"]["message"]
    assert (await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", jung))["state"] == "published"


async def test_agents_propose_drafts_but_do_not_edit_review_or_publish(client: TestClient) -> None:
    kim, han = await as_user(client, "kim"), await as_user(client, "han")
    entry = await call(client, "POST", "/api/v1/kb/entries", kim, 201, json=DOG_PARK)
    assert entry["created_by"] == "kim"
    taken = await call(client, "POST", "/api/v1/kb/entries", kim, 409, json={**DOG_PARK, "id": entry["id"]})
    assert entry["id"] in taken["error"]["message"]
    for method, path in (
        ("GET", "/api/v1/kb/entries"),
        ("GET", f"/api/v1/kb/entries/{entry['id']}"),
        ("PUT", f"/api/v1/kb/entries/{entry['id']}"),
        ("POST", f"/api/v1/kb/entries/{entry['id']}/submit"),
        ("GET", "/api/v1/kb/export"),
    ):
        refused = await call(client, method, path, kim, 403, json=DOG_PARK if method == "PUT" else None)
        assert refused["error"]["code"] == "forbidden"
    # Editors read no conversation, but are themselves.
    assert (await client.get("/api/v1/conversations", headers=han)).status == 403
    assert (await call(client, "GET", "/api/v1/me", han))["role"] == "editor"
    listed = await call(client, "GET", "/api/v1/kb/entries", han, params={"state": "draft"})
    assert [item["id"] for item in listed["entries"]] == [entry["id"]]


async def test_edits_make_revisions_with_history_and_a_diff_and_reset_the_review(client: TestClient) -> None:
    han, yoon = await as_user(client, "han"), await as_user(client, "yoon")
    article_id = await written_and_submitted(client, han, DOG_PARK)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", yoon)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", han)

    changed = {**DOG_PARK, "base": 1, "variants": {**DOG_PARK["variants"]}}
    changed["variants"]["ko"] = {
        **DOG_PARK["variants"]["ko"],
        "body": "반려견 놀이터는 오전 7시부터 오후 10시까지 엽니다.",
    }
    edited = await call(client, "PUT", f"/api/v1/kb/entries/{article_id}", yoon, json=changed)
    assert (edited["state"], edited["head"], edited["published"]) == ("draft", 2, 1)
    # The English text did not change with the Korean: a translator should look again.
    assert edited["outdated_languages"] == ["en"] and edited["draft"]["variants"]["en"]["outdated"] is True
    stale = await call(client, "PUT", f"/api/v1/kb/entries/{article_id}", han, 409, json=changed)
    assert stale["error"]["code"] == "edit_conflict"

    # While the edit is a draft the published text still answers.
    assert "오후 9시" in await bot_answer(client, QUESTION)
    diff = await call(client, "GET", f"/api/v1/kb/entries/{article_id}/diff", han)
    assert (diff["from"], diff["to"]) == (1, 2)
    [body] = [field for field in diff["fields"] if field["field"] == "ko.body"]
    assert "-서울시 반려견 놀이터는 오전 7시부터 오후 9시까지" in body["diff"] and "+반려견 놀이터는" in body["diff"]
    assert [field["field"] for field in diff["fields"]] == ["ko.body"]

    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/submit", yoon)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", han)
    missing = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/return", han, 400, json={})
    assert missing["error"]["code"] == "missing_field"
    returned = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/return", han, json={"comment": "시간 확인"})
    assert (returned["state"], returned["approvals"]) == ("draft", [])
    outdated = await call(client, "GET", "/api/v1/kb/entries", han, params={"outdated": "true"})
    assert [item["id"] for item in outdated["entries"]] == [article_id]

    # Another save of the Korean alone keeps the mark; the translator's checking clears it.
    changed["base"] = 2
    again = await call(client, "PUT", f"/api/v1/kb/entries/{article_id}", han, json=changed)
    assert again["outdated_languages"] == ["en"]
    checked = await call(
        client, "PUT", f"/api/v1/kb/entries/{article_id}", han, json={**changed, "base": 3, "checked": ["en"]}
    )
    assert checked["outdated_languages"] == []


async def test_a_seasonal_article_answers_only_within_its_dates(client: TestClient, hub: Hub) -> None:
    jung = await as_user(client, "jung")
    today = utcnow().astimezone(hub.settings.timezone).date()
    season = {**DOG_PARK, "valid_until": (today - timedelta(days=1)).isoformat()}
    article_id = await written_and_submitted(client, jung, season)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", jung)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", jung)
    hits = (await call(client, "GET", "/api/v1/kb/search", jung, params={"q": "반려견 놀이터 이용 시간"}))["results"]
    assert article_id not in [hit["id"] for hit in hits]
    assert (await client.get(f"/kb/ko/{article_id}")).status == 404

    season = {**DOG_PARK, "base": 1, "valid_from": today.isoformat(), "valid_until": today.isoformat()}
    await call(client, "PUT", f"/api/v1/kb/entries/{article_id}", jung, json=season)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/submit", jung)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", jung)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", jung)
    hits = (await call(client, "GET", "/api/v1/kb/search", jung, params={"q": "반려견 놀이터 이용 시간"}))["results"]
    assert hits[0]["id"] == article_id

    backwards = {
        **season,
        "base": None,
        "valid_from": today.isoformat(),
        "valid_until": (today - timedelta(days=3)).isoformat(),
    }
    refused = await call(client, "PUT", f"/api/v1/kb/entries/{article_id}", jung, 400, json=backwards)
    assert "valid_until" in refused["error"]["message"]


async def test_archiving_withdraws_the_article_at_once(client: TestClient) -> None:
    jung = await as_user(client, "jung")
    article_id = await written_and_submitted(client, jung, DOG_PARK)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/approve", jung)
    await call(client, "POST", f"/api/v1/kb/entries/{article_id}/publish", jung)
    archived = await call(client, "POST", f"/api/v1/kb/entries/{article_id}/archive", jung, json={"comment": "폐지"})
    assert (archived["state"], archived["published"]) == ("archived", None)
    hits = (await call(client, "GET", "/api/v1/kb/search", jung, params={"q": "반려견 놀이터 이용 시간"}))["results"]
    assert article_id not in [hit["id"] for hit in hits]
    assert "반려견" not in await bot_answer(client, QUESTION)


@pytest.mark.parametrize(
    "bad, error",
    [
        ({**DOG_PARK, "variants": {"en": DOG_PARK["variants"]["en"]}}, "variants.ko"),
        ({**DOG_PARK, "category": "weather"}, "category"),
        ({**DOG_PARK, "variants": {"xx": DOG_PARK["variants"]["ko"]}}, "variants.xx"),
        ({**DOG_PARK, "directory": ["no-such-office"]}, "no-such-office"),
        ({**DOG_PARK, "id": "has spaces"}, "id"),
    ],
)
async def test_a_bad_article_is_refused_naming_what_is_wrong(
    client: TestClient, bad: dict[str, Any], error: str
) -> None:
    han = await as_user(client, "han")
    refused = await call(client, "POST", "/api/v1/kb/entries", han, 400, json=bad)
    assert error in refused["error"]["message"]
    assert (await call(client, "GET", "/api/v1/kb/entries", han, params={"state": "draft"}))["entries"] == []


@pytest.mark.parametrize("file_format", list(FileFormat))
def test_every_file_format_reads_back_what_it_wrote(file_format: FileFormat) -> None:
    seasonal = Article("winter-001", "water", "동파 신고", "계량기가 얼면 120", ("동파", "계량기"), "ko",
                       date(2026, 12, 1), date(2027, 2, 28), False, ("seoul-city-hall",))  # fmt: skip
    articles = [*demo_articles()[:40], seasonal]
    assert parse_articles(write_articles(articles, file_format), file_format) == articles


async def test_export_then_import_round_trips_every_published_variant(client: TestClient) -> None:
    admin = await as_user(client, "admin")
    response = await client.get("/api/v1/kb/export", params={"format": "xlsx"}, headers=admin)
    assert response.status == 200
    exported = await response.read()
    assert "knowledge-base.xlsx" in response.headers["Content-Disposition"]
    before = await call(client, "GET", "/api/v1/kb/articles/district-002", admin, params={"lang": "vi"})

    imported = await call(client, "POST", "/api/v1/kb/import", admin, params={"format": "xlsx"}, data=exported)
    assert imported["imported"] == len(demo_articles())

    # A city's knowledge base is far larger than an ordinary request body may be.
    many = [Article(f"bulk-{n:04}", "city", f"안내 {n}", "본문 " * 80, (), "ko") for n in range(1500)]
    big = write_articles(many, FileFormat.JSONL)
    assert len(big) > 1024 * 1024
    imported = await call(client, "POST", "/api/v1/kb/import", admin, params={"format": "jsonl"}, data=big)
    assert imported["imported"] == 1500
    after = await call(client, "GET", "/api/v1/kb/articles/district-002", admin, params={"lang": "vi"})
    assert after == before
    history = (await call(client, "GET", "/api/v1/kb/entries/district-002/history", admin))["events"]
    assert [e["action"] for e in history][-1:] == ["imported"] and history[-1]["actor"] == "admin"


async def test_an_import_with_one_bad_line_writes_nothing(client: TestClient) -> None:
    han = await as_user(client, "han")
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "category", "title", "body", "keywords", "language", "valid_from", "valid_until"])
    sheet.append(
        [
            "winter-001",
            "water",
            "수도계량기 동파 신고",
            "계량기가 얼어 터지면 120으로 신고하세요.",
            "동파, 계량기",
            "ko",
            "2026-12-01",
            "2027-02-28",
        ]
    )
    sheet.append(["winter-002", "water", "", "제목이 없는 줄", "", "ko", None, None])
    data = io.BytesIO()
    book.save(data)
    refused = await call(client, "POST", "/api/v1/kb/import", han, 400, params={"format": "xlsx"}, data=data.getvalue())
    assert "line 3" in refused["error"]["message"] and "title" in refused["error"]["message"]
    assert (await client.get("/api/v1/kb/entries/winter-001", headers=han)).status == 404

    sheet.delete_rows(3)
    data = io.BytesIO()
    book.save(data)
    imported = await call(client, "POST", "/api/v1/kb/import", han, params={"format": "xlsx"}, data=data.getvalue())
    assert imported["imported"] == 1
    entry = await call(client, "GET", "/api/v1/kb/entries/winter-001", han)
    draft = entry["draft"]
    assert (entry["state"], draft["valid_from"], draft["valid_until"]) == ("published", "2026-12-01", "2027-02-28")
