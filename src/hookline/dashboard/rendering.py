"""How dashboard pages are made: templates, filters, error pages and response headers.

`PageRoute` is the route class of every dashboard router. It turns what a handler
raises into a page a person can read (a sign-in redirect, a 403, a 404 ...) instead of
the API's problem+json, and gives every page the same protective headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from hookline import __version__
from hookline.domain import errors as e
from hookline.domain.clock import utcnow
from hookline.domain.models import Principal
from hookline.services.access import Permission, allows
from hookline.services.context import Context
from hookline.services.sessions import Session, csrf_token

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
HTMX_VERSION = "2.0.11"
HTMX_FILE = f"htmx-{HTMX_VERSION}.min.js"

templates = Jinja2Templates(directory=HERE / "templates")

# Scripts and styles come from this server alone; nothing may frame the dashboard.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show secrets once and tenants' data: never keep them in a shared cache.
    "Cache-Control": "no-store",
}


SESSION_COOKIE = "hookline_session"


class SignInRequired(Exception):
    """No session, or one that ended; `reason` is a code the sign-in page explains."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfRejected(Exception):
    pass


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def path(*parts: str, **query: str | None) -> str:
    """A dashboard URL: `/ui/` + the quoted parts, and the query without empty values."""
    url = "/ui/" + "/".join(quote(p, safe="") for p in parts)
    args = {k: v for k, v in query.items() if v not in (None, "")}
    return url + ("?" + urlencode(args) if args else "")


# -- filters -------------------------------------------------------------------------


def format_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def time_ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = ((now or utcnow()) - value).total_seconds()
    if abs(seconds) < 5:
        return "just now"
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            break
    else:
        amount = f"{int(seconds)} s"
    return f"in {amount}" if future else f"{amount} ago"


def percent(rate: float | None) -> str:
    if rate is None:
        return "—"
    value = rate * 100
    return f"{value:.0f} %" if value in (0, 100) else f"{value:.1f} %"


def milliseconds(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def pretty_body(value: bytes | str | None) -> str:
    """JSON indented for reading; anything else as text."""
    if value is None:
        return ""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def input_time(value: datetime | None) -> str:
    """A datetime as the value of an `<input type="datetime-local">` (UTC)."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


env = templates.env
env.filters.update(
    time=format_time,
    ago=time_ago,
    percent=percent,
    ms=milliseconds,
    body=pretty_body,
    json=pretty_json,
    input_time=input_time,
)
env.globals.update(path=path, version=__version__, htmx_file=HTMX_FILE)


# -- rendering -----------------------------------------------------------------------


def permissions(principal: Principal) -> dict[str, bool]:
    return {
        "manage": allows(principal, Permission.MANAGE_ENDPOINTS),
        "operate": allows(principal, Permission.OPERATE),
        "admin": allows(principal, Permission.ADMIN),
    }


def render(
    request: Request,
    name: str,
    *,
    session: Session | None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> Response:
    ctx = context_of(request)
    context: dict[str, Any] = {
        "session": session,
        "principal": session.principal if session else None,
        "operator": session is not None and session.principal.tenant_id is None,
        "can": permissions(session.principal) if session else {},
        "csrf": csrf_token(ctx, session.nonce) if session else "",
        "current_path": request.url.path,
        **values,
    }
    return templates.TemplateResponse(
        request, name, context, status_code=status, headers=dict(headers or {})
    )


_STATUS: list[tuple[type[e.HooklineError], int]] = [
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.Forbidden, 403),
    (e.Unauthorized, 401),
    (e.InvalidInput, 422),
    (e.RefusedTarget, 400),
    (e.PayloadTooLarge, 413),
    (e.RateLimited, 429),
]


def status_of(exc: e.HooklineError) -> int:
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 500)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    session: Session | None = getattr(request.state, "session", None)
    name = "_alert.html" if is_htmx(request) else "error.html"
    return render(request, name, session=session, status=status, title=title, detail=detail)


def sign_in_redirect(request: Request, reason: str | None) -> Response:
    """To the sign-in page, coming back here afterwards (for pages, not form posts)."""
    next_path = None
    if request.method == "GET":
        next_path = request.url.path + ("?" + request.url.query if request.url.query else "")
    login = path("login", next=next_path, reason=reason)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": login})
    response = RedirectResponse(login, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response


class PageRoute(APIRoute):
    """A dashboard route: errors become pages, and every response gets the headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired as exc:
                response = sign_in_redirect(request, exc.reason)
            except CsrfRejected:
                response = error_page(
                    request,
                    403,
                    "Form refused",
                    "This form is missing its security token or the token is not valid for "
                    "your session. Reload the page and try again.",
                )
            except e.HooklineError as exc:
                response = error_page(request, status_of(exc), exc.title, exc.detail)
            except RequestValidationError as exc:
                detail = "; ".join(
                    f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
                    for err in exc.errors()
                )
                response = error_page(request, 422, "Not a valid request", detail)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return run
