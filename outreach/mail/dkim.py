"""Optional DKIM signing, on when OUTREACH_DKIM_KEY_FILE/_SELECTOR/_DOMAIN are set.

dkimpy does everything that is DKIM (header selection, canonicalisation, the body hash, the
tag list, folding); only the RSA private-key operation goes to OpenSSL through `cryptography`.
dkimpy's own RSA is pure Python: 6-9 ms per message on an idle core, 27 ms on a busy one,
which capped a worker near 40-100 msg/s the moment DKIM was switched on; OpenSSL signs
RSA-2048 in about 0.2 ms, and a whole signature costs about 0.33 ms here. The hook is
`DKIM.gen_header`, the one dkimpy method that both hashes the signed headers and signs; our
override keeps its steps and dkimpy's helpers and only swaps the signing call.

An Ed25519 signature (RFC 8463) is added in front when OUTREACH_DKIM_ED25519_KEY_FILE (PEM, or
dkimpy's base64 seed) and OUTREACH_DKIM_ED25519_SELECTOR are set: receivers that understand it
check it, the others fall back to the RSA one (RFC 6376 §6.1: any valid signature will do).

Canonicalisation is relaxed/simple, dkimpy's own default for signing: relaxed headers survive
relays that re-fold them; the body is ours, quoted-printable or base64 with CRLF line ends and
no trailing whitespace, so the whitespace changes relaxed body canonicalisation forgives do not
arise, and dkimpy's relaxed body pass (a regex substitution per space, ~0.2 ms for a 10 KB
message) is not worth paying per message. Keys are read and parsed once per process; the
signed header list is fixed.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from dkim.canonicalization import CanonicalizationPolicy

from outreach.config import Settings
from outreach.errors import ConfigError

SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"reply-to",
                  b"list-unsubscribe", b"list-unsubscribe-post", b"list-id", b"in-reply-to",
                  b"references", b"mime-version", b"content-type")
CANONICALIZE = (b"relaxed", b"simple")
_POLICY = CanonicalizationPolicy.from_c_value(b"/".join(CANONICALIZE))  # one: a cache key
ED25519_KEY_VAR = "OUTREACH_DKIM_ED25519_KEY_FILE"
ED25519_SELECTOR_VAR = "OUTREACH_DKIM_ED25519_SELECTOR"


class _OpenSSLDKIM(dkim.DKIM):
    """dkimpy's signer with the RSA signature computed by OpenSSL.

    `gen_header` is dkimpy 1.1's, step for step (same helpers, same folding), except the
    signing call. Ed25519 goes through dkimpy unchanged (PyNaCl, libsodium: already native).
    """

    rsa_key: rsa.RSAPrivateKey

    def sign_rsa(self, selector: bytes, domain: bytes) -> bytes:
        """dkimpy's `DKIM.sign` for rsa-sha256 and our fixed header list, tag for tag, without
        its parse of the PEM key per message (pure-Python ASN.1, 0.1 ms; OpenSSL holds the
        key). tests/unit/mail/test_dkim.py checks the result is byte-identical to dkimpy's."""
        policy = _POLICY
        self.include_headers = SIGNED_HEADERS
        self.signature_algorithm = b"rsa-sha256"
        self.hasher = dkim.HASH_ALGORITHMS[self.signature_algorithm]
        body_hash = base64.b64encode(self.hasher(policy.canonicalize_body(self.body)).digest())
        fields = [(b"v", b"1"), (b"a", self.signature_algorithm), (b"c", policy.to_c_value()),
                  (b"d", domain), (b"i", b"@" + domain), (b"q", b"dns/txt"), (b"s", selector),
                  (b"t", str(int(time.time())).encode("ascii")),
                  (b"h", b" : ".join(SIGNED_HEADERS)), (b"bh", body_hash), (b"b", b"0" * 60)]
        header = self.gen_header(fields, SIGNED_HEADERS, policy, b"DKIM-Signature", None)
        self.domain, self.selector, self.signature_fields = domain, selector, dict(fields)
        return b"DKIM-Signature: " + header

    def gen_header(self, fields: list[tuple[bytes, bytes]], include_headers: Any,  # type: ignore[override]
                   canon_policy: Any, header_name: bytes, pk: Any,
                   standardize: bool = False) -> bytes:
        if self.signature_algorithm != b"rsa-sha256" or standardize:
            return super().gen_header(fields, include_headers, canon_policy, header_name, pk,
                                      standardize)
        value = dkim.fold(b"; ".join(b"=".join(x) for x in fields), namelen=len(header_name),
                          linesep=b"\r\n")
        header = (header_name, b" " + dkim.RE_BTAG.sub(b"\\1", value))
        hasher = self.hasher()
        headers = [_canonical(canon_policy, bytes(name), bytes(value))
                   for name, value in self.headers]
        self.signed_headers = dkim.hash_headers(hasher, canon_policy, headers, include_headers,
                                                header, dict(fields))
        signature = self.rsa_key.sign(hasher.digest(), padding.PKCS1v15(),
                                      Prehashed(hashes.SHA256()))
        fields = [(k, base64.b64encode(signature) if k == b"b" else v) for k, v in fields]
        value = b"; ".join(b"=".join(x) for x in fields) + self.linesep
        return dkim.fold(value, namelen=len(header_name), linesep=self.linesep)


@lru_cache(maxsize=512)
def _canonical(policy: Any, name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """dkimpy's canonical form of one header field, remembered: From, List-Id, MIME-Version,
    Content-Type (fixed boundary) and the like are the same in every message of a variant."""
    return tuple(policy.canonicalize_headers([(name, value)])[0])  # type: ignore[return-value]


@dataclass(frozen=True)
class Signer:
    domain: bytes
    selector: bytes
    rsa_key: rsa.RSAPrivateKey
    ed25519_selector: bytes | None = None
    ed25519_seed: bytes | None = None  # base64 of the 32-byte private seed, as dkimpy wants

    def sign(self, data: bytes) -> bytes:
        """The DKIM-Signature header(s) for `data` (CRLF line ends), to prepend to it."""
        signer = _parsed(data)
        signer.rsa_key = self.rsa_key
        headers = signer.sign_rsa(self.selector, self.domain)
        if self.ed25519_seed and self.ed25519_selector:
            headers = dkim.DKIM(data, linesep=b"\r\n").sign(
                self.ed25519_selector, self.domain, self.ed25519_seed,
                signature_algorithm=b"ed25519-sha256", canonicalize=CANONICALIZE,
                include_headers=list(SIGNED_HEADERS)) + headers
        return headers


def _parsed(data: bytes) -> _OpenSSLDKIM:
    """dkimpy's parse of `data`, with its header block parsed by dkimpy and the body handed
    over as it is when all its line ends are CRLF (as compose writes them): dkimpy's parser
    splits the whole body into lines and joins them with CRLF again, which for such a body
    gives back the same bytes, at 0.05-0.1 ms a message. Anything else gets the full parse."""
    head, blank, body = data.partition(b"\r\n\r\n")
    if not blank or not body.count(b"\n") == body.count(b"\r\n") == body.count(b"\r"):
        return _OpenSSLDKIM(data, linesep=b"\r\n")
    signer = _OpenSSLDKIM(head + blank, linesep=b"\r\n")
    signer.body = body
    return signer


def sign_message(data: bytes, settings: Settings) -> bytes:
    """`data` with DKIM-Signature header(s) prepended, or unchanged when DKIM is not set up."""
    if not (settings.dkim_key_file and settings.dkim_selector and settings.dkim_domain):
        return data
    signer = signer_for(settings.dkim_key_file, settings.dkim_selector, settings.dkim_domain,
                        settings.dkim_ed25519_key_file, settings.dkim_ed25519_selector)
    return signer.sign(data) + data


@lru_cache(maxsize=4)
def signer_for(key_file: str, selector: str, domain: str, ed25519_key_file: str | None = None,
               ed25519_selector: str | None = None) -> Signer:
    """Keys read and parsed once per process (per configuration)."""
    pem = _read(key_file, "OUTREACH_DKIM_KEY_FILE")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"OUTREACH_DKIM_KEY_FILE: {key_file} is not an unencrypted PEM "
                          f"private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"OUTREACH_DKIM_KEY_FILE: {key_file} is not an RSA key "
                          f"(an Ed25519 key goes in {ED25519_KEY_VAR})")
    if key.key_size < 1024:
        raise ConfigError(f"OUTREACH_DKIM_KEY_FILE: {key.key_size}-bit RSA is too short "
                          "(receivers ignore it; use 2048)")
    if bool(ed25519_key_file) != bool(ed25519_selector):
        raise ConfigError(f"{ED25519_KEY_VAR} and {ED25519_SELECTOR_VAR}: set both or neither")
    seed = _ed25519_seed(ed25519_key_file) if ed25519_key_file else None
    ed_selector = ed25519_selector.encode("ascii") if ed25519_selector else None
    return Signer(domain.encode("ascii"), selector.encode("ascii"), key, ed_selector, seed)


def _ed25519_seed(path: str) -> bytes:
    """The key as dkimpy takes it: a PEM file (openssl genpkey -algorithm ed25519) or a file
    holding the base64 32-byte seed (dkimpy's dknewkey --ktype ed25519)."""
    raw = _read(path, ED25519_KEY_VAR).strip()
    try:
        if raw.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(raw, password=None)
            if not isinstance(key, ed25519.Ed25519PrivateKey):
                raise ValueError("not an Ed25519 key")
            return base64.b64encode(key.private_bytes_raw())
        if len(base64.b64decode(raw, validate=True)) != 32:
            raise ValueError("not a 32-byte seed")
        return raw
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{ED25519_KEY_VAR}: {path}: unusable Ed25519 key ({exc})") from None


def _read(path: str, var: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{var}: cannot read {path}: {exc.strerror}") from None
