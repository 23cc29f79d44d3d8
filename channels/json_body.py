"""A JSON request body, read once for every endpoint that takes one (the hub's API and the
providers' webhooks alike)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from model.errors import HubError, refuse_nul

Body = TypeVar("Body", bound=BaseModel)


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a clear 400 (an empty, malformed or too deeply nested body,
    JSON that is not an object, or text no database stores: NUL, unpaired surrogates)."""
    try:
        data = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise HubError(400, "malformed_json", f"The body is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise HubError(400, "invalid_body", "The body must be a JSON object.")
    refuse_nul(data)
    return data


async def read_body(request: web.Request, model: type[Body]) -> Body:
    """The request's JSON body validated as `model`; a clear 400 naming what is wrong."""
    data = json_object(await request.read())
    try:
        return model.model_validate(data)
    except ValidationError as error:
        code, message = _describe(error)
        raise HubError(400, code, message) from None


def _describe(error: ValidationError) -> tuple[str, str]:
    """The first validation error as an error code and a sentence naming the field."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] == "missing":
        return "missing_field", f"The field '{field}' is required."
    if first["type"] == "string_too_long":
        limit = first.get("ctx", {}).get("max_length")
        return "text_too_long", f"The field '{field}' is longer than {limit} characters."
    return "invalid_field", f"The field '{field}' is invalid: {first['msg']}."
