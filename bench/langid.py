"""Language identification: the hub's LanguageIdentifier (lingua) against py3langid, same lines.

Runs every labelled line of tests/langid_lines.py through both identifiers in one process,
py3langid restricted to the hub's six languages, and prints accuracy per language and
overall, the time per message (median and p90 in microseconds, after a warm-up pass, over
several repetitions, time.perf_counter), the ratio of the two times, and a text bar chart of
accuracy per language. Needs py3langid in the venv (`.venv/bin/pip install py3langid`).

    .venv/bin/python bench/langid.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.langid_lines import AMBIGUOUS, LINES  # noqa: E402
from translation.langid import LanguageIdentifier  # noqa: E402

LANGUAGES = list(LINES)
BAR_WIDTH = 40

Identify = Callable[[str], "str | None"]


def hub_identifier() -> tuple[Identify, LanguageIdentifier]:
    identifier = LanguageIdentifier()

    def identify(text: str) -> str | None:
        found = identifier.identify(text)
        return found.language if found else None

    return identify, identifier


def py3langid_identifier() -> tuple[Identify, str]:
    try:
        import py3langid
        from py3langid import langid
    except ImportError:
        raise SystemExit("py3langid is not installed: .venv/bin/pip install py3langid") from None
    # 0.3+ loads the model with from_model_file; older releases pickled it.
    load = getattr(langid.LanguageIdentifier, "from_model_file", None) or langid.LanguageIdentifier.from_pickled_model
    identifier = load(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)

    def identify(text: str) -> str | None:
        return identifier.classify(text)[0]

    return identify, getattr(py3langid, "__version__", "?")


def accuracy(identify: Identify) -> tuple[dict[str, float], float, list[tuple[str, str, str | None]]]:
    per_language: dict[str, float] = {}
    misses: list[tuple[str, str, str | None]] = []
    right_total = 0
    for language, lines in LINES.items():
        right = 0
        for line in lines:
            got = identify(line)
            if got == language:
                right += 1
            else:
                misses.append((language, line, got))
        per_language[language] = right / len(lines)
        right_total += right
    return per_language, right_total / sum(len(lines) for lines in LINES.values()), misses


def timings(identify: Identify, repeat: int) -> tuple[float, dict[str, list[float]]]:
    """The warm-up pass in seconds (lingua loads its models then), and microseconds per call
    by language, every line `repeat` times after it."""
    clock = time.perf_counter
    started = clock()
    for lines in LINES.values():
        for line in lines:
            identify(line)
    warm_up = clock() - started
    samples: dict[str, list[float]] = {language: [] for language in LINES}
    for _ in range(repeat):
        for language, lines in LINES.items():
            for line in lines:
                start = clock()
                identify(line)
                samples[language].append((clock() - start) * 1e6)
    return warm_up, samples


def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1]


def bar(value: float) -> str:
    filled = round(value * BAR_WIDTH)
    return "█" * filled + "·" * (BAR_WIDTH - filled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed passes over every line (default 20)")
    args = parser.parse_args()

    lines = [line for language_lines in LINES.values() for line in language_lines]
    started = time.perf_counter()
    hub, hub_object = hub_identifier()
    loaded = {"hub (lingua)": time.perf_counter() - started}
    started = time.perf_counter()
    other, version = py3langid_identifier()
    loaded[f"py3langid {version}"] = time.perf_counter() - started
    names = {"hub (lingua)": hub, f"py3langid {version}": other}

    measured = {name: timings(identify, args.repeat) for name, identify in names.items()}
    results = {name: accuracy(identify) for name, identify in names.items()}
    samples = {
        name: [v for values in by_language.values() for v in values] for name, (_, by_language) in measured.items()
    }

    print(f"{len(lines)} labelled lines in {len(LANGUAGES)} languages, {args.repeat} timed passes after a warm-up pass")
    width = max(map(len, names))
    print(f"\n{'start-up':<{width}}  {'load':>8}  {'warm-up':>8}  (lingua loads its models during the first pass)")
    for name, (warm_up, _) in measured.items():
        print(f"{name:<{width}}  {loaded[name] * 1e3:>5.0f} ms  {warm_up * 1e3:>5.0f} ms")

    print(f"\n{'accuracy':<{width}}  " + "  ".join(f"{language:>6}" for language in LANGUAGES) + "  overall")
    for name, (per_language, overall, _) in results.items():
        cells = "  ".join(f"{per_language[language]:>6.1%}" for language in LANGUAGES)
        print(f"{name:<{width}}  {cells}  {overall:>7.1%}")

    print(f"\n{'µs per message':<{width}}  {'median':>8}  {'p90':>8}   median by language")
    for name, values in samples.items():
        by_language = "  ".join(
            f"{language} {statistics.median(measured[name][1][language]):.1f}" for language in LANGUAGES
        )
        print(f"{name:<{width}}  {statistics.median(values):>8.1f}  {p90(values):>8.1f}   {by_language}")
    hub_name, other_name = names
    median_ratio = statistics.median(samples[hub_name]) / statistics.median(samples[other_name])
    p90_ratio = p90(samples[hub_name]) / p90(samples[other_name])
    print(f"{'hub / py3langid':<{width}}  {median_ratio:>7.2f}x  {p90_ratio:>7.2f}x")

    print("\naccuracy per language (each █ is 2.5%)")
    for language in LANGUAGES:
        for index, (name, (per_language, _, _)) in enumerate(results.items()):
            label = language if index == 0 else ""
            print(f"  {label:<3} {name:<{width}}  {bar(per_language[language])} {per_language[language]:6.1%}")

    for name, (_, _, misses) in results.items():
        print(f"\nmisses, {name} ({len(misses)}):")
        for language, line, got in misses:
            print(f"  {language} -> {got}: {line}")

    decisive = [line for line in AMBIGUOUS if (found := hub_object.identify(line)) is not None and found.decisive]
    print(f"\nambiguous lines the hub finds decisive: {len(decisive)} of {len(AMBIGUOUS)} {decisive}")


if __name__ == "__main__":
    main()
