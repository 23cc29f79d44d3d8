"""`python -m chatbot.evaluation.through_rasa`: the built-in bot and the Rasa assistant on the
same labelled questions, accuracy per language side by side, on the calibration part and on
the held-out part.

Starts the action server and Rasa (`chatbot.evaluation.assistant`; the model `make bot-model`
trained), then sends every question through the hub's Rasa client as the first message of a
new conversation, in the language the hub would give it, and reads from Rasa's tracker
which actions ran. Both bots answer from the demo knowledge base, without a translator.
Takes a few minutes; `--per-language N` asks only the first N of each language in each part.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import aiohttp

from chatbot.builtin import ANSWER_THRESHOLD, KnowledgeBot
from chatbot.evaluation.assistant import AssistantUnavailable, running_assistant
from chatbot.evaluation.questions import QUESTIONS, Question, read_questions, split
from chatbot.evaluation.run import conversation_language, demo_knowledge, evaluate, reachable
from chatbot.evaluation.scoring import Outcome, Verdict, tally
from chatbot.rasa_bot import RasaBot
from model import LANGUAGES, Channel, Contact, Conversation, ConversationState
from model.clock import utcnow
from translation.langid import LanguageIdentifier

KNOWLEDGE_ACTION = "action_answer_from_knowledge_base"
TURN_SECONDS = 30.0
"""The first turns wait for Rasa to warm up; the hub's own wait is shorter."""
PROGRESS_EVERY = 50
ANSWERED = 1.0
"""The confidence of every article Rasa gave: its action already applied the threshold, so
whatever it answered with counts as answered."""


class Route(Enum):
    """What Rasa did with a question."""

    ARTICLE = "article"
    """The knowledge action answered with an article."""
    ASKED = "asked"
    """The knowledge action asked which of two or three articles the citizen means."""
    NOT_FOUND = "not found"
    """The knowledge action found no article good enough."""
    OUTSIDE = "outside"
    """Another intent answered, outside the knowledge base: a greeting, a report form, a
    phone number, a handoff, out of scope."""


@dataclass(frozen=True)
class RasaOutcome:
    """How Rasa answered one question."""

    outcome: Outcome
    """The article it answered with (`found`), scored as the built-in bot's outcomes are."""
    route: Route
    intent: str | None
    """The intent Rasa recognised."""


async def through_rasa(
    url: str, identifier: LanguageIdentifier, questions: list[Question], written: set[tuple[str, str]], name: str
) -> list[RasaOutcome]:
    """Each question sent to Rasa at `url`, printing progress under `name`."""
    rasa = RasaBot(url, timeout=TURN_SECONDS)
    outcomes: list[RasaOutcome] = []
    start = time.monotonic()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TURN_SECONDS)) as client:
            for number, question in enumerate(questions, 1):
                language = conversation_language(identifier, question.text)
                route, intent, article = await ask(rasa, client, url, f"{name}-{number}", question.text, language)
                outcome = Outcome(question, language, article, ANSWERED if article else 0.0,
                                  reachable=reachable(question, written))  # fmt: skip
                outcomes.append(RasaOutcome(outcome, route, intent))
                if number % PROGRESS_EVERY == 0 or number == len(questions):
                    print(f"  {name}: {number}/{len(questions)} questions asked "
                          f"({time.monotonic() - start:.0f} s)", flush=True)  # fmt: skip
    finally:
        await rasa.close()
    return outcomes


async def ask(
    rasa: RasaBot, client: aiohttp.ClientSession, url: str, conversation_id: str, text: str, language: str
) -> tuple[Route, str | None, str | None]:
    """`text` as the first message of a new conversation: what Rasa did with it, the intent
    it recognised, and the article it answered with."""
    first = Conversation(
        id=conversation_id,
        channel=Channel.API,
        state=ConversationState.BOT,
        contact=Contact(conversation_id, conversation_id),
        sender=conversation_id,
        language=language,
        category=None,
        queue=None,
        priority=0,
        assigned_agent=None,
        created_at=utcnow(),
    )
    turn = await rasa.respond(first, text, language)
    async with client.get(f"{url}/conversations/{conversation_id}/tracker") as response:
        response.raise_for_status()
        tracker = await response.json()
    intent = ((tracker.get("latest_message") or {}).get("intent") or {}).get("name")
    actions = {event.get("name") for event in tracker.get("events", []) if event.get("event") == "action"}
    if KNOWLEDGE_ACTION not in actions:
        return Route.OUTSIDE, intent, None
    if turn.article_id:
        return Route.ARTICLE, intent, turn.article_id
    return (Route.ASKED if turn.answered else Route.NOT_FOUND), intent, None


def answered_with(outcome: Outcome, threshold: float) -> str | None:
    """The article given at `threshold`; None when none is."""
    return None if outcome.verdict(threshold) is Verdict.REFUSED else outcome.found


GROUPS = (
    ("", ("language", "questions")),
    ("built-in bot", ("correct", "wrong", "refused", "accuracy")),
    ("Rasa assistant", ("correct", "wrong", "refused", "asked", "outside", "accuracy", "same")),
)


def side_by_side(builtin: list[Outcome], rasa: list[RasaOutcome]) -> str:
    """Per language: the built-in bot's verdicts beside Rasa's, and how often Rasa gave what
    the built-in bot gives (the same article, or none)."""
    ours, theirs = tally(builtin, ANSWER_THRESHOLD), tally([r.outcome for r in rasa], ANSWERED)
    columns = [column for _, group in GROUPS for column in group]
    widths = [max(len(column), 6) for column in columns]
    spans = [sum(max(len(column), 6) + 2 for column in group) - 2 for _, group in GROUPS]
    rows = [
        "  ".join(f"{title:^{span}}" for (title, _), span in zip(GROUPS, spans, strict=True)).rstrip(),
        "  ".join(f"{column:>{width}}" for column, width in zip(columns, widths, strict=True)),
    ]
    for language in [*(lang for lang in LANGUAGES if lang in ours), "all"]:
        pairs = [(b, r) for b, r in zip(builtin, rasa, strict=True) if language in ("all", b.question.language)]
        routes = Counter(r.route for _, r in pairs)
        same = sum(answered_with(b, ANSWER_THRESHOLD) == r.outcome.found for b, r in pairs)
        b, r = ours[language], theirs[language]
        cells = [
            language, b.questions, b.correct, b.wrong, b.refused, f"{b.accuracy:.1%}",
            r.correct, r.wrong, r.refused, routes[Route.ASKED], routes[Route.OUTSIDE], f"{r.accuracy:.1%}", same,
        ]  # fmt: skip
        rows.append("  ".join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True)))
    return "\n".join(rows)


async def report(per_language: int | None, differences: bool) -> None:
    """Asks both bots, then prints the tables; with `differences`, every question they
    answered differently."""
    questions = read_questions()
    parts = dict(zip(("calibration", "held-out"), split(questions), strict=True))
    if per_language is not None:
        parts = {name: first_per_language(part, per_language) for name, part in parts.items()}
    knowledge, written = demo_knowledge()
    bot = KnowledgeBot(knowledge)
    identifier = LanguageIdentifier()
    builtin = {name: await evaluate(bot, identifier, part, written) for name, part in parts.items()}
    print("Starting the action server and Rasa (loading the model takes about a minute)…", flush=True)
    with tempfile.TemporaryDirectory(prefix="dasan-rasa-eval-") as folder:
        async with running_assistant(knowledge, Path(folder)) as url:
            print(f"Rasa is up at {url}.", flush=True)
            rasa = {name: await through_rasa(url, identifier, part, written, name) for name, part in parts.items()}

    asked = sum(len(part) for part in parts.values())
    print(
        f"\nThe built-in bot and the Rasa assistant on {asked} of the {len(questions)} labelled questions "
        f"({QUESTIONS.name}),\neach the first message of a new conversation in the language the hub identifies; "
        f"both answer from the demo knowledge base, no translator.\nBuilt-in bot: `KnowledgeBot.find` at its "
        f"threshold {ANSWER_THRESHOLD:.3f}. Rasa: the trained model and the hub's action server, through the "
        "hub's Rasa client."
    )
    for name in ("held-out", "calibration"):
        print(f"\n{name} part\n{side_by_side(builtin[name], rasa[name])}")
    print(
        "\n(refused: no article given; for Rasa that includes asked, which of close articles the citizen means, "
        "and outside,\nanswered by another intent: greeting, report form, phone number, handoff, out of scope; "
        "accuracy: the right article,\nor none where no article in the question's language answers, of all "
        "questions; same: Rasa gave what the built-in bot gives, article or none)"
    )
    every = [outcome for part in rasa.values() for outcome in part]
    outside = Counter(outcome.intent for outcome in every if outcome.route is Route.OUTSIDE)
    print(
        f"\nRasa answered {sum(outside.values())} of {len(every)} outside the knowledge base, by intent: "
        + (", ".join(f"{intent} {n}" for intent, n in outside.most_common()) or "none")
    )
    searched = [(b, r) for name in parts for b, r in zip(builtin[name], rasa[name], strict=True)
                if r.route is not Route.OUTSIDE]  # fmt: skip
    agreed = sum(answered_with(b, ANSWER_THRESHOLD) == r.outcome.found for b, r in searched)
    print(f"Of the {len(searched)} it searched the knowledge base for, it gave what the built-in bot gives "
          f"for {agreed}.")  # fmt: skip
    if differences:
        print("\nAnswered differently (language, built-in bot → Rasa, intent, question):")
        for name in parts:
            for b, r in zip(builtin[name], rasa[name], strict=True):
                ours = answered_with(b, ANSWER_THRESHOLD)
                if ours != r.outcome.found:
                    print(f"  {b.question.language} {ours} → {r.outcome.found or r.route.value} ({r.intent}) "
                          f"{b.question.text}")  # fmt: skip


def first_per_language(questions: list[Question], per_language: int) -> list[Question]:
    """The first `per_language` questions of each language, in order."""
    seen: Counter[str] = Counter()
    kept = []
    for question in questions:
        seen[question.language] += 1
        if seen[question.language] <= per_language:
            kept.append(question)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chatbot.evaluation.through_rasa", description=__doc__)
    parser.add_argument("--per-language", type=int, metavar="N", help="ask only the first N of each language per part")
    parser.add_argument("--differences", action="store_true", help="list what the two bots answered differently")
    args = parser.parse_args()
    try:
        asyncio.run(report(args.per_language, args.differences))
    except AssistantUnavailable as error:
        sys.exit(f"through_rasa: {error}")


if __name__ == "__main__":
    main()
