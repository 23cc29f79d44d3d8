"""Citizens' questions grouped by what they ask: the articles editors should write next.

Each question is read by its language's search analyser (`chatbot.knowledge.tokenizer`), so
"지하철에 두고 내린 가방 찾는 법" and "지하철 분실물 어디서 찾아요" meet on the terms the
search would give them, question words and polite endings gone. A term weighs by how rare it
is among the questions themselves (inverse document frequency): in a list full of subway
questions "지하철" tells less than "분실". Questions are taken in order; each joins the group
it is closest to on average (mean cosine over the members), or starts one when no group is
close enough. The mean, not the closeness to the members' summed terms, keeps a big group
from drifting into a whole topic ("수도요금" payment, bills, arrears and exemptions alike).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from chatbot.knowledge.terms import GRAM, normalise
from chatbot.knowledge.tokenizer import SearchTokenizer

SIMILAR = 0.35
"""The least mean cosine to a group's members for a question to join it. Set on the bot's
labelled questions (`chatbot/evaluation/questions.jsonl`, several for each article): higher
splits questions that say the same in other words, lower lets whole topics merge."""

BACKGROUND = 100
"""Questions counted as if they were there, none with the terms of these: in a short list
the words similar questions share are no common words yet ("고양이 급식소" in three of five
questions), and must not weigh as little as "찾다" in a long one."""


@dataclass
class _Group:
    members: list[int] = field(default_factory=list)
    weights: Counter[str] = field(default_factory=Counter)
    """Each term's weight summed over the members' vectors (each of length 1)."""

    def add(self, index: int, vector: dict[str, float]) -> None:
        self.members.append(index)
        self.weights.update(vector)

    def closeness(self, vector: dict[str, float]) -> float:
        """The mean cosine between `vector` (of length 1) and the members."""
        dot = sum(weight * self.weights[term] for term, weight in vector.items() if term in self.weights)
        return dot / len(self.members)


def group_similar(
    questions: Sequence[tuple[str, str]], tokenizer: SearchTokenizer, similar: float = SIMILAR
) -> list[list[int]]:
    """The indexes of `questions` ((text, language) pairs) in groups of similar questions,
    the biggest group first (equal ones in the order of their first question); each group
    starts with its most representative question, the one closest to the others."""
    vectors = _vectors([_terms(text, language, tokenizer) for text, language in questions])
    groups: list[_Group] = []
    holding: dict[str, set[int]] = defaultdict(set)
    """Term → the groups with a member that has it: only those can be close to a question."""
    for index, vector in enumerate(vectors):
        scores = {c: groups[c].closeness(vector) for c in set().union(*(holding[term] for term in vector))}
        best = max(scores, key=lambda c: (scores[c], -c), default=None)
        if best is None or scores[best] < similar:
            best = len(groups)
            groups.append(_Group())
        groups[best].add(index, vector)
        for term in vector:
            holding[term].add(best)
    ordered = sorted(groups, key=lambda group: (-len(group.members), group.members[0]))
    return [_representative_first(group, vectors) for group in ordered]


def _terms(text: str, language: str, tokenizer: SearchTokenizer) -> set[str]:
    """The question's search terms. Numbers are left out (what is left of a masked phone
    number, a date, an amount: they tell little of what is asked), and so are grams where
    they only back up words (Korean, Vietnamese): a compound's grams would outweigh the rest
    of the question. A question without any term ("ㅇㅇ", "?") keeps its normalised text, so
    only the same text joins it."""
    analyser = tokenizer.analyser(language)
    terms = {term for term in analyser.terms(text) if not term.isdigit()}
    if not analyser.grams_are_words:
        terms = {term for term in terms if not term.startswith(GRAM)} or terms
    return terms or {" ".join(normalise(text).split())}


def _vectors(term_sets: list[set[str]]) -> list[dict[str, float]]:
    """Each question's terms weighed by their inverse frequency among all the questions (and
    `BACKGROUND` more), scaled to length 1."""
    frequency = Counter(term for terms in term_sets for term in terms)
    questions = len(term_sets) + BACKGROUND
    vectors = []
    for terms in term_sets:
        weights = {term: math.log(1 + questions / frequency[term]) for term in terms}
        norm = math.sqrt(sum(weight * weight for weight in weights.values()))
        vectors.append({term: weight / norm for term, weight in weights.items()})
    return vectors


def _representative_first(group: _Group, vectors: list[dict[str, float]]) -> list[int]:
    representative = max(group.members, key=lambda index: (group.closeness(vectors[index]), -index))
    return [representative, *(index for index in group.members if index != representative)]
