"""Imports only point down, as DESIGN.md's layer table draws them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("model", "store", "router", "translation", "chatbot", "channels", "sign_video", "hub")

# Package (or module path prefix) → the project's packages it may import besides itself.
# The longest matching prefix wins.
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "store": {"model"},
    "router": {"model"},
    "translation": {"model"},
    "translation/service.py": {"model", "store"},  # its cache and usage counters
    "chatbot": {"model", "translation"},
    "chatbot/actions": {"model", "translation", "store"},  # the Rasa action server
    "channels": {"model"},
    "sign_video": {"model", "channels"},
    "hub": set(PACKAGES),
}
IO_MODULES = {"asyncio", "aiohttp", "sqlalchemy", "redis", "socket", "httpx", "requests", "urllib", "subprocess"}


def _sources(package: str) -> list[Path]:
    return [p for p in sorted((ROOT / package).rglob("*.py")) if ".venv" not in p.parts and "migrations" not in p.parts]


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _allowed_for(relative: str) -> set[str]:
    rule = max((key for key in ALLOWED if relative == key or relative.startswith(key.rstrip("/") + "/")), key=len)
    return ALLOWED[rule] | {relative.split("/")[0]}


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layer_table(package: str) -> None:
    wrong = []
    for path in _sources(package):
        relative = path.relative_to(ROOT).as_posix()
        allowed = _allowed_for(relative)
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in PACKAGES and top not in allowed:
                wrong.append(f"{relative}:{line} imports {module}")
    assert wrong == []


def test_the_router_decides_without_io() -> None:
    """Pure decisions over model records: no database, network or event loop."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources("router")
        for line, module in _imports(path)
        if module.split(".")[0] in IO_MODULES
    ]
    assert wrong == []


def test_no_orm_row_leaves_the_store() -> None:
    """Only the store knows its tables; everyone else gets model records."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for package in PACKAGES
        if package != "store"
        for path in _sources(package)
        for line, module in _imports(path)
        if module in ("store.tables", "store.mapping") or module.startswith("sqlalchemy.orm")
    ]
    assert wrong == []


def test_the_layer_test_sees_a_wrong_import(tmp_path: Path) -> None:
    """The checker itself: a channel importing the hub is caught."""
    wrong = tmp_path / "bad.py"
    wrong.write_text("from hub.desk import Desk\nimport model\n", encoding="utf-8")
    modules = [module for _, module in _imports(wrong)]
    assert modules == ["hub.desk", "model"]
    assert "hub" not in _allowed_for("channels/sms/inbound.py")
    assert "store" in _allowed_for("chatbot/actions/knowledge.py")
    assert "store" not in _allowed_for("chatbot/builtin.py")
