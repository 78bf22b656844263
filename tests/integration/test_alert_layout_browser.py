"""The rendered alert in a real browser: readable on a phone, 600 px card on a desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from outreach.mail.compose import render
from tests.support.alerts import alert, contact, settings, variant_from_file

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["alert.md", "alert.ru.md", "alert.hu.md"])
def test_layout_fits_phone_and_desktop(page: Any, tmp_path: Path, artifacts_dir: Path,
                                       name: str) -> None:
    cfg = settings()
    html = render(variant_from_file(name, cfg=cfg, track_opens=True, track_clicks=True),
                  alert(track_opens=True, track_clicks=True), contact(), 3, cfg).html
    path = tmp_path / "mail.html"
    path.write_text(html, encoding="utf-8")
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
               else route.continue_())  # no network: the pixel must not matter for layout
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("getComputedStyle(document.querySelector('p')).fontSize") == "16px"
    preheader = page.locator("body > div").first
    assert not preheader.is_visible()
    page.screenshot(path=str(artifacts_dir / f"alert-{name}-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1200, "height": 800})
    widths = page.evaluate("[...document.querySelectorAll('table')].map(t => t.offsetWidth)")
    assert widths[1] == 600
    assert page.get_by_role("link", name="Unsubscribe").count() + \
        page.get_by_role("link", name="Отписаться").count() + \
        page.get_by_role("link", name="Leiratkozás").count() == 1
