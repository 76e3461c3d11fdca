"""Every setting, read once from `HOOKLINE_*` environment variables (or CLI flags)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hookline.domain.egress_proxy_url import EgressProxy
from hookline.domain.retry import DEFAULT_SCHEDULE, parse_duration, parse_schedule
from hookline.store.database_url import SCHEMES as DATABASE_SCHEMES
from hookline.store.database_url import sqlite_path as sqlite_path
from hookline.store.sqlite_driver import DEFAULT_SQLITE_DRIVER, SqliteDriver

DEFAULT_DATABASE_URL = "sqlite:///./hookline-data/hookline.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOOKLINE_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path/to/file.db or postgresql://user:password@host:5432/database",
    )
    sqlite_driver: SqliteDriver = Field(
        default=DEFAULT_SQLITE_DRIVER,
        description="How SQLite's statements travel: fast (fewer trips to the driver's "
        "thread, built on SQLAlchemy's and aiosqlite's private parts) or stock (their "
        "public API alone)",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Where generated files live (master key); default: the SQLite file's folder "
        "or ./hookline-data",
    )
    host: str = Field(default="127.0.0.1", description="The address the API listens on")
    port: int = Field(default=8780, ge=1, le=65535, description="The TCP port the API listens on")
    public_url: str | None = Field(default=None, description="How users reach this server")

    admin_key: str | None = Field(
        default=None, min_length=24, description="The first admin key: any long random string"
    )
    secret_key: str | None = Field(default=None, description="Master key for secrets at rest")
    previous_secret_keys: str = Field(
        default="",
        description="Comma-separated older master keys still able to decrypt",
    )

    allow_http: bool = Field(
        default=False, description="Accept http:// endpoint URLs (development only)"
    )
    allow_private_targets: bool = Field(
        default=False, description="Allow loopback and private destinations (development only)"
    )
    ca_bundle: Path | None = Field(
        default=None,
        description="PEM file of CA certificates trusted for endpoints, beside the system's",
    )
    egress_proxy: str | None = Field(
        default=None,
        description="http://host:port of an HTTP CONNECT proxy that every attempt goes "
        "through (the network policy still judges each target first)",
    )

    api_rate_limit: float = Field(
        default=100.0,
        ge=0,
        description="API requests per second per tenant-bound key; 0 = no limit",
    )
    api_rate_burst: int = Field(
        default=200, ge=0, description="API requests a tenant-bound key may make at once"
    )
    operator_api_rate_limit: float = Field(
        default=0,
        ge=0,
        description="API requests per second per operator-wide key; 0 = no limit (the default)",
    )
    operator_api_rate_burst: int | None = Field(
        default=None,
        ge=1,
        description="API requests an operator-wide key may make at once; default twice its rate",
    )

    retry_schedule: str = Field(
        default=DEFAULT_SCHEDULE, description="Delays between attempts, e.g. 5s,5m,30m,2h"
    )
    max_endpoints_per_tenant: int = Field(
        default=10, ge=0, description="Endpoints a tenant may have; 0 = no limit"
    )
    max_payload_bytes: int = Field(
        default=256 * 1024, ge=1, description="Larger payloads are refused with 413"
    )
    retention_days: float = Field(
        default=30, gt=0, description="History older than this is deleted (never pending)"
    )
    retention_interval: float = Field(
        default=3600, gt=0, description="Seconds between retention runs"
    )
    disable_after: str = Field(
        default="5d", description="Disable an endpoint whose attempts all failed this long"
    )
    failing_alert_after: int = Field(
        default=5, ge=1, description="Consecutive failures that send endpoint.failing"
    )
    operational_webhook_url: str | None = Field(
        default=None, description="Where Hookline sends its own events"
    )
    operational_webhook_secret: str | None = Field(
        default=None, description="whsec_ secret signing the operational webhooks"
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="`hookline worker`: serve /metrics on this port"
    )
    metrics_token: str | None = Field(
        default=None,
        description="When set, /metrics answers only `Authorization: Bearer <this token>`",
    )

    worker_concurrency: int = Field(default=200, ge=1, description="Attempts in flight per worker")
    endpoint_max_in_flight: int = Field(
        default=10, ge=1, description="Attempts in flight per endpoint"
    )
    claim_batch_size: int = Field(
        default=100, ge=1, le=1000, description="Deliveries a worker claims at once"
    )
    lease_seconds: float = Field(
        default=60.0, gt=1, description="Seconds a claimed delivery is held from other workers"
    )
    poll_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks at the queue when nothing wakes"
    )
    shutdown_grace: float = Field(
        default=30.0, ge=0, description="On SIGTERM, seconds to finish attempts in flight"
    )

    log_level: str = Field(default="INFO", description="How much to log")
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per line"
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                "Hookline stores its data in SQLite or PostgreSQL: expected "
                "sqlite:///path/to/hookline.db or postgresql://user:password@host:5432/database"
            )
        return value

    @field_validator("metrics_token")
    @classmethod
    def _token_or_none(cls, value: str | None) -> str | None:
        return value or None  # HOOKLINE_METRICS_TOKEN= (empty) leaves /metrics open

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @field_validator("disable_after")
    @classmethod
    def _duration_parses(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def disable_after_seconds(self) -> float:
        return parse_duration(self.disable_after)

    @field_validator("ca_bundle")
    @classmethod
    def _bundle_loads(cls, value: Path | None) -> Path | None:
        """Loaded as the delivery client loads it (`delivery/tls.py`), to fail at start."""
        if value is not None:
            try:
                ssl.create_default_context().load_verify_locations(cafile=str(value))
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(f"cannot load the CA bundle {value}: {exc}") from exc
        return value

    @field_validator("egress_proxy")
    @classmethod
    def _proxy_parses(cls, value: str | None) -> str | None:
        if not value:
            return None
        EgressProxy.parse(value)
        return value

    @field_validator("retry_schedule")
    @classmethod
    def _schedule_parses(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @property
    def operator_burst(self) -> int:
        if self.operator_api_rate_burst is not None:
            return self.operator_api_rate_burst
        return max(1, round(2 * self.operator_api_rate_limit))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        if self.is_sqlite:
            path = sqlite_path(self.database_url)
            if path is not None:
                return path.parent
        return Path("./hookline-data")
