"""An in-memory BM25 index over knowledge-base articles."""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from chatbot.knowledge.terms import GRAM, gram_parts
from chatbot.knowledge.tokenizer import Analyser
from model import Article


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    confidence: float
    """Share of the query's weight (each term's rarity, see `BM25Index.search`) the article contains."""

    def snippet(self, length: int = 120) -> str:
        body = " ".join(self.article.body.split())
        return body if len(body) <= length else body[: length - 1] + "…"


class BM25Index:
    """Okapi BM25 over title, keywords and body, in one language (its analyser's); titles
    and keywords count double.

    Postings per term, so a search scores only the articles that share a term with it.
    """

    K1 = 1.2
    B = 0.75

    def __init__(self, analyser: Analyser, articles: list[Article]) -> None:
        self._analyser = analyser
        self._articles = articles
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths: list[int] = []
        for position, article in enumerate(articles):
            heading = f"{article.title} {' '.join(article.keywords)}"
            terms = Counter(analyser.terms(heading) * 2 + analyser.terms(article.body))
            for term, frequency in terms.items():
                self._postings[term].append((position, frequency))
            lengths.append(sum(terms.values()))
        count = len(articles)
        average = (sum(lengths) / count) if count else 1.0
        self._norms = [self.K1 * (1 - self.B + self.B * length / average) for length in lengths]
        self._idf = {
            term: math.log(1 + (count - len(postings) + 0.5) / (len(postings) + 0.5))
            for term, postings in self._postings.items()
        }
        # A word the knowledge base never mentions counts as much as its rarest words: a
        # question about something it does not cover must not look well covered.
        self._unknown_idf = math.log(1 + (count - 0.5) / 1.5)

    def __len__(self) -> int:
        return len(self._articles)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        """The best `limit` articles for `query`, best first. A hit's confidence is the share
        of the query's weight (each term's rarity) that the article contains."""
        query_terms = set(self._analyser.terms(query))
        if not query_terms or not self._articles:
            return []
        query_mass = sum(map(self._weight_in(query_terms), query_terms))
        if query_mass == 0:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched_mass: dict[int, float] = defaultdict(float)
        for term in query_terms & self._idf.keys():
            idf = self._idf[term]
            for position, frequency in self._postings[term]:
                scores[position] += idf * frequency * (self.K1 + 1) / (frequency + self._norms[position])
                matched_mass[position] += idf
        best = heapq.nlargest(limit, scores.items(), key=lambda item: item[1])
        return [Hit(self._articles[p], score, matched_mass[p] / query_mass) for p, score in best]

    def _weight_in(self, query_terms: set[str]) -> Callable[[str], float]:
        """How much each term of the query weighs: a known term its rarity, an unknown one
        the most, except numbers (a bus number, a date: any question may carry one) and
        grams that back up words (Korean, Vietnamese: the unknown word already counts) or
        straddle two known grams ("照丢" in "护照丢失": it only joins two words)."""
        known_grams = [gram_parts(term) for term in query_terms & self._idf.keys() if term.startswith(GRAM)]
        known_parts = {part for parts in known_grams if len(parts) > 1 for part in parts}

        def weight(term: str) -> float:
            if term in self._idf:
                return self._idf[term]
            if term.isdigit():
                return 0.0
            if term.startswith(GRAM) and (
                not self._analyser.grams_are_words or all(part in known_parts for part in gram_parts(term))
            ):
                return 0.0
            return self._unknown_idf

        return weight
