"""Real processes beside the hub under test: the Rasa server and the action server.

Each runs in its own process group, logs to a file the failing test can print, and can be
killed outright (SIGKILL, as a crash) and started again on the same port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from chatbot.evaluation.assistant import rasa_executable

REPO = Path(__file__).resolve().parent.parent
RASA_DIR = REPO / "chatbot" / "rasa"
RASA_MODEL = RASA_DIR / "models" / "dasan.tar.gz"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """One server process; `ready()` waits until `health_url` answers 200 (and `ready_when`)."""

    def __init__(self, name: str, args: list[str], cwd: Path, port: int, health_path: str, log: Path) -> None:
        self.name, self.args, self.cwd, self.port, self.log = name, args, cwd, port, log
        self.health_url = f"http://127.0.0.1:{port}{health_path}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                self.args, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """Gone at once, mid-sentence: no shutdown, no goodbye to the clients."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None

    async def ready(self, timeout: float, model_loaded: bool = False) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as client:
            while asyncio.get_running_loop().time() < deadline:
                if self._process is None or self._process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited; its log:\n{self.tail()}")
                try:
                    async with client.get(self.health_url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                        body = await response.json(content_type=None) if response.status == 200 else None
                        if body is not None and (not model_loaded or body.get("model_file")):
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    pass
                await asyncio.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; its log:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


def action_server(database_url: str, folder: Path) -> Service:
    """`dasan actions` from the hub's own environment, on the hub's database."""
    port = free_port()
    args = [sys.executable, "-m", "hub.cli", "actions", "--port", str(port), "--database", database_url]
    return Service("action server", args, REPO, port, "/health", folder / "actions.log")


def rasa_server(action_url: str, folder: Path) -> Service:
    """Rasa 3.6 from its own virtualenv, serving the trained model, calling `action_url`."""
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{action_url}/webhook"\n', encoding="utf-8")
    port = free_port()
    args = [
        str(rasa_executable()), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port),
        "--model", str(RASA_MODEL), "--endpoints", str(endpoints), "--credentials", "credentials.yml",
    ]  # fmt: skip
    return Service("Rasa", args, RASA_DIR, port, "/status", folder / "rasa.log")
