"""Callback tasks (재통화): a promise to get back to a citizen, and the words that accept one.

A task is created when an agent resolves a conversation with the disposition `callback`, or when
a citizen accepts the hub's offer of a callback while their queue is closed. At its due time the
task reopens its conversation, queued with priority, so that an agent gets it as an ordinary offer
with the whole history at hand; the agent records how the callback went.

    pending ──due──► offered ──agent accepts──► in_progress ──outcome──► done
       ▲                                                          │
       └──────── no_answer, attempts left: due again later ◄──────┘

Pure: this module alone decides a task's state (`rescheduled`, `brought_back`, `taken`,
`outcome_recorded`); the hub stores tasks (store.callbacks).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from model.records import iso


class CallbackState(StrEnum):
    PENDING = "pending"
    """Waiting for its due time."""
    OFFERED = "offered"
    """Due: its conversation is queued for an agent."""
    IN_PROGRESS = "in_progress"
    """An agent has its conversation."""
    DONE = "done"
    """Closed with an outcome."""

    @property
    def open(self) -> bool:
        return self is not CallbackState.DONE


class CallbackOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    CANCELLED = "cancelled"


CALLBACK_STATES: tuple[str, ...] = tuple(state.value for state in CallbackState)
CALLBACK_OUTCOMES: tuple[str, ...] = tuple(outcome.value for outcome in CallbackOutcome)
CITIZEN = "citizen"
"""`created_by` of a task the citizen asked for."""


@dataclass(frozen=True)
class CallbackTask:
    id: str
    conversation_id: str
    contact_id: str
    queue: str
    channel: str
    """The channel to get back on: the conversation's."""
    need: str
    """What the citizen needs, with personal numbers masked."""
    due_at: datetime
    created_by: str
    """`agent:<username>` or `citizen`."""
    state: CallbackState
    created_at: datetime
    updated_at: datetime
    outcome: CallbackOutcome | None = None
    attempts: int = 0
    """Outcomes recorded so far: each is one try to reach the citizen."""
    agent: str | None = None
    """The username of the agent who has (or last had) it."""
    offered_at: datetime | None = None
    done_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "contact_id": self.contact_id,
            "queue": self.queue,
            "channel": self.channel,
            "need": self.need,
            "due_at": iso(self.due_at),
            "created_by": self.created_by,
            "state": self.state.value,
            "outcome": self.outcome.value if self.outcome else None,
            "attempts": self.attempts,
            "agent": self.agent,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "offered_at": iso(self.offered_at),
            "done_at": iso(self.done_at),
        }


@dataclass(frozen=True)
class CallbackSettings:
    max_attempts: int = 3
    """Tries (outcomes recorded) before a `no_answer` closes the task for good."""
    retry_after: timedelta = timedelta(hours=2)
    """How long after a `no_answer` the next try is due."""
    default_delay: timedelta = timedelta(hours=1)
    """When a callback is due if the agent gives no time and its queue is open now."""
    priority: int = 3
    """The priority a conversation gets when it is queued for its callback (urgent ones have 5)."""


def rescheduled(task: CallbackTask, due_at: datetime, need: str, now: datetime) -> CallbackTask:
    """The task promised again (a second `callback` on its conversation): pending, due at `due_at`."""
    return replace(task, state=CallbackState.PENDING, due_at=due_at, need=need or task.need, offered_at=None,
                   updated_at=now)  # fmt: skip


def brought_back(task: CallbackTask, now: datetime, held: bool) -> CallbackTask:
    """The task come due: offered while its conversation waits for an agent, in progress at
    once when an agent holds the conversation already (`held`)."""
    state = CallbackState.IN_PROGRESS if held else CallbackState.OFFERED
    return replace(task, state=state, offered_at=now, updated_at=now)


def taken(task: CallbackTask, now: datetime) -> CallbackTask:
    """The offered task's conversation accepted by an agent."""
    return replace(task, state=CallbackState.IN_PROGRESS, updated_at=now)


def outcome_recorded(
    task: CallbackTask, outcome: CallbackOutcome, now: datetime, settings: CallbackSettings
) -> CallbackTask:
    """The task after an agent's outcome: a `no_answer` with tries left is due again later;
    every other outcome, and the last `no_answer`, closes it."""
    attempts = task.attempts + 1
    if outcome is CallbackOutcome.NO_ANSWER and attempts < settings.max_attempts:
        return replace(
            task,
            state=CallbackState.PENDING,
            outcome=outcome,
            attempts=attempts,
            due_at=now + settings.retry_after,
            offered_at=None,
            updated_at=now,
        )
    return replace(task, state=CallbackState.DONE, outcome=outcome, attempts=attempts, done_at=now, updated_at=now)


_ACCEPT_WORDS = frozenset(
    {
        # ko
        "네", "예", "응", "좋아요", "네 좋아요", "재통화", "재통화 요청", "재통화 부탁해요", "전화 주세요",
        # en
        "yes", "yes please", "ok", "okay", "callback", "call back", "call me back", "request a callback",
        # zh
        "是", "是的", "好", "好的", "回电", "请回电", "要", "申请回电",
        # ja
        "はい", "お願いします", "はい お願いします", "折り返し", "折り返しお願いします", "コールバック",
        "折り返しを依頼",
        # vi
        "có", "vâng", "dạ", "đồng ý", "gọi lại", "gọi lại cho tôi", "yêu cầu gọi lại",
        # mn
        "тийм", "за", "тийм ээ", "буцааж залга", "буцааж залгаарай", "буцааж залгуулах",
    }
)  # fmt: skip
_EDGES = re.compile(r"^[\s.!?。！？~]+|[\s.!?。！？~]+$")


def accepts_callback(text: str, button: str | None = None) -> bool:
    """Whether a citizen's reply to the offer of a callback accepts it: the offer's button
    (`button`, its text in the citizen's language) or one of a few exact words in any of the
    hub's languages ("네", "yes", "はい", "gọi lại"…), case and end punctuation aside."""
    said = _normal(text)
    return said in _ACCEPT_WORDS or (button is not None and said == _normal(button))


def _normal(text: str) -> str:
    return " ".join(_EDGES.sub("", unicodedata.normalize("NFKC", text)).casefold().split())
