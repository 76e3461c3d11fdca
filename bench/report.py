"""The benchmark's output: result rows, the table printed at the end, and
bench/results/latest.json (machine, settings, every figure and each scenario's details)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import orjson

from bench.processes import REPO

DEFAULT_OUTPUT = REPO / "bench" / "results" / "latest.json"


@dataclass(frozen=True)
class Target:
    """A target from issue 8: `value` (or the ratio to the ceiling) `op` `limit`."""

    op: Literal[">=", "<="]
    limit: float
    on: Literal["value", "ratio"] = "value"
    aim: float | None = None

    def check(self, value: float | None, ratio: float | None) -> bool | None:
        x = ratio if self.on == "ratio" else value
        if x is None:
            return None
        return x >= self.limit if self.op == ">=" else x <= self.limit

    def text(self, unit: str) -> str:
        sign = "≥" if self.op == ">=" else "≤"
        suffix = "×" if self.on == "ratio" else f" {unit}"
        aim = f" (aim {self.aim:g}×)" if self.aim is not None else ""
        return f"{sign} {self.limit:g}{suffix}{aim}"


@dataclass
class Row:
    scenario: str
    figure: str
    value: float | None
    unit: str
    ratio: float | None = None  # to the ceiling measured in this run
    target: Target | None = None
    note: str = ""
    passed: bool | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.target is not None:
            self.passed = self.target.check(self.value, self.ratio)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["target"] = self.target.text(self.unit) if self.target else None
        return out


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(rows: list[Row]) -> str:
    head = ("scenario", "figure", "value", "unit", "× ceiling", "target", "result")
    body = [
        (
            r.scenario,
            r.figure,
            _fmt(r.value),
            r.unit,
            f"{r.ratio:.3f}" if r.ratio is not None else "",
            r.target.text(r.unit) if r.target else "",
            {True: "PASS", False: "FAIL", None: ""}[r.passed] if r.target else "",
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]
    right = {2, 4}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(head), line(tuple("-" * w for w in widths))]
    out += [line(cells) for cells in body]
    notes = [f"  {r.scenario}/{r.figure}: {r.note}" for r in rows if r.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git(*args: str) -> str | None:
    """Read-only git queries (GIT_OPTIONAL_LOCKS=0: not even the index is refreshed)."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=dict(os.environ, GIT_OPTIONAL_LOCKS="0"),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _hookline_version() -> str | None:
    try:
        return metadata.version("hookline")
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "memory_mib": mem_kib // 1024,
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "hookline": _hookline_version(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
    }


def write_json(
    path: Path,
    *,
    rows: list[Row],
    machine_info: dict[str, Any],
    settings: dict[str, Any],
    details: dict[str, Any],
    started: datetime,
    errors: dict[str, str],
) -> None:
    document = {
        "date": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info,
        "settings": settings,
        "results": [r.as_dict() for r in rows],
        "scenarios": details,
        "errors": errors,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial.json")  # git-ignored like latest.json
    tmp.write_bytes(
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    tmp.replace(path)
