"""Korean-aware tokens for search: content morphemes plus syllable bigrams.

The morphological analyser (python-mecab-ko, its dictionary shipped in a package) finds
the stems of inflected words; syllable bigrams of each word catch the coined names the
dictionary splits badly (따릉이, 자동이체), the same way on both the query and the article.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import mecab

# Particles (J), endings (E), punctuation and symbols (S*) and suffixes (XS) carry no topic.
_DROPPED_TAG_PREFIXES = ("J", "E", "SF", "SP", "SS", "SE", "SO", "SW", "SC", "XS", "NNB", "VCP", "VX")
_HANGUL_RUN = re.compile(r"[가-힣]+")
_WORD = re.compile(r"\w+", re.UNICODE)


class KoreanTokenizer:
    """Turns text into search tokens. One instance per process: the analyser is shared."""

    def __init__(self) -> None:
        self._mecab = mecab.MeCab()
        # Citizens ask the same few questions over and over: analyse each text once.
        self._morphemes = lru_cache(maxsize=4096)(self._analyse)

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        tokens = [surface for surface, tag in self._morphemes(text) if _keep(tag)]
        for word in _WORD.findall(text):
            for run in _HANGUL_RUN.findall(word):
                tokens.extend("~" + run[i : i + 2] for i in range(len(run) - 1))
        return tokens

    def _analyse(self, text: str) -> list[tuple[str, str]]:
        return [(surface, tag.split("+")[0]) for surface, tag in self._mecab.pos(text)]


def _keep(tag: str) -> bool:
    return not tag.startswith(_DROPPED_TAG_PREFIXES)
