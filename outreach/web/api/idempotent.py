"""The `Idempotency-Key` header on launch and import (see outreach.access.idempotency)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, request

from outreach.access import idempotency
from outreach.web.api.auth import current_auth
from outreach.web.api.problems import Problem, handle_problem

HEADER = "Idempotency-Key"
DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Retry-safe: a request repeated with the same key (and token) gets the "
                   "first answer again (header Idempotent-Replayed) instead of running twice."}]}
F = TypeVar("F", bound=Callable[..., Any])


def idempotent(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not key.strip() or len(key) > idempotency.MAX_KEY or not key.isprintable():
            raise Problem(422, "1 to 200 printable characters", field=HEADER)
        sessions = current_app.extensions["outreach"].sessions
        digest = idempotency.request_digest(request.path, _body())
        row_id, stored = idempotency.begin(sessions, current_auth().token_id, key, request.path,
                                           digest)
        if stored is not None:
            return _replay(stored)
        assert row_id is not None
        try:
            response = _as_response(view(*args, **kwargs))
        except Problem as exc:
            response = handle_problem(exc)
        except Exception:
            idempotency.finish(sessions, row_id, 500, {})
            raise
        idempotency.finish(sessions, row_id, response.status_code, {
            "body": response.get_data(as_text=True), "mimetype": response.mimetype})
        return response

    return wrapped  # type: ignore[return-value]


def _body() -> bytes:
    """The request as sent, minus what a retry changes: a multipart boundary differs on every
    retry, so uploads are compared by their fields and file contents."""
    if request.mimetype != "multipart/form-data":
        return request.get_data()
    parts = [f"{k}={v}".encode() for k, v in sorted(request.form.items(multi=True))]
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        parts.append(name.encode() + b":" + upload.stream.read())
        upload.stream.seek(0)
    return b"\0".join(parts)


def _replay(stored: idempotency.Stored) -> Response:
    if not stored.same_request:
        raise Problem(422, "this key was used for a different request", field=HEADER)
    if stored.status is None:
        raise Problem(409, "a request with this key is still running; retry later",
                      field=HEADER, headers={"Retry-After": "2"})
    response = Response(stored.response.get("body", ""), status=stored.status,
                        mimetype=stored.response.get("mimetype") or "application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _as_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return current_app.make_response(result if not isinstance(result, dict)
                                     else (json.dumps(result), 200,
                                           {"Content-Type": "application/json"}))
