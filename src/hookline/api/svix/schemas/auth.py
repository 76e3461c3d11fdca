"""Svix's app-portal access: a Hookline portal link."""

from __future__ import annotations

from pydantic import Field

from hookline.api.svix.schemas.applications import ApplicationIn
from hookline.api.svix.schemas.common import SvixIn, SvixOut

DEFAULT_EXPIRY = 7 * 86400  # Svix's default, and Hookline's longest portal link


class AppPortalAccessIn(SvixIn):
    application: ApplicationIn | None = None
    expiry: int | None = Field(default=None, ge=3600, le=DEFAULT_EXPIRY)
    read_only: bool | None = None
    capabilities: list[str] | None = None
    feature_flags: list[str] | None = None
    session_id: str | None = None


class AppPortalAccessOut(SvixOut):
    url: str
    token: str
