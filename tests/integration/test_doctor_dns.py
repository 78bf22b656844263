"""Acceptance: `outreach doctor` against a local DNS server (dnslib) with a good zone and a
broken one: each broken record is one line naming it; the good zone passes; no DNS server at
all is said plainly."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fixtures.dns import txt

pytestmark = pytest.mark.integration
RELAY_IP = "198.51.100.7"


def rsa_key(directory: Path, name: str) -> tuple[Path, str]:
    """A private key file and its public key as DKIM's p= (base64 SubjectPublicKeyInfo)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path = directory / f"{name}.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, base64.b64encode(public).decode()


def zone(domain: str, spf: str, dkim_p: str, dmarc: str | None) -> str:
    lines = [f"{domain}. 300 IN SOA ns.{domain}. admin.{domain}. 1 3600 600 86400 300",
             f"{domain}. 300 IN TXT {txt(spf)}",
             f"{domain}. 300 IN TXT {txt('google-site-verification=abc')}",
             f"sel._domainkey.{domain}. 300 IN TXT {txt('v=DKIM1; k=rsa; p=' + dkim_p)}",
             f"_spf.relay.test. 300 IN TXT {txt(f'v=spf1 ip4:{RELAY_IP} -all')}",
             f"relay.test. 300 IN A {RELAY_IP}"]
    if dmarc:
        lines.append(f"_dmarc.{domain}. 300 IN TXT {txt(dmarc)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def doctor_env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    def configure(domain: str, nameserver: str, key_file: Path) -> None:
        for var, value in {"OUTREACH_FROM": f"Press <press@{domain}>",
                           "OUTREACH_DKIM_SELECTOR": "sel", "OUTREACH_DKIM_DOMAIN": domain,
                           "OUTREACH_DKIM_KEY_FILE": str(key_file),
                           "OUTREACH_GUARD_NAMESERVER": nameserver,
                           "OUTREACH_GUARD_SPF_SENDER": "relay.test"}.items():
            monkeypatch.setenv(var, value)
    return configure


def test_the_good_zone_passes(local_dns, doctor_env, run_cli, tmp_path):
    key_file, public = rsa_key(tmp_path, "good")
    server = local_dns(zone("good.test", "v=spf1 ip4:192.0.2.0/24 include:_spf.relay.test -all",
                            public, "v=DMARC1; p=quarantine; rua=mailto:dmarc@good.test"))
    doctor_env("good.test", server.nameserver, key_file)

    lines = run_cli("doctor", "--only", "dns").output.splitlines()

    assert [line.split()[0] for line in lines] == ["OK"] * 4, lines
    assert "SPF (TXT good.test): allows relay.test" in lines[0]
    assert "DKIM (TXT sel._domainkey.good.test): matches OUTREACH_DKIM_KEY_FILE" in lines[1]
    assert "DMARC (TXT _dmarc.good.test): published, p=quarantine" in lines[2]
    found = json.loads(run_cli("doctor", "--only", "dns", "--json").stdout)
    assert [(f["status"], f["check"]) for f in found] == [
        ("ok", "SPF"), ("ok", "DKIM"), ("ok", "DMARC"), ("ok", "ALIGN")]


def test_each_broken_record_is_one_line_naming_it(local_dns, doctor_env, run_cli, tmp_path):
    key_file, _ = rsa_key(tmp_path, "ours")
    _, someone_elses = rsa_key(tmp_path, "old")
    server = local_dns(zone("broken.test", "v=spf1 ip4:192.0.2.0/24 ~all", someone_elses, None))
    doctor_env("broken.test", server.nameserver, key_file)

    result = run_cli("doctor", "--only", "dns", expect=1)

    failed = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 3, result.output
    spf, dkim, dmarc = failed
    assert "SPF (TXT broken.test)" in spf and "does not allow the sending relay relay.test" in spf
    assert "DKIM (TXT sel._domainkey.broken.test)" in dkim and "does not match" in dkim
    assert "DMARC (TXT _dmarc.broken.test): no v=DMARC1 record" in dmarc


def test_no_dns_server_is_said_plainly(doctor_env, run_cli, tmp_path):
    from tests.fixtures.web import free_port

    key_file, _ = rsa_key(tmp_path, "k")
    doctor_env("good.test", f"127.0.0.1:{free_port()}", key_file)

    lines = run_cli("doctor", "--only", "dns").output.splitlines()

    assert len(lines) == 1 and lines[0].startswith("WARN DNS")
    assert "no DNS server answered" in lines[0] and "were not checked" in lines[0]
