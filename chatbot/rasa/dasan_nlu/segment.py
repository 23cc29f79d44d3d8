"""Splits a citizen's message into word-like pieces, in all six hub languages.

Pure standard library, so the hub's tests can check it without Rasa installed.

Why not Rasa's WhitespaceTokenizer: in Rasa 3.6 it drops every token that its emoji
pattern matches in full, and that pattern spans U+24C2..U+1F251, which covers Hangul,
CJK ideographs and kana. "강남역 2번 출구 앞에" comes out as ["2번"]; a Chinese or
Japanese sentence comes out as one token of the whole text. (Checked against
rasa/nlu/tokenizers/whitespace_tokenizer.py and rasa/utils/io.py::get_emoji_regex.)

Rules:
- Hangul, Latin (Vietnamese included), Cyrillic (Mongolian), digits: one piece per run of
  word characters; "-", "'", ".", ":" and "/" between two such runs stay inside the piece
  (Mapo-gu, t-money, 10:30, 02-120).
- CJK ideographs (Chinese, Japanese kanji): one piece per character. Chinese and Japanese
  write no spaces; single characters plus the word-bigram featurizer give character
  n-grams, and every entity span lines up with piece boundaries.
- Hiragana runs and katakana runs (with the long-vowel mark) are one piece each, which
  splits Japanese at script changes: 地下鉄で財布を → 地 下 鉄 で 財 布 を.
- Punctuation, symbols and emoji are dropped.
"""

from __future__ import annotations

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HIRAGANA = "\u3041-\u309f"
_KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_WORD = rf"[^\W{_HAN}{_HIRAGANA}{_KATAKANA}]+"

PIECE = re.compile(
    rf"[{_HAN}]"
    rf"|[{_HIRAGANA}]+"
    rf"|[{_KATAKANA}]+"
    rf"|{_WORD}(?:[-'.:/]{_WORD})*"
)


def split_words(text: str) -> list[tuple[str, int]]:
    """The pieces of ``text`` with their start offsets."""
    return [(match.group(0), match.start()) for match in PIECE.finditer(text)]
