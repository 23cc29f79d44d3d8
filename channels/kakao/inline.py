"""Which outbound messages a skill response carried, so the outbox does not send them again.

The outbox calls `deliver` for every outbound message, the bot's answer included. That
answer goes to the citizen in the skill response itself, and `deliver` may run before or
after the handler has worked out which messages its response carries. So each skill
request opens a turn for its sender; `deliver` for a bot or system message waits until
the sender's open turns are settled, then asks whether one of them carried the message.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from model import Author
from model.clock import utcnow

# Ids are forgotten once `deliver` asked about them; this bounds the ones it never asks about.
REMEMBERED = 10_000
SLACK = timedelta(seconds=1)
INLINE_AUTHORS = (Author.BOT, Author.SYSTEM)
"""Whose replies a skill response carries: they are written while the request waits."""


def held_id(message_id: str) -> str:
    """The provider id a held message is stored with, so that it can be held again."""
    return f"held-{message_id}"


class Turn:
    """One skill request, from its arrival until it knows what its response carried."""

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.began = utcnow()
        self.settled = asyncio.Event()


class InlineAnswers:
    """The turns open per sender and the message ids their responses carried; the inbound
    side opens and settles turns, the outbound side asks."""

    def __init__(self) -> None:
        self._open: dict[str, set[Turn]] = defaultdict(set)
        self._carried: OrderedDict[str, None] = OrderedDict()

    def begin(self, sender: str) -> Turn:
        """A skill request from `sender` arrived; its replies are not decided yet."""
        turn = Turn(sender)
        self._open[sender].add(turn)
        return turn

    def settle(self, turn: Turn, carried: Iterable[str] = ()) -> None:
        """The request's response carried these message ids (or none). Only the first call counts."""
        if turn.settled.is_set():
            return
        for message_id in carried:
            self._carried[message_id] = None
        while len(self._carried) > REMEMBERED:
            self._carried.popitem(last=False)
        turn.settled.set()
        turns = self._open.get(turn.sender)
        if turns is not None:
            turns.discard(turn)
            if not turns:
                del self._open[turn.sender]

    async def carried(self, sender: str, message_id: str, created_at: datetime, wait: float) -> bool:
        """Whether a skill response carried the message, once the sender's open turns settle.

        A message older than a turn cannot be among its replies: for it, no need to wait.
        """
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=timezone.utc)
        # The slack covers a store that keeps times less precisely than the clock gives them.
        turns = [turn for turn in self._open.get(sender, ()) if turn.began - SLACK <= created_at]
        if turns and message_id not in self._carried:
            waiters = [asyncio.create_task(turn.settled.wait()) for turn in turns]
            try:
                await asyncio.wait(waiters, timeout=wait)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        if message_id not in self._carried:
            return False
        del self._carried[message_id]
        return True
