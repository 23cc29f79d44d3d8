"""The outbox's retry and rate policies."""

from __future__ import annotations

import asyncio

from hub.delivery import OutboxSettings, RateLimit, backoff


def test_backoff_doubles_with_jitter_up_to_a_ceiling() -> None:
    settings = OutboxSettings(first_retry_seconds=1.0, max_retry_seconds=60.0)
    for attempts, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (9, 60.0), (30, 60.0)):
        delays = [backoff(attempts, settings) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), attempts
        assert len({round(d, 6) for d in delays}) > 100  # jitter spreads retries out
    assert backoff(1, settings, retry_after=17.0) == 17.0  # the provider's own retry-after wins


async def test_rate_limit_spaces_sends() -> None:
    limit = RateLimit(20.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(41):
        await limit.take()
    elapsed = loop.time() - started
    # A burst of 20 at once, then one every 50 ms: 21 more take about a second.
    assert 0.9 <= elapsed <= 1.6
