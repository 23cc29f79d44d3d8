"""The outbox: every outbound message is stored before it is sent, then sent until it goes.

A message waits as `queued` in the store. The outbox hands the oldest queued message of each
conversation to its channel (so a conversation's replies arrive in order), keeps to each
provider's rate, gives every send a timeout, and retries with exponential backoff and
jitter up to a limit; then the message is `failed` with the reason, for the agent to see.
Whatever is still queued when the hub stops is sent after it starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from channels.base import Delivered, DeliveryFailed, OutboundChannel
from hub.bus import EventBus, MessageAdded, MessageChanged
from model import Channel, Conversation, Direction, Message, MessageStatus
from model.clock import utcnow
from store import conversations
from store.conversations import DeliveryAttempt
from store.db import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 8
    first_retry_seconds: float = 1.0
    max_retry_seconds: float = 300.0
    sweep_seconds: float = 1.0
    """How often the outbox looks for retries that have come due."""
    burst_pause_seconds: float = 0.01
    """A short wait after a wake-up, so one round sends a whole burst of replies."""


@dataclass(frozen=True)
class _Outcome:
    message: Message
    conversation: Conversation
    delivered: Delivered | None = None
    failure: DeliveryFailed | None = None


class RateLimit:
    """A token bucket: at most `rate` sends a second, in bursts of up to one second's worth."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._tokens = max(1.0, rate)
        self._updated = asyncio.get_running_loop().time()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            self._tokens = min(max(1.0, self._rate), self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens < 1.0:
                await asyncio.sleep((1.0 - self._tokens) / self._rate)
                self._tokens, self._updated = 1.0, loop.time()
            self._tokens -= 1.0


def backoff(attempts: int, settings: OutboxSettings, retry_after: float | None = None) -> float:
    """Seconds before the next try: doubling per attempt, with jitter so retries spread out."""
    ceiling = min(settings.max_retry_seconds, settings.first_retry_seconds * 2 ** max(0, attempts - 1))
    delay = ceiling * random.uniform(0.5, 1.0)
    return max(delay, retry_after or 0.0)


class Outbox:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        channels: Mapping[Channel, OutboundChannel],
        settings: OutboxSettings | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self._channels = channels
        self.settings = settings or OutboxSettings()
        self._wake = asyncio.Event()
        self._limits: dict[Channel, RateLimit] = {}
        self._sending: dict[str, asyncio.Task[None]] = {}
        """Conversation id → the send of its head message now under way."""
        self._unrecorded: list[tuple[_Outcome, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Send until cancelled; wakes on every new outbound message and on a slow clock."""
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the
                # cancellation that stops the hub when the wake-up arrives at the same moment.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.sweep_seconds):
                        await self._wake.wait()
                await asyncio.sleep(self.settings.burst_pause_seconds)
                self._wake.clear()
                try:
                    await self.start_due()
                except Exception:
                    log.exception("outbox round failed")
        finally:
            unfinished = [listener, *self._sending.values()]
            if self._recorder is not None:
                unfinished.append(self._recorder)  # last: the sends above wait on it
            for task in unfinished:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _listen(self) -> None:
        async with self._bus.subscribe() as events:
            async for event in events:
                if isinstance(event, MessageAdded) and event.message.direction is Direction.OUT:
                    self._wake.set()

    async def start_due(self) -> int:
        """Start sending the head of each conversation's queue that is due and not already
        on its way. Each send runs on its own, so a slow provider holds up only its own
        conversations. Returns how many sends started."""
        # A conversation busy when the read starts may be read as it was before its send was
        # recorded: leave it to the next round, which its own send wakes.
        busy = set(self._sending)
        heads = [
            (conversation, message)
            for conversation, message in await self._due_heads(utcnow())
            if conversation.id not in busy and conversation.id not in self._sending
        ]
        for conversation, message in heads:
            self._sending[conversation.id] = asyncio.create_task(self._send_and_record(conversation, message))
        return len(heads)

    async def _send_and_record(self, conversation: Conversation, message: Message) -> None:
        try:
            outcome = await self._send(conversation, message)
            await self._record(outcome)
            if outcome.delivered is not None:
                self._wake.set()  # the conversation's next message may be waiting
        except Exception:
            log.exception("outbox failed on message %s", message.id)
        finally:
            del self._sending[conversation.id]

    async def _due_heads(self, now: datetime) -> list[tuple[Conversation, Message]]:
        async with self._store.read() as session:
            return await conversations.due_outbound(session, now)

    async def _send(self, conversation: Conversation, message: Message) -> _Outcome:
        outbound = self._channels.get(conversation.channel)
        if outbound is None:
            failure = DeliveryFailed(f"the {conversation.channel} channel is not running", retryable=True)
            return _Outcome(message, conversation, failure=failure)
        if conversation.channel not in self._limits:
            self._limits[conversation.channel] = RateLimit(outbound.sends_per_second)
        await self._limits[conversation.channel].take()
        try:
            async with asyncio.timeout(outbound.send_timeout):
                delivered = await outbound.deliver(conversation, message)
            return _Outcome(message, conversation, delivered=delivered)
        except DeliveryFailed as failure:
            return _Outcome(message, conversation, failure=failure)
        except TimeoutError:
            failure = DeliveryFailed(f"no answer from {conversation.channel} within {outbound.send_timeout:g} s")
            return _Outcome(message, conversation, failure=failure)
        except Exception as error:  # a channel's bug must not stop every other message
            log.exception("delivering message %s failed", message.id)
            return _Outcome(message, conversation, failure=DeliveryFailed(f"{type(error).__name__}: {error}"))

    async def _record(self, outcome: _Outcome) -> None:
        """Write the outcome; returns once it is stored. Outcomes that arrive together share
        one transaction (SQLite has one writer, and a burst of replies is common)."""
        done = asyncio.get_running_loop().create_future()
        self._unrecorded.append((outcome, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_batch())
        await done

    async def _record_batch(self) -> None:
        await asyncio.sleep(self.settings.burst_pause_seconds)
        while self._unrecorded:  # outcomes that arrive while a batch is written go next
            await self._record_outcomes()

    async def _record_outcomes(self) -> None:
        batch, self._unrecorded = self._unrecorded, []
        try:
            messages = await self._write(now=utcnow(), outcomes=[outcome for outcome, _ in batch])
        except Exception as error:
            for _, done in batch:
                if not done.done():  # a sender cancelled at shutdown no longer waits
                    done.set_exception(error)
            return
        for _, done in batch:
            if not done.done():
                done.set_result(None)
        by_id = {outcome.message.id: outcome.conversation for outcome, _ in batch}
        self._bus.publish(*(MessageChanged(by_id[m.id], m) for m in messages))

    async def _write(self, now: datetime, outcomes: list[_Outcome]) -> list[Message]:
        async with self._store.write() as session:
            return await conversations.record_attempts(session, [self._attempt(outcome, now) for outcome in outcomes])

    def _attempt(self, outcome: _Outcome, now: datetime) -> DeliveryAttempt:
        """What one outcome leaves its message as: sent or delivered, queued for a retry after
        a backoff, or failed for good."""
        message_id = outcome.message.id
        if outcome.delivered is not None:
            delivered = outcome.delivered
            return DeliveryAttempt(message_id, delivered.status, provider_message_id=delivered.provider_message_id)
        failure = outcome.failure
        assert failure is not None
        attempts = outcome.message.attempts + 1
        error = failure.reason[:500]
        if not failure.retryable or attempts >= self.settings.max_attempts:
            log.warning("message %s failed after %d attempts: %s", message_id, attempts, failure.reason)
            return DeliveryAttempt(message_id, MessageStatus.FAILED, error)
        retry_at = now + timedelta(seconds=backoff(attempts, self.settings, failure.retry_after))
        return DeliveryAttempt(message_id, MessageStatus.QUEUED, error, next_attempt_at=retry_at)
