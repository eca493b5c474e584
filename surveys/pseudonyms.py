"""The keyed-hash secret for participant codes and the hashes made with it.

Codes and SGIC answers are never stored in plain: only HMACs keyed with
``settings.UPSTREAM_PSEUDONYM_KEY``. Dev and test, which have no such key, derive one from
``SECRET_KEY`` so hashes stay stable between runs without a second secret to manage.
Production must set ``PSEUDONYM_KEY``: rotating it unlinks every earlier wave.
"""

from __future__ import annotations

import hashlib
from typing import cast

from django.conf import settings

from .codes import keyed_hash


def pseudonym_key() -> bytes:
    key = getattr(settings, "UPSTREAM_PSEUDONYM_KEY", None)
    if key:
        return key.encode() if isinstance(key, str) else key
    return hashlib.sha256(b"upstream-pseudonym-dev\x1f" + cast(str, settings.SECRET_KEY).encode()).digest()


def card_code_hash(*, school_id: int, code: str) -> str:
    """Participant.code_hash for a normalised 7-symbol card code (see codes.validate_card_code)."""
    return keyed_hash(pseudonym_key(), str(school_id), code)
