"""An event type's JSON Schema, checked when the type is saved and applied to every
payload published with it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from hookline.domain.errors import FieldError
from hookline.domain.payload import MAX_PAYLOAD_DEPTH, nesting_depth

MAX_ERRORS = 20


# A schema is checked, and payloads checked against it, by recursion: each level costs
# the checker several frames of Python's stack (a schema of 120 levels exhausted it).
MAX_SCHEMA_DEPTH = 64


def too_deep(schema: Any) -> str | None:
    """Why `schema` is too deep to be taken, if it is; look before `schema_problems`."""
    if nesting_depth(schema, beyond=MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH:
        return f"nested more than {MAX_SCHEMA_DEPTH} levels deep (the limit)"
    return None


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """Why `schema` is not a usable JSON Schema (empty when it is)."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [exc.message]
    except RecursionError:  # within the depth, yet too deep for the checker's recursion
        return ["too deeply nested to be checked"]
    return []


@lru_cache(maxsize=256)
def _validator(schema_json: bytes) -> Draft202012Validator:
    return Draft202012Validator(orjson.loads(schema_json))


def payload_errors(schema: dict[str, Any], payload: Any) -> list[FieldError]:
    """Every way `payload` breaks `schema`, located as `body.payload.<path>`."""
    validator = _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
    errors = []
    try:
        found = list(validator.iter_errors(payload))
    except RecursionError:  # a schema that refers to itself, down a payload as deep
        depth = nesting_depth(payload, beyond=MAX_PAYLOAD_DEPTH)
        message = f"nested {depth} levels deep: too deep to check against the event type's schema"
        return [FieldError("body.payload", message)]
    for err in sorted(found, key=lambda e: list(e.path))[:MAX_ERRORS]:
        location = ".".join(["body", "payload", *(str(p) for p in err.path)])
        errors.append(FieldError(location, err.message, err.instance if err.path else None))
    return errors
