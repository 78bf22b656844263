"""Who is calling the API, and may they: a bearer token checked on EVERY request.

The check runs before every view of the API app (not per view), so a route added later is
protected without anyone remembering to: reads need `viewer`, every other method `sender`,
and a view may ask for more with `@requires("admin")`. Tokens come only from the
`Authorization: Bearer otr_…` header; the API reads no cookies, so it needs no CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from outreach.access.tokens import TokenAuth, authenticate
from outreach.audit import Actor
from outreach.web.api.problems import Problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json"})
F = TypeVar("F", bound=Callable[..., Any])


def requires(role: str) -> Callable[[F], F]:
    """Mark a view as needing at least `role` (checked by `check_request`)."""
    def mark(view: F) -> F:
        view.api_role = role  # type: ignore[attr-defined]
        return view

    return mark


def required_role(view: Any, method: str) -> str:
    declared = getattr(view, "api_role", None)
    floor = "viewer" if method in SAFE_METHODS else "sender"
    if declared is None:
        return floor
    order = ("viewer", "sender", "admin")
    return max(declared, floor, key=order.index)


def check_request() -> None:
    """before_request: 401 without a valid token, 429 over its limit, 403 below the role."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return  # 404/405 are answered by the error handlers; the spec is public
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Problem(401, "send an API token: Authorization: Bearer otr_…",
                      headers={"WWW-Authenticate": 'Bearer realm="outreach"'})
    ctx = current_app.extensions["outreach"]
    with ctx.sessions() as session:
        auth = authenticate(session, value.strip())
    if auth is None:
        raise Problem(401, "unknown or revoked API token",
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    wait = current_app.extensions["api_limiter"].hit(auth.token_id)
    if wait is not None:
        raise Problem(429, "too many requests for this token; slow down",
                      headers={"Retry-After": str(int(wait) + 1)})
    view = current_app.view_functions[request.endpoint]
    role = required_role(view, request.method)
    if not auth.has(role):
        raise Problem(403, f"this token acts as {auth.role}; this needs {role}")
    g.api_auth = auth
    refuse_nul()


def refuse_nul() -> None:
    """No NUL characters in any text (PostgreSQL cannot store or even compare them)."""
    sources: list[tuple[str, Any]] = [*request.args.items(multi=True),
                                      *request.form.items(multi=True)]
    if request.is_json:
        sources.append(("body", request.get_json(silent=True)))
    for name, value in sources:
        field = _nul_field(name, value)
        if field:
            raise Problem(422, "text must not contain NUL characters", field=field)


def _nul_field(name: str, value: Any) -> str | None:
    if isinstance(value, str):
        return name if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_field(str(key), item) or ("key" if "\x00" in str(key) else None)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_field(f"{name}[{i}]", item)
            if found:
                return found
    return None


def current_auth() -> TokenAuth:
    return g.api_auth  # type: ignore[no-any-return]


def api_actor() -> Actor:
    """For the audit log: the token's user and token name."""
    auth = current_auth()
    return Actor(auth.email, "api")
