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
# A Vietnamese syllable without its diacritics: onset, vowels, final consonant.
_VIETNAMESE_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(uye|uya|uyu|uoi|uou|ieu|yeu|oai|oay|oeo|uay"
    r"|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|[aeiouy])"
    r"(ch|ng|nh|[cmnpt])?$"
)
# Everyday Vietnamese words that are not English words, without their diacritics.
_VIETNAMESE_WORDS = frozenset(
    """
    toi minh em anh chi oi nhe nha vay nao sao lam dau cho hoi xin giup muon khong ko dc duoc thi cua va voi bi
    gi cach phai roi chua nhieu tien nuoc xe buyt dap gio ngay thang moi viec nguoi dang ky ve tu tai tren trong
    ngoai quen khi nhu nen phong benh vien lai rat qua hoc hom mai chieu dem
    """.split()
)
# Everyday Mongolian words as Mongolians type them in Latin letters (none of them English).
_MONGOLIAN_WORDS = frozenset(
    """
    sain baina bna bn bnu uu yum ve bi minii nadad namaig yaaj yaj yaah haana haanaas hezee ymar yamar hed heden
    gesen gsn tuhai talaar asuuh asuult avah avch bolno boloh bolokh hiih hiij medeh heregtei zaaval baigaa bgaa
    baisan bsan geed gej gehdee tegeed manai tanai yuu shuu odoo margaash unuudur tsag mongol mongoloor tusalna
    tuslaach uuchlaarai bayarlalaa usnii tolbor tulbur mongo hool ajil emneleg gazar hayag utas
    """.split()
)
# Long vowels and consonant pairs English hardly has (aa, uu, ii, kh, zh, ts before a vowel),
# case endings, and the verb ending -x (avah, shalgah) of Mongolian typed in Latin letters.
_MONGOLIAN_SHAPE = re.compile(r"(aa|uu|ii|kh|zh|ts[aeiou])|(iin|iig|aas|uud)$|^\w{3,}[aeiou]h$")


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
        if not ideographs and (romanised := _romanised(words)) is not None:
            return Identification(romanised, 0.9, decisive=len(words) >= 3)
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        code = _LINGUA_TO_CODE[best.language]
        # One Latin word ("Mapo", "ok", "Gangnam") is a name or a nod, not a language.
        enough = letters >= self.MIN_LETTERS and (bool(ideographs) or len(words) >= 2)
        return Identification(code, best.value, decisive=enough and best.value >= self.MIN_CONFIDENCE)


def _romanised(words: list[str]) -> str | None:
    """"vi" or "mn" for Vietnamese typed without diacritics or Mongolian typed in Latin
    letters (SMS, a foreign keyboard), which lingua reads as English; None otherwise.

    Vietnamese: nearly every word is a possible Vietnamese syllable (English words seldom
    are: "bus", "help", "where") and the line has words that Vietnamese uses all the time
    and English never. Mongolian: the line has words Mongolians type all the time (baina,
    uu, yum, ve), or their long vowels and consonant pairs (aa, uu, kh, ts) again and again.
    """
    lowered = [word.lower() for word in words]
    if not lowered or not all(word.isascii() for word in lowered):
        return None
    mongolian = sum(word in _MONGOLIAN_WORDS for word in lowered)
    mongolian_shape = sum(bool(_MONGOLIAN_SHAPE.search(word)) for word in lowered)
    if mongolian >= 2 or (mongolian and mongolian_shape) or mongolian_shape >= max(2, len(lowered) // 2):
        return "mn"
    syllables = sum(bool(_VIETNAMESE_SYLLABLE.match(word)) for word in lowered)
    vietnamese = sum(word in _VIETNAMESE_WORDS for word in lowered)
    if len(lowered) >= 2 and syllables >= 0.8 * len(lowered) and vietnamese >= max(1, len(lowered) / 4):
        return "vi"
    return None


def _simplified(ideographs: list[str]) -> bool:
    """Whether every character is in GB 2312, the Simplified Chinese character set."""
    try:
        "".join(ideographs).encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True
