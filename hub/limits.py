"""Rate limits: token buckets per client address (at the citizens' doors and the login), per
sender and per conversation (citizens' messages; agents' replies are never limited).

Each hub process counts in its own memory (a shared count comes with the Redis bus): behind
a balancer of N processes a client gets up to N times the rate. Buckets idle long enough to
be full again are forgotten, and at most `max_buckets` are kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from hub.security import Network, client_address, parse_networks
from model import Inbound
from model.errors import TooManyRequests

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    """`per_minute` on average, up to `burst` at once."""

    per_minute: float
    burst: int

    @classmethod
    def parse(cls, text: str, name: str) -> "Rate":
        """`PER_MINUTE/BURST` (`60/20`) or `PER_MINUTE` (the burst is then the same). ValueError names `name`."""
        try:
            rate, _, burst = text.partition("/")
            per_minute = float(rate)
            parsed = cls(per_minute, int(burst) if burst else max(1, int(per_minute)))
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not PER_MINUTE or PER_MINUTE/BURST") from None
        if parsed.per_minute <= 0 or parsed.burst < 1:
            raise ValueError(f"{name}: the rate and the burst must be positive")
        return parsed


@dataclass(frozen=True)
class LimitSettings:
    """`DASAN_RATE_*` and `DASAN_TRUSTED_PROXIES`."""

    per_address: Rate = Rate(600, 300)
    """Requests from one client address to the citizens' doors (channels) and the login."""
    per_sender: Rate = Rate(30, 20)
    """Messages from one citizen (a channel's sender)."""
    per_conversation: Rate = Rate(60, 30)
    """Citizens' messages into one conversation, whoever sends them."""
    trusted_proxies: tuple[Network, ...] = ()
    """Proxies whose X-Forwarded-For names the client; none: the direct peer is the client."""
    max_buckets: int = 100_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "LimitSettings":
        """From `DASAN_RATE_PER_ADDRESS`, `DASAN_RATE_PER_SENDER`, `DASAN_RATE_PER_CONVERSATION`
        (each `PER_MINUTE/BURST`) and `DASAN_TRUSTED_PROXIES`; ValueError names a bad one."""

        def rate(name: str, default: Rate) -> Rate:
            return Rate.parse(env[name], name) if env.get(name) else default

        return cls(
            per_address=rate("DASAN_RATE_PER_ADDRESS", cls.per_address),
            per_sender=rate("DASAN_RATE_PER_SENDER", cls.per_sender),
            per_conversation=rate("DASAN_RATE_PER_CONVERSATION", cls.per_conversation),
            trusted_proxies=parse_networks(env.get("DASAN_TRUSTED_PROXIES", "")),
        )


class TokenBuckets:
    """One token bucket per key, in memory, the least recently used forgotten first."""

    def __init__(self, rate: Rate, max_buckets: int, clock: Clock = time.monotonic) -> None:
        self._rate = rate
        self._per_second = rate.per_minute / 60
        self._max = max_buckets
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)

    def take(self, key: str) -> float | None:
        """Spend one token of `key`'s bucket; None when there was one, else the seconds until there is."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(self._rate.burst), now))
        tokens = min(float(self._rate.burst), tokens + (now - at) * self._per_second)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._per_second
        self._buckets[key] = (tokens - 1, now)
        self._forget_idle(now)
        return None

    def __len__(self) -> int:
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        full_after = self._rate.burst / self._per_second
        while self._buckets:
            key, (_, at) = next(iter(self._buckets.items()))
            if len(self._buckets) <= self._max and now - at < full_after:
                return
            del self._buckets[key]


@dataclass
class CitizenLimits:
    """The per-sender and per-conversation limits on citizens' messages."""

    settings: LimitSettings = field(default_factory=LimitSettings)

    def __post_init__(self) -> None:
        self._senders = TokenBuckets(self.settings.per_sender, self.settings.max_buckets)
        self._conversations = TokenBuckets(self.settings.per_conversation, self.settings.max_buckets)

    def admit(self, inbound: Inbound, conversation_id: str | None) -> None:
        """Count one citizen's message; 429 (with the seconds to wait) when the sender or the
        conversation has sent too many. Checked before anything is stored."""
        wait = self._senders.take(f"{inbound.channel.value}:{inbound.sender}")
        if wait is None and conversation_id is not None:
            wait = self._conversations.take(conversation_id)
        if wait is not None:
            raise TooManyRequests("Too many messages: wait a moment and send again.", wait)

    def opened(self, conversation_id: str) -> None:
        """Count the message that opened a conversation (unknown to `admit`) against it."""
        self._conversations.take(conversation_id)


def address_limit(settings: LimitSettings, routes: Collection[str]) -> Callable[..., object]:
    """A middleware limiting the requests from one client address to the `routes` (their patterns)."""
    buckets = TokenBuckets(settings.per_address, settings.max_buckets)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        if resource is not None and resource.canonical in routes:
            wait = buckets.take(client_address(request, settings.trusted_proxies))
            if wait is not None:
                raise TooManyRequests("Too many requests from this address: try again later.", wait)
        return await handler(request)

    return middleware
