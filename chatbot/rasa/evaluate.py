"""Held-out NLU evaluation per language: the first half of `make bot-eval`.

(The second half, `python -m chatbot.evaluation.through_rasa` from the hub's environment,
measures what the assistant answers: the article, beside the built-in bot's.)

Runs `rasa test nlu` once on tests/heldout/ (all six files; none of it is training data),
then splits Rasa's own prediction files (intent_successes.json, intent_errors.json) by
the language file each message came from and prints, per language:

- intent accuracy: the top intent Rasa predicts (what `rasa test nlu` scores; Rasa
  undoes FallbackClassifier's nlu_fallback before scoring),
- answered: the share that is both correct and above the FallbackClassifier threshold,
  i.e. what a citizen would get without falling back to the knowledge-base search,
- the confusions.

Runs with the Rasa virtualenv's Python (it needs Rasa's PyYAML, nothing else):
    .venv-rasa/bin/python chatbot/rasa/evaluate.py [--model models/dasan.tar.gz]
Writes results/heldout/per_language.json beside Rasa's own reports.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
LANGUAGES = ["ko", "en", "zh", "ja", "vi", "mn"]
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)|\[([^\]]+)\]\{[^}]+\}")


def plain_text(example: str) -> str:
    """The message as a citizen types it: entity annotations removed."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example).strip()


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) for every example in a Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((block["intent"], plain_text(line[2:])))
    return pairs


def fallback_threshold() -> float:
    config = yaml.safe_load((HERE / "config.yml").read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.0


def run_rasa_test(model: Path, out: Path) -> float:
    rasa = Path(sys.executable).with_name("rasa")
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    command = [
        str(rasa),
        "test",
        "nlu",
        "--model",
        str(model),
        "--nlu",
        str(HERE / "tests" / "heldout"),
        "--out",
        str(out),
        "--successes",
        "--no-plot",
    ]
    print("$", " ".join(command), flush=True)
    start = time.monotonic()
    subprocess.run(command, cwd=HERE, env=env, check=True)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=HERE / "models" / "dasan.tar.gz")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "heldout")
    parser.add_argument("--skip-test", action="store_true", help="reuse the prediction files already in --out")
    args = parser.parse_args()

    if not args.skip_test:
        if not args.model.exists():
            print(f"evaluate.py: no model at {args.model}; run chatbot/rasa/train.sh first", file=sys.stderr)
            return 1
        seconds = run_rasa_test(args.model, args.out)
        print(f"rasa test nlu took {seconds:.0f} s")

    language_of: dict[str, str] = {}
    expected: dict[str, list[tuple[str, str]]] = {}
    for language in LANGUAGES:
        examples = load_examples(HERE / "tests" / "heldout" / f"{language}.yml")
        expected[language] = examples
        for _intent, text in examples:
            language_of[text] = language

    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = args.out / name
        if path.exists():
            predictions.extend(json.loads(path.read_text(encoding="utf-8")))
    threshold = fallback_threshold()

    per_language: dict[str, dict] = {}
    for language in LANGUAGES:
        rows = [p for p in predictions if language_of.get(p["text"].strip()) == language]
        correct = [p for p in rows if p["intent"] == (p.get("intent_prediction") or {}).get("name")]
        answered = [p for p in correct if (p["intent_prediction"].get("confidence") or 0) >= threshold]
        confusions = collections.Counter(
            f"{p['intent']} → {p['intent_prediction'].get('name')}" for p in rows if p not in correct
        )
        per_language[language] = {
            "examples": len(expected[language]),
            "scored": len(rows),
            "intent_accuracy": round(len(correct) / len(rows), 4) if rows else None,
            "answered_above_fallback": round(len(answered) / len(rows), 4) if rows else None,
            "confusions": dict(confusions.most_common()),
        }

    all_rows = sum(v["scored"] for v in per_language.values())
    all_correct = sum(round((v["intent_accuracy"] or 0) * v["scored"]) for v in per_language.values())
    print()
    print(f"Held-out intent accuracy per language (fallback threshold {threshold}):")
    print(f"{'lang':<5}{'n':>5}{'accuracy':>10}{'answered':>10}  confusions (expected → predicted)")
    for language, result in per_language.items():
        accuracy = result["intent_accuracy"]
        answered = result["answered_above_fallback"]
        confusions = ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in result["confusions"].items())
        print(
            f"{language:<5}{result['scored']:>5}"
            f"{(f'{accuracy:.1%}' if accuracy is not None else '-'):>10}"
            f"{(f'{answered:.1%}' if answered is not None else '-'):>10}  {confusions}"
        )
    if all_rows:
        print(f"{'all':<5}{all_rows:>5}{all_correct / all_rows:>10.1%}")
    missing = sum(v["examples"] - v["scored"] for v in per_language.values())
    if missing:
        print(f"warning: {missing} held-out messages had no prediction (text mismatch?)", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"fallback_threshold": threshold, "languages": per_language}
    (args.out / "per_language.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nWrote {args.out / 'per_language.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
