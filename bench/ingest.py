"""Ingest throughput: many concurrent citizens on the API channel, hub against a bare handler.

Starts the hub (`dasan serve`, demo knowledge base, so the bot answers) and a bare aiohttp
handler, drives both with the same load from this process, and prints messages per second
and latency percentiles side by side. The ratio is the figure that matters.

    .venv/bin/python bench/ingest.py [--senders 50] [--messages 20] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.services import REPO, Service, free_port  # noqa: E402

API_KEY = "bench-api-channel-key"
# The bench measures throughput, not the limits: its hub takes its key and allows any rate.
HUB_ENV = {
    "DASAN_API_CHANNEL_KEY": API_KEY,
    "DASAN_RATE_PER_ADDRESS": "1000000/100000",
    "DASAN_RATE_PER_SENDER": "1000000/100000",
    "DASAN_RATE_PER_CONVERSATION": "1000000/100000",
}
QUESTIONS = [
    "따릉이 대여 방법 알려주세요",
    "여권 재발급은 어디서 하나요?",
    "수도요금 자동이체 신청",
    "쓰레기 무단투기 신고하려고요",
    "청년수당 신청 자격이 궁금해요",
]


async def drive(url: str, senders: int, messages: int, label: str) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0

    async def citizen(session: aiohttp.ClientSession, number: int) -> None:
        nonlocal errors
        for m in range(messages):
            body = {
                "sender": f"{label}-{number}",
                "text": QUESTIONS[(number + m) % len(QUESTIONS)],
                "message_id": f"{label}-{number}-{m}",
            }
            started = time.perf_counter()
            headers = {"Authorization": f"Bearer {API_KEY}"}
            async with session.post(url + "/api/v1/channels/api/messages", json=body, headers=headers) as response:
                await response.read()
                errors += response.status != 200
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(citizen(session, n) for n in range(senders)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "errors": errors,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--database", help="hub database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dasan-bench-")
    database = args.database or f"sqlite+aiosqlite:///{work}/bench.db"
    dasan = str(Path(sys.executable).parent / "dasan")
    hub_port, bare_port = free_port(), free_port()
    hub_args = [dasan, "serve", "--port", str(hub_port), "--database", database]
    os.environ.update(HUB_ENV)  # the hub process inherits them
    hub = Service("hub", hub_args, REPO, hub_port, "/healthz", Path(work) / "hub.log")
    bare_args = [sys.executable, str(HERE / "bare_server.py"), str(bare_port)]
    bare = Service("bare aiohttp", bare_args, REPO, bare_port, "/healthz", Path(work) / "bare.log")
    try:
        for server in (hub, bare):
            server.start()
            await server.ready(timeout=60)
        # Warm both (imports, first queries, index) before measuring.
        await drive(f"http://127.0.0.1:{bare_port}", 5, 5, "warm")
        await drive(f"http://127.0.0.1:{hub_port}", 5, 5, "warm")
        print(f"{args.senders} concurrent senders x {args.messages} messages; hub database {database.split(':')[0]}")
        results = {}
        for label, port in (("bare aiohttp", bare_port), ("dasan hub", hub_port)):
            results[label] = await drive(f"http://127.0.0.1:{port}", args.senders, args.messages, label.split()[0])
        print(f"{'':14}{'msg/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
        for label, figures in results.items():
            print(
                f"{label:14}{figures['per_second']:10.1f}{figures['p50_ms']:10.1f}{figures['p99_ms']:10.1f}"
                f"{figures['errors']:8d}"
            )
        bare_figures, hub_figures = results["bare aiohttp"], results["dasan hub"]
        print(
            f"{'hub / bare':14}{hub_figures['per_second'] / bare_figures['per_second']:10.3f}"
            f"{hub_figures['p50_ms'] / bare_figures['p50_ms']:10.1f}{hub_figures['p99_ms'] / bare_figures['p99_ms']:10.1f}"
        )
    finally:
        hub.kill()
        bare.kill()


if __name__ == "__main__":
    asyncio.run(main())
