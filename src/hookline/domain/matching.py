"""Which event types an endpoint's `events` patterns subscribe to.

A pattern is an exact name, `"*"` for everything, or dotted segments where a segment
`*` matches exactly one segment and a trailing `*` segment matches one or more
(`contact.*` matches `contact.created` and `contact.note.added`, not `contact`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
PATTERN_RE = re.compile(r"^(\*|[A-Za-z0-9*][A-Za-z0-9_.\-*]{0,99})$")


def is_valid_name(name: str) -> bool:
    return bool(NAME_RE.match(name))


def is_pattern(value: str) -> bool:
    return "*" in value


def is_valid_pattern(pattern: str) -> bool:
    if not PATTERN_RE.match(pattern):
        return False
    if pattern == "*":
        return True
    return all(seg == "*" or (seg and "*" not in seg) for seg in pattern.split("."))


def matches(pattern: str, event_type: str) -> bool:
    if pattern == "*" or pattern == event_type:
        return True
    if "*" not in pattern:
        return False
    p_segs = pattern.split(".")
    e_segs = event_type.split(".")
    for i, seg in enumerate(p_segs):
        last = i == len(p_segs) - 1
        if i >= len(e_segs):
            return False
        if seg == "*":
            if last:
                return True
            continue
        if seg != e_segs[i]:
            return False
    return len(p_segs) == len(e_segs)


def subscribes(patterns: Iterable[str], event_type: str) -> bool:
    return any(matches(p, event_type) for p in patterns)
