"""Pure pieces of the accounts stage: TOTP step matching, password policy and hashing."""

from __future__ import annotations

import pyotp
import pytest

from outreach.accounts import totp
from outreach.accounts.credentials import (
    digest,
    hash_password,
    needs_rehash,
    new_token,
    rehashed,
    verify_password,
)
from outreach.errors import UserError

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.mark.parametrize(("offset", "step"), [(0, 33333), (-30, 33332), (30, 33334)])
def test_code_of_this_step_or_one_either_side(offset, step):
    now = 33333 * 30 + 10
    code = pyotp.TOTP(SECRET).at(now + offset)
    assert totp.matching_step(SECRET, code, now) == step
    assert totp.matching_step(SECRET, f" {code[:3]} {code[3:]} ", now) == step  # spaces typed


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_malformed_codes_never_match(code):
    assert totp.matching_step(SECRET, code, 1_000_000) is None


def test_code_two_steps_away_is_refused():
    now = 1_000_000
    assert totp.matching_step(SECRET, pyotp.TOTP(SECRET).at(now + 90), now) is None


def test_passwords():
    with pytest.raises(UserError, match="at least 10"):
        hash_password("short")
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and not needs_rehash(stored)
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse battery ")
    assert not verify_password(None, "anything at all")
    assert not verify_password("not a hash", "anything at all")


def test_tokens_are_random_and_stored_as_digests():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43
    assert digest(a) != a and len(digest(a)) == 64


def test_old_parameters_are_rehashed_on_login():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=1024).hash("correct horse battery")
    assert needs_rehash(weak)
    fresh = rehashed(weak, "correct horse battery")
    assert fresh and verify_password(fresh, "correct horse battery") and not needs_rehash(fresh)
    assert rehashed(fresh, "correct horse battery") is None
