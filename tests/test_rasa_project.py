"""Consistency of the Rasa project in chatbot/rasa/, checked without Rasa installed.

Rasa 3.6 lives in its own Python 3.10 virtualenv (chatbot/rasa/setup.sh); these tests only
read the project's YAML files (PyYAML) and the tokenizer's pure-Python splitting rules, so
they run in the hub's Python 3.11 environment in well under a second.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from model import CATEGORIES as MODEL_CATEGORIES
from model import LANGUAGES as MODEL_LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
RASA = ROOT / "chatbot" / "rasa"
LANGUAGES = list(MODEL_LANGUAGES)
CATEGORIES = set(MODEL_CATEGORIES)
# Rasa's own actions, usable in rules and stories without being declared.
DEFAULT_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "action_extract_slots",
}
_ANNOTATION = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_SCRIPT = {
    "ko": re.compile(r"[\uac00-\ud7a3]"),
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ja": re.compile(r"[\u3040-\u30ff]"),
    "mn": re.compile(r"[\u0400-\u04ff]"),
    "vi": re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE),
    "en": re.compile(r"[a-z]", re.IGNORECASE),
}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _examples(path: Path) -> dict[str, list[str]]:
    """Intent → raw examples (with entity annotations) of one Rasa NLU YAML file."""
    found: dict[str, list[str]] = {}
    for block in _load(path).get("nlu", []):
        if "intent" in block:
            lines = [line.strip()[2:] for line in str(block["examples"]).splitlines() if line.strip().startswith("- ")]
            found.setdefault(block["intent"], []).extend(lines)
    return found


def _plain(example: str) -> str:
    return _ANNOTATION.sub(lambda m: m.group(1), example)


def _normal(text: str) -> str:
    """Comparison key: case, width, punctuation and spacing do not make a message new."""
    text = unicodedata.normalize("NFKC", _plain(text)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


@pytest.fixture(scope="module")
def domain() -> dict:
    return _load(RASA / "domain.yml")


@pytest.fixture(scope="module")
def training() -> dict[str, dict[str, list[str]]]:
    return {language: _examples(RASA / "data" / "nlu" / f"{language}.yml") for language in LANGUAGES}


@pytest.fixture(scope="module")
def heldout() -> dict[str, dict[str, list[str]]]:
    return {language: _examples(RASA / "tests" / "heldout" / f"{language}.yml") for language in LANGUAGES}


@pytest.fixture(scope="module")
def segment():
    """chatbot/rasa/dasan_nlu/segment.py, loaded by path (it is not part of the hub package)."""
    spec = importlib.util.spec_from_file_location("dasan_nlu_segment", RASA / "dasan_nlu" / "segment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dialogue_steps(path: Path, key: str) -> list[dict]:
    steps = []
    for item in _load(path).get(key, []):
        steps.extend(item.get("condition", []) or [])
        steps.extend(item.get("steps", []) or [])
    return steps


def test_every_domain_intent_has_examples_in_all_six_languages(domain, training):
    for language in LANGUAGES:
        for intent in domain["intents"]:
            examples = training[language].get(intent, [])
            minimum = 20 if language == "ko" else 12
            assert len(examples) >= minimum, f"{language}.yml: {intent} has {len(examples)} examples (< {minimum})"


def test_training_files_use_only_domain_intents_and_their_own_language(domain, training):
    for language, intents in training.items():
        assert set(intents) <= set(domain["intents"]), (
            f"{language}.yml: unknown intents {set(intents) - set(domain['intents'])}"
        )
        script = _SCRIPT[language]
        examples = [e for lines in intents.values() for e in lines]
        in_script = sum(1 for e in examples if script.search(e))
        # Short English words (bye, hi, thanks) are typed in every language; most must not be.
        assert in_script / len(examples) > 0.85, f"{language}.yml: only {in_script}/{len(examples)} in its script"


def test_no_message_is_labelled_with_two_intents(training):
    label: dict[str, tuple[str, str]] = {}
    for language, intents in training.items():
        for intent, lines in intents.items():
            for line in lines:
                key = _normal(line)
                if key in label and label[key][1] != intent:
                    pytest.fail(f"{line!r} is {intent} in {language}.yml and {label[key][1]} in {label[key][0]}.yml")
                label[key] = (language, intent)


def test_heldout_sets_are_large_enough_and_cover_every_intent(domain, heldout):
    for language in LANGUAGES:
        total = sum(len(lines) for lines in heldout[language].values())
        assert total >= 30, f"tests/heldout/{language}.yml has {total} examples (< 30)"
        assert set(heldout[language]) == set(domain["intents"]), f"tests/heldout/{language}.yml misses intents"


def test_heldout_messages_never_appear_in_training(training, heldout):
    trained = {_normal(line) for intents in training.values() for lines in intents.values() for line in lines}
    seen: set[str] = set()
    for language, intents in heldout.items():
        for lines in intents.values():
            for line in lines:
                key = _normal(line)
                assert key not in trained, f"held-out {language} message is in the training data: {line!r}"
                # evaluate.py tells languages apart by the message text.
                assert key not in seen, f"held-out message appears twice: {line!r}"
                seen.add(key)


def test_heldout_data_is_outside_the_training_data_directory():
    assert not (RASA / "data" / "heldout").exists()
    assert (RASA / "tests" / "heldout").is_dir()
    trained_files = {p.resolve() for p in (RASA / "data").rglob("*.yml")}
    assert not any(p.resolve() in trained_files for p in (RASA / "tests" / "heldout").glob("*.yml"))


def test_every_action_in_rules_and_stories_is_in_the_domain(domain):
    known = set(domain.get("actions", [])) | set(domain.get("responses", {})) | set(domain.get("forms", {}))
    known |= DEFAULT_ACTIONS
    intents = set(domain["intents"]) | {"nlu_fallback"}
    for path, key in ((RASA / "data" / "rules.yml", "rules"), (RASA / "data" / "stories.yml", "stories")):
        for step in _dialogue_steps(path, key):
            if "action" in step:
                assert step["action"] in known, f"{path.name}: action {step['action']} is not in the domain"
            if "active_loop" in step and step["active_loop"] is not None:
                assert step["active_loop"] in domain["forms"], f"{path.name}: unknown form {step['active_loop']}"
            for alternative in step.get("or", []):
                if "intent" in alternative:
                    assert alternative["intent"] in intents, f"{path.name}: unknown intent {alternative['intent']}"
            if "intent" in step:
                assert step["intent"] in intents, f"{path.name}: unknown intent {step['intent']}"


def test_rasa_calls_the_hubs_action_server():
    # That the server runs exactly the domain's actions: test_actions.py.
    endpoints = _load(RASA / "endpoints.yml")
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"


def test_responses_exist_in_six_languages(domain):
    for name, variations in domain["responses"].items():
        defaults = [v for v in variations if not v.get("condition")]
        assert len(defaults) == 1, f"{name}: needs exactly one unconditional (Korean) variation"
        assert _SCRIPT["ko"].search(defaults[0]["text"]), f"{name}: the default variation must be Korean"
        by_language = {}
        for variation in variations:
            for condition in variation.get("condition") or []:
                assert condition["type"] == "slot" and condition["name"] == "language", f"{name}: {condition}"
                by_language[condition["value"]] = variation
        assert set(by_language) == set(LANGUAGES) - {"ko"}, f"{name}: languages {sorted(by_language)}"
        for language, variation in by_language.items():
            assert _SCRIPT[language].search(variation["text"]), f"{name}/{language}: text is not in {language}"
            # Same placeholders in every language ({report_id}).
            assert set(re.findall(r"{(\w+)}", variation["text"])) == set(re.findall(r"{(\w+)}", defaults[0]["text"]))


def test_handoff_buttons_use_the_hub_wording_and_intent(domain):
    for name, variations in domain["responses"].items():
        for variation in variations:
            if not variation.get("buttons"):
                continue
            conditions = variation.get("condition") or []
            language = conditions[0]["value"] if conditions else "ko"
            hub_text = json.loads((ROOT / "model" / "messages" / f"{language}.json").read_text(encoding="utf-8"))
            assert [b["title"] for b in variation["buttons"]] == [hub_text["action.ask_person"]], f"{name}/{language}"
            assert [b["payload"] for b in variation["buttons"]] == ["/ask_person"]


def test_form_slots_and_asks(domain):
    required = domain["forms"]["report_form"]["required_slots"]
    assert set(required) == {"location", "time", "details"}
    for slot in required:
        assert f"utter_ask_report_form_{slot}" in domain["responses"]
    slots = domain["slots"]
    assert slots["language"]["values"] == LANGUAGES
    assert set(slots["category"]["values"]) == CATEGORIES
    assert slots["language"]["mappings"] == [{"type": "custom", "action": "action_set_language"}]


def test_every_faq_and_report_intent_sets_a_category(domain):
    mapped = {m["intent"]: m["value"] for m in domain["slots"]["category"]["mappings"]}
    for intent in domain["intents"]:
        if intent.startswith(("faq_", "report_")) or intent == "phone_directory":
            assert mapped.get(intent) in CATEGORIES, f"{intent} sets no category"
    for category in CATEGORIES:
        assert mapped.get(f"faq_{category}") == category


def test_pipeline_does_not_use_whitespace_tokenizer_and_declares_a_multilingual_language():
    config = _load(RASA / "config.yml")
    names = [component["name"] for component in config["pipeline"]]
    assert names[0] == "dasan_nlu.tokenizer.MultilingualTokenizer"
    assert "WhitespaceTokenizer" not in names
    assert config["language"] == "xx"
    policies = {policy["name"] for policy in config["policies"]}
    assert {"RulePolicy", "MemoizationPolicy", "TEDPolicy"} <= policies


def test_tokenizer_keeps_hangul_cjk_and_kana(segment):
    pieces = lambda text: [piece for piece, _ in segment.split_words(text)]  # noqa: E731
    assert pieces("강남역 2번 출구 앞에 불법주차!") == ["강남역", "2번", "출구", "앞에", "불법주차"]
    assert pieces("江南区停车") == ["江", "南", "区", "停", "车"]
    assert pieces("地下鉄で財布をなくしました") == ["地", "下", "鉄", "で", "財", "布", "をなくしました"]
    assert pieces("Tôi ở Mapo-gu, lúc 10:30.") == ["Tôi", "ở", "Mapo-gu", "lúc", "10:30"]
    assert pieces("Усны төлбөр хэд вэ?") == ["Усны", "төлбөр", "хэд", "вэ"]
    assert pieces("👍 ok") == ["ok"]
    text = "마포구 합정동"
    assert all(text[start : start + len(piece)] == piece for piece, start in segment.split_words(text))


def test_entity_annotations_line_up_with_tokenizer_pieces(segment, domain):
    """DIET ignores (and Rasa warns about) an entity that starts or ends inside a piece."""
    for language in LANGUAGES:
        for lines in _examples(RASA / "data" / "nlu" / f"{language}.yml").values():
            for line in lines:
                plain, spans, offset = "", [], 0
                for match in _ANNOTATION.finditer(line):
                    plain += line[offset : match.start()]
                    spans.append((len(plain), len(plain) + len(match.group(1)), match.group(2)))
                    plain += match.group(1)
                    offset = match.end()
                plain += line[offset:]
                starts = {start for _, start in segment.split_words(plain)}
                ends = {start + len(piece) for piece, start in segment.split_words(plain)}
                for start, end, entity in spans:
                    assert entity in domain["entities"], f"{language}: unknown entity {entity}"
                    assert start in starts and end in ends, f"{language}: misaligned {plain[start:end]!r} in {plain!r}"
