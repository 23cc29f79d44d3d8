"""The built-in bot and the Rasa assistant on the same labelled questions, through the real
Rasa server and action server (`python -m chatbot.evaluation.through_rasa`), on a slice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatbot.builtin import ANSWER_THRESHOLD, KnowledgeBot
from chatbot.evaluation.assistant import running_assistant
from chatbot.evaluation.questions import Question, read_questions, split
from chatbot.evaluation.run import demo_knowledge, evaluate
from chatbot.evaluation.scoring import Verdict
from chatbot.evaluation.through_rasa import Route, first_per_language, side_by_side, through_rasa
from model import LANGUAGES
from translation.langid import LanguageIdentifier

pytestmark = pytest.mark.rasa
PLAIN_KOREAN = Question("ko", "따릉이 대여 방법 알려주세요", "transport-001")


async def test_rasa_is_measured_beside_the_built_in_bot_in_every_language(tmp_path: Path) -> None:
    calibration, _ = split(read_questions())
    questions = [*first_per_language(calibration, 3), PLAIN_KOREAN]
    knowledge, written = demo_knowledge()
    identifier = LanguageIdentifier()
    builtin = await evaluate(KnowledgeBot(knowledge), identifier, questions, written)
    async with running_assistant(knowledge, tmp_path) as url:
        rasa = await through_rasa(url, identifier, questions, written, "slice")

    table = side_by_side(builtin, rasa)
    rows = {line.split()[0] for line in table.splitlines() if re.match(r"^ *(ko|en|zh|ja|vi|mn|all) +\d", line)}
    assert rows == {*LANGUAGES, "all"}, table
    ours, theirs = builtin[-1], rasa[-1]
    assert (ours.found, ours.verdict(ANSWER_THRESHOLD)) == ("transport-001", Verdict.CORRECT)
    assert (theirs.route, theirs.outcome.found) == (Route.ARTICLE, ours.found)
