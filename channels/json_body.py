"""A provider's JSON webhook body, read once for every channel that takes one."""

from __future__ import annotations

import json
from typing import Any

from model.errors import HubError


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a clear 400 (an empty, malformed or too deeply nested body,
    or JSON that is not an object)."""
    try:
        data = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise HubError(400, "malformed_json", f"The body is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise HubError(400, "invalid_body", "The body must be a JSON object.")
    return data
