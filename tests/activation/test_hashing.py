"""Ad-platform normalisation and SHA-256 test vectors.

Expected digests are computed here with hashlib on literal normalised strings, independently of
the code under test, plus literal hex digests (from `printf '%s' ... | sha256sum`).
"""

from __future__ import annotations

import hashlib

import pytest

from orchestration.activation.deltas import channel_identifiers
from orchestration.activation.hashing import (
    hash_email,
    hash_phone,
    normalise_email,
    normalise_phone,
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("TEST@test.com ", "test@test.com"),
        ("\tzhang.wei@QQ.com\n", "zhang.wei@qq.com"),
        ("j.doe+promo@gmail.com", "j.doe+promo@gmail.com"),  # Customer Match keeps the dots
    ],
)
def test_hash_email_trims_lowercases_then_sha256(raw: str, normalised: str) -> None:
    assert normalise_email(raw) == normalised
    assert hash_email(raw) == _sha(normalised)


def test_hash_email_literal_vectors() -> None:
    assert hash_email("TEST@test.com ") == (
        "f660ab912ec121d1b1e928a0bb4bc61b15f5ad44d5efdc4e1c92a25e99b8e44a"
    )
    assert hash_email(" A@X.com") == (
        "478abec7430569163161dfea8513b8ce89d05f559456a26e945c66e1fe55a29d"
    )


@pytest.mark.parametrize(
    ("raw", "meta", "google"),
    [
        ("+8613800138000", "8613800138000", "+8613800138000"),
        (" +86 138-0013-8000 ", "8613800138000", "+8613800138000"),
        ("+1 (212) 565-0000", "12125650000", "+12125650000"),
        ("+442070313000", "442070313000", "+442070313000"),
    ],
)
def test_hash_phone_follows_each_platform(raw: str, meta: str, google: str) -> None:
    assert normalise_phone(raw, "meta") == meta
    assert normalise_phone(raw, "google") == google
    assert hash_phone(raw, "meta") == _sha(meta)
    assert hash_phone(raw, "google") == _sha(google)


def test_hash_phone_literal_vectors() -> None:
    assert hash_phone("+8613800138000", "meta") == (
        "bf08aacce7f9b2452863cf99373043c3333f0e3127f1f787c4abb46ab6cf2b83"
    )
    assert hash_phone("+8613800138000", "google") == (
        "ec61f3c620a98bdead8c1f1f0ae747abd1b62a0c2dba4fd4bc22cf0d1d8653e5"
    )


@pytest.mark.parametrize("empty", [None, "", "   ", "\t\n"])
def test_empty_values_are_never_hashed(empty: str | None) -> None:
    assert hash_email(empty) is None
    assert hash_phone(empty, "meta") is None
    assert hash_phone(empty, "google") is None


@pytest.mark.parametrize("not_e164", ["13800138000", "+0123456789", "+86 138 abc", "+123", "+"])
def test_phones_without_country_code_are_not_hashed(not_e164: str) -> None:
    assert hash_phone(not_e164, "meta") is None
    assert hash_phone(not_e164, "google") is None


def test_ads_channel_exports_hashes_only() -> None:
    identifiers = channel_identifiers("ads", " A@X.com", "+8613800138000", "oABC", "meta")
    assert identifiers == {
        "email_sha256": _sha("a@x.com"),
        "phone_sha256": _sha("8613800138000"),
    }
    assert channel_identifiers("email", " a@x.com ", None, None, "meta") == {"email": "a@x.com"}
    assert channel_identifiers("wechat", None, None, "", "meta") == {"wechat_openid": None}
