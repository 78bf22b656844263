"""Who is asking, and may they: the console's role checks, done on the server for every route.

Roles rank `viewer` < `sender` < `admin`. `requires(role)` wraps a view; `current_actor()`
names the logged-in user for the audit log.

The user comes from the request's server-side session (`auth.live_session`). The session
opened with the shared OUTREACH_DASHBOARD_PASSWORD (possible only while no user exists) acts as
one `admin` called "dashboard". Beyond these per-view checks, `auth.guard` refuses any
state-changing request from a `viewer` on every route (default deny).

A state-changing view, for any blueprint under /dashboard (the session cookie's path):

    @requires("sender")
    def launch(alert_id: int) -> Any:          # POST: CSRF already checked by auth.guard
        with db() as session:
            ...the change...
            audit.record(session, current_actor(), "alert.launch", f"alert:{alert_id}")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort

from outreach.accounts.users import role_at_least
from outreach.audit import Actor
from outreach.db.models import USER_ROLES

ROLES = USER_ROLES
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CurrentUser:
    id: int | None
    email: str
    role: str

    def has(self, role: str) -> bool:
        return role_at_least(self.role, role)


def current_user() -> CurrentUser | None:
    """The logged-in user of this request, or None."""
    from outreach.web.dashboard.auth import live_session

    live = live_session()
    if live is None:
        return None
    if live.user is None:
        return CurrentUser(None, "dashboard", "admin")
    return CurrentUser(live.user.id, live.user.email, live.user.role)


def current_actor() -> Actor:
    user = current_user()
    return Actor(user.email if user else "anonymous", "user")


def can(role: str) -> bool:
    user = current_user()
    return bool(user and user.has(role))


def requires(role: str) -> Callable[[F], F]:
    """Refuse (403) a user whose role ranks below `role`; checked on every call."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def wrap(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not can(role):
                abort(403)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return wrap
