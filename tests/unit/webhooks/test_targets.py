"""Where webhooks may go: public addresses only, unless the override is set."""

from __future__ import annotations

import pytest

from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.targets import TargetRefused, check_url, refused_address, resolve


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8080/x", "http://10.1.2.3/", "http://[::1]/",
    "http://169.254.169.254/latest/meta-data", "http://192.168.0.10/", "http://172.16.0.1/",
    "http://[fe80::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/",
])
def test_private_loopback_and_link_local_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused, match="OUTREACH_WEBHOOK_ALLOW_PRIVATE"):
        resolve(url, allow_private=False)


def test_the_override_allows_loopback() -> None:
    target = resolve("http://127.0.0.1:9/hook?a=1", allow_private=True)
    assert (target.address, target.port, target.path) == ("127.0.0.1", 9, "/hook?a=1")


@pytest.mark.parametrize("url", ["ftp://example.org/", "http://", "http://u:p@example.org/",
                                 "http://example.org/a b", "http://example.org:99999/",
                                 "javascript:alert(1)", "http://example.org/\r\nX: y"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused, match=r"^url: "):
        check_url(url)


def test_public_addresses_pass() -> None:
    assert refused_address("93.184.216.34") is None
    assert refused_address("2606:2800:220:1:248:1893:25c8:1946") is None
    assert refused_address("::ffff:10.0.0.1") == "private"


def test_backoff_doubles_up_to_the_cap() -> None:
    config = WebhookConfig(retry_base=5, retry_max=60)
    assert [config.backoff(n) for n in (1, 2, 3, 4, 5, 6)] == [5, 10, 20, 40, 60, 60]
