"""Errors as RFC 9457 problem details (`application/problem+json`), naming the field at fault.

Every error the API returns, from a view, from argument validation, from routing (404, 405)
or from an unexpected exception (500, logged), goes through `problem_response`, so clients
can rely on one shape: {type, title, status, detail, errors: [{field, detail}]}.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from outreach.errors import UserError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """Raise from a view: answered as a problem document."""

    def __init__(self, status: int, detail: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field
        self.headers = headers or {}


def problem_response(status: int, detail: str = "", *, errors: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"),
                            "status": status, "detail": detail or HTTP_STATUS_CODES.get(status, "")}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@contextmanager
def field_errors(field: str, status: int = 422) -> Iterator[None]:
    """Turn a core service's UserError into a problem naming the API field it came from."""
    try:
        yield
    except UserError as exc:
        raise Problem(status, str(exc), field=field) from None


def handle_problem(exc: Problem) -> Response:
    errors = [{"field": exc.field, "detail": exc.detail}] if exc.field else None
    return problem_response(exc.status, exc.detail, errors=errors, headers=exc.headers)


def handle_user_error(exc: UserError) -> Response:
    return problem_response(422, str(exc))


def handle_http(exc: HTTPException) -> Response:
    """Routing errors and aborts, including webargs' 422 with its per-field messages."""
    data = getattr(exc, "data", None) or {}
    errors = _flatten(data.get("messages") or {})
    headers = dict(data.get("headers") or {})
    if exc.code == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors) or exc.description or ""
    return problem_response(exc.code or 500, detail, errors=errors or None, headers=headers)


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error in an API request", exc_info=exc)
    return problem_response(500, "internal error (logged)")


def _flatten(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs' nested {location: {field: [msgs]}} as [{field, detail}] (location dropped)."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key)
            if not prefix and name in ("json", "query", "form", "files", "headers", "path"):
                out.extend(_flatten(value, ""))
            else:
                out.extend(_flatten(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.append({"field": prefix or "body", "detail": " ".join(messages)})
    elif isinstance(messages, list):
        for i, item in enumerate(messages):
            out.extend(_flatten(item, f"{prefix}[{i}]"))
    else:
        out.append({"field": prefix or "body", "detail": str(messages)})
    return out
