"""The built-in bot in six languages: each language's analysis, answers from the article
variants in the citizen's language, the Korean articles through a translator, and what the
bot does when it has neither."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from chatbot.builtin import ANSWER_THRESHOLD, KnowledgeBot
from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.files import demo_articles
from chatbot.knowledge.memory import MemoryArticles
from chatbot.knowledge.tokenizer import SearchTokenizer
from model import Article
from tests.conftest import citizen_says, login
from tests.records import conversation
from translation.service import Translation

CONVERSATION = conversation()


@pytest.fixture(scope="module")
def tokenizer() -> SearchTokenizer:
    return SearchTokenizer()


@pytest.fixture(scope="module")
def knowledge(tokenizer: SearchTokenizer) -> KnowledgeBase:
    return KnowledgeBase(MemoryArticles(demo_articles()), tokenizer)


@pytest.fixture(scope="module")
def bot(knowledge: KnowledgeBase) -> KnowledgeBot:
    """The bot as a default install runs it: no translator."""
    return KnowledgeBot(knowledge)


def same_terms(tokenizer: SearchTokenizer, language: str, first: str, second: str) -> bool:
    return set(tokenizer.tokens(first, language)) == set(tokenizer.tokens(second, language))


# -- analysis ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("여권 재발급은 어디서 하나요?", "여권 재발급"),
        ("따릉이 대여 어떻게 해요", "따릉이 대여"),
        ("청년수당 신청 방법 좀 알려주세요", "청년수당 신청"),
        ("등본 발급 어디서 해야 되나요?", "등본 발급"),
    ],
)
def test_korean_question_words_and_polite_endings_add_no_terms(
    tokenizer: SearchTokenizer, question: str, topic: str
) -> None:
    assert same_terms(tokenizer, "ko", question, topic)


@pytest.mark.parametrize(
    ("language", "citizen", "article"),
    [
        ("ko", "수도세", "수도요금"),
        ("ko", "주차 딱지", "주차 과태료"),
        ("ko", "자전거 빌리기", "자전거 대여"),
        ("ko", "버스에 두고 내렸어요", "버스 분실"),
        ("ko", "기동카", "기후동행카드"),
        ("en", "I left my bag in a cab", "lost bag taxi"),
        ("en", "renting bikes", "rent a bike"),
        ("en", "vaccinations", "vaccine"),
        ("zh", "共享单车", "公共自行车"),
        ("zh", "護照", "护照"),
        ("ja", "携帯を置き忘れた", "スマホを忘れた"),
        ("vi", "dang ky ho chieu", "đăng ký hộ chiếu"),
        ("vi", "muốn mượn xe đạp", "thuê xe đạp"),
        ("mn", "pasportoo geesen", "паспортоо гээсэн"),
        ("mn", "usnii tolbor", "усны төлбөр"),
        ("mn", "паспортоо гээчихлээ", "паспорт гээсэн"),
    ],
)
def test_citizens_words_meet_the_articles_words(
    tokenizer: SearchTokenizer, language: str, citizen: str, article: str
) -> None:
    assert same_terms(tokenizer, language, citizen, article), (
        tokenizer.tokens(citizen, language),
        tokenizer.tokens(article, language),
    )


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", "how do I, please?"),
        ("zh", "请问怎么办？"),
        ("ja", "どうやって教えてください"),
        ("vi", "cho em hỏi làm sao ạ"),
        ("mn", "яаж хаана вэ"),
        ("ko", "어떻게 하나요?"),
    ],
)
def test_a_question_made_only_of_question_words_has_no_terms(
    tokenizer: SearchTokenizer, language: str, question: str
) -> None:
    assert tokenizer.tokens(question, language) == []


def test_english_stems_meet_and_stop_words_go(tokenizer: SearchTokenizer) -> None:
    assert tokenizer.tokens("How do I renew my expired passports?", "en") == ["renew", "expir", "passport"]


def test_chinese_and_japanese_are_read_as_character_bigrams(tokenizer: SearchTokenizer) -> None:
    chinese = tokenizer.tokens("护照丢了怎么办", "zh")
    assert "~护照" in chinese and not any("怎" in term for term in chinese)
    japanese = tokenizer.tokens("パスポートをなくしました", "ja")
    assert {"~パス", "~ポー", "~なく"} <= set(japanese) and not any("ま" in term for term in japanese)


# -- search and answers in each language ---------------------------------------------


@pytest.mark.parametrize(
    ("language", "question", "article_id"),
    [
        ("ko", "여권 재발급은 어디서 하나요?", "district-002"),
        ("ko", "따릉이 어떻게 빌려요?", "transport-001"),
        ("ko", "지하철에 가방을 두고 내렸어요", "transport-007"),
        ("ko", "주차 딱지 과태료 어디서 납부해요", "transport-012"),
        ("en", "I forgot my wallet on the bus", "transport-008"),
        ("en", "my passport got stolen, what now", "district-003"),
        ("zh", "我的水表冻坏了", "water-019"),
        ("zh", "青年补贴有什么条件", "city-001"),
        ("ja", "タクシーにスマホを忘れました", "transport-009"),
        ("ja", "水道料金の払い方", "water-002"),
        ("vi", "toi bi mat ho chieu", "district-003"),
        ("vi", "đóng tiền nước ở đâu", "water-002"),
        ("mn", "Метронд утсаа мартчихсан", "transport-007"),
        ("mn", "pasportoo geesen", "district-003"),
    ],
)
async def test_the_bot_finds_the_article_in_the_citizens_language(
    bot: KnowledgeBot, language: str, question: str, article_id: str
) -> None:
    found = await bot.find(question, language)
    assert found.best is not None
    assert (found.best.article.id, found.best.article.language) == (article_id, language)
    assert found.confidence >= ANSWER_THRESHOLD


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("ko", "화성 이주 신청은 어떻게 하나요"),
        ("ko", "근처 맛집 추천해주세요"),
        ("en", "recommend a good pizza place"),
        ("zh", "推荐一家好吃的烤肉店"),
        ("ja", "おいしいラーメン屋を教えて"),
        ("vi", "quán bún chả ngon ở đâu"),
        ("mn", "Сайхан ресторан зааж өгөөч"),
    ],
)
async def test_a_question_the_knowledge_base_does_not_answer_is_not_answered(
    bot: KnowledgeBot, language: str, question: str
) -> None:
    turn = await bot.respond(CONVERSATION, question, language)
    assert not turn.answered and turn.text is None


async def test_two_close_articles_lower_the_confidence_and_come_back_as_runners_up(bot: KnowledgeBot) -> None:
    found = await bot.find("수도요금", "ko")
    assert found.best is not None and found.runners_up
    assert {hit.article.category for hit in (found.best, *found.runners_up)} == {"water"}
    assert found.confidence < found.best.confidence  # the question fits several: less sure


async def test_an_answer_comes_in_the_citizens_language_with_its_category(bot: KnowledgeBot) -> None:
    turn = await bot.respond(CONVERSATION, "how do I report a lost passport", "en")
    assert turn.answered and turn.article_id == "district-003" and turn.category == "district"
    assert turn.text is not None and turn.text.startswith("Reporting a lost passport")


async def test_without_a_translator_or_a_variant_the_bot_does_not_pretend(bot: KnowledgeBot) -> None:
    # Parking fines are written in Korean only (transport-012).
    turn = await bot.respond(CONVERSATION, "how do I pay a parking fine", "en")
    assert not turn.answered and turn.text is None


# -- through a translator ------------------------------------------------------------


class DictionaryTranslator:
    """Stands in for the hub's translator: known sentences only, and it counts what it is asked."""

    def __init__(self, known: dict[tuple[str, str], str], delay: float = 0.0) -> None:
        self.known = known
        self.delay = delay
        self.asked: list[tuple[str, str, str]] = []

    def available(self, source: str, target: str) -> bool:
        return True

    async def translate(self, text: str, source: str, target: str) -> Translation:
        self.asked.append((text, source, target))
        await asyncio.sleep(self.delay)
        found = self.known.get((text, target))
        return Translation(found, "dictionary") if found else Translation(None, error="unknown sentence")


def machine_translated(key: str, language: str) -> str:
    assert (key, language) == ("bot.machine_translated", "en")
    return "This answer was machine-translated from Korean."


PARKING_FINE = "how do I pay a parking fine"


def parking_translator(delay: float = 0.0) -> DictionaryTranslator:
    article = next(a for a in demo_articles() if (a.id, a.language) == ("transport-012", "ko"))
    return DictionaryTranslator(
        {
            (PARKING_FINE, "ko"): "주차 과태료 납부 방법",
            (f"{article.title}\n\n{article.body}", "en"): "Paying parking fines\n\nPay on ETAX or Wetax.",
        },
        delay,
    )


async def test_with_a_translator_a_korean_article_answers_and_is_marked_machine_translated(
    knowledge: KnowledgeBase, tokenizer: SearchTokenizer
) -> None:
    translator = parking_translator()
    bot = KnowledgeBot(knowledge, translator=translator, texts=machine_translated)
    turn = await bot.respond(CONVERSATION, PARKING_FINE, "en")
    assert turn.answered and turn.article_id == "transport-012"
    assert turn.text == (
        "Paying parking fines\n\nPay on ETAX or Wetax.\n\n(This answer was machine-translated from Korean.)"
    )
    assert [(source, target) for _, source, target in translator.asked] == [("en", "ko"), ("ko", "en")]


async def test_a_variant_in_the_citizens_language_needs_no_translator(
    knowledge: KnowledgeBase, tokenizer: SearchTokenizer
) -> None:
    translator = parking_translator()
    bot = KnowledgeBot(knowledge, translator=translator, texts=machine_translated)
    turn = await bot.respond(CONVERSATION, "I lost my passport", "en")
    assert turn.answered and turn.article_id == "district-003" and "machine-translated" not in (turn.text or "")
    assert translator.asked == []


async def test_a_failing_or_slow_translator_leaves_the_question_unanswered(
    knowledge: KnowledgeBase, tokenizer: SearchTokenizer
) -> None:
    failing = DictionaryTranslator({})
    turn = await KnowledgeBot(knowledge, translator=failing, texts=machine_translated).respond(
        CONVERSATION, PARKING_FINE, "en"
    )
    assert not turn.answered and failing.asked
    slow = parking_translator(delay=30.0)
    bot = KnowledgeBot(knowledge, translator=slow, texts=machine_translated, translation_seconds=0.05)
    turn = await bot.respond(CONVERSATION, PARKING_FINE, "en")
    assert not turn.answered


# -- the knowledge base follows its articles -------------------------------------------


async def test_a_new_variant_is_searched_in_its_language(tokenizer: SearchTokenizer) -> None:
    knowledge = KnowledgeBase(MemoryArticles(), tokenizer, recheck_seconds=0)
    await knowledge.load([Article("t-1", "city", "서울 장미축제", "중랑천에서 열립니다.", ("장미",))])
    assert await knowledge.search("Rose festival", "en") == []
    await knowledge.load([Article("t-1", "city", "Seoul Rose Festival", "Held along Jungnangcheon.", (), "en")])
    [hit] = await knowledge.search("when is the rose festival", "en")
    assert (hit.article.id, hit.article.language) == ("t-1", "en")


# -- through the hub --------------------------------------------------------------------


async def _conversation(client: TestClient, conversation_id: str) -> dict[str, Any]:
    supervisor = await login(client, "jung", available=False)
    response = await client.get(f"/api/v1/conversations/{conversation_id}", headers=supervisor)
    return await response.json()


async def test_a_vietnamese_citizen_typing_without_diacritics_is_answered_in_vietnamese(client: TestClient) -> None:
    answer = await citizen_says(client, "vi-bike", "cho em hoi cach thue xe dap cong cong")
    assert answer["state"] == "bot"
    [reply] = answer["replies"]
    assert reply["language"] == "vi" and reply["text"].startswith("Cách thuê xe Ttareungyi")
    conversation = await _conversation(client, answer["conversation_id"])
    assert (conversation["language"], conversation["category"]) == ("vi", "transport")


async def test_the_issues_everyday_korean_questions_get_their_articles(client: TestClient) -> None:
    asked = {
        "여권 재발급은 어디서 하나요?": "여권 재발급 신청 방법",
        "따릉이 어떻게 빌려요?": "따릉이 대여 방법",
        "지하철에 가방을 두고 내렸어요": "지하철에서 잃어버린 물건 찾기",
    }
    for number, (question, title) in enumerate(asked.items()):
        answer = await citizen_says(client, f"ko-{number}", question)
        assert answer["state"] == "bot" and answer["replies"][0]["text"].startswith(title), question
