"""SQL statements per citizen message: how much database work one message costs the hub.

Runs the hub in-process on a fresh SQLite file (demo knowledge base, so the built-in bot
answers), sends messages through the API channel from ten citizens, and counts the
statements each engine ran per message, by kind, once the outbox has sent the replies.
On SQLite, with one writer, the write statements bound the throughput. Deterministic where
`bench/ingest.py`'s timings are noisy: compare two commits with this first.

    .venv/bin/python bench/queries.py [--messages 40]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels.registry import configured  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.config import DEFAULT_PUBLIC_URL, Settings  # noqa: E402
from hub.core import HUB  # noqa: E402
from hub.limits import LimitSettings, Rate  # noqa: E402

QUESTION = "따릉이 대여 방법 알려주세요"
API_KEY = "bench-api-channel-key"
UNLIMITED = Rate(1_000_000, 100_000)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    counting = False
    app = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/queries.db",
            channels=tuple(configured({"DASAN_API_CHANNEL_KEY": API_KEY}, DEFAULT_PUBLIC_URL)),
            limits=LimitSettings(per_address=UNLIMITED, per_sender=UNLIMITED, per_conversation=UNLIMITED),
        )
    )
    hub = app[HUB]
    for role, engine in (("write", hub.store.write_engine), ("read", hub.store.read_engine)):

        def count(*statement: Any, role: str = role) -> None:
            if counting:
                counts[role] += 1
                counts[f"{role} {statement[2].split()[0]}"] += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
    async with TestClient(TestServer(app)) as client:

        async def send(sender: str, message_id: str) -> None:
            body = {"sender": sender, "text": QUESTION, "message_id": message_id}
            response = await client.post(
                "/api/v1/channels/api/messages", json=body, headers={"Authorization": f"Bearer {API_KEY}"}
            )
            assert response.status == 200, await response.text()

        for number in range(5):  # first queries, the search index, the outbox's first round
            await send(f"warm-{number}", f"warm-{number}")
        await asyncio.sleep(1.5)
        counting = True
        for number in range(args.messages):
            print(f"\rmessage {number + 1}/{args.messages}", end="", file=sys.stderr)
            await send(f"citizen-{number % 10}", f"m-{number}")
        await asyncio.sleep(1.5)  # the outbox sends the last replies
        counting = False
    print(file=sys.stderr)
    print(f"{args.messages} messages from 10 citizens, each answered by the built-in bot; SQLite")
    print(f"{'statements per message':28}{'count':>8}")
    for key in sorted(counts):
        print(f"{key:28}{counts[key] / args.messages:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
