"""The Rasa assistant for an evaluation run: the action server in this process, Rasa in its own.

The action server is the one the hub serves (`chatbot.actions`), here over the knowledge
base it is given; Rasa is the model `make bot-model` trained, run from its own Python 3.10
virtualenv exactly as `make bot-run` runs it, but on free ports and calling this action
server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from chatbot.actions import all_actions
from chatbot.actions.server import create_action_server
from chatbot.builtin import ANSWER_THRESHOLD
from chatbot.phone_directory import PhoneDirectory
from chatbot.turn import ArticleSearch
from model.catalog import Catalog
from model.clock import utcnow

RASA_DIR = Path(__file__).resolve().parent.parent / "rasa"
RASA_MODEL = RASA_DIR / "models" / "dasan.tar.gz"
LOAD_SECONDS = 300
"""Rasa loads the model in about a minute on two cores; a busy machine takes longer."""


class AssistantUnavailable(Exception):
    """Rasa is not prepared, exited, or did not load its model in time."""


def rasa_executable() -> Path:
    """Rasa in its own virtualenv (`RASA_VENV`, as `make` sets it, else .venv-rasa)."""
    return Path(os.environ.get("RASA_VENV", RASA_DIR.parent.parent / ".venv-rasa")) / "bin" / "rasa"


@asynccontextmanager
async def running_assistant(knowledge: ArticleSearch, folder: Path) -> AsyncIterator[str]:
    """Rasa's address while Rasa and its action server (answering from `knowledge`) run;
    Rasa's endpoints and log go to `folder`. Both stop on leaving."""
    if not (rasa_executable().exists() and RASA_MODEL.exists()):
        raise AssistantUnavailable("Rasa is not prepared: run `make bot-model` first")
    actions = all_actions(knowledge, PhoneDirectory.read(), ANSWER_THRESHOLD, utcnow, None, Catalog().text)
    runner = web.AppRunner(create_action_server(actions), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        action_port = runner.addresses[0][1]
        endpoints = folder / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n', encoding="utf-8")
        port = _free_port()
        log = folder / "rasa.log"
        with log.open("ab") as output:
            rasa = subprocess.Popen(
                [
                    str(rasa_executable()),
                    "run",
                    "--enable-api",
                    "-i",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "--model",
                    str(RASA_MODEL),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    "credentials.yml",
                ],  # fmt: skip
                cwd=RASA_DIR,
                env=os.environ | {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            await _model_loaded(url, rasa, log)
            yield url
        finally:
            _stop(rasa)
    finally:
        await runner.cleanup()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _model_loaded(url: str, rasa: subprocess.Popen[bytes], log: Path) -> None:
    """Returns once Rasa's status names a loaded model."""
    deadline = time.monotonic() + LOAD_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as client:
        while time.monotonic() < deadline:
            if rasa.poll() is not None:
                raise AssistantUnavailable(f"Rasa exited; the end of {log}:\n{_tail(log)}")
            try:
                async with client.get(f"{url}/status") as response:
                    if response.status == 200 and (await response.json()).get("model_file"):
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                pass  # not listening yet
            await asyncio.sleep(0.5)
    raise AssistantUnavailable(f"Rasa did not load its model in {LOAD_SECONDS} s; the end of {log}:\n{_tail(log)}")


def _stop(rasa: subprocess.Popen[bytes]) -> None:
    """Rasa and the processes it started; killed when it does not stop within seconds."""
    if rasa.poll() is not None:
        return
    os.killpg(rasa.pid, signal.SIGTERM)
    try:
        rasa.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(rasa.pid, signal.SIGKILL)
        rasa.wait()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
