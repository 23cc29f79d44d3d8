"""Reading WebSocket frames in tests: always with a deadline, so a broken hub fails fast."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import ClientWebSocketResponse

TIMEOUT = 5.0
Frame = dict[str, Any]


async def receive_until(
    socket: ClientWebSocketResponse, accept: Callable[[Frame], bool], timeout: float = TIMEOUT
) -> tuple[Frame, list[Frame]]:
    """The first frame `accept` takes, and every frame seen before it; fails after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: list[Frame] = []
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no matching frame within {timeout}s; got {seen}")
        try:
            frame = await socket.receive_json(timeout=remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"no matching frame within {timeout}s; got {seen}") from None
        if accept(frame):
            return frame, seen
        seen.append(frame)


async def frames_for(socket: ClientWebSocketResponse, seconds: float) -> list[Frame]:
    """Every frame that arrives within `seconds`."""
    frames: list[Frame] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (remaining := deadline - loop.time()) > 0:
        try:
            frames.append(await socket.receive_json(timeout=remaining))
        except asyncio.TimeoutError:
            break
    return frames
