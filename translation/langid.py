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
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_HANGUL = re.compile(r"[가-힣ㄱ-ㅎ]")
_KANA = re.compile(r"[\u3040-\u30ff]")


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
        letters = len(_LETTERS.findall(text))
        if letters == 0:
            return None
        if _HANGUL.search(text) and len(_HANGUL.findall(text)) * 2 >= letters:
            return Identification("ko", 1.0, decisive=letters >= 2)
        if _KANA.search(text):
            return Identification("ja", 1.0, decisive=True)
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        code = _LINGUA_TO_CODE[best.language]
        decisive = letters >= self.MIN_LETTERS and best.value >= self.MIN_CONFIDENCE
        return Identification(code, best.value, decisive)
