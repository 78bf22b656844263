"""DKIM: a signed message verifies against the public key (dkimpy, DNS answered locally)."""

from __future__ import annotations

import base64
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from outreach.mail.compose import compose
from tests.unit.alerts.helpers import SIMPLE, alert, contact, settings, variant_from_text


def _keypair(tmp_path: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_signed_message_verifies(tmp_path: Path) -> None:
    key_file, record = _keypair(tmp_path)
    cfg = settings(dkim_key_file=str(key_file), dkim_selector="alerts2026",
                   dkim_domain="example.org")
    person = contact(first_name="Zsófia", last_name="Kővári")
    mail = compose(variant_from_text(SIMPLE, cfg=cfg), alert(), person, 11, cfg)
    assert mail.data.startswith(b"DKIM-Signature:")
    assert b"d=example.org" in mail.data and b"s=alerts2026" in mail.data
    asked: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return record

    assert dkim.verify(mail.data, dnsfunc=dns)
    assert asked == [b"alerts2026._domainkey.example.org."]
    tampered = mail.data.replace(b"Hello Zs", b"Hallo Zs")
    assert tampered != mail.data
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_no_signature_without_a_key() -> None:
    mail = compose(variant_from_text(SIMPLE), alert(), contact(), 11, settings())
    assert not mail.data.startswith(b"DKIM-Signature:")
