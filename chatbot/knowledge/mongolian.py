"""Mongolian search terms: word stems in one spelling for Cyrillic and Latin letters.

Mongolian stacks suffixes on a stem (паспорт, паспортоо, паспортын): a word's first
letters stand in for the stem no package finds. Citizens also type Mongolian in Latin
letters (SMS, a foreign keyboard: "usnii tolbor"), and in Cyrillic without ө and ү; both
sides are folded to one spelling that both ways of typing reach: Latin letters are
transliterated, ө/ү become о/у, е becomes э, й and ы become и.
"""

from __future__ import annotations

import re

from chatbot.knowledge.terms import normalise

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_WORD = re.compile(r"^[a-z]+$")
STEM_LETTERS = 5

_FOLD = str.maketrans({"ө": "о", "ү": "у", "е": "э", "ё": "э", "й": "и", "ы": "ии", "ъ": None, "ь": None})
# Latin letters as Mongolians type them; two-letter sounds first.
_DIGRAPHS = {"kh": "х", "sh": "ш", "ch": "ч", "ts": "ц", "zh": "ж", "ya": "я", "yu": "ю", "ye": "э", "yo": "ё"}
_LETTERS = str.maketrans(
    {
        "a": "а", "b": "б", "c": "ц", "d": "д", "e": "э", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "ж",
        "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "ө", "r": "р", "s": "с", "t": "т",
        "u": "у", "v": "в", "w": "в", "x": "х", "y": "и", "z": "з",
    }
)  # fmt: skip
_DIGRAPH = re.compile("|".join(_DIGRAPHS))

STOP_WORDS = frozenset(
    """
    вэ бэ уу үү юу юм яаж яах хаана хаанаас хаашаа хэзээ хэн ямар хэд хэдэн хэрхэн би миний надад намайг бид та
    таны танай энэ тэр тэд гэж гэсэн гэх гээд байна байгаа байдаг байдг байх болох болно боломжтой тухай талаар
    асуух асуулт асуумаар мэдэх мэдмээр өгөөч өгнө сайн баярлалаа уучлаарай ч л нь бол эсвэл бас их маш
    манай бн бна бну
    """.split()
)
"""Question words, pronouns and particles (folded before use)."""

COMPLETIVE = "чих"
"""The colloquial suffix of a finished act (гээчихлээ, хаячихсан): the stem ends before it."""

STEM_SYNONYMS = {
    "гээ": "гээсэ",
    "гээгд": "гээсэ",
    "март": "гээсэ",
    "марта": "гээсэ",
    "марца": "гээсэ",
    "хая": "хаясн",
}
"""Stems of one verb that its suffixes change (гээсэн, гээчихлээ: lost), and forgetting
something somewhere (мартсан), which is losing it there."""


def fold(word: str) -> str:
    """One spelling for a Mongolian word however it was typed."""
    if _LATIN_WORD.match(word):
        word = _DIGRAPH.sub(lambda match: _DIGRAPHS[match.group(0)], word).translate(_LETTERS)
    return word.translate(_FOLD).replace("тс", "ц")


_FOLDED_STOP_WORDS = frozenset(fold(word) for word in STOP_WORDS)


class MongolianAnalyser:
    """Mongolian text, Cyrillic or Latin, to folded word stems."""

    grams_are_words = False

    def terms(self, text: str) -> list[str]:
        """The stems of the words of `text` that are not stop words."""
        text = normalise(text)
        # A text with no Cyrillic is Mongolian typed in Latin letters; inside Cyrillic
        # text, Latin words are names (QR, ETAX, T-money) and stay as they are.
        latin_typed = not _CYRILLIC.search(text)
        terms = []
        for word in _WORD.findall(text):
            if _LATIN_WORD.match(word) and not latin_typed:
                terms.append(word)
                continue
            folded = fold(word)
            if folded in _FOLDED_STOP_WORDS:
                continue
            completive = folded.find(COMPLETIVE, 2)
            stem = folded[: completive if completive > 0 else STEM_LETTERS][:STEM_LETTERS]
            terms.append(STEM_SYNONYMS.get(stem, stem))
        return terms
