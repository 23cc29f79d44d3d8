"""Korean search terms: content morphemes, verb stems and syllable bigrams.

The morphological analyser (python-mecab-ko, its dictionary shipped in a package) finds
nouns and the stems of inflected verbs (빌려요 → 빌리); particles, endings, question words
and polite phrases ("은 어디서 하나요", "어떻게 해요", "알려주세요") are dropped, so they
neither dilute a match nor make one. Syllable bigrams of each noun phrase catch the coined
names the dictionary splits badly (따릉이, 불법주차) and spacing errors, the same way on
both sides.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from functools import lru_cache

import mecab

from chatbot.knowledge.terms import Phrases, grams, normalise

# Morphemes that carry a topic: nouns, roots, foreign words, numbers, Chinese characters.
_NOUNS = ("NNG", "NNP", "NR", "XR", "SL", "SH", "SN")
_VERBS = ("VV", "VA")
# The pieces of a noun phrase (따 of 따릉이 is tagged IC, 재 of 재발급 XPN).
_PHRASE = ("NNG", "NNP", "XR", "XPN", "IC", "SH")
# Particles and copulas a noun phrase ends with; stripped before its bigrams are taken.
_PARTICLES = re.compile(
    r"(이에요|이예요|예요|에서는|에서|에게|한테|으로|로는|로|까지|부터|이랑|랑|하고|이나|나|"
    r"은|는|을|를|가|와|과|도|만|의|에|요|이요|인데요|인데|인가요|입니다)$"
)
_HANGUL_RUN = re.compile(r"[가-힣]{3,}")
_SPACED = re.compile(r"\S+")

STOP_WORDS = frozenset(
    """
    하 되 있 없 알 알리 알아보 가르치 주 보 받 가 싶 같 어떻 어떡 궁금 부탁 드리 고맙 감사 안녕
    어디 언제 무엇 뭐 얼마 방법 법 방식 문의 질문 안내 가능 필요 정도 경우 때 것 거 수 데 등 중
    말 말씀 한번 자꾸 요 네 예 그렇 맞 크 이번 달 오늘 어제 요즘 아까 방금 계속 혹시 제발
    """.split()
)
"""Question words, polite phrases and verbs every question has ("하다", "되다", "알려주다")."""

SPELLINGS = Phrases(
    {
        "되요": "돼요",
        "할려면": "하려면",
        "뗄려면": "떼려면",
        "버릴려고": "버리려고",
        "어케": "어떻게",
    }
)
"""Spellings of chat and SMS inside words, written out before analysis."""

WHOLE_WORDS = Phrases({"넘": "너무", "사요": "사나요", "내요": "내나요"}, whole_words=True)
"""Chat spellings of whole words ("넘" is also in 넘기다), and short verbs the dictionary
reads as nouns at the end of a question ("어디서 사요")."""

SYNONYMS = Phrases(
    {
        "수도세": "수도요금",
        "수돗세": "수도요금",
        "물세": "수도요금",
        "물값": "수도요금",
        "물 값": "수도요금",
        "수도료": "수도요금",
        "딱지": "과태료",
        "벌금": "과태료",
        "주차위반": "주정차 위반",
        "불법주차": "불법주정차",
        "정류장": "정류소",
        "핸드폰": "휴대전화",
        "휴대폰": "휴대전화",
        "스마트폰": "휴대전화",
        "주민증": "주민등록증",
        "기동카": "기후동행카드",
        "분리수거": "분리배출",
        "공공자전거": "따릉이",
        "공유자전거": "따릉이",
        "장콜": "장애인 콜택시",
        "전철": "지하철",
        "에어컨": "냉방",
        "애기": "아기",
        "보건증": "건강진단결과서 보건증",
        "사이트": "누리집",
        "웹사이트": "누리집",
        "홈페이지": "누리집",
        "취준생": "미취업 청년",
        "백수": "미취업",
        "가방": "물건",
        "지갑": "물건",
        "우산": "물건",
        "소지품": "물건",
    }
)
"""Citizens' words for what the articles call otherwise, applied before analysis."""

STEM_SYNONYMS = {
    "빌리": "대여",
    "빌려주": "대여",
    "갈아타": "환승",
    "잃어버리": "분실",
    "잃": "분실",
    "돌려받": "환불",
    "떼": "발급",
    "뽑": "발급",
    "내": "납부",
    "버리": "배출",
    "터지": "파열",
    "새": "누수",
    "고치": "수리",
    "사": "구매",
}
"""Verb stems the articles write as nouns (빌리다 → 대여, 갈아타다 → 환승)."""

STEM_PAIRS = {("두", "내리"): "분실", ("놓", "내리"): "분실", ("두", "오"): "분실", ("놓", "오"): "분실"}
"""Two stems that say one thing: 두고 내리다 (left it behind) is 분실."""


class KoreanAnalyser:
    """Korean text to search terms; Latin words and numbers inside it are kept too."""

    grams_are_words = False

    def __init__(self) -> None:
        self._mecab = mecab.MeCab()
        # Citizens ask the same few questions over and over: analyse each text once.
        self._cached = lru_cache(maxsize=4096)(self._terms)

    def terms(self, text: str) -> list[str]:
        """The search terms of `text`."""
        return list(self._cached(text))

    def _terms(self, text: str) -> tuple[str, ...]:
        text = SYNONYMS.apply(WHOLE_WORDS.apply(SPELLINGS.apply(normalise(text))))
        # The whole text at once: the analyser reads a word better in its sentence.
        morphemes = [(m.surface, m.feature.pos.split("+")[0], m.feature.expression, m.span.start)
                     for m in self._mecab.parse(text)]  # fmt: skip
        terms = _joined_pairs(_stems(morphemes))
        words = list(_SPACED.finditer(text))
        starts = [word.start() for word in words]
        phrase_starts = {start for _, tag, _, start in morphemes if tag in _PHRASE}
        pieces = Counter(bisect_right(starts, start) - 1 for start in phrase_starts)
        for index, word in enumerate(words):
            # A noun phrase the analyser cut in pieces (재+발급, 따+릉): its bigrams meet the
            # same phrase cut otherwise, or misspelt, on the other side.
            if pieces[index] > 1 and word.start() in phrase_starts:
                for run in _HANGUL_RUN.findall(_PARTICLES.sub("", word.group(0))):
                    terms.extend(grams(run))
        return tuple(terms)


def _stems(morphemes: list[tuple[str, str, str | None, int]]) -> list[str]:
    found = []
    for surface, tag, expression, _ in morphemes:
        if tag in _NOUNS:
            stem = surface
        elif tag in _VERBS:
            # An inflected form (빌려 = 빌리/VV + 어/EC) stands for its stem.
            stem = expression.split("/")[0] if expression else surface
            stem = STEM_SYNONYMS.get(stem, stem)
        else:
            continue
        if stem not in STOP_WORDS:
            found.append(stem)
    return found


def _joined_pairs(stems: list[str]) -> list[str]:
    """`stems` with each pair of `STEM_PAIRS` replaced by its one term."""
    joined: list[str] = []
    for stem in stems:
        if joined and (pair := STEM_PAIRS.get((joined[-1], stem))):
            joined[-1] = pair
        else:
            joined.append(stem)
    return joined
