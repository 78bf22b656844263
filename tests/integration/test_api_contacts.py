"""Contacts through the API: the same importer, segments and suppression as the CLI."""

from __future__ import annotations

import io

import pytest

from tests.fixtures.api import make_api_user

pytestmark = pytest.mark.integration
CSV = ("Email;Name;Organisation;Country;Type;Tags\n"
       "anna@example.org;Anna Kovacs;Example Daily;HU;journalist;press\n"
       "not-an-address;Bad Row;X;HU;journalist;\n"
       "boris@example.org;Boris P;Example Weekly;PL;ngo;press\n")


def _upload(api, dry_run: bool, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Idempotency-Key": key} if key else {}
    return api.post("/contacts/import", headers=headers, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(CSV.encode("cp1252")), "list.csv"),
                          "dry_run": "true" if dry_run else "false"})


def test_import_dry_run_then_confirm_once(sender_api) -> None:
    dry = _upload(sender_api, True)
    assert dry.status_code == 200, dry.get_json()
    report = dry.get_json()
    assert report["dry_run"] and report["created"] == 2 and report["rejected"] == 1
    assert report["errors"][0]["line"] == 3 and report["errors"][0]["field"] == "email"
    assert sender_api.get("/contacts").get_json()["items"] == []  # a dry run writes nothing
    first = _upload(sender_api, False, key="import-1")
    again = _upload(sender_api, False, key="import-1")
    assert first.get_json()["created"] == 2 and again.get_json() == first.get_json()
    assert len(sender_api.get("/contacts").get_json()["items"]) == 2


def test_list_filters_search_cursor_and_show(sender_api) -> None:
    _upload(sender_api, False)
    for n in range(5):
        assert sender_api.post("/contacts", json={
            "email": f"c{n}@example.net", "name": f"Carla {n}", "country": "de",
            "type": "journalist", "tags": ["urgent"]}).status_code == 201
    page1 = sender_api.get("/contacts?limit=3&country=DE").get_json()
    page2 = sender_api.get(f"/contacts?limit=3&country=DE&cursor={page1['next_cursor']}"
                           ).get_json()
    assert len(page1["items"]) == 3 and len(page2["items"]) == 2 and page2["next_cursor"] is None
    assert {c["country"] for c in page1["items"] + page2["items"]} == {"DE"}
    found = sender_api.get("/contacts?q=kovacs").get_json()["items"]
    assert [c["email"] for c in found] == ["anna@example.org"]
    assert [c["email"] for c in sender_api.get("/contacts?tag=press&type=ngo").get_json()[
        "items"]] == ["boris@example.org"]
    wrong = sender_api.get("/contacts?status=,")
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "status"
    bad = sender_api.get("/contacts?cursor=zzz")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "cursor"
    shown = sender_api.get(f"/contacts/{found[0]['id']}").get_json()
    assert shown["contact"]["outlet"] == "Example Daily" and shown["suppression"] is None
    assert sender_api.get("/contacts/99999").status_code == 404
    count = sender_api.get("/segments/count?country=DE").get_json()
    assert count["recipients"] == 5 and count["suppressed"] == 0


def test_create_update_unsubscribe_resubscribe_erase(sender_api, api_app, sessions) -> None:
    created = sender_api.post("/contacts", json={"email": "Dora@Example.org", "name": "Dora"})
    assert created.status_code == 201
    contact = created.get_json()
    assert contact["email"] == "dora@example.org"
    dup = sender_api.post("/contacts", json={"email": "dora@example.org"})
    assert dup.status_code == 409 and dup.get_json()["errors"][0]["field"] == "email"
    bad = sender_api.post("/contacts", json={"email": "dora@example.org", "country": "Atlantis"})
    assert bad.status_code in (409, 422)
    invalid = sender_api.post("/contacts", json={"email": "nope"})
    assert invalid.status_code == 422 and invalid.get_json()["errors"][0]["field"] == "email"
    unknown = sender_api.post("/contacts", json={"email": "e@example.org", "shoe_size": 9})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "shoe_size"
    cid = contact["id"]
    updated = sender_api.open("PATCH", f"/contacts/{cid}", json={"role": "Editor",
                                                                  "country": "AT"})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["role"] == "Editor" and updated.get_json()["country"] == "AT"
    out = sender_api.post(f"/contacts/{cid}/unsubscribe", json={"reason": "asked by phone"})
    assert out.get_json() == {"contact_id": cid, "changed": True, "status": "unsubscribed"}
    assert sender_api.get("/segments/count").get_json()["suppressed"] == 1
    no_reason = sender_api.post(f"/contacts/{cid}/resubscribe", json={})
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"][0]["field"] == "reason"
    back = sender_api.post(f"/contacts/{cid}/resubscribe", json={"reason": "asked again"})
    assert back.get_json()["status"] == "active"
    assert sender_api.post(f"/contacts/{cid}/erase", json={}).get_json()["status"] == "erased"
    assert sender_api.get(f"/contacts/{cid}").status_code == 404
    viewer = make_api_user(sessions, "v@example.org", "viewer")
    assert api_app.test_client().post(f"/api/v1/contacts/{cid}/unsubscribe",
                                      headers=viewer.headers, json={}).status_code == 403


def test_webhook_to_a_private_address_is_refused_over_the_api(api_app, sessions) -> None:
    admin = make_api_user(sessions, "admin@example.org", "admin")
    client = api_app.test_client()
    for url in ("http://127.0.0.1:8080/hook", "http://10.0.0.5/", "http://[::1]/",
                "http://169.254.169.254/latest"):
        response = client.post("/api/v1/webhooks", headers=admin.headers,
                               json={"url": url, "events": ["reply.received"]})
        assert response.status_code == 422, url
        assert response.get_json()["errors"][0]["field"] == "url"
    assert client.get("/api/v1/webhooks", headers=admin.headers).get_json() == []
