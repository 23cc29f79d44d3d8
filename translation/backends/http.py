"""What the engines share on the wire: one POST with the engine's timeout, its answer
read whatever it is, and `Retry-After` understood in both of its forms."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from translation.engine import TranslationFailed


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    """The JSON body, or None (a proxy's HTML error page, an empty body)."""
    retry_after: float | None


async def post(
    session: aiohttp.ClientSession,
    url: str,
    engine: str,
    timeout_seconds: float,
    masked: Callable[[str], str] = lambda text: text,
    **request: Any,
) -> Answer:
    """POST to an engine; a timeout or an unreachable engine is a retryable failure whose
    reason has gone through `masked` (engines whose key travels in the URL hide it there)."""
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        async with session.post(url, timeout=timeout, **request) as response:
            return Answer(response.status, _json(await response.read()), retry_after(response.headers))
    except TimeoutError:
        raise TranslationFailed(f"{engine} did not answer within {timeout_seconds:g} s", retryable=True) from None
    except (aiohttp.ClientError, OSError) as error:
        reason = masked(f"{engine} unreachable: {type(error).__name__}: {error}")
        raise TranslationFailed(reason, retryable=True) from None


def texts(value: Any, count: int) -> bool:
    """Whether an engine's answer is one string per text sent."""
    return isinstance(value, list) and len(value) == count and all(isinstance(text, str) for text in value)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds from now, whether given as seconds or as an HTTP date."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
