"""Abuse detection: messages per second through `AbuseDetector.detect`, as ingest calls it on
every inbound citizen message.

The corpus is the knowledge base's citizen questions and article sentences (all six languages,
as tests/test_abuse.py reads them) plus the test's abusive phrases and traps. Prints the time
to load the lexicons, then per part and overall: messages, messages per second, and the time
per message (median and p90 in microseconds, time.perf_counter, after a warm-up pass), with
the language hint each message has and with none (every language checked).

    .venv/bin/python bench/abuse.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.abuse import AbuseDetector  # noqa: E402
from tests.test_abuse import POSITIVES, TRAPS, citizen_questions  # noqa: E402

Corpus = list[tuple[str, str | None]]


def measure(detector: AbuseDetector, corpus: Corpus, repeat: int, hinted: bool) -> tuple[float, float, float, int]:
    """Messages per second, median and p90 microseconds per message, and how many were flagged."""
    flagged = sum(detector.detect(text, language if hinted else None) is not None for text, language in corpus)
    times: list[float] = []
    for _ in range(repeat):
        for text, language in corpus:
            start = time.perf_counter()
            detector.detect(text, language if hinted else None)
            times.append(time.perf_counter() - start)
    quantiles = statistics.quantiles(times, n=10)
    return len(times) / sum(times), statistics.median(times) * 1e6, quantiles[8] * 1e6, flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the corpus (default 20)")
    args = parser.parse_args()

    start = time.perf_counter()
    detector = AbuseDetector()
    print(f"lexicons loaded and compiled in {(time.perf_counter() - start) * 1e3:.0f} ms")

    parts: dict[str, Corpus] = {
        "citizen questions": citizen_questions(),
        "abusive phrases": [(text, language) for text, language, _ in POSITIVES],
        "traps": list(TRAPS),
    }
    parts["all"] = [message for corpus in parts.values() for message in corpus]
    for corpus in parts.values():  # warm-up
        measure(detector, corpus, 1, hinted=True)

    print(f"{'corpus':<18} {'hint':<5} {'messages':>8} {'msg/s':>9} {'median µs':>10} {'p90 µs':>8} {'flagged':>8}")
    for name, corpus in parts.items():
        for hinted in (True, False):
            rate, median, p90, flagged = measure(detector, corpus, args.repeat, hinted)
            hint = "yes" if hinted else "none"
            print(f"{name:<18} {hint:<5} {len(corpus):>8} {rate:>9.0f} {median:>10.1f} {p90:>8.1f} {flagged:>8}")


if __name__ == "__main__":
    main()
