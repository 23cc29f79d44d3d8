"""An in-memory BM25 index over knowledge-base articles, changed one article at a time."""

from __future__ import annotations

import copy
import heapq
import itertools
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np

from chatbot.knowledge.terms import GRAM, gram_parts
from chatbot.knowledge.tokenizer import Analyser
from model import Article

FIRST_DAY, LAST_DAY = 0, date.max.toordinal()
"""The validity (day ordinals) of an article without dates."""


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    confidence: float
    """Share of the query's weight (each term's rarity, see `BM25Index.search`) the article contains."""

    def snippet(self, length: int = 120) -> str:
        body = " ".join(self.article.body.split())
        return body if len(body) <= length else body[: length - 1] + "…"


class Postings(NamedTuple):
    """The slots of the articles a term occurs in, and how often it occurs in each.
    Never changed in place: a change makes new arrays, so copies of an index share them."""

    slots: np.ndarray
    frequencies: np.ndarray


class BM25Index:
    """Okapi BM25 over title, keywords and body, in one language (its analyser's); titles
    and keywords count double.

    Each article has a slot, each term numpy arrays of the slots it occurs in, so a search
    scores every article that shares a term with it in a few array operations per term.
    `put` and `remove` change articles in place and touch only their own terms' postings;
    document frequencies and the average length follow at once, so an index changed
    article by article scores exactly as one built over the same articles.
    """

    K1 = 1.2
    B = 0.75

    def __init__(self, analyser: Analyser, articles: Iterable[Article] = ()) -> None:
        self._analyser = analyser
        self._articles: list[Article | None] = []
        """By slot; None: a free slot."""
        self._slot_of: dict[str, int] = {}
        self._free_slots: list[int] = []
        self._postings: dict[str, Postings] = {}
        self._lengths = np.zeros(0)
        self._first_days = np.zeros(0, dtype=np.int32)
        self._last_days = np.zeros(0, dtype=np.int32)
        self._average_length = 1.0
        self._weights: dict[str, np.ndarray] = {}
        """The BM25 weight of each searched term in each of its articles, before its rarity;
        kept until the next change (every change moves the average length)."""
        self.put(articles)

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._slot_of

    def copy(self) -> BM25Index:
        """An index of the same articles that changes apart from this one: cheap beside a
        build, since it shares the postings arrays."""
        twin = copy.copy(self)
        twin._articles = list(self._articles)
        twin._slot_of = dict(self._slot_of)
        twin._free_slots = list(self._free_slots)
        twin._postings = dict(self._postings)
        twin._lengths = self._lengths.copy()
        twin._first_days = self._first_days.copy()
        twin._last_days = self._last_days.copy()
        twin._weights = {}
        return twin

    def put(self, articles: Iterable[Article]) -> None:
        """Add articles, or replace those with the same id."""
        by_id = {article.id: article for article in articles}
        self._change(by_id.values(), by_id.keys())

    def remove(self, article_ids: Iterable[str]) -> None:
        """Take articles out (ids the index does not hold are ignored)."""
        self._change((), article_ids)

    def search(self, query: str, limit: int = 5, on: date | None = None) -> list[Hit]:
        """The best `limit` articles for `query`, best first; with `on`, only those valid on
        that day. A hit's confidence is the share of the query's weight (each term's rarity)
        that the article contains."""
        query_terms = set(self._analyser.terms(query))
        if not query_terms or not self._slot_of:
            return []
        query_mass = sum(map(self._weight_in(query_terms), query_terms))
        if query_mass == 0:
            return []
        scores = np.zeros(len(self._articles))
        matched_mass = np.zeros(len(self._articles))
        # Always in the same order, so that equal articles score equal to the last bit.
        for term in sorted(query_terms & self._postings.keys()):
            slots = self._postings[term].slots
            idf = self._idf(term)
            # A term's slots are distinct: `+=` adds to each article once.
            scores[slots] += idf * self._weights_of(term)
            matched_mass[slots] += idf
        candidates = np.flatnonzero(scores)
        if on is not None:
            day = on.toordinal()
            candidates = candidates[(self._first_days[candidates] <= day) & (day <= self._last_days[candidates])]
        if len(candidates) > limit:
            # Only those that can make the best `limit`, with every tie at the edge.
            edge = np.partition(scores[candidates], -limit)[-limit]
            candidates = candidates[scores[candidates] >= edge]
        # Equal scores go by article id: the order does not depend on the slots.
        best = heapq.nsmallest(
            limit,
            zip(candidates.tolist(), scores[candidates].tolist(), strict=True),
            key=lambda found: (-found[1], self._articles[found[0]].id),
        )
        return [Hit(self._articles[slot], score, float(matched_mass[slot]) / query_mass) for slot, score in best]

    def _change(self, arriving: Iterable[Article], leaving: Iterable[str]) -> None:
        """Takes out the articles with ids in `leaving`, then adds `arriving`. Every article is
        analysed before anything changes; then each term's postings are rebuilt once, however
        many of the articles contain it."""
        arriving = list(arriving)
        leaving_slots = [self._slot_of[id_] for id_ in dict.fromkeys(leaving) if id_ in self._slot_of]
        leaving_terms = {term for slot in leaving_slots for term in self._term_counts(self._articles[slot])}
        free_slots = self._free_slots + leaving_slots
        new_slots = itertools.count(len(self._articles))
        slots = [free_slots.pop() if free_slots else next(new_slots) for _ in arriving]
        lengths = []
        # Compact arrays, not lists of ints: a build collects millions of postings here.
        new_postings: dict[str, tuple[array[int], array[int]]] = defaultdict(lambda: (array("i"), array("i")))
        for slot, article in zip(slots, arriving, strict=True):
            counts = self._term_counts(article)
            lengths.append(sum(counts.values()))
            for term, frequency in counts.items():
                term_slots, frequencies = new_postings[term]
                term_slots.append(slot)
                frequencies.append(frequency)

        leaving_mask = np.zeros(len(self._articles), dtype=bool)
        leaving_mask[leaving_slots] = True
        for slot in leaving_slots:
            del self._slot_of[self._articles[slot].id]
            self._articles[slot] = None
        self._lengths[leaving_slots] = 0
        self._free_slots = free_slots
        self._grow(max(slots, default=-1) + 1)
        for slot, article in zip(slots, arriving, strict=True):
            self._articles[slot] = article
            self._slot_of[article.id] = slot
        self._lengths[slots] = lengths
        self._first_days[slots] = [_ordinal(article.valid_from, FIRST_DAY) for article in arriving]
        self._last_days[slots] = [_ordinal(article.valid_until, LAST_DAY) for article in arriving]
        for term in leaving_terms | new_postings.keys():
            self._repost(term, leaving_mask, *new_postings.get(term, (array("i"), array("i"))))
        self._average_length = self._lengths.sum() / len(self) if self._slot_of else 1.0
        self._weights = {}

    def _grow(self, size: int) -> None:
        """Makes room for `size` slots."""
        grow = size - len(self._articles)
        if grow > 0:
            self._articles.extend([None] * grow)
            self._lengths = np.concatenate([self._lengths, np.zeros(grow)])
            self._first_days = np.concatenate([self._first_days, np.full(grow, FIRST_DAY, dtype=np.int32)])
            self._last_days = np.concatenate([self._last_days, np.full(grow, LAST_DAY, dtype=np.int32)])

    def _repost(self, term: str, leaving: np.ndarray, slots: array[int], frequencies: array[int]) -> None:
        """Replaces `term`'s postings: the old ones but the `leaving` slots, then the new ones."""
        parts = []
        if (old := self._postings.get(term)) is not None:
            keep = ~leaving[old.slots]
            parts.append(Postings(old.slots[keep], old.frequencies[keep]))
        if slots:
            parts.append(Postings(np.array(slots, dtype=np.int32), np.array(frequencies, dtype=np.int32)))
        merged = Postings(*map(np.concatenate, zip(*parts, strict=True))) if len(parts) > 1 else parts[0]
        if len(merged.slots):
            self._postings[term] = merged
        else:
            del self._postings[term]

    def _term_counts(self, article: Article) -> Counter[str]:
        heading = f"{article.title} {' '.join(article.keywords)}"
        return Counter(self._analyser.terms(heading) * 2 + self._analyser.terms(article.body))

    def _idf(self, term: str) -> float:
        frequency = len(self._postings[term].slots)
        return math.log(1 + (len(self) - frequency + 0.5) / (frequency + 0.5))

    def _weights_of(self, term: str) -> np.ndarray:
        """BM25's term-frequency part of `term` in each article it occurs in."""
        if (weights := self._weights.get(term)) is None:
            slots, frequencies = self._postings[term]
            norms = self.K1 * (1 - self.B + self.B * self._lengths[slots] / self._average_length)
            weights = self._weights[term] = frequencies * (self.K1 + 1) / (frequencies + norms)
        return weights

    def _weight_in(self, query_terms: set[str]) -> Callable[[str], float]:
        """How much each term of the query weighs: a known term its rarity, an unknown one
        the most, except numbers (a bus number, a date: any question may carry one) and
        grams that back up words (Korean, Vietnamese: the unknown word already counts) or
        straddle two known grams ("照丢" in "护照丢失": it only joins two words)."""
        known_grams = [gram_parts(term) for term in query_terms & self._postings.keys() if term.startswith(GRAM)]
        known_parts = {part for parts in known_grams if len(parts) > 1 for part in parts}
        # A word the knowledge base never mentions counts as much as its rarest words: a
        # question about something it does not cover must not look well covered.
        unknown_idf = math.log(1 + (len(self) - 0.5) / 1.5)

        def weight(term: str) -> float:
            if term in self._postings:
                return self._idf(term)
            if term.isdigit():
                return 0.0
            if term.startswith(GRAM) and (
                not self._analyser.grams_are_words or all(part in known_parts for part in gram_parts(term))
            ):
                return 0.0
            return unknown_idf

        return weight


def _ordinal(day: date | None, missing: int) -> int:
    return day.toordinal() if day else missing
