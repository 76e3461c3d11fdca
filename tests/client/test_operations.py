"""Every call the client describes (`hookline.client.operations`) is an operation of
docs/openapi.json: its method and path, the query parameters it sends, the body fields it
can send (all of them, and the required ones even when only the required arguments are
given), and the schema of the answer, read by the model the method returns.

Each call is sent for real, through httpx's MockTransport, whose handler keeps the request
and answers nothing: what is compared is what the client puts on the wire."""

from __future__ import annotations

import copy
import inspect
import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import pytest

from hookline.client import Client, operations
from hookline.client.methods import Group
from hookline.client.models import Model
from support.client_document import MODELLED, NOT_MODELLED, load_document

# What the API takes that the client does not send, and why.
QUERY_NOT_SENT = {"offset": "the client walks a list by its cursors, never by offset"}
FIELDS_NOT_SENT = {
    ("messages.publish", "id"): "the client sends its idempotency key as the Idempotency-Key "
    "header, which the API takes as it takes `id`",
    ("endpoints.put", "uid"): "the uid is in the path of the PUT",
}


class Sent(Exception):
    """Raised by the transport with the request the client sent."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(request.url)
        self.request = request


def _keep(request: httpx.Request) -> httpx.Response:
    raise Sent(request)


def methods(client: Client) -> Iterator[tuple[str, Any]]:
    """`("tenants.create", client.tenants.create)`, ... for every method of every group."""
    for group_name, group in sorted(vars(client).items()):
        if isinstance(group, Group):
            for name in sorted(n for n in dir(group) if not n.startswith("_")):
                yield f"{group_name}.{name}", getattr(group, name)


def _hint(annotation: Any) -> Any:
    names = {**vars(operations), "Iterator": Iterator}
    return eval(annotation, names) if isinstance(annotation, str) else annotation


def _sample(hint: Any, name: str) -> Any:
    """A value of the type `hint`, for the argument or field `name` (never None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in typing.get_args(hint) if a is not type(None)), name)
    if origin is Literal:
        return typing.get_args(hint)[0]
    if typing.is_typeddict(hint):
        return {k: _sample(h, k) for k, h in typing.get_type_hints(hint).items()}
    samples: dict[Any, Any] = {str: f"v-{name}", bool: True, int: 7, list: [f"v-{name}"]}
    samples |= {datetime: datetime(2026, 12, 4, tzinfo=UTC), dict: {"k": "v"}}
    if origin in samples or hint in samples:
        return samples.get(origin, samples.get(hint))
    if hint is Any:
        return {"v": name}
    raise TypeError(f"no sample of {hint!r} for {name}")


def arguments(method: Any, *, every: bool) -> dict[str, Any]:
    """Arguments for `method`: the required ones, or (`every`) all, the keys of its
    `**changes`/`**options` too."""
    found: dict[str, Any] = {}
    for p in inspect.signature(method).parameters.values():
        hint = _hint(p.annotation)
        if p.kind is p.VAR_KEYWORD:
            given = typing.get_type_hints(typing.get_args(hint)[0]) if every else {}
            found |= {k: _sample(h, k) for k, h in given.items()}
        elif p.default is p.empty or every:
            found[p.name] = _sample(hint, p.name)
    return found


def sent(method: Any, arguments: Mapping[str, Any]) -> httpx.Request:
    """The request `method` sends with these arguments (a list: its first page)."""
    try:
        next(method(**arguments))  # only lists return before sending: they send when iterated
    except Sent as kept:
        return kept.request
    raise AssertionError(f"{method.__qualname__} sent nothing")


def _ref(schema: Mapping[str, Any] | None) -> str | None:
    return schema["$ref"].rsplit("/", 1)[-1] if schema and "$ref" in schema else None


def _operation(document: Mapping[str, Any], request: httpx.Request) -> tuple[str, Any] | None:
    """The document's path template and operation that `request` is, if any (of the
    templates that match, the one with the fewest parameters)."""
    found = []
    for template, operations_of in document["paths"].items():
        segments = template.split("/")
        pattern = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
        if re.fullmatch(pattern, request.url.path) and request.method.lower() in operations_of:
            found.append((template.count("{"), template, operations_of[request.method.lower()]))
    return min(found)[1:] if found else None


def _answer(document: Mapping[str, Any], operation: Mapping[str, Any]) -> str | None:
    """The schema of the operation's successful answer (a list's: what it lists)."""
    schemas = document["components"]["schemas"]
    for code, response in sorted(operation["responses"].items()):
        name = _ref(response.get("content", {}).get("application/json", {}).get("schema"))
        if code.startswith("2") and name:
            items = schemas[name].get("properties", {}).get("data", {}).get("items")
            return _ref(items) or name
    return None


def _returned(method: Any) -> tuple[type[Model] | str | None, bool]:
    """What `method` answers with: a model, the name of a plain type (`int`) or None; and
    whether it is a list (of that)."""
    hint = _hint(inspect.signature(method).return_annotation)
    lists = typing.get_origin(hint) is Iterator
    if lists:
        (hint,) = typing.get_args(hint)
    if hint is None:
        return None, lists
    return (hint if issubclass(hint, Model) else hint.__name__), lists


def _body_schema(operation: Mapping[str, Any]) -> str | None:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = body.get("schema") or {}
    return _ref(schema) or next(filter(None, map(_ref, schema.get("anyOf", []))), None)


def _fields(request: httpx.Request) -> set[str]:
    return set(json.loads(request.content)) if request.content else set()


def _query(name: str, where: str, operation: Any, request: httpx.Request, lists: bool) -> list[str]:
    query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    sends = set(request.url.params) | ({"cursor"} if lists else set())  # cursor: later pages
    return [
        f"{name} sends the query parameter {q!r} that {where} has not"
        for q in sorted(sends - query)
    ] + [
        f"{name} cannot send the query parameter {q!r} of {where}"
        for q in sorted(query - sends - set(QUERY_NOT_SENT))
    ]


def _body(name: str, where: str, schema: Mapping[str, Any] | None, method: Any) -> list[str]:
    """`schema` named `where` (None: the operation takes no body)."""
    sends = _fields(sent(method, arguments(method, every=True)))
    fields = set(schema.get("properties", {})) if schema else set()
    unsent = fields - sends - {f for n, f in FIELDS_NOT_SENT if n == name}
    required = set(schema.get("required", [])) if schema else set()
    least = _fields(sent(method, arguments(method, every=False)))
    return (
        [f"{name} sends the field {f!r} that {where} has not" for f in sorted(sends - fields)]
        + [f"{name} cannot send the field {f!r} of {where}" for f in sorted(unsent)]
        + [
            f"{name} leaves out the field {f!r}, which {where} requires, when only the "
            "required arguments are given"
            for f in sorted(required - least)
        ]
    )


def mismatches(document: Mapping[str, Any], client: Client) -> list[str]:
    """Every way the client's calls differ from the document's operations, in words that
    name the method (`tenants.create`) and the field or parameter."""
    schemas = document["components"]["schemas"]
    found: list[str] = []
    for name, method in methods(client):
        request = sent(method, arguments(method, every=True))
        matched = _operation(document, request)
        if matched is None:
            found.append(f"{name} sends {request.method} {request.url.path}: no such operation")
            continue
        template, operation = matched
        where = f"{request.method} {template}"
        model, lists = _returned(method)
        found += _query(name, where, operation, request, lists)
        body = _body_schema(operation)
        found += _body(name, body or where, schemas.get(body or ""), method)
        answer = _answer(document, operation)
        if isinstance(model, type):
            if answer not in MODELLED.get(model, ()):
                found.append(f"{name} reads {answer} as {model.__name__}, not read from it")
        elif (model is None) != (answer is None) or (answer and answer not in NOT_MODELLED):
            found.append(f"{name} answers {model} where {where} answers {answer}")
    return found


@pytest.fixture
def client() -> Iterator[Client]:
    with Client("http://hookline.test", transport=httpx.MockTransport(_keep)) as c:
        yield c


def test_every_call_of_the_client_is_an_operation_of_the_api_document(client):
    found = mismatches(load_document(), client)
    assert not found, "the client's calls and docs/openapi.json differ:\n" + "\n".join(found)


def test_every_operation_of_the_client_is_checked(client):
    described = {
        f"{group}.{name}"
        for group, cls in [
            ("tenants", operations.TenantOperations),
            ("event_types", operations.EventTypeOperations),
            ("endpoints", operations.EndpointOperations),
            ("messages", operations.MessageOperations),
            ("deliveries", operations.DeliveryOperations),
            ("api_keys", operations.ApiKeyOperations),
        ]
        for name in vars(cls)
        if not name.startswith("_")
    }
    assert {name for name, _ in methods(client)} == described
    assert len(described) == 30


# -- the comparison catches what it is for -----------------------------------------------


def _document_with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(load_document())
    change(document)
    return document


def test_a_body_field_the_api_adds_is_reported(client):
    def add(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["TenantIn"]["properties"]["region"] = {"type": "string"}

    assert mismatches(_document_with(add), client) == [
        "tenants.create cannot send the field 'region' of TenantIn"
    ]


def test_a_body_field_the_api_drops_is_reported(client):
    def drop(document: dict[str, Any]) -> None:
        del document["components"]["schemas"]["RotateIn"]["properties"]["grace_period"]

    assert mismatches(_document_with(drop), client) == [
        "endpoints.rotate_secret sends the field 'grace_period' that RotateIn has not"
    ]


def test_a_field_the_api_comes_to_require_is_reported(client):
    def require(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["TenantIn"]["required"].append("uid")

    assert mismatches(_document_with(require), client) == [
        "tenants.create leaves out the field 'uid', which TenantIn requires, when only the "
        "required arguments are given"
    ]


def test_a_query_parameter_the_api_adds_is_reported(client):
    def add(document: dict[str, Any]) -> None:
        listing = document["paths"]["/v1/tenants"]["get"]
        listing["parameters"].append({"name": "plan", "in": "query", "schema": {}})

    assert mismatches(_document_with(add), client) == [
        "tenants.list cannot send the query parameter 'plan' of GET /v1/tenants"
    ]


def test_a_path_the_api_drops_is_reported(client):
    def drop(document: dict[str, Any]) -> None:
        del document["paths"]["/v1/tenants/{tenant}/deliveries/{delivery}/retry"]

    assert mismatches(_document_with(drop), client) == [
        "deliveries.retry sends POST /v1/tenants/v-tenant/deliveries/v-delivery/retry: "
        "no such operation"
    ]


def test_an_answer_the_model_is_not_read_from_is_reported(client):
    def change(document: dict[str, Any]) -> None:
        answer = document["paths"]["/v1/tenants/{tenant}"]["get"]["responses"]["200"]
        answer["content"]["application/json"]["schema"]["$ref"] = "#/components/schemas/ApiKeyOut"

    assert mismatches(_document_with(change), client) == [
        "tenants.get reads ApiKeyOut as Tenant, not read from it"
    ]
