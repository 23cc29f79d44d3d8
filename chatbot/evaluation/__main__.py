"""`python -m chatbot.evaluation`: the built-in bot's accuracy per language on the labelled
questions, on the held-out part and on the calibration part, and the calibrated threshold."""

from __future__ import annotations

import argparse
import asyncio

from chatbot.builtin import ANSWER_THRESHOLD
from chatbot.evaluation.questions import QUESTIONS, read_questions, split
from chatbot.evaluation.run import demo_bot, evaluate
from chatbot.evaluation.scoring import MAX_WRONG_SHARE, Outcome, Verdict, calibrate, tally
from model import LANGUAGES
from translation.langid import LanguageIdentifier

COLUMNS = ("language", "questions", "correct", "wrong", "refused", "rightly", "accuracy")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chatbot.evaluation", description=__doc__)
    parser.add_argument("--threshold", type=float, help=f"answer threshold to measure (default {ANSWER_THRESHOLD})")
    parser.add_argument("--misses", choices=("calibration", "held-out"), help="list what that part got wrong")
    args = parser.parse_args()
    asyncio.run(report(args.threshold if args.threshold is not None else ANSWER_THRESHOLD, args.misses))


async def report(threshold: float, misses: str | None) -> None:
    """Prints the tables; with `misses`, every question that part got wrong."""
    questions = read_questions()
    calibration, held_out = split(questions)
    bot, written = demo_bot()
    identifier = LanguageIdentifier()
    parts = {
        "held-out": await evaluate(bot, identifier, held_out, written),
        "calibration": await evaluate(bot, identifier, calibration, written),
    }
    calibrated = calibrate(parts["calibration"])
    print(
        f"The built-in bot on {len(questions)} labelled questions ({QUESTIONS.name}): "
        f"{len(calibration)} to calibrate on, {len(held_out)} held out; demo knowledge base, no translator,"
    )
    print("each question asked in the language the hub identifies.")
    print(f"Threshold measured: {threshold:.3f}. Calibrated on the calibration part (the most right answers "
          f"with at most {MAX_WRONG_SHARE:.0%} of answers wrong): {calibrated:.3f}.")  # fmt: skip
    for name, outcomes in parts.items():
        print(f"\n{name} part, threshold {threshold:.3f}\n{_table(outcomes, threshold)}")
    print(
        "\n(rightly: refused where no article in the question's language answers; accuracy: correct and "
        "rightly refused, of all questions)"
    )
    every = [outcome for outcomes in parts.values() for outcome in outcomes]
    identified = {lang: [o.asked_in == lang for o in every if o.question.language == lang] for lang in LANGUAGES}
    print(
        "\nLanguage identified as written: "
        + "  ".join(f"{lang} {sum(right) / len(right):.0%}" for lang, right in identified.items() if right)
    )
    answerable = [o for o in every if o.expected is not None]
    first = sum(o.found == o.expected for o in answerable)
    among = sum(o.expected in (o.found, *o.close) for o in answerable)
    print(f"Right article first: {first}/{len(answerable)}; "
          f"among the best and its close runners-up: {among}/{len(answerable)}.")  # fmt: skip
    if misses:
        print(f"\nWhat the {misses} part got wrong:")
        for outcome in parts[misses]:
            verdict = outcome.verdict(threshold)
            if verdict is not Verdict.CORRECT and not (verdict is Verdict.REFUSED and outcome.expected is None):
                print(f"  {outcome.question.language}→{outcome.asked_in} {verdict.value:7} {outcome.confidence:.2f} "
                      f"{outcome.found} (want {outcome.expected}) {outcome.question.text}")  # fmt: skip


def _table(outcomes: list[Outcome], threshold: float) -> str:
    tallies = tally(outcomes, threshold)
    rows = ["  ".join(f"{column:>9}" for column in COLUMNS)]
    for language in [*(lang for lang in LANGUAGES if lang in tallies), "all"]:
        t = tallies[language]
        counts = (t.questions, t.correct, t.wrong, t.refused, t.rightly_refused)
        rows.append("  ".join([f"{language:>9}", *(f"{n:>9}" for n in counts), f"{t.accuracy:>9.1%}"]))
    return "\n".join(rows)


if __name__ == "__main__":
    main()
