"""Schemas and helpers every resource module uses: problems in the spec, sessions, audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.context import AppContext
from outreach.db.session import session_scope
from outreach.web.api.problems import MEDIA_TYPE

F = TypeVar("F", bound=Callable[..., Any])
MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER on PostgreSQL: a larger path id is a 404
ID = f"int(max={MAX_ID})"
STATUS_TEXT = {400: "Bad request", 401: "No valid token", 403: "The token's role is too low",
               404: "Not found", 409: "Conflict with the current state",
               422: "A field is invalid (named in errors[].field)", 429: "Rate limit",
               413: "Too large"}


_DOC = Blueprint("api-doc-helper", __name__)  # only its alt_response; never registered


class FieldError(Schema):
    field = fields.String(required=True)
    detail = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldError))


def problems(*codes: int) -> Callable[[F], F]:
    """Document the problem responses a view can give (401, 403, 422, 429 always)."""
    def decorate(view: F) -> F:
        for code in sorted({401, 403, 422, 429, *codes}):
            view = _DOC.alt_response(
                code, schema=ProblemSchema, description=STATUS_TEXT.get(code, ""),
                content_type=MEDIA_TYPE)(view)
        return view

    return decorate


def app_ctx() -> AppContext:
    return current_app.extensions["outreach"]  # type: ignore[no-any-return]


def settings() -> Settings:
    return app_ctx().settings


@contextmanager
def db() -> Iterator[Session]:
    """A session committed on success (one per request part; views stay short)."""
    with session_scope(app_ctx().sessions) as session:
        yield session


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
