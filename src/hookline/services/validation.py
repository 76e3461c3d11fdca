"""Checks shared by several services (uids, names)."""

from __future__ import annotations

import re

from hookline.domain.errors import ValidationReport

UID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_ID_PREFIXES = ("ten_", "ep_", "msg_", "dlv_", "att_", "key_")


def check_uid(report: ValidationReport, uid: str | None, location: str) -> None:
    if uid is None:
        return
    if not UID_RE.match(uid):
        report.add(location, "1–100 of letters, digits, '_', '.', '-'; starts alnum", uid)
    elif uid.startswith(_ID_PREFIXES):
        report.add(location, "a uid may not look like an id (no id prefix)", uid)
