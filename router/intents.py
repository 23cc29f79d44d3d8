"""Recognises a citizen asking for a person, in the hub's six languages."""

from __future__ import annotations

import re
import unicodedata

# Phrases, not single words: "사람" alone also means "people" in ordinary questions.
_PERSON_REQUEST = {
    "ko": [
        "상담사",
        "상담원",
        "상담 원",
        "사람이랑",
        "사람과",
        "사람하고",
        "사람 연결",
        "직원 연결",
        "직원이랑",
        "직원과",
        "담당자 연결",
        "담당자와",
        "담당자랑",
        "연결해 주세요",
        "연결해주세요",
        "통화하고 싶",
    ],
    "en": [
        "agent",
        "human",
        "real person",
        "a person",
        "operator",
        "counsellor",
        "counselor",
        "representative",
        "talk to someone",
        "speak to someone",
        "staff",
    ],
    "zh": ["人工", "客服", "转人工", "真人", "工作人员", "咨询员", "接线员"],
    "ja": ["オペレーター", "担当者", "人と話", "相談員", "スタッフ", "係の人", "有人"],
    "vi": ["nhân viên", "tư vấn viên", "người thật", "gặp người", "nói chuyện với người", "tổng đài viên"],
    "mn": ["оператор", "ажилтан", "зөвлөх", "хүнтэй ярих", "хүнтэй холбо", "хүн холбо"],
}
_ALL = sorted({phrase for phrases in _PERSON_REQUEST.values() for phrase in phrases}, key=len, reverse=True)
_ENGLISH_WORD = re.compile(r"^[a-z ]+$")


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def asks_for_person(text: str) -> bool:
    """True when the message asks to talk to a human, in any of the six languages."""
    normal = _normalise(text)
    padded = f" {normal} "
    for phrase in _ALL:
        # Latin-script phrases must match whole words ("agent" not in "agenda").
        if _ENGLISH_WORD.match(phrase):
            if re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", padded):
                return True
        elif phrase in normal:
            return True
    return False
