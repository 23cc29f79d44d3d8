"""English search terms: words less stop words, reduced to a stem.

The stemmer is a small suffix stripper, not Porter's: it only has to send the forms a
citizen and an article use (rent, rental, renting; vaccine, vaccination) to the same
stem, and it does so the same way on both sides.
"""

from __future__ import annotations

import re

from chatbot.knowledge.terms import Phrases, normalise

_WORD = re.compile(r"[a-z0-9]+")

STOP_WORDS = frozenset(
    """
    a an the this that these those is am are was were be been being it its i im me my mine you your u ur we our us
    they their them he she his her him of in on at to from by for with about into over after before up down out off
    and or but if so than too very some any all no not yes ok okay much many more most one do does did doing done
    have has had having get gets got getting go goes going went gone want wanna wants need needs can could would
    should may might must will shall let know tell say said like just also still again there here what when where
    which who whom whose why how whats wheres hows whos anyone someone something anything please pls plz hi hello
    hey thanks thank thx help way ways best possible able dont cant wont isnt doesnt didnt ive id youre theres
    thats lot bit now kindly sir maam come coming came since today tonight yesterday morning evening afternoon
    every day days week keep check find
    """.split()
)
"""Question words, pronouns, auxiliaries and the chat words around a question."""

SYNONYMS = Phrases(
    {
        "cab": "taxi",
        "cabs": "taxi",
        "metro": "subway",
        "underground": "subway",
        "tube": "subway",
        "bicycle": "bike",
        "bicycles": "bike",
        "cycle": "bike",
        "borrow": "rent",
        "hire": "rent",
        "trash": "garbage",
        "rubbish": "garbage",
        "litter": "garbage",
        "cellphone": "phone",
        "mobile": "phone",
        "smartphone": "phone",
        "forgot": "lost",
        "forget": "lost",
        "left": "lost",
        "lose": "lost",
        "switch": "transfer",
        "translator": "interpreter",
        "translation": "interpreter",
        "ticket": "pass",
        "tickets": "pass",
        "e-mail": "email",
        "record": "history",
        "records": "history",
    },
    whole_words=True,
)
"""Citizens' words for what the articles call otherwise."""

# Longest first; each word loses at most one of them, then a final e and a doubled consonant.
_SUFFIXES = (
    ("ibility", "ible"),
    ("ability", "able"),
    ("ications", "y"),
    ("ication", "y"),
    ("ations", ""),
    ("ation", ""),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("ied", "y"),
    ("ies", "y"),
    ("es", ""),
    ("ed", ""),
    ("ly", ""),
    ("al", ""),
    ("s", ""),
)
_KEPT_ENDINGS = ("ss", "us", "is")
MIN_STEM = 3


def stem(word: str) -> str:
    """The stem of one lower-case English word."""
    if len(word) <= MIN_STEM or word.isdigit():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            if suffix == "s" and word.endswith(_KEPT_ENDINGS):
                break
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > MIN_STEM and word.endswith("e"):
        word = word[:-1]
    if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # stopped → stopp → stop
    return word


class EnglishAnalyser:
    """English text to stems."""

    grams_are_words = False

    def terms(self, text: str) -> list[str]:
        """The stems of the words of `text` that are not stop words."""
        text = SYNONYMS.apply(normalise(text).replace("'", ""))
        return [stem(word) for word in _WORD.findall(text) if word not in STOP_WORDS]
