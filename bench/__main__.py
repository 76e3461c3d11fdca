"""`python -m bench` (`make bench`): Hookline against the bare-HTTP ceiling, in one run.

    python -m bench                        # every scenario, full size (several minutes)
    python -m bench --quick                # smaller counts: a smoke run of about a minute
    python -m bench --only e2e,drain       # a subset (the ceiling runs too when needed)
    python -m bench --messages 5000        # messages for e2e, drain, noisy, postgres
    python -m bench --set HOOKLINE_CLAIM_BATCH_SIZE=500   # compare a setting

Progress goes to stderr; the table to stdout; everything to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.processes import BENCH_SETTINGS, start_receiver
from bench.scenarios import ALIASES, NEED_CEILING, SCENARIOS
from bench.scenarios.common import Config, Context

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Hookline's benchmark (issue 8)."
    )
    parser.add_argument("--quick", action="store_true", help="smaller counts (about a minute)")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help=f"comma-separated subset of: {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--messages",
        type=int,
        metavar="N",
        help="messages for e2e, drain, noisy and postgres (default 20000; --quick 1000)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=report.DEFAULT_OUTPUT,
        help="where to write the JSON results (default bench/results/latest.json)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HOOKLINE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="an admin connection; the benchmark creates and drops its own databases",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="HOOKLINE_NAME=VALUE",
        help="a Hookline setting for every hookline started (repeatable), to compare settings",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs, databases)"
    )
    args = parser.parse_args(argv)
    if args.messages is not None and args.messages < 1:
        parser.error("--messages must be at least 1")
    try:
        args.selected = select(args.only)
        args.overrides = overrides(args.set)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def overrides(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.startswith("HOOKLINE_"):
            raise ValueError(f"--set takes HOOKLINE_NAME=VALUE, not {pair!r}")
        out[name] = value
    return out


def select(only: str | None) -> list[str]:
    if not only:
        return list(SCENARIOS)
    wanted = {ALIASES.get(n.strip(), n.strip()) for n in only.split(",") if n.strip()}
    unknown = wanted - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if wanted & NEED_CEILING:
        wanted.add("ceiling")
    return [name for name in SCENARIOS if name in wanted]


def _settings(config: Config, overrides: dict[str, str]) -> dict[str, object]:
    return {
        "config": config.as_dict(),
        "overrides": overrides,
        "hookline_env": {
            **BENCH_SETTINGS,
            "HOOKLINE_ADMIN_KEY": "<fixed bench key>",
            "HOOKLINE_SECRET_KEY": "<generated per run>",
            "HOOKLINE_DATA_DIR": "<fresh per scenario, under a temporary directory>",
            "HOOKLINE_MAX_ENDPOINTS_PER_TENANT": "0 in fanout only",
        },
        "hookline_flags": "--dev (http:// and loopback endpoints allowed)",
        "defaults_kept": "worker concurrency 200, claim batch 100, endpoint max_in_flight "
        "10 (fan-out, hanging endpoint), lease 60 s, log level INFO",
        "single_endpoint_max_in_flight": config.endpoint_max_in_flight,
        "receiver": "raw asyncio Protocol + httptools on uvloop, separate process, "
        "200 empty body, keep-alive",
        "publisher": "aiohttp on uvloop in the benchmark's process, admin key, orjson",
    }


async def run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    config = Config.make(quick=args.quick, messages=args.messages, postgres_url=args.postgres_url)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is not None:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    workdir = Path(tempfile.mkdtemp(prefix="hookline-bench-"))
    receiver = await start_receiver("receiver", workdir)
    secret_key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    ctx = Context(
        config=config,
        workdir=workdir,
        receiver=receiver,
        secret_key=secret_key,
        overrides=args.overrides,
    )
    machine = report.machine()
    ctx.scenario = "bench"
    ctx.log(
        f"scenarios: {', '.join(args.selected)}; {'quick' if config.quick else 'full'} run; "
        f"{machine['cpu_count']} CPUs, load {machine['load_average_at_start']}; work in {workdir}"
        + (f"; settings {args.overrides}" if args.overrides else "")
    )
    rows: list[report.Row] = []
    errors: dict[str, str] = {}
    try:
        for name in args.selected:
            ctx.scenario = name
            ctx.log("starting")
            try:
                rows += await SCENARIOS[name](ctx)
            except Exception as exc:  # one scenario's failure must not lose the others
                errors[name] = f"{type(exc).__name__}: {exc}"
                ctx.log(f"FAILED: {errors[name]}")
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                rows.append(report.Row(name, "FAILED", None, "", note=first_line[:160]))
    finally:
        await receiver.close()
        receiver.stop()
    machine["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(report.table(rows))
    report.write_json(
        args.output,
        rows=rows,
        machine_info=machine,
        settings=_settings(config, args.overrides),
        details=ctx.details,
        started=started,
        errors=errors,
    )
    print(f"\nwritten: {args.output}")
    if args.keep or errors:
        print(f"logs and databases kept in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import uvloop

        return uvloop.run(run(args))
    except KeyboardInterrupt:
        print("\ninterrupted: every subprocess was stopped", file=sys.stderr)
        return 130
    except asyncio.CancelledError:
        print("\nterminated: every subprocess was stopped", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
