"""Every setting, read once from `HOOKLINE_*` environment variables (or CLI flags)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hookline.domain.egress_proxy_url import EgressProxy
from hookline.domain.retry import DEFAULT_SCHEDULE, parse_duration, parse_schedule

DEFAULT_DATABASE_URL = "sqlite:///./hookline-data/hookline.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOOKLINE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path | None = Field(
        default=None,
        description="Where generated files live (master key); default: the SQLite file's folder "
        "or ./hookline-data",
    )
    host: str = "127.0.0.1"
    port: int = 8780
    public_url: str | None = Field(default=None, description="How users reach this server")

    admin_key: str | None = None
    secret_key: str | None = Field(default=None, description="Master key for secrets at rest")
    previous_secret_keys: str = Field(
        default="",
        description="Comma-separated older master keys still able to decrypt",
    )

    allow_http: bool = False
    allow_private_targets: bool = False
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
        default=100.0, ge=0, description="API requests per second per key; 0 = no limit"
    )
    api_rate_burst: int = Field(
        default=200, ge=0, description="API requests a key may make at once; 0 = no limit"
    )

    retry_schedule: str = DEFAULT_SCHEDULE
    max_endpoints_per_tenant: int = 10
    max_payload_bytes: int = 256 * 1024
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
        default=None, description="`hookline worker`: serve /metrics on this port"
    )

    worker_concurrency: int = Field(default=200, ge=1, description="Attempts in flight per worker")
    endpoint_max_in_flight: int = Field(default=10, ge=1)
    claim_batch_size: int = Field(default=100, ge=1, le=1000)
    lease_seconds: float = Field(default=60.0, gt=1)
    poll_interval: float = Field(default=1.0, gt=0)
    shutdown_grace: float = Field(default=30.0, ge=0)

    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

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


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL (None for in-memory databases)."""
    for head in ("sqlite+aiosqlite:///", "sqlite:///"):
        if url.startswith(head):
            rest = url[len(head) :].split("?", 1)[0]
            return None if rest in ("", ":memory:") else Path(rest)
    return None
