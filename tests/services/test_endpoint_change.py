"""services.endpoint_change: what a change does to the endpoint as stored, with no
database — unset fields stay, null clears or resets, masks keep, header edits ignore
case, and what a scheme change does to the secret."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hookline.domain.errors import InvalidInput, ValidationReport
from hookline.domain.models import AuthType, Endpoint, EndpointAuth, Ordering, SignatureConfig
from hookline.domain.outgoing import MASK
from hookline.domain.signing import (
    HMAC_SHA256_HEX,
    STANDARD_WEBHOOKS,
    STANDARD_WEBHOOKS_ED25519,
    generate_secret,
    generate_signing_key,
)
from hookline.services.endpoint_change import (
    UNSET,
    EndpointChange,
    HeaderEdit,
    SecretMove,
    Unset,
    not_null,
    secret_move,
    spec_of,
)
from hookline.services.endpoint_rules import EndpointSpec

NOW = datetime(2026, 1, 1, tzinfo=UTC)
STORED = Endpoint(
    id="ep_1",
    tenant_id="ten_1",
    uid="crm",
    url="https://hooks.example.com/in",
    description="CRM",
    events=("invoice.paid",),
    enabled=True,
    disabled_reason=None,
    timeout=10,
    rate_limit=5,
    max_in_flight=3,
    ordering=Ordering.UNORDERED,
    retry_schedule=(1.0, 2.0),
    auth=EndpointAuth(AuthType.BASIC, {"username": "u", "password": "pw"}),
    headers={"X-Team": "billing"},
    signature=SignatureConfig(HMAC_SHA256_HEX, header="X-Sig"),
    has_secret=True,
    failure_count=0,
    last_failure_at=None,
    last_success_at=None,
    created_at=NOW,
    updated_at=NOW,
    send_trace_context=True,
    channels=("eu",),
)


def test_an_empty_change_leaves_the_endpoint_as_stored() -> None:
    assert EndpointChange().spec_after(STORED) == spec_of(STORED)
    assert repr(UNSET) == "UNSET"


def test_each_field_set_replaces_only_itself() -> None:
    after = EndpointChange(description="New", timeout=60, events=("a.b",)).spec_after(STORED)
    assert (after.description, after.timeout, after.events) == ("New", 60, ["a.b"])
    assert (after.uid, after.rate_limit, after.channels) == ("crm", 5, ["eu"])
    assert after.auth == STORED.auth and after.headers == {"X-Team": "billing"}


def test_null_clears_the_clearable_fields_and_resets_auth_and_signature() -> None:
    after = EndpointChange(
        uid=None,
        rate_limit=None,
        max_in_flight=None,
        retry_schedule=None,
        channels=None,
        auth=None,
        signature=None,
    ).spec_after(STORED)
    assert (after.uid, after.rate_limit, after.max_in_flight) == (None, None, None)
    assert (after.retry_schedule, after.channels) == (None, None)
    assert after.auth == EndpointAuth(AuthType.NONE)
    assert after.signature == SignatureConfig()


def test_a_mask_keeps_the_stored_credential_of_the_same_type_only() -> None:
    echoed = EndpointAuth(AuthType.BASIC, {"username": "v", "password": MASK})
    after = EndpointChange(auth=echoed).spec_after(STORED)
    assert after.auth == EndpointAuth(AuthType.BASIC, {"username": "v", "password": "pw"})
    with pytest.raises(InvalidInput) as caught:
        EndpointChange(auth=EndpointAuth(AuthType.BEARER, {"token": MASK})).spec_after(STORED)
    assert [e.location for e in caught.value.errors] == ["body.auth.token"]


def test_a_header_edit_ignores_case_and_a_mapping_replaces_them_all() -> None:
    edit = HeaderEdit(put={"x-team": "sales", "X-Drop": None}, remove=("X-NONE",))
    assert EndpointChange(headers=edit).spec_after(STORED).headers == {"x-team": "sales"}
    removed = HeaderEdit(remove=("x-TEAM",))
    assert EndpointChange(headers=removed).spec_after(STORED).headers == {}
    assert EndpointChange(headers={"A": "1"}).spec_after(STORED).headers == {"A": "1"}


def test_a_new_spec_is_the_fields_over_the_defaults() -> None:
    fresh = EndpointChange(url="https://x.example/in", events=("a.b",)).new_spec()
    assert fresh == EndpointSpec(url="https://x.example/in", events=["a.b"])
    assert fresh.generate_secret  # a new endpoint gets a secret unless told otherwise


def test_replacing_sets_every_field_of_the_spec_but_the_secret() -> None:
    spec = EndpointSpec(
        url="https://x.example/in",
        events=["a.b"],
        timeout=20,
        headers={"B": "2"},
        secret="whsec_ignored",
        channels=["us"],
    )
    after = EndpointChange.replacing(spec).spec_after(STORED)
    assert after == EndpointSpec(
        url="https://x.example/in",
        events=["a.b"],
        timeout=20,
        headers={"B": "2"},
        channels=["us"],
        generate_secret=False,
    )


def test_not_null_reports_a_null_and_leaves_the_field_unset() -> None:
    report = ValidationReport()
    assert not_null(report, "body.url", "https://x.example") == "https://x.example"
    assert isinstance(not_null(report, "body.timeout", None), Unset)
    assert [(e.location, e.message) for e in report.errors] == [("body.timeout", "may not be null")]


def test_what_a_scheme_change_does_to_the_secret() -> None:
    shared, key = generate_secret(), generate_signing_key()
    assert secret_move(HMAC_SHA256_HEX, shared) is SecretMove.KEEP
    assert secret_move(STANDARD_WEBHOOKS, shared) is SecretMove.KEEP
    assert secret_move(STANDARD_WEBHOOKS, key) is SecretMove.KEEP
    assert secret_move(STANDARD_WEBHOOKS_ED25519, shared) is SecretMove.NEW_KEY
    assert secret_move(STANDARD_WEBHOOKS_ED25519, key) is SecretMove.SHOW_KEY
    with pytest.raises(InvalidInput, match="switch to standard-webhooks") as caught:
        secret_move(HMAC_SHA256_HEX, key)
    assert [e.location for e in caught.value.errors] == ["body.signature.scheme"]
