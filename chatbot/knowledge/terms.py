"""What the language analysers share: normalisation, phrase synonyms, n-gram terms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

GRAM = "~"
"""Starts every gram term: character bigrams and single characters, pairs of neighbouring
words. The index weighs an unknown gram apart from an unknown word (`index.BM25Index`)."""

PAIR = "_"
"""Joins the two words of a word-pair gram."""

LATIN_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
"""Latin words and numbers inside text of any script: QR, ETAX, LOST112, T-money, 120."""


def normalise(text: str) -> str:
    """Full-width letters and digits folded (ＱＲ → qr), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def grams(run: str) -> list[str]:
    """Character bigrams of `run` (its one character when that is all it has)."""
    if len(run) == 1:
        return [GRAM + run]
    return [GRAM + run[i : i + 2] for i in range(len(run) - 1)]


def pair(first: str, second: str) -> str:
    """The gram of two neighbouring words."""
    return f"{GRAM}{first}{PAIR}{second}"


def gram_parts(gram: str) -> list[str]:
    """The characters of a character gram, the words of a word pair."""
    body = gram[len(GRAM) :]
    return body.split(PAIR) if PAIR in body else list(body)


class Phrases:
    """Replaces phrases by their canonical form, longest first, each part of the text once."""

    def __init__(self, synonyms: Mapping[str, str], whole_words: bool = False) -> None:
        self._canonical = dict(synonyms)
        ordered = sorted(synonyms, key=len, reverse=True)
        alternatives = "|".join(map(re.escape, ordered))
        # Spaced scripts match whole words only ("cab" is not inside "cabinet").
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)" if whole_words else f"(?:{alternatives})")

    def apply(self, text: str) -> str:
        """`text` with every phrase replaced by its canonical form."""
        return self._pattern.sub(lambda match: self._canonical[match.group(0)], text)
