"""Signing in and out, portal links, the session cookie and CSRF checks.

The session cookie holds a signed token (`services.sessions`): HttpOnly, SameSite=Strict,
limited to /ui, and Secure whenever the dashboard is reached over https. Every form
carries a CSRF token bound to the session; a POST without a valid one is refused (403).
The sign-in form, which comes before any session, is bound to a short-lived cookie of
its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from hookline.dashboard.rendering import (
    SESSION_COOKIE,
    CsrfRejected,
    PageRoute,
    SignInRequired,
    context_of,
    path,
    render,
)
from hookline.domain.errors import Unauthorized
from hookline.services import portal, sessions
from hookline.services.sessions import Session

LOGIN_COOKIE = "hookline_login"
LOGIN_COOKIE_TTL = 3600

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def served_over_https(request: Request) -> bool:
    public_url: str | None = getattr(request.app.state, "public_url", None)
    return request.url.scheme == "https" or bool(public_url and public_url.startswith("https:"))


def set_session_cookie(request: Request, response: Response, issued: sessions.Issued) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(sessions.SESSION_TTL.total_seconds()),
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=served_over_https(request),
    )


async def current_session(request: Request) -> Session:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired()
    try:
        session = await sessions.resume(context_of(request), token)
    except Unauthorized as exc:
        raise SignInRequired("ended") from exc
    request.state.session = session
    return session


SessionDep = Annotated[Session, Depends(current_session)]


async def checked_form(request: Request, session: SessionDep) -> FormData:
    """The posted form, once its CSRF token has been checked against the session."""
    form = await request.form()
    token = form.get("csrf")
    if not isinstance(token, str) or not sessions.csrf_valid(
        context_of(request), session.nonce, token
    ):
        raise CsrfRejected()
    return form


FormDep = Annotated[FormData, Depends(checked_form)]


def home_of(session: Session) -> str:
    tenant_id = session.principal.tenant_id
    return path("tenants", tenant_id) if tenant_id else path("tenants")


def _safe_next(value: object) -> str | None:
    """Only a path inside the dashboard, so the sign-in form cannot send anyone away."""
    if isinstance(value, str) and value.startswith("/ui/") and "\\" not in value:
        return value if not value.startswith("//") else None
    return None


@router.get("/ui")
async def ui_home(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            session = await sessions.resume(context_of(request), token)
        except Unauthorized:
            response = RedirectResponse(path("login", reason="ended"), status_code=303)
            response.delete_cookie(SESSION_COOKIE, path="/ui")
            return response
        return RedirectResponse(home_of(session), status_code=303)
    return RedirectResponse(path("login"), status_code=303)


REASONS = {
    "ended": "Your session has ended. Sign in again to continue.",
    "signed-out": "You have signed out.",
}


def _login_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    next_path: str | None = None,
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or sessions.new_nonce()
    ctx = context_of(request)
    response = render(
        request,
        "login.html",
        session=None,
        status=status,
        login_csrf=sessions.csrf_token(ctx, nonce),
        error=error,
        notice=REASONS.get(request.query_params.get("reason", "")),
        next_path=next_path,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_COOKIE_TTL,
        path="/ui/login",
        httponly=True,
        samesite="strict",
        secure=served_over_https(request),
    )
    return response


@router.get("/ui/login")
async def login_form(request: Request) -> Response:
    return _login_page(request, next_path=_safe_next(request.query_params.get("next")))


@router.post("/ui/login")
async def login(request: Request) -> Response:
    ctx = context_of(request)
    form = await request.form()
    token = form.get("csrf")
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not isinstance(token, str) or not sessions.csrf_valid(ctx, nonce, token):
        raise CsrfRejected()
    next_path = _safe_next(form.get("next"))
    key = form.get("key")
    try:
        issued = await sessions.sign_in(ctx, key if isinstance(key, str) else None)
    except Unauthorized as exc:
        return _login_page(request, status=401, error=exc.detail, next_path=next_path)
    response = RedirectResponse(next_path or home_of(issued.session), status_code=303)
    set_session_cookie(request, response, issued)
    response.delete_cookie(LOGIN_COOKIE, path="/ui/login")
    return response


@router.post("/ui/logout")
async def logout(_: FormDep) -> Response:
    response = RedirectResponse(path("login", reason="signed-out"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response


@router.get("/ui/portal/{token}")
async def open_portal(token: str, request: Request) -> Response:
    """Start a session bound to the link's tenant.

    The answer is a page that moves on by itself rather than a redirect: a SameSite=Strict
    cookie set while arriving from another site is not sent along that site's redirect,
    but it is with a navigation this page starts.
    """
    issued = await portal.open_link(context_of(request), token)
    target = home_of(issued.session)
    response = render(request, "portal_open.html", session=None, target=target)
    set_session_cookie(request, response, issued)
    # The link itself is a credential: never pass it on in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
