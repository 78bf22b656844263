"""`outreach alert create|preview|test` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from outreach.alerts.create import create_alert
from outreach.config import Settings
from outreach.db.models import Alert, AlertVariant, Contact, Outlet
from outreach.mail.compose import compose, pick_variant

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.integration


def _copy_examples(tmp_path: Path) -> Path:
    for name in ("alert.md", "alert.ru.md", "alert.hu.md"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path / "alert.md"


def _add_contact(sessions: sessionmaker[Session], **fields: object) -> None:
    with sessions() as session:
        outlet = Outlet(name="Népszava Example", name_key="népszava example")
        values: dict[str, object] = {"email": "zsofia@example.net", "email_hash": "h1",
                                     "first_name": "Zsófia", "last_name": "Kővári",
                                     "language": "hu", "outlet": outlet}
        values.update(fields)
        session.add(Contact(**values))
        session.commit()


def test_create_with_variants_prints_the_id_and_stores_a_snapshot(
        run_cli, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    main = _copy_examples(tmp_path)
    result = run_cli("alert", "create", "alert.md", "--variant", "ru=alert.ru.md",
                     "--variant", "hu=alert.hu.md", "--where", "country=HU", "--tag", "press",
                     "--track-clicks")
    alert_id = int(result.stdout.strip())
    original = main.read_text(encoding="utf-8")
    main.write_text(original.replace("Daniyar", "Changed"), encoding="utf-8")
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert alert.default_language == "en" and alert.state == "draft"
        assert alert.track_clicks and not alert.track_opens
        assert alert.segment == {"where": [["country", ["HU"]]], "tags": ["press"]}
        assert sorted(v.language for v in alert.variants) == ["en", "hu", "ru"]
        english = next(v for v in alert.variants if v.language == "en")
        assert english.source_markdown == original  # the snapshot, not the edited file
        assert "Changed" not in english.html_template
        assert "{{ click_url(0) }}" in english.html_template
        assert len(english.links) == 3


def test_create_json_and_segment_from_front_matter(run_cli, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\nsubject: Hi\nsegment: {where: ['language=ru']}\n"
                                   "track_opens: true\n---\nBody\n", encoding="utf-8")
    data = json.loads(run_cli("alert", "create", "a.md", "--json").stdout)
    assert data["languages"] == ["en"]
    assert data["segment"] == {"where": [["language", ["ru"]]], "tags": []}
    assert data["track_opens"] is True


def test_create_reports_unknown_field_with_file_and_line(run_cli, tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("---\nsubject: Hi\n---\n# T\n\nDear {{ contact.nmae }}\n",
                                     encoding="utf-8")
    result = run_cli("alert", "create", "bad.md", expect=1)
    assert "bad.md:6: unknown field 'contact.nmae'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("missing.md",), "missing.md: no such file"),
    (("alert.md", "--variant", "russian"), "--variant 'russian': expected LANG=FILE.md"),
    (("alert.md", "--variant", "en=alert.md"), "a second 'en' variant"),
    (("alert.md", "--variant", "de=alert.ru.md"), "language 'ru' but the file was given as"),
    (("alert.md", "--where", "colour=red"), "--where 'colour=red': unknown field"),
    (("alert.md", "--follow-up-of", "999"), "follow-up of alert 999: no such alert"),
])
def test_create_user_errors(run_cli, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    _copy_examples(tmp_path)
    result = run_cli("alert", "create", *args, expect=1)
    assert message in result.output


def test_preview_for_a_contact_writes_html_and_prints_headers_and_text(
        run_cli, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _copy_examples(tmp_path)
    _add_contact(sessions)
    alert_id = run_cli("alert", "create", "alert.md", "--variant", "hu=alert.hu.md",
                       "--variant", "ru=alert.ru.md").stdout.strip()
    result = run_cli("alert", "preview", alert_id, "--contact", "Zsofia@Example.net",
                     "--out", "out.html")
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "Kedves Zsófia!" in html and "Népszava Example" in html
    assert "<style" not in html
    assert "Subject: Sürgős: állítsák le Daniyar Esenov kiadatását Magyarországról" in result.stdout
    assert "To: Zsófia Kővári <zsofia@example.net>" in result.stdout
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in result.stdout
    assert "Kedves Zsófia!" in result.stdout  # the text part
    assert "(https://example.org/briefings/esenov)" in result.stdout


def test_preview_without_contact_uses_a_sample(run_cli, tmp_path: Path) -> None:
    _copy_examples(tmp_path)
    alert_id = run_cli("alert", "create", "alert.md", "--variant", "ru=alert.ru.md").stdout.strip()
    result = run_cli("alert", "preview", alert_id, "--language", "ru")
    assert "Уважаемый(ая) Sam" in result.stdout
    assert (tmp_path / f"alert-{alert_id}-preview.html").is_file()


def test_preview_user_errors(run_cli, tmp_path: Path) -> None:
    _copy_examples(tmp_path)
    assert "alert 99: no such alert" in run_cli("alert", "preview", "99", expect=1).output
    alert_id = run_cli("alert", "create", "alert.md").stdout.strip()
    out = run_cli("alert", "preview", alert_id, "--contact", "nobody@example.net", expect=1)
    assert "no contact with that address" in out.output


def test_test_send_goes_through_smtp_marked_as_test(
        run_cli, sessions: sessionmaker[Session], tmp_path: Path, smtp_sink,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _copy_examples(tmp_path)
    _add_contact(sessions)
    alert_id = run_cli("alert", "create", "alert.md", "--variant", "hu=alert.hu.md").stdout.strip()
    monkeypatch.setenv("OUTREACH_SMTP_URL", smtp_sink.url)
    result = run_cli("alert", "test", alert_id, "--to", "editor@example.com",
                     "--contact", "zsofia@example.net")
    assert "test copy sent to editor@example.com: 250" in result.stdout
    (received,) = smtp_sink.wait_for(1)
    assert received.rcpt_tos == ("editor@example.com",)
    msg = message_from_bytes(received.data, policy=policy.default)
    assert msg["X-Outreach-Test"] == "yes"
    assert msg["Subject"].startswith("[TEST] Sürgős")
    assert msg["To"] == "Zsófia Kővári <editor@example.com>"
    with sessions() as session:
        assert session.scalars(select(Contact.email)).all() == ["zsofia@example.net"]


def test_test_send_needs_an_smtp_url(run_cli, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _copy_examples(tmp_path)
    alert_id = run_cli("alert", "create", "alert.md").stdout.strip()
    monkeypatch.delenv("OUTREACH_SMTP_URL", raising=False)
    result = run_cli("alert", "test", alert_id, "--to", "editor@example.com", expect=1)
    assert "OUTREACH_SMTP_URL: not set" in result.output


def test_create_alert_api_and_compose_for_each_language(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        alert = create_alert(session, settings, EXAMPLES / "alert.md",
                             variants={"ru": EXAMPLES / "alert.ru.md",
                                       "hu": EXAMPLES / "alert.hu.md"})
        session.commit()
        alert_id = alert.id
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        for language, greeting in (("en", "Dear colleague"), ("ru", "Уважаемый(ая) коллега"),
                                   ("hu", "Kedves Kolléga")):
            person = Contact(id=1, email=f"{language}@example.net", email_hash="x",
                             language=language)
            variant = pick_variant(alert, person)
            assert isinstance(variant, AlertVariant) and variant.language == language
            mail = compose(variant, alert, person, 100, settings)
            msg = message_from_bytes(mail.data, policy=policy.default)
            text = msg.get_body(("plain",)).get_content()
            assert greeting in text
