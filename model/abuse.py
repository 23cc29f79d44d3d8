"""Abuse detection (악성민원): insults, sexual harassment, threats and self-harm in a citizen's message.

The approach is a curated lexicon per language and category (`model/abuse_lexicon/`, its
README says the file format), matched against a normalised view of the message:

- The text is NFKC-normalised and case-folded, one character at a time where that changes
  anything, so every character of a view remembers where it came from in the original: the
  matches are reported as the citizen wrote them ("시1발", "f*ck"), for the audit.
- Korean (the Hangul view) keeps syllables and consonant jamo, turns digits into 0 and every
  other character into a single space. A word of the lexicon is found with its letters
  repeated or stretched (씨이이발), digits between them (시1발) and spaces or symbols between
  them (씨 발, 씨~발, ㅂ ㅅ, 개 새 끼); a match that spans a space must cover whole words, so
  "다시 발급" and "수박씨 발라" are not 시발/씨발. Jamo abbreviations (ㅅㅂ, ㄱㅅㄲ) and
  similar-sounding spellings (씨바, 쓰벌, 븅신) are entries of their own. A phrase of the
  lexicon (an entry with spaces, as threats and self-harm mostly are) matches with or without
  those spaces, and only as written.
- English, Vietnamese and Mongolian (the word view) are matched on whole words: leetspeak is
  undone (sh1t, a$$), `*` stands for any letter after the first (f*ck, f**k: two letters must
  be real), letters may repeat (fuuuck), and single letters spelled apart are joined (f u c k).
  "Scunthorpe", "class", "assess", "cocktail" and "Dickens" contain no listed word.
- Chinese and Japanese (the CJK view) are matched inside the text with spaces and punctuation
  removed, as neither language separates words.
- A whitelist per language hides any match inside one of its entries: 시발역, 시발점,
  시발택시, 수박씨 발라, 지랄탄 (the 1980s tear-gas canister), and 병신년 (丙申年, 2016) in a
  year's context only ("2016년 병신년", 병신년생, "병신년 새해"; "이 병신년아" stays an
  insult). Some innocent words need no whitelist: 새끼 alone is no entry (새끼 고양이, 강아지
  새끼, 새끼손가락), only its insulting compounds (개새끼) are; 십팔 is no entry (십팔번).
- Threats and self-harm are phrases, never a topic alone: "자살예방센터", "폭탄세일",
  "칼로리", "suicide prevention" are no finding.

Limits: a lexicon finds what it lists, and a determined writer gets around it (new spellings,
words split across messages, images). Meaning is not read: a quoted insult ("그 사람이 저한테
씨발이라고 했어요") is still flagged, and a whitelisted word hides what it contains ("시발점"
is always a starting point). The zh, ja, vi and mn lists are a handful of well-known words each.
No third-party list is used: korcen (Korean) misses 씨발, 시1발, 씨 발 and 븅신 and flags 새끼
고양이, and better-profanity (English) takes tens of milliseconds a message and flags "kill"
and "drunk". The detector flags; an agent or supervisor decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path

from model.vocabulary import Language

LEXICON_DIR = Path(__file__).parent / "abuse_lexicon"


class AbuseCategory(StrEnum):
    INSULT = "insult"  # 욕설·모욕
    SEXUAL = "sexual"  # 성희롱
    THREAT = "threat"  # 위협 (harm to the agent or others)
    SELF_HARM = "self_harm"  # 자해·자살 암시 (harm to self)


URGENT = frozenset({AbuseCategory.THREAT, AbuseCategory.SELF_HARM})
"""Categories that must reach a supervisor at once."""

_PRIORITY = (AbuseCategory.THREAT, AbuseCategory.SELF_HARM, AbuseCategory.SEXUAL, AbuseCategory.INSULT)
"""Where two entries start at the same place, the more serious category wins."""


@dataclass(frozen=True)
class AbuseFinding:
    """What a message was flagged for."""

    categories: frozenset[AbuseCategory]
    matches: tuple[str, ...]
    """The offending words as written in the text, in order, for the audit."""

    @property
    def urgent(self) -> bool:
        """A threat or a sign of self-harm: it must reach a supervisor at once."""
        return bool(self.categories & URGENT)


class _Script(Enum):
    HANGUL = "hangul"
    WORDS = "words"
    CJK = "cjk"


_SCRIPTS = {
    Language.KO: _Script.HANGUL,
    Language.EN: _Script.WORDS,
    Language.VI: _Script.WORDS,
    Language.MN: _Script.WORDS,
    Language.ZH: _Script.CJK,
    Language.JA: _Script.CJK,
}
_ALWAYS = (Language.KO, Language.EN)
"""Checked whatever the hint: citizens mix Korean and English into every language."""


@dataclass(frozen=True)
class _View:
    """A normalised view of a message; `origins[i]` is where `text[i]` came from in the original."""

    text: str
    origins: list[int]


# --- normalisation ------------------------------------------------------------------------

_COMPAT_JAMO = range(0x3131, 0x318F)
"""Kept as they are: NFKC would turn ㅅ into a conjoining jamo."""


def _normalise(text: str) -> _View:
    """NFKC and case folding, each resulting character mapped to its original position."""
    if unicodedata.is_normalized("NFKC", text):
        folded = text.casefold()
        if len(folded) == len(text):
            return _View(folded, list(range(len(text))))
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        piece = char if ord(char) in _COMPAT_JAMO else unicodedata.normalize("NFKC", char).casefold()
        origin = index
        if chars and piece and _joins_previous(piece[0]):
            # A mark or a Hangul vowel or final composes with the letter before it (ﾊﾞ is バ,
            # e + ◌́ is é, and decomposed Hangul, as some keyboards send it, is syllables again).
            piece = unicodedata.normalize("NFKC", chars.pop() + piece)
            origin = origins.pop()
        chars.extend(piece)
        origins.extend([origin] * len(piece))
    return _View("".join(chars), origins)


def _joins_previous(char: str) -> bool:
    """A combining mark, or a Hangul vowel or final consonant of decomposed text."""
    return bool(unicodedata.combining(char)) or "\u1160" <= char <= "\u11ff"


def _is_syllable(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3\u3131-\u314e]+|[0-9]+|(?<![a-z])c(?=[\uac00-\ud7a3])")
"""Syllables and consonant jamo (vowel jamo such as ㅠㅠ or ㅡㅡ separate), digits, or a Latin c
read as 씨 before a syllable (c발)."""
_WORD_RUN = re.compile(r"[0-9a-z*@$!'\u2019\u00c0-\u024f\u0300-\u036f\u0400-\u04ff\u1e00-\u1eff]+")
"""Latin (with Vietnamese) and Cyrillic letters, digits and the symbols that stand in for letters."""
_LETTER = re.compile(r"[^\W\d_]")
_CJK_RUN = re.compile(r"[\u3005\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+")
"""Han characters and kana (with the prolonged sound mark ー)."""


def _hangul_view(view: _View) -> _View:
    """Syllables and consonant jamo; digits become 0; anything else one space between them."""
    chars: list[str] = []
    origins: list[int] = []
    last = 0
    for run in _HANGUL_RUN.finditer(view.text):
        start, end = run.span()
        if start > last and chars:
            chars.append(" ")
            origins.append(view.origins[last])
        found = run.group()
        if found == "c":
            found = "씨"
        elif found[0] <= "9":
            found = "0" * len(found)
        chars.append(found)
        origins.extend(view.origins[start:end])
        last = end
    return _View("".join(chars), origins)


_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i"}
)
_EDGES = "!'\u2019"
_DROPPED = "'\u2019"
_LEADING = _EDGES + "*"
"""Stripped before a word (*fuck*); a trailing * may stand for letters (f***)."""


def _word_view(view: _View) -> _View:
    """Whole words separated by one space: leetspeak undone, apostrophes dropped, `*` kept as
    a stand-in letter, and a run of three or more single letters joined into one word."""
    words: list[tuple[str, list[int]]] = []
    for run in _WORD_RUN.finditer(view.text):
        start, end = run.span()
        word = run.group()
        if word.isalpha():
            words.append((word, view.origins[start:end]))
            continue
        stripped = word.lstrip(_LEADING).rstrip(_EDGES)
        if not _LETTER.search(stripped):
            continue
        start += len(word) - len(word.lstrip(_LEADING))
        kept = [(char, view.origins[start + i]) for i, char in enumerate(stripped) if char not in _DROPPED]
        words.append(("".join(char for char, _ in kept).translate(_LEET), [origin for _, origin in kept]))

    joined: list[tuple[str, list[int]]] = []
    index = 0
    while index < len(words):
        end = index
        while end < len(words) and len(words[end][0]) == 1:
            end += 1
        if end - index >= 3:
            letters = words[index:end]
            joined.append(("".join(w for w, _ in letters), [origin for _, (origin,) in letters]))
            index = end
        else:
            joined.append(words[index])
            index += 1

    text: list[str] = []
    origins: list[int] = []
    for word, word_origins in joined:
        if text:
            text.append(" ")
            origins.append(word_origins[0])
        text.append(word)
        origins.extend(word_origins)
    return _View("".join(text), origins)


def _cjk_view(view: _View) -> _View:
    """Han characters and kana; letters or digits of other scripts break the text, the rest
    (spaces, punctuation) is dropped, as neither language separates words."""
    chars: list[str] = []
    origins: list[int] = []
    last = 0
    for run in _CJK_RUN.finditer(view.text):
        start, end = run.span()
        if chars and any(char.isalnum() for char in view.text[last:start]):
            chars.append(" ")
            origins.append(view.origins[last])
        chars.append(run.group())
        origins.extend(view.origins[start:end])
        last = end
    return _View("".join(chars), origins)


_VIEWS = {_Script.HANGUL: _hangul_view, _Script.WORDS: _word_view, _Script.CJK: _cjk_view}


# --- patterns -----------------------------------------------------------------------------

_SPACE = " "
_STAR = "*"
_END = ""
"""Trie key marking that an entry ends at this node."""

_KOREAN_SUFFIXES = tuple("놈 년 새끼 새기 들 아 야 이 가 은 는 을 를 같 냐 하 해 했 한".split())
"""What may follow a spelled-out Korean word inside the last word it spans ("씨 발놈아")."""


def _stretch(syllable: str) -> str:
    """The syllable with its vowel drawn out (씨 → 이, 바 → 아), as in 씨이이발."""
    if not _is_syllable(syllable):
        return ""
    vowel = (ord(syllable) - 0xAC00) // 28 % 21
    filler = chr(0xAC00 + 11 * 21 * 28 + vowel * 28)  # ㅇ (the 12th initial) + the vowel, no final
    return "" if filler == syllable else f"(?:{filler})*"


class _Atoms:
    """How one script's entries become regular expressions."""

    def __init__(self, script: _Script, spelled_out: bool) -> None:
        self.script = script
        self.spelled_out = spelled_out
        """Korean words: spaces and digits may stand between the letters."""

    def atom(self, atom: str, prev_is_letter: bool) -> str:
        if atom == _SPACE:
            return " " if self.script is _Script.WORDS else " ?"
        if atom == _STAR:
            return "[^ ]*"
        letter = re.escape(atom)
        if self.script is _Script.HANGUL:
            joiner = "[0 ]*" if self.spelled_out and prev_is_letter else ""
            return f"{joiner}{letter}+{_stretch(atom)}"
        if self.script is _Script.WORDS:
            return f"{letter}+" if not prev_is_letter else f"[{letter}*]+"
        return letter

    def entry(self, entry: str) -> list[str]:
        """The entry as atoms: its letters, spaces and a trailing star."""
        if self.script is _Script.WORDS:
            star = entry.endswith(_STAR)
            words = entry.rstrip(_STAR).casefold().translate({ord(c): None for c in _DROPPED}).split()
            atoms = list(" ".join(words))
            return atoms + [_STAR] if star else atoms
        if self.script is _Script.CJK:
            return [char for char in unicodedata.normalize("NFKC", entry) if not char.isspace()]
        return list(" ".join(entry.split()))

    def pattern(self, entries: Sequence[str]) -> str:
        """One alternation over every entry, shaped as a trie so the engine tries each prefix once."""
        trie: dict[str, dict] = {}
        for entry in entries:
            node = trie
            for atom in self.entry(entry):
                node = node.setdefault(atom, {})
            node[_END] = {}
        return self._render(trie, prev_is_letter=False)

    def first_letters(self, entries: Sequence[str]) -> str:
        """A lookahead for the letters the entries start with: the engine skips any other
        position at once instead of trying every entry there."""
        letters = "".join(sorted({self.entry(entry)[0] for entry in entries}))
        return f"(?=[{re.escape(letters)}])"

    def _render(self, node: dict[str, dict], prev_is_letter: bool) -> str:
        branches = [
            self.atom(atom, prev_is_letter) + self._render(child, atom not in (_SPACE, _STAR))
            for atom, child in sorted(node.items())
            if atom != _END
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if _END in node else body


def _read(path: Path) -> list[str]:
    """A lexicon file's entries; blank lines and `#` comments left out."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@dataclass(frozen=True)
class _Hit:
    category: AbuseCategory
    start: int
    end: int


class _Lexicon:
    """One language's entries compiled into one pattern (a named group per category and kind)
    and its whitelist."""

    def __init__(self, language: Language, folder: Path) -> None:
        self.script = _SCRIPTS[language]
        words = _Atoms(self.script, spelled_out=self.script is _Script.HANGUL)
        phrases = _Atoms(self.script, spelled_out=False)
        groups: list[str] = []
        listed: list[str] = []
        for category in _PRIORITY:
            entries = _read(folder / f"{language.value}_{category.value}.txt")
            listed.extend(entries)
            for kind, atoms, chosen in (
                ("w", words, [e for e in entries if " " not in e]),
                ("p", phrases, [e for e in entries if " " in e]),
            ):
                if chosen:
                    groups.append(f"(?P<{category.value}_{kind}>{atoms.pattern(chosen)})")
        if not listed:
            raise ValueError(f"no abuse lexicon for {language.value} in {folder}")
        body = phrases.first_letters(listed) + "(?:" + "|".join(groups) + ")"
        if self.script is _Script.WORDS:
            body = f"(?<![^ ]){body}(?![^ ])"
        self.pattern = re.compile(body)
        allowed = _read(folder / f"{language.value}_whitelist.txt")
        self.whitelist = re.compile(phrases.first_letters(allowed) + phrases.pattern(allowed)) if allowed else None

    def hits(self, view: _View) -> Iterator[_Hit]:
        """Every accepted match in the view, left to right, none inside another."""
        text = view.text
        allowed = [m.span() for m in self.whitelist.finditer(text)] if self.whitelist else []
        position = 0
        while match := self.pattern.search(text, position):
            start, end = match.span()
            group = match.lastgroup or ""
            if self._accepted(text, start, end, group) and not any(a <= start and end <= b for a, b in allowed):
                yield _Hit(AbuseCategory(group[:-2]), start, end)
                position = end
            else:
                position = start + 1

    def _accepted(self, text: str, start: int, end: int, group: str) -> bool:
        if start == end:
            return False
        if self.script is _Script.WORDS:
            return sum(char not in "* " for char in text[start:end]) >= 2
        if self.script is _Script.HANGUL and group.endswith("_w") and " " in text[start:end]:
            # Spelled out across spaces: only whole words ("씨 발", not "다시 발급").
            if start > 0 and text[start - 1] != " ":
                return False
            rest = text[end:].split(" ", 1)[0]
            return not rest or rest.startswith(_KOREAN_SUFFIXES)
        return True


class AbuseDetector:
    """Finds insults, sexual harassment, threats and self-harm in citizens' messages."""

    def __init__(self) -> None:
        """Loads and compiles every language's lexicon once (the app factory builds one)."""
        self._lexicons = {language: _Lexicon(language, LEXICON_DIR) for language in Language}

    def detect(self, text: str, language: str | None = None) -> AbuseFinding | None:
        """What `text` is abusive for, or None. `language` is a hint: Korean and English are
        always checked, plus the hinted language; with no hint (or an unknown one), all."""
        if not text or text.isspace():
            return None
        normalised = _normalise(text)
        views: dict[_Script, _View] = {}
        found: list[tuple[int, int, AbuseCategory]] = []
        for checked in self._languages(language):
            lexicon = self._lexicons[checked]
            view = views.get(lexicon.script)
            if view is None:
                view = views[lexicon.script] = _VIEWS[lexicon.script](normalised)
            for hit in lexicon.hits(view):
                end = view.origins[hit.end - 1] + 1
                while end < len(text) and _joins_previous(text[end]):
                    end += 1  # the rest of a composed letter
                found.append((view.origins[hit.start], end, hit.category))
        if not found:
            return None
        found.sort()
        matches = tuple(dict.fromkeys(text[start:end] for start, end, _ in found))
        return AbuseFinding(frozenset(category for _, _, category in found), matches)

    @staticmethod
    def _languages(hint: str | None) -> tuple[Language, ...]:
        if hint in {language.value for language in _ALWAYS}:
            return _ALWAYS
        if hint in {language.value for language in Language}:
            return (*_ALWAYS, Language(hint))
        return tuple(Language)
