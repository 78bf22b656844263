"""Cursor pagination: `?limit=N&cursor=C`, answered with `next_cursor` (null on the last page).

A cursor is the last id of the previous page, base64-encoded so clients treat it as opaque.
Keyset paging (id > cursor) stays fast and stable while rows are added, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import Schema, fields, validate

from outreach.web.api.problems import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER on PostgreSQL


class PageArgs(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(load_default=None, validate=validate.Length(max=40))


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    """The id to continue after (0: from the start); 422 naming `cursor` if it is not ours."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(422, "not a cursor from this API", field="cursor") from None
    kind, _, value = raw.partition(":")
    if kind != "id" or not value.isdigit() or int(value) > MAX_ID:
        raise Problem(422, "not a cursor from this API", field="cursor")
    return int(value)


def page(items: list[Any], limit: int, last_id: Any) -> dict[str, Any]:
    """`items` fetched with limit+1: the extra one only tells that there is a next page."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode(last_id(items[-1])) if more else None}
