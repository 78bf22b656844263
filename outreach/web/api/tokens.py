"""/tokens: the caller's own API tokens (admins see everyone's); create narrower ones, revoke."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from outreach.access import tokens
from outreach.audit import record
from outreach.db.models import TOKEN_SCOPES, ApiToken, User
from outreach.web.api.auth import api_actor, current_auth
from outreach.web.api.common import ID, db, problems
from outreach.web.api.problems import Problem

blp = Blueprint("tokens", __name__, url_prefix="/tokens", description="API tokens")
SCOPE_OF_ROLE = {"viewer": "read", "sender": "send", "admin": "admin"}


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    user = fields.String(required=True)
    scope = fields.String(allow_none=True)
    role = fields.String(required=True)
    created_at = fields.String(required=True)
    last_used_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    token = fields.String(metadata={"description": "the secret: only in the creation answer"})


class TokenInput(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=100))
    scope = fields.String(required=True, validate=validate.OneOf(TOKEN_SCOPES))


@blp.route("")
@blp.response(200, TokenSchema(many=True))
@problems()
def list_tokens() -> list[dict[str, Any]]:
    """Your tokens (an admin token: everyone's). Secrets are never shown again."""
    auth = current_auth()
    with db() as session:
        rows = tokens.list_tokens(session, None if auth.has("admin") else auth.user_id)
        return [tokens.to_json(t) for t in rows]


@blp.route("", methods=["POST"])
@blp.arguments(TokenInput)
@blp.response(201, TokenSchema)
@problems()
def create(data: dict[str, Any]) -> dict[str, Any]:
    """A new token for yourself, at most as powerful as the one calling."""
    auth = current_auth()
    if not auth.has(tokens.ROLE_OF_SCOPE[data["scope"]]):
        raise Problem(403, f"a {auth.role} token cannot create a {data['scope']} token",
                      field="scope")
    with db() as session:
        user = session.scalar(select(User).where(User.id == auth.user_id))
        assert user is not None
        row, plaintext = tokens.create(session, user, scope=data["scope"], name=data["name"],
                                       created_by=api_actor().name)
        record(session, api_actor(), "token.create", f"token:{row.id}", scope=row.scope)
        return {**tokens.to_json(row), "token": plaintext}


@blp.route(f"/<{ID}:token_id>", methods=["DELETE"])
@blp.response(204)
@problems(404)
def revoke(token_id: int) -> None:
    """Revoke a token (yours; an admin: anyone's). Its next request gets 401."""
    auth = current_auth()
    with db() as session:
        row = session.get(ApiToken, token_id)
        if row is None or (row.user_id != auth.user_id and not auth.has("admin")):
            raise Problem(404, f"no token {token_id}", field="token_id")
        tokens.revoke(session, str(token_id))
        record(session, api_actor(), "token.revoke", f"token:{token_id}")
