"""The unsubscribe page in a real browser (Debian chromium) against `outreach web` (gunicorn)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from outreach.mail.links import unsubscribe_url
from tests.fixtures.web import post_one_click, start_server, stop_server
from tests.integration.unsubscribe_data import contact_state, events, seed

pytestmark = pytest.mark.integration


def test_open_link_click_and_see_confirmation(live_server, page, session, settings,
                                              artifacts_dir, db_url):
    alert_id, contact_id, message_id = seed(session, "anna@example.org", "en")
    link = live_server.rebase(unsubscribe_url(settings, message_id))

    response = page.goto(link)
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Stop receiving alerts")
    assert settings.org_name in page.content()
    button = page.get_by_role("button", name="Unsubscribe")
    assert button.is_visible()
    assert contact_state(session, contact_id) == (False, "active")  # GET alone changes nothing

    button.focus()
    page.keyboard.press("Enter")  # keyboard, not only mouse
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert page.get_by_role("button", name="Undo, keep me subscribed").is_visible()
    backend = "postgresql" if db_url.startswith("postgres") else "sqlite"
    page.screenshot(path=str(artifacts_dir / "unsubscribe-confirmation.png"), full_page=True)
    if backend == "postgresql":  # one extra name per backend, both kept by CI
        page.screenshot(path=str(artifacts_dir / "unsubscribe-confirmation-postgresql.png"))

    assert contact_state(session, contact_id) == (True, "unsubscribed")
    [event] = events(session, contact_id)
    assert (event.channel, event.alert_id, event.message_id) == ("link", alert_id, message_id)

    page.get_by_role("button", name="Undo, keep me subscribed").click()
    page.get_by_role("heading", name="You are subscribed again").wait_for()
    assert contact_state(session, contact_id) == (False, "active")


def test_page_in_the_contacts_language_works_without_javascript(
        live_server, page_without_js, session, settings, artifacts_dir):
    _, contact_id, message_id = seed(session, "olga@example.org", "ru")
    page = page_without_js
    page.goto(live_server.rebase(unsubscribe_url(settings, message_id)))
    assert page.locator("html").get_attribute("lang") == "ru"
    button = page.get_by_role("button", name="Отписаться")
    assert button.is_visible()
    page.screenshot(path=str(artifacts_dir / "unsubscribe-page-ru.png"))
    button.click()
    page.get_by_role("heading", name="Вы отписались").wait_for()
    assert contact_state(session, contact_id) == (True, "unsubscribed")


CONTRAST_JS = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bgEl = el; let bg = getComputedStyle(bgEl).backgroundColor;
  while (bg === "rgba(0, 0, 0, 0)" && bgEl.parentElement) {
    bgEl = bgEl.parentElement; bg = getComputedStyle(bgEl).backgroundColor; }
  if (bg === "rgba(0, 0, 0, 0)") bg = "rgb(255, 255, 255)";
  const [a, b] = [lum(getComputedStyle(el).color), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_text_and_button_contrast_meet_wcag_aa(live_server, page, session, settings):
    _, _, message_id = seed(session)
    page.goto(live_server.rebase(unsubscribe_url(settings, message_id)))
    for selector in ("h1", "main p", "button", "header .org"):
        ratio = page.locator(selector).first.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, (selector, ratio)


def test_focus_is_visible_and_no_inline_script(live_server, page, session, settings):
    _, _, message_id = seed(session)
    response = page.goto(live_server.rebase(unsubscribe_url(settings, message_id)))
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert page.locator("script").count() == 0
    page.get_by_role("button", name="Unsubscribe").focus()
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


def test_one_click_post_over_plain_http(live_server, session, settings):
    alert_id, contact_id, message_id = seed(session)
    assert 200 <= post_one_click(live_server.rebase(unsubscribe_url(settings, message_id))) < 300
    assert contact_state(session, contact_id) == (True, "unsubscribed")
    [event] = events(session, contact_id)
    assert (event.channel, event.alert_id) == ("one-click", alert_id)


def test_concurrent_one_click_retries_are_harmless(session, settings, tmp_path):
    """Mail providers retry; several workers may get the same POST at once."""
    _, contact_id, message_id = seed(session)
    server = start_server(settings, tmp_path, workers=4)
    try:
        link = server.rebase(unsubscribe_url(settings, message_id))
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post_one_click, [link] * 16))
    finally:
        stop_server(server)
    assert all(200 <= s < 300 for s in statuses), statuses
    assert contact_state(session, contact_id) == (True, "unsubscribed")
    assert len(events(session, contact_id)) == 1


def test_forged_link_gets_4xx_from_the_server(live_server, page, session, settings):
    _, contact_id, message_id = seed(session)
    link = live_server.rebase(unsubscribe_url(settings, message_id))
    response = page.goto(link[:-2])
    assert response.status == 404
    assert page.get_by_role("heading", name="This link is not valid").is_visible()
    assert contact_state(session, contact_id) == (False, "active")
