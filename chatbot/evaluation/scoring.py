"""What the bot made of each labelled question, counted per language, and the threshold
calibration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from chatbot.evaluation.questions import Question

MAX_WRONG_SHARE = 0.05
"""Calibration: at most one answer in twenty may be a wrong article."""


class Verdict(Enum):
    CORRECT = "correct"
    """Answered with the article that answers the question."""
    WRONG = "wrong"
    """Answered with another article, or answered what no article answers."""
    REFUSED = "refused"
    """Did not answer (the citizen is offered a person)."""


@dataclass(frozen=True)
class Outcome:
    """The bot's best article for one question, before any threshold."""

    question: Question
    asked_in: str
    """The language the bot was asked in: the one identified, as the hub would."""
    found: str | None
    """The best article's id."""
    confidence: float
    close: tuple[str, ...] = ()
    """The ids of the close runners-up."""
    reachable: bool = True
    """Whether the bot can answer with the question's article at all: it is written in the
    question's language (or a translator could bring it from Korean)."""

    @property
    def expected(self) -> str | None:
        """The article a right answer gives; None when the right thing is not to answer."""
        return self.question.article if self.reachable else None

    def verdict(self, threshold: float) -> Verdict:
        """What the bot did with the question when it answers from `threshold` up."""
        if self.found is None or self.confidence < threshold:
            return Verdict.REFUSED
        return Verdict.CORRECT if self.found == self.expected else Verdict.WRONG


@dataclass(frozen=True)
class Tally:
    """Verdicts on a set of questions at one threshold."""

    questions: int = 0
    correct: int = 0
    wrong: int = 0
    refused: int = 0
    rightly_refused: int = 0
    """Refused questions that no reachable article answers: the right outcome."""

    @property
    def accuracy(self) -> float:
        """Share of questions with the right outcome: the right article, or no answer when
        there is none."""
        return (self.correct + self.rightly_refused) / self.questions if self.questions else 0.0

    def add(self, outcome: Outcome, threshold: float) -> Tally:
        """The tally with one more outcome counted."""
        verdict = outcome.verdict(threshold)
        return Tally(
            self.questions + 1,
            self.correct + (verdict is Verdict.CORRECT),
            self.wrong + (verdict is Verdict.WRONG),
            self.refused + (verdict is Verdict.REFUSED),
            self.rightly_refused + (verdict is Verdict.REFUSED and outcome.expected is None),
        )


def tally(outcomes: Iterable[Outcome], threshold: float) -> dict[str, Tally]:
    """Verdicts per language of the question, and over all of them ("all")."""
    tallies: dict[str, Tally] = {}
    for outcome in outcomes:
        for key in (outcome.question.language, "all"):
            tallies[key] = tallies.get(key, Tally()).add(outcome, threshold)
    return tallies


def calibrate(outcomes: list[Outcome], max_wrong_share: float = MAX_WRONG_SHARE) -> float:
    """The threshold that answers the most questions rightly while no more than
    `max_wrong_share` of its answers are wrong. Every threshold between two neighbouring
    confidences answers the same questions: the midpoint is taken, so that a confidence near
    the edge is not decided by chance."""
    levels = sorted({o.confidence for o in outcomes if o.found is not None}, reverse=True)
    best, best_correct = 1.0, 0
    for level, lower in zip(levels, [*levels[1:], 0.0], strict=True):
        overall = tally(outcomes, level)["all"]
        if overall.wrong <= max_wrong_share * (overall.correct + overall.wrong) and overall.correct > best_correct:
            best, best_correct = (level + lower) / 2, overall.correct
    return best
