"""The client's models (`hookline.client.models`) read what docs/openapi.json says the API
answers: the same fields, required and nullable alike where the document says so.

docs/openapi.json is kept in step with the app by tests/api/test_openapi_document.py, so a
field added to a response schema fails here until the client's model knows it, and a
field the client expects that the API does not send fails too."""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from hookline.client import models
from hookline.client.models import Model, Tenant
from support.client_document import (
    MODELLED,
    NOT_IN_DOCUMENT,
    NOT_MODELLED,
    load_document,
    nullable,
    optional,
)

# -- the comparison ----------------------------------------------------------------------


def _model_in(hint: Any) -> type[Model] | None:
    """The model a field is read as (itself, in a list, or `| None`), if any."""
    if isinstance(hint, type) and issubclass(hint, Model):
        return hint
    inner = [_model_in(a) for a in typing.get_args(hint) if a is not type(None)]
    return inner[0] if len(inner) == 1 else None


def _refs(prop: Mapping[str, Any]) -> set[str]:
    """The component schemas a property is (itself, its items, or one of its choices)."""
    if "$ref" in prop:
        return {prop["$ref"].rsplit("/", 1)[-1]}
    found = _refs(prop["items"]) if "items" in prop else set()
    return found.union(*(_refs(p) for p in prop.get("anyOf", [])))


def mismatches(
    document: Mapping[str, Any], modelled: Mapping[type[Any], tuple[str, ...]]
) -> list[str]:
    """Every difference between the models and the schemas they are read from, in words
    that name the model and the field.

    - a field of any of the schemas that the model lacks, and a field of the model that
      none of the schemas has;
    - a field the model requires (no default) that some schema does not require: reading
      an answer without it would fail. (A field the API requires may have a default in the
      client, so that it reads answers of servers from before the field.)
    - a field read as a model that the API sends as a schema the model is not read from;
    - a field the API may send as null that the model's annotation does not allow None;
      and one annotated `| None` that the API never sends null, unless None is its default
      for an answer that leaves it out.
    """
    schemas = document["components"]["schemas"]
    found: list[str] = []
    for model, names in modelled.items():
        missing = [n for n in names if n not in schemas]
        if missing:
            found.append(f"{model.__name__}: no schema {', '.join(missing)} in the document")
            continue
        props = [schemas[n].get("properties", {}) for n in names]
        required = [set(schemas[n].get("required", [])) for n in names]
        fields = {f.name: f for f in dataclasses.fields(model)}
        hints = typing.get_type_hints(model, vars(models))
        of = " / ".join(names)
        for name in sorted(set().union(*props) - set(fields)):
            found.append(f"{model.__name__} lacks the field {name!r} that the API's {of} has")
        for name in sorted(set(fields) - set().union(*props)):
            found.append(f"{model.__name__} has the field {name!r} that the API's {of} has not")
        for name in sorted(set(fields) & set().union(*props)):
            field = fields[name]
            defaulted = (
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING
            )
            if not defaulted and not all(name in r for r in required):
                found.append(
                    f"{model.__name__}.{name} is required by the client but not in every "
                    f"answer ({of}): give it a default"
                )
            nested = _model_in(hints[name])
            refs = {r for p in props if name in p for r in _refs(p[name])}
            if nested is not None and refs and not refs <= set(modelled.get(nested, ())):
                sent = ", ".join(sorted(refs))
                found.append(
                    f"{model.__name__}.{name} is read as {nested.__name__}, but {of} sends {sent}"
                )
            sent_null = [nullable(p[name]) for p in props if name in p]
            takes_none = optional(hints[name])
            if takes_none is None or None in sent_null:
                continue
            if any(sent_null) and not takes_none:
                found.append(f"{model.__name__}.{name} may be null in {of} but is not `| None`")
            elif takes_none and not any(sent_null) and field.default is not None:
                found.append(f"{model.__name__}.{name} is `| None` but {of} never sends null")
    return found


def answers(document: Mapping[str, Any]) -> set[str]:
    """The component schemas that the API's successful answers are (a list's items too)."""
    schemas = document["components"]["schemas"]
    found: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if not code.startswith("2") or not schema or "$ref" not in schema:
                    continue
                name = schema["$ref"].rsplit("/", 1)[-1]
                items = schemas[name].get("properties", {}).get("data", {}).get("items", {})
                if "$ref" in items:  # a page of a list: what counts is what it lists
                    name = items["$ref"].rsplit("/", 1)[-1]
                found.add(name)
    return found


# -- the client against the document ---------------------------------------------------


def test_the_client_models_match_the_api_document():
    found = mismatches(load_document(), MODELLED)
    assert not found, "the client's models and docs/openapi.json differ:\n" + "\n".join(found)


def test_every_answer_of_the_api_is_modelled_or_said_why_not():
    known = {n for names in MODELLED.values() for n in names} | set(NOT_MODELLED)
    unknown = sorted(answers(load_document()) - known)
    assert not unknown, (
        f"the API answers with {unknown}, which no client model reads: add a model in "
        "hookline/client/models.py (and to MODELLED here), or say why not in NOT_MODELLED"
    )
    stale = sorted(set(NOT_MODELLED) - answers(load_document()))
    assert not stale, f"NOT_MODELLED names {stale}, which the API no longer answers with"


def test_every_client_model_is_compared():
    defined = {
        m
        for m in vars(models).values()
        if isinstance(m, type) and issubclass(m, Model) and m is not Model
    }
    assert defined == set(MODELLED) | set(NOT_IN_DOCUMENT)


# -- the comparison catches what it is for -----------------------------------------------


def test_a_field_the_api_adds_and_the_client_lacks_is_reported():
    document = copy.deepcopy(load_document())
    tenant = document["components"]["schemas"]["TenantOut"]
    tenant["properties"]["region"] = {"type": "string", "title": "Region"}
    tenant["required"].append("region")
    assert mismatches(document, MODELLED) == [
        "Tenant lacks the field 'region' that the API's TenantOut has"
    ]


def test_a_field_added_to_one_answer_of_two_is_reported():
    document = copy.deepcopy(load_document())
    document["components"]["schemas"]["MessageDetail"]["properties"]["trace"] = {}
    assert mismatches(document, MODELLED) == [
        "Message lacks the field 'trace' that the API's MessageOut / MessageDetail has"
    ]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TenantWithRegion(Tenant):
    region: str


def test_a_field_the_client_has_and_the_api_does_not_is_reported():
    assert mismatches(load_document(), {TenantWithRegion: ("TenantOut",)}) == [
        "TenantWithRegion has the field 'region' that the API's TenantOut has not"
    ]


def test_a_required_field_the_api_may_leave_out_is_reported():
    document = copy.deepcopy(load_document())
    document["components"]["schemas"]["DeliveryOut"]["required"].remove("status")
    assert mismatches(document, MODELLED) == [
        "Delivery.status is required by the client but not in every answer (DeliveryOut): "
        "give it a default"
    ]


def test_a_field_the_api_makes_nullable_is_reported():
    document = copy.deepcopy(load_document())
    prop = document["components"]["schemas"]["EventTypeOut"]["properties"]["description"]
    prop["anyOf"] = [{"type": prop.pop("type")}, {"type": "null"}]
    assert mismatches(document, MODELLED) == [
        "EventType.description may be null in EventTypeOut but is not `| None`"
    ]


def test_a_field_the_api_never_sends_null_is_reported_when_the_client_allows_it():
    document = copy.deepcopy(load_document())
    document["components"]["schemas"]["TenantOut"]["properties"]["uid"] = {"type": "string"}
    assert mismatches(document, MODELLED) == [
        "Tenant.uid is `| None` but TenantOut never sends null"
    ]


def test_a_nested_answer_the_model_is_not_read_from_is_reported():
    document = copy.deepcopy(load_document())
    statuses = document["components"]["schemas"]["MessageDetail"]["properties"]
    statuses["delivery_statuses"]["items"] = {"$ref": "#/components/schemas/DeliveryOut"}
    assert mismatches(document, MODELLED) == [
        "Message.delivery_statuses is read as DeliveryStatus, but MessageOut / MessageDetail "
        "sends DeliveryOut"
    ]


def test_a_new_answer_without_a_model_is_found():
    document = copy.deepcopy(load_document())
    document["paths"]["/v1/regions"] = {
        "get": {
            "responses": {
                "200": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ListResponse_TenantOut_"}
                        }
                    }
                },
                "201": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/RegionOut"}}
                    }
                },
            }
        }
    }
    document["components"]["schemas"]["RegionOut"] = {"properties": {"name": {}}}
    assert answers(document) - answers(load_document()) == {"RegionOut"}
