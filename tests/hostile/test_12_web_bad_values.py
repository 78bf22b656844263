"""Point 12: hostile values in a logged-in request get 404 or 400, never a server error.

30-digit ids and `after`/`outlet` values overflowed the database's integers, `?page=²` passed
`isdigit()` and then failed `int()`, and `?q=%00` made PostgreSQL refuse the query: all 500s.
Flask's test client, logged in, against SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from tests.integration.test_dashboard import app, client, login, settings  # noqa: F401

pytestmark = pytest.mark.integration
HUGE = "9" * 30

CASES = [
    (f"/dashboard/alerts/{HUGE}", 404),
    (f"/dashboard/alerts/{HUGE}.json", 404),
    (f"/dashboard/alerts/{2**31}", 404),
    (f"/dashboard/contacts?after={HUGE}", 400),
    (f"/dashboard/contacts?outlet={HUGE}", 400),
    ("/dashboard/contacts?after=%C2%B2", 400),
    ("/dashboard/contacts?q=%00", 400),
    ("/dashboard/contacts?q=a%00b&suppressed=no", 400),
    ("/dashboard/alerts/1?page=%C2%B2", 400),
    (f"/dashboard/alerts/1?page={HUGE}", 400),
    ("/dashboard/alerts/1?country=%00", 400),
    ("/dashboard/contacts/import/a%00b", 404),
]


@pytest.mark.parametrize(("path", "expected"), CASES)
def test_hostile_values_get_4xx(client, reach_example, path: str, expected: int) -> None:  # noqa: F811
    response = client.get(path)
    assert response.status_code == expected, (path, response.status_code)


def test_every_get_route_survives_hostile_arguments(app, client, reach_example) -> None:  # noqa: F811
    values = [HUGE, "-1", "%C2%B2", "%00", "1e9", "0x10"]
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/dashboard"):
            continue
        for value in values:
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", value).replace(f"<{arg}>", value)
            for query in ("", f"?page={value}&after={value}&outlet={value}&q={value}"):
                status = client.get(path + query).status_code
                assert status < 500, (path + query, status)
                checked += 1
    assert checked > 20
