"""Commands for both sides of the wire: `listen` (a local receiver for development),
`send` and `endpoints list|test` (through the API with `hookline.client`), and
`openapi` (the API's document, written without a database)."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from hookline.client import Client, HooklineError
from hookline.domain.outgoing import CONNECTION_HEADERS
from hookline.verify import (
    InvalidSecretError,
    Webhook,
    WebhookVerificationError,
    verify_hex,
)

DEFAULT_URL = "http://127.0.0.1:8780"
OPENAPI_PATH = Path("docs/openapi.json")
# Hop-by-hop headers and those the forwarding client sets itself; everything else
# (webhook-*, auth, custom headers) is forwarded as received.
_NOT_FORWARDED = (
    frozenset({"host", "content-length", "proxy-authorization", "proxy-connection"})
    | CONNECTION_HEADERS
)

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
    app.command("listen")(listen)
    app.command("send")(send)
    app.command("openapi")(openapi)
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


# -- send and endpoints ----------------------------------------------------------------


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


# -- listen ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool | None  # None: not checked
    reason: str


@dataclass(frozen=True, slots=True)
class Checker:
    """How `listen` judges a request: Standard Webhooks when it carries
    `webhook-signature`, else the hex scheme's header."""

    secret: str | None
    hex_header: str
    hex_prefix: str | None

    def check(self, body: bytes, headers: Mapping[str, str]) -> Verdict:
        if self.secret is None:
            return Verdict(None, "not checked (no --secret)")
        lower = {k.lower(): v for k, v in headers.items()}
        try:
            if "webhook-signature" in lower:
                Webhook(self.secret).verify_signature(body, lower)
                return Verdict(True, "Standard Webhooks signature and timestamp")
            value = lower.get(self.hex_header.lower())
            prefix = self.hex_prefix
            if prefix is None:
                prefix = "sha256=" if value and value.startswith("sha256=") else ""
            verify_hex(body, value, self.secret, prefix=prefix)
            return Verdict(True, f"{self.hex_header} (hmac-sha256-hex)")
        except WebhookVerificationError as exc:
            return Verdict(False, str(exc))
        except InvalidSecretError as exc:
            return Verdict(False, f"unusable --secret: {exc}")


def _show(method: str, path: str, body: bytes, headers: Mapping[str, str], v: Verdict) -> None:
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = None
    event_type = parsed.get("type") if isinstance(parsed, dict) else None
    msg_id = headers.get("webhook-id") or (parsed.get("id") if isinstance(parsed, dict) else None)
    out.rule(f"{event_type or '(no type)'}  {msg_id or '(no id)'}", align="left")
    out.print(f"{method} {path}  {len(body)} bytes")
    if v.ok is None:
        out.print(Text.assemble(("signature ", ""), ("UNVERIFIED", "yellow"), f"  {v.reason}"))
    elif v.ok:
        out.print(Text.assemble(("signature ", ""), ("OK", "bold green"), f"  {v.reason}"))
    else:
        out.print(Text.assemble(("signature ", ""), ("BAD", "bold red"), f"  {v.reason}"))
    if parsed is not None:
        out.print(JSON.from_data(parsed))
    else:
        out.print(body.decode("utf-8", "replace"))


def _serve(port: int, checker: Checker, forward_to: str | None) -> None:
    from aiohttp import ClientError, ClientSession, ClientTimeout, web

    async def session_ctx(app: web.Application) -> AsyncIterator[None]:
        # Never decompress or rewrite: the forwarded answer goes back as received.
        async with ClientSession(timeout=ClientTimeout(total=60), auto_decompress=False) as s:
            app["session"] = s
            yield

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        verdict = checker.check(body, request.headers)
        _show(request.method, request.path_qs, body, request.headers, verdict)
        if forward_to is None:
            return web.Response(status=200, text="ok")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED]
        session: ClientSession = request.app["session"]
        try:
            async with session.request(
                request.method, forward_to, data=body, headers=headers, allow_redirects=False
            ) as resp:
                answer = await resp.read()
                out.print(f"→ forwarded to {forward_to}: HTTP {resp.status}")
                kept = {
                    k: v
                    for k, v in resp.headers.items()
                    if k.lower() in ("content-type", "content-encoding", "retry-after")
                }
                return web.Response(status=resp.status, body=answer, headers=kept)
        except (ClientError, TimeoutError) as exc:
            out.print(Text(f"→ forwarding to {forward_to} failed: {exc!r}", style="red"))
            return web.Response(status=502, text=f"forwarding failed: {exc!r}")

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", handle)
    where = f"http://127.0.0.1:{port}"
    mode = "verifying signatures" if checker.secret else "not verifying (no --secret)"
    target = f", forwarding to {forward_to}" if forward_to else ""
    out.print(f"Listening on {where} ({mode}{target}). Ctrl-C to stop.")
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def listen(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1")] = 8790,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            envvar="HOOKLINE_WEBHOOK_SECRET",
            help="whsec_ secret or whpk_ public key (or an hmac-sha256-hex secret)",
        ),
    ] = None,
    forward_to: Annotated[
        str | None, typer.Option("--forward-to", help="Forward each request to this URL")
    ] = None,
    hex_header: Annotated[
        str, typer.Option(help="Signature header of the hmac-sha256-hex scheme")
    ] = "X-Webhook-Signature",
    hex_prefix: Annotated[
        str | None, typer.Option(help="Prefix of the hex signature (default: sha256= if present)")
    ] = None,
) -> None:
    """A local receiver for development: verify, print and forward each webhook.

    With --forward-to, each request goes on unchanged (same body bytes, same headers)
    and its sender gets the forward target's answer.
    """
    _serve(port, Checker(secret, hex_header, hex_prefix), forward_to)


# -- openapi ---------------------------------------------------------------------------


def openapi_document() -> dict[str, Any]:
    """The document `/openapi.json` serves, from an app that is built but never started
    (nothing connects to a database)."""
    from hookline.app import Runtime
    from hookline.domain.encryption import new_master_key
    from hookline.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            database_url=f"sqlite:///{scratch}/unused.db",
            secret_key=new_master_key(),
            data_dir=Path(scratch),
        )
        # The engine is made but never connects, so there is nothing to close.
        runtime = Runtime.build(settings)
        document: dict[str, Any] = runtime.web_app(with_worker=False).openapi()
    return document


def render_openapi() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def openapi(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write it ('-' for stdout)")
    ] = OPENAPI_PATH,
    check: Annotated[
        bool, typer.Option("--check", help="Only check that the file is up to date")
    ] = False,
) -> None:
    """Write the API's OpenAPI document (docs/openapi.json)."""
    text = render_openapi()
    if str(output) == "-":
        sys.stdout.write(text)
        return
    if check:
        current = output.read_text() if output.exists() else ""
        if current != text:
            err.print(f"{output} is out of date: run `hookline openapi --output {output}`")
            raise typer.Exit(1)
        err.print(f"{output} is up to date.")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    err.print(f"Wrote {output}.")
