"""Search tokens: Korean content morphemes plus character bigrams.

The morphological analyser (python-mecab-ko, its dictionary shipped in a package) finds
the stems of inflected Korean words; syllable bigrams of each word catch the coined names
the dictionary splits badly (따릉이, 자동이체), the same way on both the query and the
article. Chinese and Japanese are written without spaces and the analyser does not know
them, so their ideograph and kana runs become character bigrams too (护照, なくした);
spaced scripts (English, Vietnamese, Mongolian) keep their words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import mecab

# Particles (J), endings (E), punctuation and symbols (S*) and suffixes (XS) carry no topic.
_DROPPED_TAG_PREFIXES = ("J", "E", "SF", "SP", "SS", "SE", "SO", "SW", "SC", "XS", "NNB", "VCP", "VX")
_CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK punctuation, kana, ideographs
_HAS_CJK = re.compile(f"[{_CJK}]")
# Hangul syllables; a run of ideographs and kana (Japanese mixes them in one word).
_BIGRAM_RUN = re.compile(f"[가-힣]+|[{_CJK}]+")
_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC_WORD = re.compile(r"^[\u0400-\u04ff]+$")
# Mongolian stacks suffixes on the stem (паспорт, паспортоо, паспортаа): a word's first
# letters stand in for the stem the analyser cannot find.
STEM_LETTERS = 5
BIGRAM = "~"
"""Marks character-bigram tokens (they never collide with a word)."""
STEM = "^"
"""Marks stem tokens."""


class SearchTokenizer:
    """Turns text in any of the hub's languages into search tokens. One instance per
    process: the analyser is shared."""

    def __init__(self) -> None:
        self._mecab = mecab.MeCab()
        # Citizens ask the same few questions over and over: analyse each text once.
        self._morphemes = lru_cache(maxsize=4096)(self._analyse)

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        # The analyser knows Korean only: its pieces of Chinese and Japanese are noise.
        tokens = [surface for surface, tag in self._morphemes(text) if _keep(tag) and not _HAS_CJK.search(surface)]
        for word in _WORD.findall(text):
            for run in _BIGRAM_RUN.findall(word):
                if len(run) == 1 and _HAS_CJK.match(run):
                    tokens.append(run)  # 水, 税: one ideograph is a word
                tokens.extend(BIGRAM + run[i : i + 2] for i in range(len(run) - 1))
            if len(word) > STEM_LETTERS and _CYRILLIC_WORD.match(word):
                tokens.append(STEM + word[:STEM_LETTERS])
        return tokens

    def _analyse(self, text: str) -> list[tuple[str, str]]:
        return [(surface, tag.split("+")[0]) for surface, tag in self._mecab.pos(text)]


def _keep(tag: str) -> bool:
    return not tag.startswith(_DROPPED_TAG_PREFIXES)
