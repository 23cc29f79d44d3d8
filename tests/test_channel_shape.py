"""Every channel has the shape channels/README.md describes, stays in its layer, and is
listed to the console by the hub."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest
from aiohttp.test_utils import TestClient

from channels.base import ChannelInfo
from channels.registry import packages
from hub.config import CHANNELS_ELSEWHERE
from model import Channel
from tests.conftest import login

CHANNELS = packages(CHANNELS_ELSEWHERE)
FILES = ("__init__.py", "settings.py", "inbound.py", "outbound.py")
FORBIDDEN = ("hub", "router", "store", "chatbot", "translation")


def by_name(module: ModuleType) -> str:
    return module.__name__


def imported(path: Path) -> set[str]:
    """Every module a Python file imports, by its full dotted name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_registry_finds_every_channel_package() -> None:
    found = {module.INFO.channel for module in CHANNELS}
    assert found == set(Channel)  # every channel of the vocabulary has its package


@pytest.mark.parametrize("package", CHANNELS, ids=by_name)
def test_a_channel_has_the_files_and_names_of_its_siblings(package: ModuleType) -> None:
    folder = Path(package.__file__ or "").parent
    for name in FILES:
        assert (folder / name).is_file(), f"{folder.name}/{name} is missing"
    assert isinstance(package.INFO, ChannelInfo) and package.INFO.label
    assert package.INFO.channel.value == folder.name
    assert callable(package.setup)
    settings = importlib.import_module(f"{package.__name__}.settings")
    assert callable(settings.from_env) and isinstance(settings.Settings, type)
    if package.INFO.messages is not None:
        assert (package.INFO.messages / "ko.json").is_file()


@pytest.mark.parametrize("package", CHANNELS, ids=by_name)
def test_a_channel_imports_only_the_model_and_channels(package: ModuleType) -> None:
    folder = Path(package.__file__ or "").parent
    for path in sorted(folder.rglob("*.py")):
        wrong = sorted(name for name in imported(path) if name.split(".")[0] in FORBIDDEN)
        assert wrong == [], f"{path.relative_to(folder.parent)} imports {wrong}"


def test_the_shared_channel_modules_import_only_the_model() -> None:
    folder = Path(CHANNELS[0].__file__ or "").parent.parent
    for path in sorted(folder.glob("*.py")):
        wrong = sorted(name for name in imported(path) if name.split(".")[0] in FORBIDDEN)
        assert wrong == [], f"channels/{path.name} imports {wrong}"


async def test_the_console_learns_the_running_channels_and_their_labels(client: TestClient) -> None:
    assert (await client.get("/api/v1/channels")).status == 401
    headers = await login(client, "kim", available=False)
    response = await client.get("/api/v1/channels", headers=headers)
    assert response.status == 200
    channels = (await response.json())["channels"]
    # The test hub runs the channels that need no configuration.
    assert channels == [
        {"name": "webchat", "label": "웹채팅", "max_text_chars": 4000},
        {"name": "api", "label": "API", "max_text_chars": 4000},
    ]
