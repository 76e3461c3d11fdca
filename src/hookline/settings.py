"""Every setting, read once from `HOOKLINE_*` environment variables (or CLI flags)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL (None for in-memory databases)."""
    for head in ("sqlite+aiosqlite:///", "sqlite:///"):
        if url.startswith(head):
            rest = url[len(head) :].split("?", 1)[0]
            return None if rest in ("", ":memory:") else Path(rest)
    return None
