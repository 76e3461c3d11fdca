"""The tables (SQLAlchemy Core). Migrations under `migrations/` must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from hookline.store.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = String(32)

event_types = Table(
    "event_types",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("schema", JSONType, nullable=True),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

tenants = Table(
    "tenants",
    metadata,
    Column("id", ID, primary_key=True),
    Column("uid", String(100), nullable=True, unique=True),
    Column("name", String(200), nullable=False),
    Column("meta", JSONType, nullable=False),
    Column("max_endpoints", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("uid", String(100), nullable=True),
    Column("url", Text, nullable=False),
    Column("description", String(100), nullable=False, server_default=""),
    Column("events", JSONType, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("timeout", Integer, nullable=False),
    Column("rate_limit", Integer, nullable=True),
    Column("max_in_flight", Integer, nullable=True),
    Column("ordering", String(16), nullable=False),
    Column("retry_schedule", String(200), nullable=True),
    Column("auth_type", String(20), nullable=False),
    # JSON of the credential fields, sealed with the master key (see domain.encryption).
    Column("auth_sealed", Text, nullable=True),
    Column("headers", JSONType, nullable=False),
    Column("signature", JSONType, nullable=False),
    # The channels this endpoint listens to (a JSON list); NULL: every message (0006).
    Column("channels", JSONType, nullable=True),
    Column("secret_sealed", Text, nullable=True),
    Column("previous_secret_sealed", Text, nullable=True),
    Column("previous_secret_expires_at", UTCDateTime, nullable=True),
    Column("failure_count", Integer, nullable=False, server_default="0"),
    Column("last_failure_at", UTCDateTime, nullable=True),
    Column("last_success_at", UTCDateTime, nullable=True),
    # Start of the current run of failures (cleared by a success): HOOKLINE_DISABLE_AFTER
    # counts from here.
    Column("failing_since", UTCDateTime, nullable=True),
    # Back-pressure's limit on attempts in flight, shared by every worker (AIMD; see
    # domain.flow); NULL while it is at the cap (max_in_flight or the deployment's).
    Column("concurrency_limit", Float, nullable=True),
    Column("deleted_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Send the attempt span's `traceparent` to this endpoint (0007).
    Column("send_trace_context", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("tenant_id", "uid"),
    Index(None, "tenant_id", "id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", ID, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("event_type", String(100), nullable=False),
    # The exact bytes every receiver gets, serialised once at publish.
    Column("body", LargeBinary, nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("ordering_key", String(255), nullable=True),
    # The message's channels (a JSON list), NULL when it has none (0006).
    Column("channels", JSONType, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # W3C traceparent of the publish span, when the publishing process traces: the
    # attempts' spans link to it, in whatever process they run (0007).
    Column("trace_context", String(55), nullable=True),
    # SHA-256 of what the publish asked for (event type, payload, ordering key): the same
    # idempotency key with another request is refused (409) instead of answered as this.
    Column("request_fingerprint", String(64), nullable=True),
    UniqueConstraint("tenant_id", "idempotency_key"),
    Index(None, "tenant_id", "id"),
    Index(None, "created_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("message_id", ID, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column(
        "endpoint_id",
        ID,
        ForeignKey("endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("tenant_id", ID, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("ordering_key", String(255), nullable=True),
    # Set only for endpoints with `ordering: fifo`: the ordering key ('' when none was
    # given). Deliveries sharing (endpoint, fifo_key) go one at a time, oldest first.
    Column("fifo_key", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempt_count", Integer, nullable=False, server_default="0"),
    # When the next attempt is due. While a worker holds the delivery this is the end of
    # its lease: a lease that runs out makes the delivery due again, for any worker.
    Column("next_attempt_at", UTCDateTime, nullable=True),
    # Set by each claim; a result is written only by the holder of the current token.
    Column("lease_token", String(32), nullable=True),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("last_response_code", Integer, nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "endpoint_id", "id"),
    Index(None, "message_id"),
    Index(None, "created_at"),
    # The queue: only pending rows, in due order. The endpoint and FIFO key ride along so
    # that a claim passes over rows of endpoints it skips without reading them (0003).
    Index(
        "ix_deliveries_due",
        "next_attempt_at",
        "endpoint_id",
        "fifo_key",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    # The head of each FIFO key: the oldest pending delivery of (endpoint, fifo_key).
    Index(
        "ix_deliveries_fifo_head",
        "endpoint_id",
        "fifo_key",
        "id",
        sqlite_where=text("status = 'pending' AND fifo_key IS NOT NULL"),
        postgresql_where=text("status = 'pending' AND fifo_key IS NOT NULL"),
    ),
)

# Rate limits shared by every worker: the earliest time (epoch seconds) the endpoint's
# next attempt may start. Reserving a slot moves it on by 1/rate in one UPDATE.
rate_slots = Table(
    "rate_slots",
    metadata,
    Column(
        "endpoint_id",
        ID,
        ForeignKey("endpoints.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("next_slot", Float, nullable=False),
)

# The cap on an endpoint's attempts in flight, held by every worker together: a worker
# sends to an endpoint only within the slots it holds here. Slots are taken in a claim,
# under the endpoint's lock, so that the live rows of an endpoint never add up to more
# than its limit; a row lives as long as a lease (`expires_at`, renewed with the
# worker's leases), so a dead worker's slots come back when its leases would.
endpoint_slots = Table(
    "endpoint_slots",
    metadata,
    Column(
        "endpoint_id",
        ID,
        ForeignKey("endpoints.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("holder", String(32), primary_key=True),  # one worker process
    Column("held", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "holder"),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "delivery_id",
        ID,
        ForeignKey("deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("endpoint_id", ID, nullable=False),
    Column("message_id", ID, nullable=False),
    Column("tenant_id", ID, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("attempt_number", Integer, nullable=False),
    Column("url", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("response_code", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    Column("error_message", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("request_headers", JSONType, nullable=False),
    Column("response_headers", Text, nullable=True),
    Index(None, "delivery_id", "id"),
    Index(None, "endpoint_id", "started_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("tenant_id", ID, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)
