"""An event type's JSON Schema, checked when the type is saved and applied to every
payload published with it.

A schema is taken only if it is whole: every `$ref` and `$dynamicRef` must point into the
schema itself (or at the published metaschemas). Nothing is ever fetched from elsewhere
(jsonschema would, by default, from wherever a `$ref` points: a request from inside the
deployment's network, made by a publish); a reference to nothing would only fail once
a payload reached it, as a 500 of some tenant's publish.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from hookline.domain.errors import FieldError
from hookline.domain.payload import MAX_PAYLOAD_DEPTH, nesting_depth

if TYPE_CHECKING:
    from referencing._core import Resolver

MAX_ERRORS = 20
METASCHEMAS = cast("Registry[Any]", REGISTRY)  # what jsonschema itself resolves against


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
    resource = DRAFT202012.create_resource(schema)
    return _dangling(resource, METASCHEMAS.resolver_with_root(resource))


def _dangling(resource: Resource[Any], resolver: Resolver[Any]) -> list[str]:
    """A reference to nothing, for each one in `resource` and its subschemas (each
    resolved from where it stands, as `$id`s nest)."""
    out = []
    contents = resource.contents
    if isinstance(contents, dict):
        for keyword in ("$ref", "$dynamicRef"):
            ref = contents.get(keyword)
            if isinstance(ref, str):
                try:
                    resolver.lookup(ref)
                except Unresolvable:
                    out.append(f"{keyword} {ref!r} refers to nothing in this schema")
    for sub in resource.subresources():
        out.extend(_dangling(sub, resolver.in_subresource(sub)))
    return out


@lru_cache(maxsize=256)
def _validator(schema_json: bytes) -> Draft202012Validator:
    # Resolved against the metaschemas alone: by default jsonschema would fetch any
    # `$ref` it cannot resolve from the network, from inside Hookline's network.
    return Draft202012Validator(orjson.loads(schema_json), registry=METASCHEMAS)


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
    except Unresolvable as exc:  # a schema saved before dangling references were refused
        message = f"cannot be checked: the event type's schema refers to nothing ({exc})"
        return [FieldError("body.payload", message[:300])]
    for err in sorted(found, key=lambda e: list(e.path))[:MAX_ERRORS]:
        location = ".".join(["body", "payload", *(str(p) for p in err.path)])
        errors.append(FieldError(location, err.message, err.instance if err.path else None))
    return errors
