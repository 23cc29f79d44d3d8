"""Abuse detection (악성민원): what is flagged in each language and category, with the spelled-out
and disguised variants citizens type, what must not be (the false-positive traps), and the
share of real citizen questions flagged. No database: the detector is a pure function of text.

bench/abuse.py measures the speed on the same phrases and the knowledge base's questions.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from model.abuse import AbuseCategory, AbuseDetector

INSULT, SEXUAL, THREAT, SELF_HARM = (
    AbuseCategory.INSULT,
    AbuseCategory.SEXUAL,
    AbuseCategory.THREAT,
    AbuseCategory.SELF_HARM,
)
ROOT = Path(__file__).resolve().parent.parent

POSITIVES: list[tuple[str, str | None, AbuseCategory]] = [
    # Korean insults: the words, their similar-sounding spellings and jamo abbreviations.
    ("씨발 왜 이렇게 안 돼", "ko", INSULT),
    ("시발 진짜", "ko", INSULT),
    ("씨바 뭐하는 거야", "ko", INSULT),
    ("쓰벌 짜증나네", "ko", INSULT),
    ("썅 또 안 되네", "ko", INSULT),
    ("병신 같은 행정", "ko", INSULT),
    ("븅신들아 일 좀 해라", "ko", INSULT),
    ("미친놈 아니야?", "ko", INSULT),
    ("개새끼들", "ko", INSULT),
    ("좆같은 서비스", "ko", INSULT),
    ("지랄하고 있네", "ko", INSULT),
    ("닥쳐", "ko", INSULT),
    ("꺼져 이 새끼야", "ko", INSULT),
    ("ㅅㅂ 전화를 왜 안 받아", "ko", INSULT),
    ("ㅂㅅ아", "ko", INSULT),
    ("ㅈㄹ 하지 마", "ko", INSULT),
    ("ㄱㅅㄲ", "ko", INSULT),
    ("존나 느리네", "ko", INSULT),
    ("느금마", "ko", INSULT),
    # digits or symbols inserted, spaces inserted, letters repeated or drawn out
    ("시1발", "ko", INSULT),
    ("씨~발", "ko", INSULT),
    ("시.발 뭐야", "ko", INSULT),
    ("ㅂ ㅅ", "ko", INSULT),
    ("씨 발", "ko", INSULT),
    ("개 새 끼", "ko", INSULT),
    ("이 씨 발놈아", "ko", INSULT),
    ("씨이이발", "ko", INSULT),
    ("씨발발발", "ko", INSULT),
    ("c발 장난하냐", "ko", INSULT),
    ("ㅅ.ㅂ", "ko", INSULT),
    ("병1신아", "ko", INSULT),
    ("병　신", "ko", INSULT),  # an ideographic space
    (unicodedata.normalize("NFD", "씨발 진짜"), "ko", INSULT),  # decomposed Hangul
    ("이 병신년아", "ko", INSULT),
    # Korean sexual harassment
    ("목소리가 섹시하네", "ko", SEXUAL),
    ("나랑 모텔 가자", "ko", SEXUAL),
    ("오늘 속옷 색 뭐야", "ko", SEXUAL),
    ("야동 보냐", "ko", SEXUAL),
    # Korean threats
    ("죽여버리겠다", "ko", THREAT),
    ("너 죽일거야", "ko", THREAT),
    ("찾아가서 가만 안둬", "ko", THREAT),
    ("가만 안 둔다 진짜", "ko", THREAT),
    ("칼로 찔러버린다", "ko", THREAT),
    ("구청에 불질러 버린다", "ko", THREAT),
    ("폭탄 설치했다", "ko", THREAT),
    ("어디 사는지 알아", "ko", THREAT),
    ("죽고 싶냐", "ko", THREAT),
    # Korean self-harm
    ("죽고싶다", "ko", SELF_HARM),
    ("너무 힘들어서 죽고 싶어요", "ko", SELF_HARM),
    ("자살할 거예요", "ko", SELF_HARM),
    ("목숨 끊고 싶어요", "ko", SELF_HARM),
    ("한강에서 뛰어내리고 싶어요", "ko", SELF_HARM),
    ("이제 그만 살고 싶어", "ko", SELF_HARM),
    ("유서를 썼어요", "ko", SELF_HARM),
    # English, with leetspeak, censoring, repeats and spelled-apart letters
    ("fuck you", "en", INSULT),
    ("what the f*ck is this", "en", INSULT),
    ("f**k off", "en", INSULT),
    ("fuuuck", "en", INSULT),
    ("this is sh1t", "en", INSULT),
    ("you are a b1tch", "en", INSULT),
    ("kiss my a$$", "en", INSULT),
    ("F U C K you", "en", INSULT),
    ("you idiot", "en", INSULT),
    ("Motherfucker", "en", INSULT),
    ("*fuck* this", "en", INSULT),
    ("fvck", "en", INSULT),
    ("you a**hole", "en", INSULT),
    ("send nudes", "en", SEXUAL),
    ("you sound sexy", "en", SEXUAL),
    ("what are you wearing", "en", SEXUAL),
    ("I will kill you", "en", THREAT),
    ("I'll kill you", "en", THREAT),
    ("I know where you live", "en", THREAT),
    ("I'm going to burn down your office", "en", THREAT),
    ("i will k1ll you", "en", THREAT),
    ("I want to kill myself", "en", SELF_HARM),
    ("I just want to end my life", "en", SELF_HARM),
    ("I feel suicidal", "en", SELF_HARM),
    ("I don't want to live anymore", "en", SELF_HARM),
    # Chinese
    ("你这个傻逼", "zh", INSULT),
    ("他妈的", "zh", INSULT),
    ("约炮吗", "zh", SEXUAL),
    ("我要杀了你", "zh", THREAT),
    ("我不想活了", "zh", SELF_HARM),
    # Japanese (halfwidth katakana normalised)
    ("死ね", "ja", INSULT),
    ("ﾊﾞｶ野郎", "ja", INSULT),
    ("パンツ何色", "ja", SEXUAL),
    ("殺すぞ", "ja", THREAT),
    ("もう死にたい", "ja", SELF_HARM),
    # Vietnamese
    ("địt mẹ mày", "vi", INSULT),
    ("đồ ngu", "vi", INSULT),
    ("gạ tình", "vi", SEXUAL),
    ("tao giết mày", "vi", THREAT),
    ("tôi muốn tự tử", "vi", SELF_HARM),
    # Mongolian
    ("новшийн ажилтан", "mn", INSULT),
    ("янхан", "mn", SEXUAL),
    ("чамайг алнаа", "mn", THREAT),
    ("үхмээр байна", "mn", SELF_HARM),
    # Korean and English are checked whatever the hint; with no hint, every language.
    ("씨발", "vi", INSULT),
    ("fuck", "zh", INSULT),
    ("傻逼", None, INSULT),
    ("死にたい", None, SELF_HARM),
]

TRAPS: list[tuple[str, str | None]] = [
    # Innocent Korean words that contain a listed one.
    ("시발역이 어디예요?", "ko"),
    ("여기가 시발점입니다", "ko"),
    ("시발택시 전시는 어디서 하나요", "ko"),
    ("오후 7시발 KTX 표 있나요", "ko"),
    ("죽전역 가는 버스", "ko"),
    ("수박씨 발라 먹는 법", "ko"),
    ("수박씨발라내기", "ko"),
    ("새끼 고양이를 주웠어요", "ko"),
    ("새끼손가락을 다쳤어요", "ko"),
    ("강아지 새끼 분양 신고는 어디서 해요", "ko"),
    ("2016년 병신년 새해 복 많이 받으세요", "ko"),
    ("저는 병신년생입니다", "ko"),
    ("제 십팔번은 트로트예요", "ko"),
    ("지랄탄은 1980년대 시위에 쓰였다", "ko"),
    ("카드를 다시 발급받으려면", "ko"),
    ("여권 다시발급 받으려면요", "ko"),
    ("아저씨 발 밟아서 죄송해요", "ko"),
    ("질병신고는 어디에 하나요", "ko"),
    ("공시발표 언제예요", "ko"),
    ("보존나무 안내판", "ko"),
    ("감염병 예방접종 안내", "ko"),
    ("껌 씹는 소리", "ko"),
    ("가로등이 꺼져 있어요", "ko"),
    ("불이 꺼져서 어두워요", "ko"),
    ("장마가 닥쳐오기 전에 배수구 청소", "ko"),
    ("옆집 개 소리 때문에 잠을 못 자요", "ko"),
    # Topics, not threats: a neutral mention.
    ("자살예방센터 번호 알려주세요", "ko"),
    ("폭탄세일 하는 전통시장", "ko"),
    ("수도요금 폭탄 맞았어요", "ko"),
    ("칼로리 낮은 급식 메뉴", "ko"),
    ("불꽃축제 폭죽 소리가 너무 커요", "ko"),
    ("방화문이 잠겨 있어요", "ko"),
    ("죽도록 기다렸어요", "ko"),
    ("누가 차에 불을 질러서 신고합니다", "ko"),
    ("밤길 조심하세요", "ko"),
    ("죽여주는 맛집 추천해 주세요", "ko"),
    # English words that contain a listed one (the Scunthorpe problem) and neutral topics.
    ("I live in Scunthorpe", "en"),
    ("Is there an evening class?", "en"),
    ("Please assess my application", "en"),
    ("A cocktail bar near Itaewon", "en"),
    ("Reading Dickens at the library", "en"),
    ("Shiitake mushrooms at the market", "en"),
    ("My therapist is in Mapo", "en"),
    ("Grapes from the farm", "en"),
    ("I passed the bus stop", "en"),
    ("abc발급 센터", "ko"),
    ("Suicide prevention hotline number please", "en"),
    ("How do I report a fire hazard?", "en"),
    ("I'll shoot you an email with the details", "en"),
    ("I cut myself on broken glass in the park", "en"),
    ("They take my life savings in taxes", "en"),
    # Other languages
    ("我妈妈的卡丢了", "zh"),
    ("自杀预防热线是多少", "zh"),
    ("死ねない理由", "ja"),
    ("カステラを買いたい", "ja"),
    ("Tôi muốn đăng ký xe buýt", "vi"),
    ("Автобусны буудал хаана байдаг вэ", "mn"),
]

FLAGGED_SHARE = 0.005
"""Real citizen questions may be flagged at most this often."""


@pytest.fixture(scope="module")
def detector() -> AbuseDetector:
    return AbuseDetector()


@pytest.mark.parametrize(("text", "language", "category"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_abuse_is_found(detector: AbuseDetector, text: str, language: str | None, category: AbuseCategory) -> None:
    finding = detector.detect(text, language)
    assert finding is not None, f"{text!r} was not flagged"
    assert category in finding.categories
    assert finding.matches and all(match in text for match in finding.matches)


@pytest.mark.parametrize(("text", "language"), TRAPS, ids=[t[0] for t in TRAPS])
def test_innocent_text_is_not_flagged(detector: AbuseDetector, text: str, language: str | None) -> None:
    assert detector.detect(text, language) is None
    assert detector.detect(text) is None, "flagged when every language is checked"


def test_every_language_and_category_has_a_positive() -> None:
    covered = {(language, category) for _, language, category in POSITIVES}
    assert {
        (language, category)
        for language in ("ko", "en", "zh", "ja", "vi", "mn")
        for category in AbuseCategory
        if (language, category) not in covered
    } == set()


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("시1발 진짜", ("시1발",)),
        ("이 개 새 끼야", ("개 새 끼",)),
        ("what the f*ck, you b1tch", ("f*ck", "b1tch")),
        ("ＦＵＣＫ", ("ＦＵＣＫ",)),
        ("씨발 씨발 fuck", ("씨발", "fuck")),
        ("시발역 앞에서 씨발", ("씨발",)),
        (unicodedata.normalize("NFD", "이 씨발"), (unicodedata.normalize("NFD", "씨발"),)),
    ],
)
def test_matches_are_the_words_as_written(detector: AbuseDetector, text: str, matches: tuple[str, ...]) -> None:
    """The audit shows what the citizen wrote, in order and once each, not the normalised form."""
    finding = detector.detect(text)
    assert finding is not None
    assert finding.matches == matches


@pytest.mark.parametrize(
    ("text", "categories", "urgent"),
    [
        ("씨발", {INSULT}, False),
        ("목소리 섹시하네", {SEXUAL}, False),
        ("씨발 죽여버린다", {INSULT, THREAT}, True),
        ("I will kill myself", {SELF_HARM}, True),
        ("죽고 싶다 ㅅㅂ", {SELF_HARM, INSULT}, True),
    ],
)
def test_threats_and_self_harm_are_urgent(
    detector: AbuseDetector, text: str, categories: set[AbuseCategory], urgent: bool
) -> None:
    finding = detector.detect(text, "ko")
    assert finding is not None
    assert finding.categories == categories
    assert finding.urgent is urgent


@pytest.mark.parametrize("text", ["", "   ", "\n", "ㅋㅋㅋㅋ", "ㅠㅠ", "?!", "12345", "👍"])
def test_empty_and_content_free_messages_are_clean(detector: AbuseDetector, text: str) -> None:
    assert detector.detect(text) is None


def citizen_questions() -> list[tuple[str, str]]:
    """The labelled citizen questions of the bot's evaluation and every sentence of the
    knowledge base's demo articles (titles and bodies, all six languages): (text, language)."""
    lines = (ROOT / "chatbot/evaluation/questions.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [(record["question"], record["language"]) for record in map(json.loads, filter(None, lines))]
    for path in sorted((ROOT / "chatbot/data").glob("kb_demo*.jsonl")):
        language = path.suffixes[0].lstrip(".") if len(path.suffixes) > 1 else "ko"
        for line in filter(None, path.read_text(encoding="utf-8").splitlines()):
            article = json.loads(line)
            texts.append((article["title"], language))
            texts.extend((sentence, language) for sentence in re.split(r"(?<=[.!?。])\s*", article["body"]) if sentence)
    return texts


def test_real_citizen_questions_are_rarely_flagged(detector: AbuseDetector) -> None:
    questions = citizen_questions()
    assert len(questions) >= 500
    flagged = [(text, detector.detect(text, language)) for text, language in questions]
    flagged = [(text, finding) for text, finding in flagged if finding is not None]
    for text, finding in flagged:
        print(f"flagged: {text!r} for {sorted(finding.categories)} {finding.matches}")
    print(f"{len(flagged)} of {len(questions)} questions flagged")
    assert len(flagged) < FLAGGED_SHARE * len(questions), flagged
