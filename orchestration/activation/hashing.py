"""Normalise and SHA-256 hash identifiers the way ad platforms match customer lists.

Both platforms match a SHA-256 hex digest (lowercase) of a normalised value, so the
normalisation decides the match rate:

- Meta (Marketing API, custom audiences, schema EMAIL / PHONE): email trimmed and lowercased;
  phone as digits only, country code included, no ``+``, no leading zeros.
- Google (Google Ads API, Customer Match): email trimmed and lowercased; phone in E.164 *with* the
  ``+`` (``+8613800138000``). Google's extra rule of removing dots before ``@gmail.com`` applies to
  Campaign Manager 360 enhanced conversions, not to Customer Match, and is not applied.

An empty or missing value is never hashed: the digest of "" would match nobody and would look
like a real identifier downstream. Phones that are not E.164 (``+`` then 8 to 15 digits, first
digit not 0) are not hashed either: without a country code the digest cannot match.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

AdsPlatform = Literal["meta", "google"]
# Separators people and exports put inside phone numbers; anything else makes the value invalid.
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


def sha256_hex(value: str) -> str:
    """Lowercase hex SHA-256 of the UTF-8 bytes of ``value``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalise_email(value: str | None) -> str | None:
    """Trimmed and lowercased; None when nothing is left."""
    if value is None:
        return None
    normalised = value.strip().lower()
    return normalised or None


def normalise_phone(value: str | None, platform: AdsPlatform) -> str | None:
    """E.164 with ``+`` for Google, its digits only for Meta; None when not E.164."""
    if value is None:
        return None
    compact = _PHONE_SEPARATORS.sub("", value.strip())
    if not _E164.match(compact):
        return None
    return compact if platform == "google" else compact[1:]


def hash_email(value: str | None) -> str | None:
    normalised = normalise_email(value)
    return sha256_hex(normalised) if normalised else None


def hash_phone(value: str | None, platform: AdsPlatform) -> str | None:
    normalised = normalise_phone(value, platform)
    return sha256_hex(normalised) if normalised else None
