"""Property-based tests of the whole API from its own OpenAPI document (Schemathesis), run
against the live WSGI app with a sender token: no server error, and every response matches
the documented status codes, content types and schemas.

The examples per operation are few (OUTREACH_SCHEMATHESIS_EXAMPLES, default 25) so that CI
stays within minutes; raise it locally for a deeper run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from outreach.alerts.create import create_alert
from tests.fixtures.api import make_api_user
from tests.integration.sending_data import add_contacts

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAX_EXAMPLES = int(os.environ.get("OUTREACH_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def sender_token(sessions, session, settings) -> str:  # type: ignore[no-untyped-def]
    """Some data for the ids the generator tries (1, 2, ...), and a sender's token."""
    add_contacts(session, 20)
    create_alert(session, settings, EXAMPLES / "alert.md")
    session.commit()
    return make_api_user(sessions, "sender@example.org", "sender").token


@pytest.fixture
def db_url(postgres_database: str) -> str:
    """One backend here (PostgreSQL, as in production): the generator's runs are the cost."""
    from tests.fixtures.db import _truncate_all, make_engine

    engine = make_engine(postgres_database)
    _truncate_all(engine)
    engine.dispose()
    return postgres_database


def test_api_conforms_to_its_schema(api_app, sender_token) -> None:  # type: ignore[no-untyped-def]
    """Every operation of the document, each with its own Hypothesis run.

    (Schemathesis' pytest plugin, `from_fixture`, does not run under pytest 9 yet, so the
    operations are driven here; the checks are Schemathesis' own.)
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    headers = {"Authorization": f"Bearer {sender_token}"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = str(exc)[:3000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
