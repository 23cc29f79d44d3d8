"""Crisis lines: a citizen reporting an emergency happening now, and the lines each crisis calls for.

Emergencies are a fire (or a gas leak, an explosion), a medical emergency (someone collapsed,
not breathing, bleeding), a crime in progress (a break-in, being followed, attacked) and a
suicide attempt under way (pills taken, wrists cut). They are found with a curated lexicon
per language and kind (`model/crisis_lexicon/`, its README says the file format), apart from
the abuse lexicons: an emergency is no abuse, is never blurred for the agent and never counts
as an abuse incident, and its phrases need none of the disguised spellings insults are written
with, only the tense of a report ("불이 났어요", not "불이 나면" or "불이 났던").

- Entries are phrases, never topics: "fire-safety rules", "응급실 운영시간" and "phòng cháy
  chữa cháy" are no finding. Korean, Chinese and Japanese entries match inside the text, with
  or without their spaces; en, vi and mn on whole words.
- A sentence about the past or a hypothesis ("지난주에", "yesterday", "如果", "もし") is no
  report, unless it also says now ("지금", "right now", "救命"): "어제 불이 났어요" is none,
  "어제 불났던 건물에 지금 또 불이 났어요" is one.
- A whitelist entry that overlaps a match hides it: "나무가 쓰러졌어요" is a fallen tree.

Threats and self-harm come from `model.abuse`; `crisis_lines` joins both into the lines the
citizen is given: self-harm → 109, an attempt under way → 119 and 109, a threat or a crime →
112, a fire or a medical emergency → 119. A lexicon finds what it lists; it reads no meaning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from model.abuse import AbuseCategory
from model.vocabulary import Language

LEXICON_DIR = Path(__file__).parent / "crisis_lexicon"


class Emergency(StrEnum):
    FIRE = "fire"  # 화재, 가스 누출, 폭발
    MEDICAL = "medical"  # 쓰러짐, 호흡 정지, 의식 없음, 대량 출혈
    CRIME = "crime"  # 침입, 추적, 폭행, 강도 (벌어지고 있는 범죄)
    ATTEMPT = "attempt"  # 자살 시도 중 (약을 먹었다, 손목을 그었다)


class CrisisLine(StrEnum):
    """The national lines a citizen is given; each is free and answers 24 hours a day."""

    FIRE_AND_AMBULANCE = "119"
    POLICE = "112"
    SUICIDE_PREVENTION = "109"  # 자살예방 상담전화


@dataclass(frozen=True)
class EmergencyFinding:
    """What a message reports."""

    kinds: frozenset[Emergency]
    matches: tuple[str, ...]
    """The phrases found, as the normalised text has them, in order."""


def crisis_lines(abuse: Collection[AbuseCategory], emergencies: Collection[Emergency]) -> tuple[CrisisLine, ...]:
    """The lines for what was found, the most urgent first (119, 112, 109); empty for none."""
    lines: set[CrisisLine] = set()
    if AbuseCategory.SELF_HARM in abuse or Emergency.ATTEMPT in emergencies:
        lines.add(CrisisLine.SUICIDE_PREVENTION)
    if AbuseCategory.THREAT in abuse or Emergency.CRIME in emergencies:
        lines.add(CrisisLine.POLICE)
    if {Emergency.FIRE, Emergency.MEDICAL, Emergency.ATTEMPT} & set(emergencies):
        lines.add(CrisisLine.FIRE_AND_AMBULANCE)
    return tuple(line for line in CrisisLine if line in lines)


_WORDS = frozenset({Language.EN, Language.VI, Language.MN})
"""Languages matched on whole words; the others inside the text."""
_ALWAYS = (Language.KO, Language.EN)
"""Checked whatever the hint, as in model.abuse: citizens mix Korean and English into every language."""
_SENTENCE = re.compile(r"[^.!?\n。！？]+")


def _read(path: Path) -> list[str]:
    """A lexicon file's entries; blank lines and `#` comments left out."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _alternation(entries: list[str], words: bool) -> str:
    """One alternation over the entries, longest first; empty for none."""
    alternatives = []
    for entry in sorted({_normalise(e) for e in entries}, key=len, reverse=True):
        if words:
            # Whole words, any spacing between them; a trailing * lets the last word go on.
            body = r"\s+".join(re.escape(word) for word in entry.rstrip("*").split())
            tail = r"\w*" if entry.endswith("*") else ""
            alternatives.append(rf"(?<!\w){body}{tail}(?!\w)")
        else:
            # Hangul, Han and kana: the entry's spaces are optional, and none more are needed.
            alternatives.append(r"\s*".join(re.escape(part) for part in entry.split()))
    return "|".join(alternatives)


def _pattern(entries: list[str], words: bool) -> re.Pattern[str] | None:
    return re.compile(_alternation(entries, words)) if entries else None


class _Lexicon:
    """One language's entries in one pattern (a named group per kind), the whitelist, and the
    markers of the past and of now."""

    def __init__(self, language: Language, folder: Path) -> None:
        words = language in _WORDS
        prefix = folder / language.value
        entries = {kind: _read(Path(f"{prefix}_{kind.value}.txt")) for kind in Emergency}
        groups = [f"(?P<{kind.value}>{_alternation(listed, words)})" for kind, listed in entries.items() if listed]
        if not groups:
            raise ValueError(f"no crisis lexicon for {language.value} in {folder}")
        # The letters the entries start with, looked ahead: the engine skips any other position at once.
        first = sorted({_normalise(entry)[0] for listed in entries.values() for entry in listed})
        self.pattern = re.compile(f"(?=[{re.escape(''.join(first))}])(?:{'|'.join(groups)})")
        self.whitelist = _pattern(_read(Path(f"{prefix}_whitelist.txt")), words)
        self.past = _pattern(_read(Path(f"{prefix}_past.txt")), words)
        self.now = _pattern(_read(Path(f"{prefix}_now.txt")), words)

    def hits(self, sentence: str) -> list[tuple[int, str, Emergency]]:
        """(start, phrase, kind) of every report in one normalised sentence."""
        matches = list(self.pattern.finditer(sentence))
        if not matches:
            return []  # nearly every sentence: nothing more to read
        if self.past and self.past.search(sentence) and not (self.now and self.now.search(sentence)):
            return []
        hidden = [m.span() for m in self.whitelist.finditer(sentence)] if self.whitelist else []
        return [
            (match.start(), match.group(), Emergency(str(match.lastgroup)))
            for match in matches
            if not any(a < match.end() and match.start() < b for a, b in hidden)
        ]


class EmergencyDetector:
    """Finds a citizen's report of an emergency happening now, in six languages."""

    def __init__(self, folder: Path = LEXICON_DIR) -> None:
        """Loads and compiles every language's lexicon once (the app factory builds one)."""
        self._lexicons = {language: _Lexicon(language, folder) for language in Language}

    def detect(self, text: str, language: str | None = None) -> EmergencyFinding | None:
        """What emergency `text` reports, or None. `language` is a hint: Korean and English are
        always checked, plus the hinted language; with no hint (or an unknown one), all."""
        if not text or text.isspace():
            return None
        found: list[tuple[int, str, Emergency]] = []
        for sentence in _SENTENCE.finditer(_normalise(text)):
            for checked in _languages(language):
                found.extend(
                    (sentence.start() + start, phrase, kind)
                    for start, phrase, kind in self._lexicons[checked].hits(sentence.group())
                )
        if not found:
            return None
        found.sort()
        return EmergencyFinding(
            frozenset(kind for _, _, kind in found), tuple(dict.fromkeys(phrase for _, phrase, _ in found))
        )


def _languages(hint: str | None) -> tuple[Language, ...]:
    if hint in {language.value for language in _ALWAYS}:
        return _ALWAYS
    if hint in {language.value for language in Language}:
        return (*_ALWAYS, Language(hint))
    return tuple(Language)
