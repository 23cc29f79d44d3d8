"""A bot turn through the hub against the same turn sent to Rasa directly, and the
assistant's held-out intent accuracy per language, in one run.

Starts the action server and Rasa (the model `make bot-model` trained) and the hub in this
process on a fresh SQLite database with the demo knowledge base. Each round sends the same
question twice, to a new citizen each time: once to Rasa's REST channel, once to the hub's
API channel (which stores it, identifies the language, routes, asks Rasa, stores and queues
the answer). The difference is what the hub adds to a turn. Then `rasa test nlu` runs on
the held-out set (chatbot/rasa/evaluate.py, as `make bot-eval`).

    .venv/bin/python bench/bot_turn.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels.registry import configured  # noqa: E402
from hub.app import build_hub, create_app, open_hub  # noqa: E402
from hub.config import DEFAULT_PUBLIC_URL, Settings  # noqa: E402
from hub.core import HUB  # noqa: E402
from hub.limits import LimitSettings, Rate  # noqa: E402
from tests.services import RASA_DIR, RASA_MODEL, action_server, free_port, rasa_executable, rasa_server  # noqa: E402

API_KEY = "bench-api-channel-key"
UNLIMITED = Rate(1_000_000, 100_000)
QUESTIONS = {
    "ko": "따릉이 대여 방법 알려주세요",
    "en": "how do I rent a Ttareungyi bike?",
    "zh": "我的护照丢了怎么办",
    "ja": "今月の水道料金が急に高くなりました",
    "vi": "Làm sao để kiểm tra hóa đơn tiền nước?",
    "mn": "Би паспортоо гээсэн",
}


async def timed(
    session: aiohttp.ClientSession, url: str, body: dict[str, object], headers: dict[str, str] | None = None
) -> tuple[float, object]:
    start = time.perf_counter()
    async with session.post(url, json=body, headers=headers) as response:
        response.raise_for_status()
        answer = await response.json()
    return (time.perf_counter() - start) * 1000, answer


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bar(share: float, width: int = 40) -> str:
    return "█" * round(share * width) + "·" * (width - round(share * width))


async def measure(rounds: int, folder: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{folder / 'hub.db'}"
    prepared = build_hub(Settings(database_url=database_url))
    await open_hub(prepared)
    await prepared.store.close()
    actions = action_server(database_url, folder)
    rasa = rasa_server(actions.url, folder)
    actions.start()
    rasa.start()
    runner: web.AppRunner | None = None
    try:
        print("starting the action server and Rasa (the model takes about a minute to load)…", flush=True)
        await actions.ready(timeout=60)
        await rasa.ready(timeout=300, model_loaded=True)
        app = create_app(
            Settings(
                database_url=database_url,
                rasa_url=rasa.url,
                load_demo=False,
                channels=tuple(configured({"DASAN_API_CHANNEL_KEY": API_KEY}, DEFAULT_PUBLIC_URL)),
                limits=LimitSettings(per_address=UNLIMITED, per_sender=UNLIMITED, per_conversation=UNLIMITED),
            )
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        hub_url = f"http://127.0.0.1:{port}/api/v1/channels/api/messages"
        rasa_url = f"{rasa.url}/webhooks/rest/webhook"
        while app[HUB].bot.name != "rasa":  # the hub's first health check of Rasa
            await asyncio.sleep(0.2)

        direct: dict[str, list[float]] = {language: [] for language in QUESTIONS}
        through_hub: dict[str, list[float]] = {language: [] for language in QUESTIONS}
        async with aiohttp.ClientSession() as session:
            for round_number in range(rounds + 1):  # round 0 warms both paths up, unmeasured
                for language, question in QUESTIONS.items():
                    sender = uuid.uuid4().hex
                    rasa_ms, _ = await timed(
                        session, rasa_url, {"sender": sender, "message": question, "metadata": {"language": language}}
                    )
                    hub_ms, answer = await timed(
                        session,
                        hub_url,
                        {"sender": sender, "text": question, "message_id": sender, "language": language},
                        {"Authorization": f"Bearer {API_KEY}"},
                    )
                    assert isinstance(answer, dict) and answer["replies"], f"no answer in {language}: {answer}"
                    if round_number:
                        direct[language].append(rasa_ms)
                        through_hub[language].append(hub_ms)
    finally:
        if runner is not None:
            await runner.cleanup()
        rasa.kill()
        actions.kill()

    print(f"\nA bot turn, {rounds} rounds × {len(QUESTIONS)} languages (ms; one citizen at a time)")
    print(f"{'lang':<6}{'Rasa p50':>10}{'hub p50':>10}{'added p50':>11}{'Rasa p90':>10}{'hub p90':>10}{'ratio':>8}")
    every_direct = [ms for values in direct.values() for ms in values]
    every_hub = [ms for values in through_hub.values() for ms in values]
    rows = [(language, direct[language], through_hub[language]) for language in QUESTIONS]
    for language, rasa_ms, hub_ms in [*rows, ("all", every_direct, every_hub)]:
        rasa_p50, hub_p50 = statistics.median(rasa_ms), statistics.median(hub_ms)
        print(
            f"{language:<6}{rasa_p50:>10.1f}{hub_p50:>10.1f}{hub_p50 - rasa_p50:>11.1f}"
            f"{percentile(rasa_ms, 0.9):>10.1f}{percentile(hub_ms, 0.9):>10.1f}{hub_p50 / rasa_p50:>8.2f}"
        )
    added = statistics.median(every_hub) - statistics.median(every_direct)
    print(f"\nhub-added latency of a bot turn: {added:.1f} ms at the median "
          f"(mean {statistics.mean(every_hub) - statistics.mean(every_direct):.1f} ms)")  # fmt: skip


def heldout_accuracy(folder: Path) -> None:
    """`rasa test nlu` on the held-out set, with Rasa's own Python (as `make bot-eval`)."""
    print("\nrunning rasa test nlu on the held-out set…", flush=True)
    python = rasa_executable().parent / "python"
    out = folder / "heldout"
    subprocess.run(
        [str(python), str(RASA_DIR / "evaluate.py"), "--model", str(RASA_MODEL), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    summary = json.loads((out / "per_language.json").read_text(encoding="utf-8"))
    print("\nHeld-out intent accuracy per language (n = messages never trained on)")
    for language, result in summary["languages"].items():
        accuracy = result["intent_accuracy"] or 0.0
        print(f"{language:<4}{bar(accuracy)} {accuracy:6.1%}  n={result['scored']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if not (rasa_executable().exists() and RASA_MODEL.exists()):
        print("bot_turn.py: Rasa is not prepared; run `make bot-model` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="dasan-bench-") as folder:
        asyncio.run(measure(args.rounds, Path(folder)))
        heldout_accuracy(Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
