"""DKIM: every signed message verifies against the public key (dkimpy, DNS answered locally).

The RSA signature is computed by OpenSSL and the Ed25519 one by dkimpy/PyNaCl; verification is
dkimpy's own code throughout, so a signature our override got wrong would fail here.
"""

from __future__ import annotations

import base64
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from outreach.config import load_settings
from outreach.errors import ConfigError
from outreach.mail.compose import compose
from outreach.mail.dkim import CANONICALIZE, SIGNED_HEADERS, signer_for
from tests.support.alerts import SIMPLE, alert, contact, settings, variant_from_text

NO_KEY = serialization.NoEncryption()


def _rsa_keypair(tmp_path: Path, bits: int = 2048) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path = tmp_path / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL, NO_KEY))
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def _ed25519_keypair(tmp_path: Path, *, pem: bool) -> tuple[Path, bytes]:
    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "ed25519.key"
    if pem:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8, NO_KEY))
    else:  # dkimpy's dknewkey format: the base64 seed
        path.write_bytes(base64.b64encode(key.private_bytes_raw()) + b"\n")
    return path, b"v=DKIM1; k=ed25519; p=" + base64.b64encode(key.public_key().public_bytes_raw())


def _dns(records: dict[bytes, bytes], asked: list[bytes] | None = None):  # type: ignore[no-untyped-def]
    def lookup(name: bytes, timeout: int = 5) -> bytes:
        if asked is not None:
            asked.append(name)
        return records.get(name, b"")
    return lookup


def test_signed_message_verifies(tmp_path: Path) -> None:
    key_file, record = _rsa_keypair(tmp_path)
    cfg = settings(dkim_key_file=str(key_file), dkim_selector="alerts2026",
                   dkim_domain="example.org")
    person = contact(first_name="Zsófia", last_name="Kővári")
    mail = compose(variant_from_text(SIMPLE, cfg=cfg), alert(), person, 11, cfg)
    assert mail.data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple;")
    assert b"d=example.org" in mail.data and b"s=alerts2026" in mail.data
    asked: list[bytes] = []
    dns = _dns({b"alerts2026._domainkey.example.org.": record}, asked)
    assert dkim.verify(mail.data, dnsfunc=dns)
    assert asked == [b"alerts2026._domainkey.example.org."]
    tampered = mail.data.replace(b"Hello Zs", b"Hallo Zs")
    assert tampered != mail.data
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_many_messages_all_verify(tmp_path: Path) -> None:
    """Different recipients, subjects and bodies: not one signature may be off."""
    key_file, record = _rsa_keypair(tmp_path)
    cfg = settings(dkim_key_file=str(key_file), dkim_selector="s1", dkim_domain="example.org")
    dns = _dns({b"s1._domainkey.example.org.": record})
    variant = variant_from_text(SIMPLE, cfg=cfg)
    names = ["Anna", "Олена", "Ngozi  Adichie", "Łukasz\t", "O'Brien"]
    for i, name in enumerate(names):
        person = contact(id=i, first_name=name, email=f"p{i}@example.net")
        mail = compose(variant, alert(), person, 100 + i, cfg, in_reply_to="<x@example.org>")
        assert dkim.verify(mail.data, dnsfunc=dns), name


def test_same_signature_as_dkimpy_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RSA PKCS#1 v1.5 is deterministic: OpenSSL must produce dkimpy's exact header."""
    monkeypatch.setattr(dkim.time, "time", lambda: 1795950000.0)  # the t= tag
    key_file, _ = _rsa_keypair(tmp_path)
    message = (b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi  there\r\n\r\n"
               b"Body  line \r\n\r\n\r\n")
    ours = signer_for(str(key_file), "s1", "example.org").sign(message)
    theirs = dkim.sign(message, b"s1", b"example.org", key_file.read_bytes(),
                       canonicalize=CANONICALIZE, linesep=b"\r\n",
                       include_headers=list(SIGNED_HEADERS))
    assert ours == theirs


@pytest.mark.parametrize("body", [b"Body  line \r\n\r\n\r\n", b"bare\nline feeds\n", b"",
                                  b"old\rmac\r\n.\r\n"])
def test_same_signature_for_any_line_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          body: bytes) -> None:
    """Handing dkimpy the body unparsed must not change what it signs (or fall back)."""
    monkeypatch.setattr(dkim.time, "time", lambda: 1795950000.0)
    key_file, record = _rsa_keypair(tmp_path)
    message = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: x\r\n\r\n" + body
    ours = signer_for(str(key_file), "s1", "example.org").sign(message)
    theirs = dkim.sign(message, b"s1", b"example.org", key_file.read_bytes(),
                       canonicalize=CANONICALIZE, linesep=b"\r\n",
                       include_headers=list(SIGNED_HEADERS))
    assert ours == theirs
    assert dkim.verify(ours + message, dnsfunc=_dns({b"s1._domainkey.example.org.": record}))


@pytest.mark.parametrize("pem", [True, False])
def test_ed25519_second_signature(tmp_path: Path, pem: bool) -> None:
    key_file, rsa_record = _rsa_keypair(tmp_path)
    ed_file, ed_record = _ed25519_keypair(tmp_path, pem=pem)
    cfg = load_settings({"OUTREACH_DKIM_KEY_FILE": str(key_file),
                         "OUTREACH_DKIM_SELECTOR": "rsa1", "OUTREACH_DKIM_DOMAIN": "example.org",
                         "OUTREACH_DKIM_ED25519_KEY_FILE": str(ed_file),
                         "OUTREACH_DKIM_ED25519_SELECTOR": "ed1"}, dotenv=tmp_path / "none")
    mail = compose(variant_from_text(SIMPLE, cfg=cfg), alert(), contact(), 12, cfg)
    assert mail.data.startswith(b"DKIM-Signature: v=1; a=ed25519-sha256;")
    assert mail.data.count(b"DKIM-Signature:") == 2
    dns = _dns({b"rsa1._domainkey.example.org.": rsa_record,
                b"ed1._domainkey.example.org.": ed_record})
    assert _valid(mail.data, 0, dns) and _valid(mail.data, 1, dns)
    tampered = mail.data.replace(b"Hello", b"Hallo")
    assert tampered != mail.data
    assert not _valid(tampered, 0, dns) and not _valid(tampered, 1, dns)


def _valid(data: bytes, idx: int, dns) -> bool:  # type: ignore[no-untyped-def]
    """dkimpy's verdict on the idx-th signature (it raises for some failures)."""
    try:
        return bool(dkim.DKIM(data).verify(idx=idx, dnsfunc=dns))
    except dkim.DKIMException:
        return False


def test_bad_keys_are_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not a key")
    with pytest.raises(ConfigError, match=r"OUTREACH_DKIM_KEY_FILE: .*junk\.pem"):
        signer_for(str(junk), "s1", "example.org")
    key_file, _ = _rsa_keypair(tmp_path)
    with pytest.raises(ConfigError, match=r"OUTREACH_DKIM_ED25519_KEY_FILE: .*junk\.pem"):
        signer_for(str(key_file), "s1", "example.org", str(junk), "ed1")
    with pytest.raises(ConfigError, match="set both or neither"):
        signer_for(str(key_file), "s1", "example.org", str(junk), None)
    ed_file, _ = _ed25519_keypair(tmp_path, pem=True)
    with pytest.raises(ConfigError, match="not an RSA key"):
        signer_for(str(ed_file), "s1", "example.org")


def test_no_signature_without_a_key() -> None:
    mail = compose(variant_from_text(SIMPLE), alert(), contact(), 11, settings())
    assert not mail.data.startswith(b"DKIM-Signature:")
