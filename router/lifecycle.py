"""The conversation state machine: the one place that decides a conversation's state.

`TRANSITIONS` is the whole machine: which move takes a conversation from which state to
which. `moved` applies a move to a conversation record and returns the record as it is
afterwards, with the fields that go with the new state (queue, agent, offer deadline,
times, disposition). Anything not in the table is refused with a 409 that says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from model import Conversation, ConversationState
from model.errors import HubError

BOT, QUEUED, OFFERED, ASSIGNED, RESOLVED = (
    ConversationState.BOT,
    ConversationState.QUEUED,
    ConversationState.OFFERED,
    ConversationState.ASSIGNED,
    ConversationState.RESOLVED,
)

INITIAL = BOT
"""Every conversation starts with the bot; people-only queues hand it over at once."""


class Move(StrEnum):
    """What can happen to a conversation."""

    QUEUE = "queue"
    """Handed off by the bot, transferred to a queue, or reopened for a person."""
    OFFER = "offer"
    """Reserved for one available agent, who has a while to accept."""
    OFFER_LAPSE = "offer_lapse"
    """The offered agent did not accept in time."""
    DECLINE = "decline"
    """The offered agent declines: back to the front of the queue, for another agent."""
    ACCEPT = "accept"
    """An agent accepts the offer, or takes the conversation from its queue."""
    ASSIGN = "assign"
    """Transferred straight to a named agent."""
    AGENT_LOST = "agent_lost"
    """The agent's side of a video call was lost: back to the front of the queue, for another."""
    RESOLVE = "resolve"
    """The agent closes it with a disposition."""
    CITIZEN_LEAVE = "citizen_leave"
    """The citizen closed the chat: a waiting one is abandoned, a bot one ends; an assigned
    one stays with the agent, who still resolves it with a disposition."""
    REOPEN = "reopen"
    """A new message within the reopen window: back to the bot (which may queue it again)."""


TRANSITIONS: Mapping[tuple[ConversationState, Move], ConversationState] = {
    (BOT, Move.QUEUE): QUEUED,
    (BOT, Move.ASSIGN): ASSIGNED,
    (BOT, Move.CITIZEN_LEAVE): RESOLVED,
    (QUEUED, Move.QUEUE): QUEUED,
    (QUEUED, Move.OFFER): OFFERED,
    (QUEUED, Move.ACCEPT): ASSIGNED,
    (QUEUED, Move.ASSIGN): ASSIGNED,
    (QUEUED, Move.CITIZEN_LEAVE): RESOLVED,
    (OFFERED, Move.QUEUE): QUEUED,
    (OFFERED, Move.OFFER_LAPSE): QUEUED,
    (OFFERED, Move.DECLINE): QUEUED,
    (OFFERED, Move.ACCEPT): ASSIGNED,
    (OFFERED, Move.ASSIGN): ASSIGNED,
    (OFFERED, Move.CITIZEN_LEAVE): RESOLVED,
    (ASSIGNED, Move.QUEUE): QUEUED,
    (ASSIGNED, Move.ASSIGN): ASSIGNED,
    (ASSIGNED, Move.AGENT_LOST): QUEUED,
    (ASSIGNED, Move.RESOLVE): RESOLVED,
    (ASSIGNED, Move.CITIZEN_LEAVE): ASSIGNED,
    (RESOLVED, Move.REOPEN): BOT,
}

_WHAT = {
    Move.QUEUE: "be queued",
    Move.OFFER: "be offered",
    Move.OFFER_LAPSE: "have its offer lapse",
    Move.DECLINE: "be declined; only an offer can",
    Move.ACCEPT: "be claimed",
    Move.ASSIGN: "be transferred",
    Move.AGENT_LOST: "lose its agent; only an assigned conversation can",
    Move.RESOLVE: "be answered or resolved; only an assigned conversation can",
    Move.CITIZEN_LEAVE: "be left",
    Move.REOPEN: "be reopened",
}


class RefusedMove(HubError):
    """The move is not in the table for the conversation's state."""

    def __init__(self, state: ConversationState, move: Move) -> None:
        super().__init__(409, "conflict", f"The conversation is {state.value} and cannot {_WHAT[move]}.")
        self.state = state
        self.move = move


def next_state(state: ConversationState, move: Move) -> ConversationState:
    """The state `move` leads to from `state`; raises `RefusedMove` when the table has none."""
    try:
        return TRANSITIONS[(state, move)]
    except KeyError:
        raise RefusedMove(state, move) from None


def moved(
    conversation: Conversation,
    move: Move,
    now: datetime,
    *,
    queue: str | None = None,
    agent_id: str | None = None,
    offer_expires_at: datetime | None = None,
    disposition: str | None = None,
) -> Conversation:
    """`conversation` after `move`: its new state and the fields that go with it."""
    state = next_state(conversation.state, move)
    if move is Move.QUEUE:
        return replace(
            conversation,
            state=state,
            queue=queue or conversation.queue,
            assigned_agent_id=None,
            assigned_agent=None,
            offer_expires_at=None,
            queued_at=conversation.queued_at or now,
        )
    if move is Move.OFFER:
        return replace(conversation, state=state, assigned_agent_id=agent_id, offer_expires_at=offer_expires_at)
    if move in (Move.OFFER_LAPSE, Move.DECLINE, Move.AGENT_LOST):
        # It keeps its place: it waited as long as before, so it stays at the front.
        return replace(conversation, state=state, assigned_agent_id=None, assigned_agent=None, offer_expires_at=None)
    if move in (Move.ACCEPT, Move.ASSIGN):
        return replace(
            conversation,
            state=state,
            assigned_agent_id=agent_id,
            offer_expires_at=None,
            answered_at=conversation.answered_at or now,
        )
    if move is Move.RESOLVE:
        return replace(conversation, state=state, resolved_at=now, disposition=disposition)
    if move is Move.CITIZEN_LEAVE:
        if state is ASSIGNED:
            return conversation
        return replace(
            conversation,
            state=state,
            resolved_at=now,
            assigned_agent_id=None,
            assigned_agent=None,
            offer_expires_at=None,
            abandoned=conversation.state.waiting,
        )
    # REOPEN: a fresh start with the bot; the times of the last round no longer count.
    return replace(
        conversation,
        state=state,
        queue=None,
        resolved_at=None,
        disposition=None,
        answered_at=None,
        first_response_at=None,
        queued_at=None,
        abandoned=False,
        bot_failures=0,
    )
