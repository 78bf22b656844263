from outreach.mail.tokens import (
    find_tagged,
    message_token,
    parse_message_token,
    read_link,
    sign_link,
    tagged_address,
)

SECRET = "k" * 32


def test_token_round_trip_and_tamper():
    token = message_token(SECRET, 4217)
    assert parse_message_token(SECRET, token) == 4217
    assert parse_message_token(SECRET, token.upper()) == 4217
    assert parse_message_token("other-key" * 4, token) is None
    assert parse_message_token(SECRET, token.replace("4217", "4218")) is None
    assert parse_message_token(SECRET, token[:-1]) is None


def test_tagged_address_is_found_among_headers():
    token = message_token(SECRET, 9)
    addr = tagged_address("press@example.org", "u", token)
    assert addr.startswith("press+u-9-") and addr.endswith("@example.org")
    assert find_tagged(SECRET, f"Someone <x@example.net>, {addr.upper()}") == ("unsubscribe", 9)
    assert find_tagged(SECRET, "press+r-9-aaaaaaaaaaaa@example.org") is None


def test_signed_links_reject_forgery():
    signed = sign_link(SECRET, "unsubscribe", message_token(SECRET, 5))
    assert read_link(SECRET, "unsubscribe", signed) == message_token(SECRET, 5)
    assert read_link(SECRET, "click", signed) is None
    assert read_link(SECRET, "unsubscribe", signed[:-2]) is None
    assert read_link("another-secret-key-123", "unsubscribe", signed) is None


def test_mac_is_the_documented_formula() -> None:
    """The fast form must keep every token already in people's mailboxes valid."""
    import base64
    import hashlib
    import hmac

    from outreach.mail.tokens import _mac

    for message_id in (0, 1, 7, 12345, 10**12):
        digest = hmac.new(b"s3cret", f"message:{message_id}".encode(), hashlib.sha256).digest()
        assert _mac("s3cret", message_id) == base64.b32encode(digest).decode().lower()[:12]
