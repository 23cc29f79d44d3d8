"""Search terms for each of the hub's six languages.

An article and a question in the same language go through the same analyser, so what a
citizen types and what an editor wrote meet on the same terms: Korean morphemes
(`korean`), English stems (`english`), Chinese and Japanese character bigrams (`cjk`),
Vietnamese syllables without diacritics (`vietnamese`), Mongolian word stems in one
spelling for Cyrillic and Latin letters (`mongolian`). Every analyser drops the words a
question is made of ("어디서 하나요", "how do I", "怎么", "どこで", "ở đâu", "хаана вэ") and
maps the citizens' synonyms onto the articles' words (수도세 → 수도요금, cab → taxi).
"""

from __future__ import annotations

from typing import Protocol

from chatbot.knowledge.cjk import ChineseAnalyser, JapaneseAnalyser
from chatbot.knowledge.english import EnglishAnalyser
from chatbot.knowledge.korean import KoreanAnalyser
from chatbot.knowledge.mongolian import MongolianAnalyser
from chatbot.knowledge.terms import GRAM
from chatbot.knowledge.vietnamese import VietnameseAnalyser

__all__ = ["GRAM", "Analyser", "SearchTokenizer"]


class Analyser(Protocol):
    grams_are_words: bool
    """True when grams are the words themselves (Chinese, Japanese); False when they back
    up word terms (Korean, Vietnamese). Decides what an unknown gram in a question weighs."""

    def terms(self, text: str) -> list[str]:
        """The search terms of `text`; n-gram terms start with `GRAM`."""


class SearchTokenizer:
    """One analyser per language. One instance per process: the Korean analyser's
    dictionary is loaded once and shared."""

    def __init__(self) -> None:
        self._analysers: dict[str, Analyser] = {
            "ko": KoreanAnalyser(),
            "en": EnglishAnalyser(),
            "zh": ChineseAnalyser(),
            "ja": JapaneseAnalyser(),
            "vi": VietnameseAnalyser(),
            "mn": MongolianAnalyser(),
        }

    def analyser(self, language: str) -> Analyser:
        """The analyser for `language`; Korean's for a language the hub does not know
        (its analyser also keeps Latin words and numbers)."""
        return self._analysers.get(language) or self._analysers["ko"]

    def tokens(self, text: str, language: str = "ko") -> list[str]:
        """The search terms of `text` read as `language`."""
        return self.analyser(language).terms(text)
