"""`hookline send` and `hookline endpoints list|test`: the API's commands a publisher runs,
through `hookline.client`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hookline.client import Client, HooklineError

DEFAULT_URL = "http://127.0.0.1:8780"

endpoints_app = typer.Typer(help="Endpoints, through the API.", no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

UrlOpt = Annotated[
    str,
    typer.Option("--url", envvar="HOOKLINE_URL", help="Hookline's API (HOOKLINE_URL)"),
]
KeyOpt = Annotated[
    str | None,
    typer.Option("--key", envvar="HOOKLINE_API_KEY", help="API key (HOOKLINE_API_KEY)"),
]
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant id or uid")]


def register(app: typer.Typer) -> None:
    """Add these commands to the main `hookline` command."""
    app.command("send")(send)
    app.add_typer(endpoints_app, name="endpoints")


def _fail(exc: HooklineError) -> typer.Exit:
    head = f"{exc.status} {exc.title}: " if exc.status else ""
    err.print(Text.assemble(("Error: ", "bold red"), head + exc.detail))
    for e in exc.errors:
        err.print(f"  {e.location}: {e.message}")
    return typer.Exit(1)


def _json_arg(text: str) -> Any:
    """JSON given inline, or `@file` (`@-` for standard input)."""
    if text.startswith("@"):
        name = text[1:]
        text = sys.stdin.read() if name == "-" else Path(name).read_text()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}") from exc


def send(
    tenant: TenantOpt,
    event_type: Annotated[str, typer.Option("--type", help="Event type, e.g. invoice.paid")],
    data: Annotated[
        str, typer.Option("--data", help="The payload: JSON, or @file.json, or @- for stdin")
    ] = "{}",
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Publish at most once per key")
    ] = None,
    url: UrlOpt = DEFAULT_URL,
    key: KeyOpt = None,
) -> None:
    """Publish an event through the API."""
    payload = _json_arg(data)
    try:
        with Client(url, key) as client:
            msg = client.messages.publish(
                tenant=tenant,
                event_type=event_type,
                payload=payload,
                idempotency_key=idempotency_key,
            )
    except HooklineError as exc:
        raise _fail(exc) from exc
    out.print(f"Published {msg.id} ({msg.event_type}) to {msg.deliveries} endpoint(s).")


@endpoints_app.command("list")
def endpoints_list(tenant: TenantOpt, url: UrlOpt = DEFAULT_URL, key: KeyOpt = None) -> None:
    """List a tenant's endpoints."""
    table = Table("id", "uid", "url", "events", "enabled", "failures", "scheme")
    try:
        with Client(url, key) as client:
            for ep in client.endpoints.list(tenant=tenant):
                table.add_row(
                    ep.id,
                    ep.uid or "-",
                    ep.url,
                    ", ".join(ep.events),
                    "yes" if ep.enabled else f"no ({ep.disabled_reason or 'disabled'})",
                    str(ep.failure_count),
                    ep.signature.scheme,
                )
    except HooklineError as exc:
        raise _fail(exc) from exc
    Console(width=200).print(table)


@endpoints_app.command("test")
def endpoints_test(
    endpoint: Annotated[str, typer.Argument(help="Endpoint id or uid")],
    tenant: TenantOpt,
    event_type: Annotated[
        str | None, typer.Option("--type", help="Event type (default webhook.test)")
    ] = None,
    data: Annotated[str | None, typer.Option("--data", help="Payload: JSON or @file")] = None,
    url: UrlOpt = DEFAULT_URL,
    key: KeyOpt = None,
) -> None:
    """Send a test event to one endpoint and print the first attempt's outcome."""
    payload = _json_arg(data) if data is not None else None
    try:
        with Client(url, key) as client:
            result = client.endpoints.test(
                tenant=tenant, endpoint=endpoint, event_type=event_type, payload=payload, wait=True
            )
    except HooklineError as exc:
        raise _fail(exc) from exc
    a = result.attempt
    if a is None:
        out.print(f"Delivery {result.delivery_id}: {result.outcome} (status {result.status}).")
    else:
        code = f"HTTP {a.response_code}" if a.response_code is not None else "no answer"
        detail = f" — {a.error_message}" if a.error_message else ""
        out.print(
            f"Delivery {result.delivery_id}: {result.outcome} ({code} in {a.duration_ms} ms)"
            f"{detail}."
        )
    if result.outcome == "failed":
        raise typer.Exit(1)
