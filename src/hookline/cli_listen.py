"""`hookline listen`: a local receiver for development that verifies, prints and
forwards each webhook it gets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.json import JSON
from rich.text import Text

from hookline.domain.outgoing import CONNECTION_HEADERS
from hookline.verify import (
    InvalidSecretError,
    Webhook,
    WebhookVerificationError,
    verify_hex,
)

# Hop-by-hop headers and those the forwarding client sets itself; everything else
# (webhook-*, auth, custom headers) is forwarded as received.
_NOT_FORWARDED = (
    frozenset({"host", "content-length", "proxy-authorization", "proxy-connection"})
    | CONNECTION_HEADERS
)
out = Console(highlight=False)


def register(app: typer.Typer) -> None:
    """Add `listen` to the main `hookline` command."""
    app.command("listen")(listen)


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
