"""Vietnamese search terms: syllables without diacritics, and pairs of neighbouring syllables.

Citizens often type Vietnamese without diacritics (SMS, a foreign keyboard): "dang ky" must
find "đăng ký". Both sides are folded to plain Latin letters; a pair of neighbouring
syllables (most Vietnamese words have two: hộ chiếu, tiền nước) then tells apart the words
that folding merges. Question words are dropped before folding, where diacritics still
tell them from topic words (thế nào "how" against thẻ "card"); typed without diacritics,
only the unambiguous ones are.
"""

from __future__ import annotations

import re
import unicodedata

from chatbot.knowledge.terms import Phrases, normalise, pair

_WORD = re.compile(r"\w+", re.UNICODE)
_GAP = "|"
"""Stands for a dropped word: no pair spans it."""

STOP_WORDS = frozenset(
    """
    tôi em anh chị mình bạn ạ à ơi nhé nha vậy thế nào sao làm ở đâu cho hỏi xin giúp giùm dùm muốn có không
    được thì là của và với này đó đấy bị gì ai cách cần phải để khi bao nhiêu mấy rồi vẫn mà nếu thể nên hay
    hoặc đi trên những các một nhiều lắm quá rất đã đang sẽ vừa hả hở ko k dc đc hok khg j z vs ơ ah ừ dạ vâng
    chào cảm ơn tớ tao mày họ chúng ta
    """.split()
)
"""Question words, pronouns and particles, with their diacritics."""

FOLDED_STOP_WORDS = frozenset(
    """
    toi em minh a oi nhe vay nao lam o hoi xin giup gium dum muon co khong duoc la va nay bi gi ai cach phai de
    khi nhieu roi neu nen hay hoac nhung cac mot qua rat da se ha ko k dc hok khg j z vs ah vang chao to tao
    """.split()
)
"""Stop words typed without diacritics, less those that are also topic words without them
(thẻ card / thế, nhà house / nha, đồ things / đó, cửa door / của, vòi tap / với, báo report /
bao, hộ of hộ chiếu / họ, đăng register / đang, địa chỉ address / chị, ảnh photo / anh,
căn hộ flat / cần, cấm forbidden / cảm, ồn noisy / ơn)."""

SYLLABLE_SYNONYMS = {"mượn": "thuê", "kí": "ký", "ki": "ky", "bus": "buýt"}
"""Spellings and words citizens use for the articles' own."""

PHRASE_SYNONYMS = Phrases(
    {
        "tau dien": "tau dien ngam",
        "tau dien ngam": "tau dien ngam",  # already whole: not "tau dien ngam ngam"
        "metro": "tau dien ngam",
        "dt": "dien thoai",
        "sdt": "dien thoai",
        "dk": "dang ky",
        "passport": "ho chieu",
        "xe dap cong cong": "xe dap cong cong ttareungyi",
    },
    whole_words=True,
)
"""Phrases citizens use for the articles' own, without diacritics."""


def fold(text: str) -> str:
    """`text` without diacritics: "đăng ký" → "dang ky"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class VietnameseAnalyser:
    """Vietnamese text, with or without diacritics, to folded syllables and syllable pairs."""

    grams_are_words = False

    def terms(self, text: str) -> list[str]:
        """Folded syllables less stop words, and each pair of neighbouring kept syllables."""
        clauses = re.split(r"[,.;:!?()\n/]+", unicodedata.normalize("NFC", normalise(text)))
        terms: list[str] = []
        for clause in clauses:
            kept = []
            for word in _WORD.findall(clause):
                word = SYLLABLE_SYNONYMS.get(word, word)
                folded = fold(word)
                stop = word in STOP_WORDS or (folded == word and folded in FOLDED_STOP_WORDS)
                kept.append(_GAP if stop else folded)
            syllables = PHRASE_SYNONYMS.apply(" ".join(kept)).split()
            terms.extend(s for s in syllables if s != _GAP)
            terms.extend(
                pair(first, second)
                for first, second in zip(syllables, syllables[1:], strict=False)
                if _GAP not in (first, second)
            )
        return terms
