"""Language identification limited to the hub's six languages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

_LINGUA_TO_CODE = {
    LinguaLanguage.KOREAN: "ko",
    LinguaLanguage.ENGLISH: "en",
    LinguaLanguage.CHINESE: "zh",
    LinguaLanguage.JAPANESE: "ja",
    LinguaLanguage.VIETNAMESE: "vi",
    LinguaLanguage.MONGOLIAN: "mn",
}
_HANGUL_SYLLABLE = re.compile(r"[가-힣]")
_JAMO = re.compile(r"[ㄱ-ㅎㅏ-ㅣ]")  # ㅋㅋ, ㅇㅇ: laughter and nods, not words
_KANA = re.compile(r"[\u3040-\u30ff]")
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Chinese grammar words that Japanese does not write in kanji: 護照過期了怎麼辦 is Traditional Chinese.
_CHINESE_GRAMMAR = re.compile(r"[的了嗎吗呢我你他她們们怎麼么什請请這这那沒没哪誰谁]")
# A Korean sentence ends in a predicate: "T-money 카드 잔액 refund 되나요" is Korean however many
# English words it borrows; "near 강남역?" is not.
_KOREAN_ENDING = re.compile(r"(요|다|까|죠|니다|세요|나요|해|어|지)[\s?!.~]*$")


@dataclass(frozen=True)
class Identification:
    language: str
    confidence: float
    decisive: bool
    """True when the line is long and clear enough to set or change a conversation's language."""


class LanguageIdentifier:
    """Wraps lingua; scripts that name a language outright (Hangul, kana) decide at once."""

    MIN_LETTERS = 4
    MIN_CONFIDENCE = 0.6

    def __init__(self) -> None:
        self._detector: LanguageDetector = LanguageDetectorBuilder.from_languages(*_LINGUA_TO_CODE).build()

    def identify(self, text: str) -> Identification | None:
        """The most likely language of `text`, or None when it has no letters at all."""
        words = _WORD.findall(text)
        letters = sum(map(len, words)) - len(_JAMO.findall(text))
        if letters <= 0:
            return None
        syllables = len(_HANGUL_SYLLABLE.findall(text))
        # A syllable carries about as much as two Latin letters.
        if syllables and (syllables * 2 >= letters - syllables or _KOREAN_ENDING.search(text)):
            return Identification("ko", 1.0, decisive=syllables >= 3)
        if _KANA.search(text):
            return Identification("ja", 1.0, decisive=True)
        ideographs = _IDEOGRAPH.findall(text)
        if (
            ideographs
            and len(ideographs) == letters
            and not _simplified(ideographs)
            and not _CHINESE_GRAMMAR.search(text)
        ):
            # Kanji without kana, in forms Simplified Chinese does not use (営, 時間, 電話), and
            # no Chinese grammar words: Japanese, the one hub language that writes them.
            return Identification("ja", 0.9, decisive=len(ideographs) >= self.MIN_LETTERS)
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        code = _LINGUA_TO_CODE[best.language]
        # One Latin word ("Mapo", "ok", "Gangnam") is a name or a nod, not a language.
        enough = letters >= self.MIN_LETTERS and (bool(ideographs) or len(words) >= 2)
        return Identification(code, best.value, decisive=enough and best.value >= self.MIN_CONFIDENCE)


def _simplified(ideographs: list[str]) -> bool:
    """Whether every character is in GB 2312, the Simplified Chinese character set."""
    try:
        "".join(ideographs).encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True
