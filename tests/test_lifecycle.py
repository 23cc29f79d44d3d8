"""The conversation state machine: its table, the moves it refuses, and that nothing else
decides a conversation's state."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from model import ConversationState
from router.lifecycle import INITIAL, TRANSITIONS, Move, RefusedMove, moved, next_state
from tests.records import NOW, conversation

ROOT = Path(__file__).resolve().parents[1]
S = ConversationState


# Every pair the machine allows, written out once more by hand: a change to the table must
# change this too, on purpose.
EXPECTED = {
    (S.BOT, Move.QUEUE): S.QUEUED,
    (S.BOT, Move.ASSIGN): S.ASSIGNED,
    (S.BOT, Move.CITIZEN_LEAVE): S.RESOLVED,
    (S.QUEUED, Move.QUEUE): S.QUEUED,
    (S.QUEUED, Move.OFFER): S.OFFERED,
    (S.QUEUED, Move.ACCEPT): S.ASSIGNED,
    (S.QUEUED, Move.ASSIGN): S.ASSIGNED,
    (S.QUEUED, Move.CITIZEN_LEAVE): S.RESOLVED,
    (S.OFFERED, Move.QUEUE): S.QUEUED,
    (S.OFFERED, Move.OFFER_LAPSE): S.QUEUED,
    (S.OFFERED, Move.DECLINE): S.QUEUED,
    (S.OFFERED, Move.ACCEPT): S.ASSIGNED,
    (S.OFFERED, Move.ASSIGN): S.ASSIGNED,
    (S.OFFERED, Move.CITIZEN_LEAVE): S.RESOLVED,
    (S.ASSIGNED, Move.QUEUE): S.QUEUED,
    (S.ASSIGNED, Move.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, Move.AGENT_LOST): S.QUEUED,
    (S.ASSIGNED, Move.RESOLVE): S.RESOLVED,
    (S.ASSIGNED, Move.CITIZEN_LEAVE): S.ASSIGNED,
    (S.RESOLVED, Move.REOPEN): S.BOT,
}


def test_the_table_is_the_one_written_out() -> None:
    assert dict(TRANSITIONS) == EXPECTED
    assert INITIAL is S.BOT


@pytest.mark.parametrize(("state", "move"), sorted(EXPECTED))
def test_every_allowed_move_lands_where_the_table_says(state: ConversationState, move: Move) -> None:
    after = moved(conversation(state, queued_at=NOW), move, NOW, queue="water", agent_id="a1",
                  offer_expires_at=NOW + timedelta(seconds=30), disposition="resolved")  # fmt: skip
    assert after.state is EXPECTED[(state, move)]


REFUSED = sorted((state, move) for state in S for move in Move if (state, move) not in EXPECTED)


@pytest.mark.parametrize(("state", "move"), REFUSED)
def test_every_other_move_is_refused_with_a_conflict(state: ConversationState, move: Move) -> None:
    with pytest.raises(RefusedMove) as refused:
        moved(conversation(state), move, NOW)
    assert refused.value.status == 409 and state.value in refused.value.message
    with pytest.raises(RefusedMove):
        next_state(state, move)


def test_refusals_include_what_agents_try_most() -> None:
    # Resolving twice, claiming a conversation the bot still has, reopening an open one.
    for state, move in [(S.RESOLVED, Move.RESOLVE), (S.BOT, Move.ACCEPT), (S.QUEUED, Move.REOPEN),
                        (S.RESOLVED, Move.QUEUE), (S.BOT, Move.OFFER), (S.QUEUED, Move.RESOLVE)]:  # fmt: skip
        assert (state, move) in REFUSED


def test_the_fields_that_go_with_each_state() -> None:
    queued = moved(conversation(S.BOT), Move.QUEUE, NOW, queue="water")
    assert (queued.queue, queued.queued_at, queued.assigned_agent_id) == ("water", NOW, None)
    offered = moved(queued, Move.OFFER, NOW, agent_id="a1", offer_expires_at=NOW + timedelta(seconds=30))
    assert offered.assigned_agent_id == "a1" and offered.offer_expires_at == NOW + timedelta(seconds=30)
    lapsed = moved(offered, Move.OFFER_LAPSE, NOW)
    assert (lapsed.assigned_agent_id, lapsed.offer_expires_at, lapsed.queued_at) == (None, None, NOW)
    later = NOW + timedelta(minutes=1)
    accepted = moved(offered, Move.ACCEPT, later, agent_id="a1")
    assert accepted.answered_at == later and accepted.offer_expires_at is None
    lost = moved(accepted, Move.AGENT_LOST, later)
    assert (lost.assigned_agent_id, lost.queued_at, lost.answered_at) == (None, NOW, later)
    resolved = moved(accepted, Move.RESOLVE, later, disposition="directory")
    assert (resolved.resolved_at, resolved.disposition) == (later, "directory")
    reopened = moved(resolved, Move.REOPEN, later)
    assert (reopened.queue, reopened.answered_at, reopened.resolved_at, reopened.bot_failures) == (None, None, None, 0)


def test_a_citizen_who_leaves_a_queue_abandons_it_and_one_with_an_agent_stays() -> None:
    waiting = moved(conversation(S.QUEUED, queue="water", queued_at=NOW), Move.CITIZEN_LEAVE, NOW)
    assert waiting.state is S.RESOLVED and waiting.abandoned
    with_bot = moved(conversation(S.BOT), Move.CITIZEN_LEAVE, NOW)
    assert with_bot.state is S.RESOLVED and not with_bot.abandoned
    served = conversation(S.ASSIGNED, assigned_agent_id="a1")
    assert moved(served, Move.CITIZEN_LEAVE, NOW) == served


def _decides_state(node: ast.AST) -> bool:
    """`x.state = …`, or `replace(x, state=…)` / `Conversation(…, state=…)` building a record."""
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Attribute) and t.attr == "state" for t in targets)
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        return name in ("replace", "Conversation", "ConversationRow") and any(k.arg == "state" for k in node.keywords)
    return False


def test_a_conversation_state_is_assigned_in_one_module() -> None:
    """Only the state machine decides a conversation's state; the store's mapping copies it
    between record and row, and agents' presence (`agents.py`) is another state. The bot
    evaluation through Rasa builds a new conversation for each question and never stores it. A
    callback task has a state of its own, decided in `model/callbacks.py` and stored by `store/callbacks.py`."""
    allowed = {
        "router/lifecycle.py",
        "store/mapping.py",
        "store/agents.py",
        "store/conversations.py",
        "chatbot/evaluation/through_rasa.py",
        "model/callbacks.py",
        "store/callbacks.py",
    }
    found = []
    for package in ("model", "channels", "sign_video", "chatbot", "translation", "router", "store", "hub"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if ".venv" in relative or relative in allowed:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [f"{relative}:{node.lineno}" for node in ast.walk(tree) if _decides_state(node)]
    assert found == []
