"""The security headers of every response, shared by the console app and the API app.

A module of its own so that `outreach.web.app` (which mounts the API) and `outreach.web.api`
(which sends the same headers) both read them without importing each other.
"""

from __future__ import annotations

CSP_DIRECTIVES = ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                  "img-src 'self' data:", "form-action 'self'", "frame-ancestors 'none'",
                  "base-uri 'none'")


def content_security_policy(*extra: str) -> str:
    """The app's one Content-Security-Policy, plus what a blueprint needs on top of it."""
    return "; ".join((*CSP_DIRECTIVES, *extra))


# Defaults for every response; a blueprint may set its own before these apply.
SECURITY_HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # tokens in our URLs must not leak to other sites
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "interest-cohort=(), camera=(), microphone=(), geolocation=()",
}
