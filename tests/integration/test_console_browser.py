"""The organiser's whole job in Debian's chromium (Playwright), from an empty database:
import a messy CSV, build a segment, write an alert in two languages, preview, test, launch
it to real Celery workers and an SMTP sink, read a reply polled from Dovecot, follow up in
both languages, download the reach CSV. A screenshot of every page goes to artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from outreach.audit import list_events
from tests.fixtures.accounts import make_user
from tests.fixtures.db import make_test_settings
from tests.fixtures.services import REDIS_URL
from tests.fixtures.web import start_server, stop_server
from tests.integration import inbound_mail
from tests.integration.sending_run import FAST

PASSWORD = "console-browser-password-7"
MESSY = Path(__file__).resolve().parents[1] / "data" / "console" / "messy.csv"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def settings(db_url, smtp_sink, redis_prefix, imap_server):
    return make_test_settings(database_url=db_url, dashboard_password=PASSWORD,
                              smtp_url=smtp_sink.url, broker_url=REDIS_URL,
                              imap_url=imap_server.url,
                              broker_prefix=redis_prefix, **FAST,
                              # each test its own login-limit window: the prefix above lasts
                              # the whole session, and these tests log in several times
                              dashboard_limit_prefix=f"outreach:login:{uuid.uuid4().hex}")


@pytest.fixture
def web(settings, tmp_path, app_ctx, celery_workers):
    from outreach.db.session import upgrade

    upgrade(app_ctx.engine)
    app_ctx.engine.dispose()
    celery_workers.start(settings)
    server = start_server(settings, tmp_path)
    yield server
    stop_server(server)


class Shots:
    def __init__(self, page, directory: Path, prefix: str):
        self.page, self.directory, self.prefix, self.n = page, directory, prefix, 0

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.directory / f"{self.prefix}-{self.n:02d}-{name}.png"),
                             full_page=True)


def _sent_to(smtp_sink, address: str):
    return [m for m in smtp_sink.messages if address in m.rcpt_tos]


def test_organiser_flow(page, web, settings, smtp_sink, imap_server, run_cli, sessions,
                        artifacts_dir, db_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    shot = Shots(page, artifacts_dir, f"console-{settings.database_url.split(':')[0]}")
    base = f"{web.url}/dashboard"

    # a named sender with two-step login (the shared password stops once a user exists)
    officer = make_user(sessions, "officer@example.org", "sender", with_totp=True)
    page.goto(f"{base}/alerts")
    page.get_by_label("Email address").fill(officer.email)
    page.get_by_label("Password").fill(officer.password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Login code").fill(officer.code())
    shot("login-code")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    expect(page.locator("#nav-account")).to_have_text("officer@example.org (sender)")
    shot("alerts-empty")

    # 1. import: dry run shows the rejected line and the unknown columns; map; confirm
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("CSV file").set_input_files(str(MESSY))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator('#rejected tr[data-line="4"]')).to_contain_text("email")
    expect(page.locator("#unknown-columns")).to_contain_text("Medium")
    expect(page.locator("#unknown-columns")).to_contain_text("Sprache")
    expect(page.locator('[data-count="created"]')).to_have_text("3")
    shot("import-dry-run")
    page.get_by_label("Medium").select_option("outlet")
    page.get_by_label("Sprache").select_option("language")
    page.get_by_role("button", name="Apply and check again").click()
    expect(page.locator("#outcomes")).to_contain_text("anna@example.org")
    shot("import-mapped")
    page.get_by_role("button", name="Import: create 3").click()
    expect(page.locator(".notice.ok")).to_contain_text("3 created")
    expect(page.locator("#contacts-total")).to_contain_text("3 contact")
    shot("contacts")
    page.get_by_role("link", name="juergen@example.org").click()
    expect(page.locator("#contact-details")).to_contain_text("Beispiel Zeitung")
    expect(page.locator("#history")).to_contain_text("imported")
    shot("contact")

    # 2. a segment with its live count
    page.get_by_role("link", name="Segments", exact=True).click()
    page.wait_for_load_state()  # the live count's script is in place
    page.get_by_label("Tag").fill("press")
    page.get_by_label("Country").fill("HU, AT, KZ")
    expect(page.locator("#segment-describe")).to_contain_text("tag=press", timeout=15_000)
    expect(page.locator("#segment-recipients")).to_have_text("3")
    page.get_by_label("Save as").fill("Press")
    page.get_by_role("button", name="Save segment").click()
    expect(page.locator("#saved-segments")).to_contain_text("country=HU,AT,KZ AND tag=press")
    shot("segments")

    # 3. an alert in English and Russian, previewed, tested
    page.get_by_role("link", name="New alert").click()
    page.get_by_label("Who gets it").select_option("Press")
    page.locator("#subject-en").fill("Urgent: journalist detained")
    page.locator("#body-en").fill(
        "# Journalist detained\n\nDear {{ contact.name | default('colleague') }},\n\n"
        "our colleague was detained this morning.\n")
    page.get_by_label("Add a language variant").select_option("ru")
    page.get_by_role("button", name="Add language").click()
    page.get_by_role("tab", name="Russian").click()
    page.locator("#subject-ru").fill("Срочно: задержан журналист")
    page.locator("#body-ru").fill("# Задержан журналист\n\nУважаемые коллеги,\n\n"
                                  "{{ contact.nickname }}\n")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#editor-error")).to_contain_text("Russian text, line 5")  # the bad line
    expect(page.locator("#editor-error .bad-line")).to_have_text("{{ contact.nickname }}")
    shot("editor-error")
    page.get_by_role("tab", name="Russian").click()
    page.locator("#body-ru").fill("# Задержан журналист\n\nУважаемые коллеги,\n\n"
                                  "сегодня утром задержан наш коллега.\n")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice.ok")).to_contain_text("saved")
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator('[data-header="Subject"]')).to_have_text(
        "Urgent: journalist detained")
    shot("editor-preview-en")
    page.get_by_label("Contact (email").fill("juergen@example.org")
    page.get_by_role("tab", name="Russian").click()  # live preview follows the tab
    expect(frame.locator('[data-header="Subject"]')).to_have_text("Срочно: задержан журналист")
    expect(frame.locator('[data-header="To"]')).to_contain_text("juergen@example.org")
    shot("editor-preview-ru")
    page.get_by_label("To (up to 5").fill("officer@example.org")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator(".notice.ok")).to_contain_text("officer@example.org")
    test_copy = message_from_bytes(_sent_to(smtp_sink, "officer@example.org")[0].data,
                                   policy=policy.default)
    assert str(test_copy["Subject"]).startswith("[TEST]")

    # 4. launch: the count per language, urgent, typed confirmation
    page.get_by_role("link", name="Review and launch").click()
    page.get_by_label("Urgent lane").check()
    page.get_by_role("button", name="Update the summary").click()
    expect(page.locator("#plan-count")).to_have_text("3")
    expect(page.locator('#plan-languages tr[data-language="ru"]')).to_contain_text("2")
    expect(page.locator("#plan-lane")).to_contain_text("urgent")
    expect(page.get_by_role("button", name="Send to 3 contacts now")).to_be_disabled()
    shot("launch")
    page.get_by_label("Type the number of recipients").fill("3")
    page.get_by_role("button", name="Send to 3 contacts now").click()
    expect(page.locator("#alert-state")).to_have_text("done", timeout=60_000)
    expect(page.locator('[data-count="sent"]')).to_have_text("3")
    alert_url = page.url
    shot("alert-done")
    sent = {m.rcpt_tos[0]: m for m in smtp_sink.messages if "officer@" not in m.rcpt_tos[0]}
    assert set(sent) == {"anna@example.org", "juergen@example.org", "olga@example.net"}
    russian = message_from_bytes(sent["olga@example.net"].data, policy=policy.default)
    assert str(russian["Subject"]) == "Срочно: задержан журналист"

    # 5. a reply read from Dovecot appears in the inbox, is marked handled
    imap_server.append(inbound_mail.quoting_reply(sent["anna@example.org"],
                                                  "We will run it at noon."))
    assert "1 recorded" in run_cli("poll").output
    page.reload()
    expect(page.locator("#replies-waiting")).to_have_text("1")  # in the navigation
    page.locator("nav.dash").get_by_role("link", name=re.compile(r"^Replies")).click()
    reply = page.locator("#inbox article").first
    expect(reply).to_contain_text("We will run it at noon.")
    expect(reply).to_contain_text("Example Daily")
    expect(reply).to_contain_text("Anna Kovács")
    shot("inbox")
    reply.get_by_role("button", name="Mark handled").click()
    expect(page.locator("#inbox-empty")).to_be_visible()
    page.goto(alert_url)
    expect(page.locator('[data-field="replies-word"]')).to_have_text("reply")

    # 6. the reach CSV
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the reach table (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0][:3] == ["label", "country", "targeted"]
    assert rows[-1][2] == "3"

    # 7. a threaded follow-up to non-responders, in both languages, launched
    page.get_by_role("link", name="Follow up non-responders").click()
    expect(page.locator("#followup-count")).to_have_text("2")
    page.locator("#body-en").fill("# Update\n\nHe is still detained.\n")
    page.get_by_role("tab", name="Russian").click()
    page.locator("#body-ru").fill("# Новости\n\nОн всё ещё задержан.\n")
    shot("follow-up")
    page.get_by_role("button", name="Save follow-up as draft").click()
    expect(page.locator(".notice.ok")).to_contain_text("for 2 contacts")
    expect(page.locator("#audience-follow-up")).to_contain_text("non-responders")
    page.get_by_role("button", name="Save draft").click()  # editing keeps the target
    expect(page.locator(".notice.ok")).to_contain_text("saved")
    page.get_by_role("link", name="Review and launch").click()
    page.get_by_label("Type the number of recipients").fill("2")
    page.get_by_role("button", name="Send to 2 contacts now").click()
    expect(page.locator("#alert-state")).to_have_text("done", timeout=60_000)
    shot("follow-up-done")
    follow = message_from_bytes(_sent_to(smtp_sink, "olga@example.net")[-1].data,
                                policy=policy.default)
    original = message_from_bytes(sent["olga@example.net"].data, policy=policy.default)
    assert follow["In-Reply-To"] == original["Message-ID"]
    assert str(follow["Subject"]).startswith("Re: Срочно")
    page.get_by_role("link", name="Alerts", exact=True).click()
    shot("alerts")

    with sessions() as session:
        actions = [e.action for e in reversed(list_events(session))]
        actors = {e.actor for e in list_events(session)}
    assert actions == ["user.login", "contacts.import", "segment.save", "alert.create",
                       "alert.test_send", "alert.launch", "reply.handled", "alert.follow_up",
                       "alert.edit", "alert.launch"]
    assert actors == {"officer@example.org"}  # every step by the logged-in sender


def test_editor_preview_and_launch_guard_work_without_javascript(page_without_js, web,
                                                                 run_cli, artifacts_dir):
    page = page_without_js
    run_cli("contacts", "import", str(MESSY), "--map", "Sprache=language")
    base = f"{web.url}/dashboard"
    page.goto(f"{base}/alerts/new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#body-en").fill("# Hello\n\nDear {{ contact.name }}\n")
    page.get_by_label("Add a language variant").select_option("ru")
    page.get_by_role("button", name="Add language").click()
    page.locator("#body-ru").fill("# Привет\n\nТекст\n")  # both variants on one page
    page.get_by_label("Language", exact=True).select_option("ru")
    page.get_by_role("button", name="Preview").click()  # posts into the frame, no script
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator('[data-header="Subject"]')).to_have_text("Привет")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name="Review and launch").click()
    page.get_by_label("Type the number of recipients").fill("2")  # wrong: 3 would get it
    page.get_by_label("I confirm it goes to").check()  # no segment: the second confirmation
    page.get_by_role("button", name="Send to 3 contacts now").click()
    expect(page.locator("#launch-error")).to_contain_text("Type the number of recipients (3)")
    page.screenshot(path=str(artifacts_dir / "console-nojs-launch-refused.png"), full_page=True)
