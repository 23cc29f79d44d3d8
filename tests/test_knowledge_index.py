"""The search index follows the published articles one article at a time: the same results
as a fresh build, a publish searchable at once without rebuilding the others, seasonal
articles only on their days in Seoul, withdrawn articles gone."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any

import pytest
from pytest import approx

from chatbot.evaluation.questions import read_questions
from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.files import demo_articles
from chatbot.knowledge.index import BM25Index, Hit
from chatbot.knowledge.memory import MemoryArticles
from chatbot.knowledge.tokenizer import Analyser, SearchTokenizer
from model import Article


class ReadingAnalyser:
    """An analyser that notes every text it is given."""

    def __init__(self, analyser: Analyser, read: list[str]) -> None:
        self._analyser = analyser
        self._read = read
        self.grams_are_words = analyser.grams_are_words

    def terms(self, text: str) -> list[str]:
        self._read.append(text)
        return self._analyser.terms(text)


class ReadingTokenizer(SearchTokenizer):
    """The search tokenizer, noting every text its analysers are given."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def analyser(self, language: str) -> Analyser:
        return ReadingAnalyser(super().analyser(language), self.read)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def tokenizer() -> SearchTokenizer:
    return SearchTokenizer()


def questions(language: str) -> list[str]:
    return [question.text for question in read_questions() if question.language == language][:15]


def results(hits: list[Hit]) -> list[tuple[Article, Any, Any]]:
    """Each hit's article, score and confidence (to the last digits float sums may differ in)."""
    return [(hit.article, approx(hit.score, rel=1e-9), approx(hit.confidence, rel=1e-9)) for hit in hits]


def edited(article: Article, other: Article) -> Article:
    """`article` rewritten: another article's body added, a word taken out of its title."""
    title = " ".join(article.title.split()[1:]) or other.title
    return replace(article, title=title, body=f"{article.body} {other.body}")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_changing_articles_one_at_a_time_finds_what_a_fresh_build_finds(
    tokenizer: SearchTokenizer, language: str
) -> None:
    analyser = tokenizer.analyser(language)
    pool = [article for article in demo_articles() if article.language == language]
    rng = random.Random(120)
    live = {article.id: article for article in rng.sample(pool, len(pool) // 2)}
    index = BM25Index(analyser, live.values())
    for step in range(40):
        absent = [article for article in pool if article.id not in live]
        action = rng.choice(["add", "edit", "remove", "several"])
        if action == "add" and absent:
            arriving = [rng.choice(absent)]
        elif action == "edit":
            arriving = [edited(live[rng.choice(sorted(live))], rng.choice(pool))]
        elif action == "several":
            arriving = [edited(live[key], rng.choice(pool)) for key in rng.sample(sorted(live), 3)]
            arriving += rng.sample(absent, min(3, len(absent)))
        else:
            arriving = []
        leaving = [] if arriving else rng.sample(sorted(live), 2)
        index.put(arriving)
        index.remove(leaving)
        live.update({article.id: article for article in arriving})
        for article_id in leaving:
            del live[article_id]
        fresh = BM25Index(analyser, live.values())
        assert len(index) == len(fresh) == len(live)
        for question in questions(language):
            assert results(index.search(question, 8)) == results(fresh.search(question, 8)), (step, question)


async def test_a_published_change_is_searchable_after_refresh_without_rebuilding_the_others(
    tokenizer: SearchTokenizer,
) -> None:
    source = MemoryArticles(demo_articles())
    reading = ReadingTokenizer()
    knowledge = KnowledgeBase(source, reading, recheck_seconds=3600)
    [before] = await knowledge.search("따릉이 정비소 위치", "ko", 1)
    passport = await source.article("district-003", "ko")
    changed = replace(passport, title="여권 분실 신고와 따릉이 정비소 위치", keywords=(*passport.keywords, "정비소"))
    await source.upsert([changed], datetime.now(timezone.utc))

    reading.read.clear()
    await knowledge.refresh()
    [after] = await knowledge.search("따릉이 정비소 위치", "ko", 1)

    assert before.article.id != "district-003" and after.article == changed
    # Only the changed article's variants were analysed again (and the question).
    variants = [*await source.articles(["district-003"]), passport]
    texts = {text for article in variants for text in (article.body, f"{article.title} {' '.join(article.keywords)}")}
    assert set(reading.read) - {"따릉이 정비소 위치"} <= texts
    # Another process, looking every few seconds, sees it on its next look.
    elsewhere = KnowledgeBase(source, tokenizer, recheck_seconds=0)
    await elsewhere.search("여권", "ko")
    await source.upsert([replace(changed, title="따릉이 정비소 안내")], datetime.now(timezone.utc))
    [seen] = await elsewhere.search("따릉이 정비소 위치", "ko", 1)
    assert seen.article.title == "따릉이 정비소 안내"


async def test_many_articles_published_at_once_are_searchable(tokenizer: SearchTokenizer) -> None:
    knowledge = KnowledgeBase(MemoryArticles(demo_articles()), tokenizer, recheck_seconds=3600)
    await knowledge.search("여권", "ko")
    festivals = [
        Article(
            f"fest-{n}", "city", f"빛초롱축제 {n}회 안내", "청계천에서 겨울마다 열리는 등불 축제입니다.", ("빛초롱",)
        )
        for n in range(30)
    ]
    assert await knowledge.load(festivals) == 30
    found = await knowledge.search("빛초롱 축제", "ko", 50)
    assert {hit.article.id for hit in found[:30]} == {article.id for article in festivals}
    assert (await knowledge.search("여권 재발급", "ko", 1))[0].article.id.startswith("district-")


async def test_a_seasonal_article_answers_from_its_first_to_its_last_day_in_seoul(
    tokenizer: SearchTokenizer,
) -> None:
    winter = Article(
        "water-900", "water", "계량기 동파 긴급 신고", "계량기가 얼어 터지면 관할 수도사업소에 신고해 주세요.",
        ("동파",), valid_from=date(2026, 12, 1), valid_until=date(2027, 2, 28),
    )  # fmt: skip
    always = Article("water-901", "water", "계량기 교체 안내", "계량기 교체는 수도사업소에서 합니다.", ("계량기",))
    # 23:59:59 on 30 November in Seoul (14:59:59 UTC: still 30 November in UTC too).
    clock = Clock(datetime(2026, 11, 30, 14, 59, 59, tzinfo=timezone.utc))
    knowledge = KnowledgeBase(MemoryArticles([winter, always]), tokenizer, clock=clock)

    async def found() -> list[str]:
        return [hit.article.id for hit in await knowledge.search("계량기 동파 신고", "ko")]

    assert await found() == ["water-901"]
    clock.now = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # midnight, 1 December, in Seoul
    assert await found() == ["water-900", "water-901"]
    clock.now = datetime(2027, 2, 28, 14, 59, 59, tzinfo=timezone.utc)
    assert await found() == ["water-900", "water-901"]
    clock.now = datetime(2027, 2, 28, 15, 0, tzinfo=timezone.utc)  # 1 March in Seoul
    assert await found() == ["water-901"]


async def test_a_withdrawn_article_disappears_in_every_language(tokenizer: SearchTokenizer) -> None:
    source = MemoryArticles(demo_articles())
    knowledge = KnowledgeBase(source, tokenizer, recheck_seconds=3600)
    assert (await knowledge.search("여권 분실", "ko", 1))[0].article.id == "district-003"
    assert (await knowledge.search("I lost my passport", "en", 1))[0].article.id == "district-003"

    source.withdraw("district-003")
    await knowledge.refresh()

    assert "district-003" not in [hit.article.id for hit in await knowledge.search("여권 분실", "ko", 10)]
    assert "district-003" not in [hit.article.id for hit in await knowledge.search("I lost my passport", "en", 10)]
    assert await knowledge.languages("district-003") == []
