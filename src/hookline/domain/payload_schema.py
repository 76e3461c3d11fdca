"""An event type's JSON Schema, checked when the type is saved and applied to every
payload published with it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from hookline.domain.errors import FieldError

MAX_ERRORS = 20


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """Why `schema` is not a usable JSON Schema (empty when it is)."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [exc.message]
    return []


@lru_cache(maxsize=256)
def _validator(schema_json: bytes) -> Draft202012Validator:
    return Draft202012Validator(orjson.loads(schema_json))


def payload_errors(schema: dict[str, Any], payload: Any) -> list[FieldError]:
    """Every way `payload` breaks `schema`, located as `body.payload.<path>`."""
    validator = _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
    errors = []
    for err in sorted(validator.iter_errors(payload), key=lambda e: list(e.path))[:MAX_ERRORS]:
        location = ".".join(["body", "payload", *(str(p) for p in err.path)])
        errors.append(FieldError(location, err.message, err.instance if err.path else None))
    return errors
