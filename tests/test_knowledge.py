"""Korean-aware knowledge-base search, the agents' KB API and `dasan kb import`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from chatbot.knowledge.files import DEMO_KNOWLEDGE, read_articles
from chatbot.knowledge.index import BM25Index
from chatbot.knowledge.tokenizer import SearchTokenizer
from model import Article
from model.errors import HubError
from tests.conftest import login


@pytest.fixture(scope="module")
def demo_index() -> BM25Index:
    return BM25Index(SearchTokenizer().analyser("ko"), read_articles(DEMO_KNOWLEDGE))


def test_the_demo_knowledge_base_is_large_and_covers_every_category() -> None:
    articles = read_articles(DEMO_KNOWLEDGE)
    assert len(articles) >= 150
    per_category = {
        c: sum(a.category == c for a in articles) for c in ("transport", "water", "city", "district", "other")
    }
    assert min(per_category.values()) >= 25
    assert len({a.id for a in articles}) == len(articles)


@pytest.mark.parametrize(
    ("query", "expected_word"),
    [
        ("신고", "신고"),  # two-syllable words: a trigram index finds nothing for these
        ("여권", "여권"),
        ("등본", "등본"),
        ("등본 떼려면 어디로 가요", "등본"),
        ("따릉이 빌리는 법", "따릉이"),
        ("수도요금 자동이체", "자동이체"),
        ("쓰레기 무단투기 신고하려고요", "무단투기"),
        ("청년수당 신청", "청년수당"),
    ],
)
def test_korean_words_find_their_articles(demo_index: BM25Index, query: str, expected_word: str) -> None:
    hits = demo_index.search(query, limit=3)
    assert hits, query
    best = hits[0].article
    assert expected_word in best.title + " ".join(best.keywords) + best.body


def test_confidence_separates_known_from_unknown(demo_index: BM25Index) -> None:
    known = demo_index.search("여권 재발급 신청 방법", limit=1)[0]
    assert known.confidence >= 0.9 and "여권" in known.article.title
    unknown = demo_index.search("화성 이주 신청은 어떻게 하나요", limit=1)
    assert not unknown or unknown[0].confidence < 0.55


def test_titles_and_keywords_weigh_more_than_bodies() -> None:
    analyser = SearchTokenizer().analyser("ko")
    index = BM25Index(
        analyser,
        [
            Article("a", "district", "여권 발급", "구청 민원실에서 신청합니다."),
            Article("b", "other", "민원실 위치", "여권 이야기는 아닙니다만 여권이라는 말이 나옵니다."),
        ],
    )
    assert [hit.article.id for hit in index.search("여권")] == ["a", "b"]


async def test_agents_search_and_open_articles(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    response = await client.get(
        "/api/v1/kb/search", params={"q": "여권 재발급", "lang": "ko", "limit": "3"}, headers=kim
    )
    results = (await response.json())["results"]
    assert 1 <= len(results) <= 3
    assert set(results[0]) == {"id", "title", "category", "language", "score", "snippet", "outdated"}
    assert "여권" in results[0]["title"] and results[0]["category"] == "district"
    assert results[0]["score"] >= results[-1]["score"]
    article = await (await client.get(f"/api/v1/kb/articles/{results[0]['id']}", headers=kim)).json()
    assert article["body"].startswith(results[0]["snippet"].rstrip("…"))
    assert (await client.get("/api/v1/kb/articles/nope", headers=kim)).status == 404
    assert (await client.get("/api/v1/kb/search", params={"q": ""}, headers=kim)).status == 400
    assert (await client.get("/api/v1/kb/search", params={"q": "여권", "limit": "0"}, headers=kim)).status == 400
    assert (await client.get("/api/v1/kb/search", params={"q": "여권", "lang": "xx"}, headers=kim)).status == 400


def test_read_articles_checks_every_line_first(tmp_path: Path) -> None:
    good = {
        "id": "t-1",
        "category": "city",
        "title": "서울 장미축제",
        "body": "중랑천에서 열립니다.",
        "keywords": ["장미"],
    }
    bad = {"id": "t-2", "category": "weather", "title": "날씨", "body": "맑음"}
    path = tmp_path / "kb.jsonl"
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", "utf-8")
    with pytest.raises(HubError, match="line 2"):
        read_articles(path)
    csv_path = tmp_path / "kb.csv"
    csv_path.write_text(
        'id,category,title,body,keywords\nc-1,water,계량기 동파,계량기를 보온재로 감싸 주세요.,"계량기, 동파"\n',
        "utf-8",
    )
    (article,) = read_articles(csv_path)
    assert article.keywords == ("계량기", "동파") and article.category == "water"


def _dasan(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "dasan"), "--database", database, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_cli_imports_searches_and_adds_agents(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    path = tmp_path / "more.jsonl"
    lines = [
        {
            "id": f"fest-{n}",
            "category": "city",
            "title": f"서울 빛초롱축제 안내 {n}",
            "body": "청계천에서 겨울마다 열리는 등불 축제입니다.",
            "keywords": ["빛초롱", "청계천"],
        }
        for n in range(450)
    ]
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), "utf-8")
    imported = _dasan("kb", "import", str(path), database=database)
    assert imported.returncode == 0, imported.stderr
    assert "imported 200/450" in imported.stdout and "imported 450/450" in imported.stdout
    found = _dasan("kb", "search", "빛초롱 축제", database=database)
    assert "빛초롱축제" in found.stdout
    added = _dasan(
        "agents",
        "add",
        "hong",
        "--password",
        "s3cret-pass",
        "--skills",
        "water,city",
        "--languages",
        "ko,mn",
        "--role",
        "supervisor",
        database=database,
    )
    assert added.returncode == 0, added.stderr
    again = _dasan("agents", "add", "hong", "--password", "s3cret-pass", database=database)
    assert again.returncode == 2 and "exists already" in again.stderr
    wrong = _dasan("agents", "add", "kang", "--password", "s3cret-pass", "--skills", "weather", database=database)
    assert wrong.returncode == 2 and "weather" in wrong.stderr
    missing = _dasan("kb", "import", str(tmp_path / "nothing.jsonl"), database=database)
    assert missing.returncode == 2


@pytest.mark.parametrize(
    ("language", "question", "article_id"),
    [
        ("en", "I lost my passport", "district-003"),
        ("zh", "这个月水费突然很高", "water-008"),
        ("ja", "自転車を借りたい", "transport-001"),
        ("vi", "tiền nước tháng này đột nhiên tăng cao", "water-008"),
        ("mn", "Би паспортоо гээсэн", "district-003"),
    ],
)
async def test_the_demo_articles_answer_in_five_more_languages(
    client: TestClient, language: str, question: str, article_id: str
) -> None:
    kim = await login(client, "kim", available=False)
    search = await client.get("/api/v1/kb/search", params={"q": question, "lang": language}, headers=kim)
    best = (await search.json())["results"][0]
    assert (best["id"], best["language"]) == (article_id, language)
    variant = await (
        await client.get(f"/api/v1/kb/articles/{article_id}", params={"lang": language}, headers=kim)
    ).json()
    korean = await (await client.get(f"/api/v1/kb/articles/{article_id}", headers=kim)).json()
    assert variant["title"] == best["title"] != korean["title"]
    assert variant["languages"] == korean["languages"] == ["en", "ja", "ko", "mn", "vi", "zh"]
