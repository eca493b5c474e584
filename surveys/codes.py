"""Codes pupils type: class join codes and participant card codes.

Pure functions, no database. Alphabets leave out look-alikes so a 9-year-old copying from a
card or the board cannot confuse 0/O, 1/I/L (and, for join codes, U/V).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as token_source

# 31 symbols: digits 2-9 and letters without I, L, O (docs/decisions.md#card-codes: 0/O/1/I/L removed).
CARD_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CARD_BODY_LENGTH = 6
# 32 symbols (Crockford-like, no I, L, O, U): 8 symbols give 40 bits.
# Crockford base32 (no I, L, O, U): 8 symbols give 40 bits. Typed O, I and L are read
# as 0, 1 and 1, so a pupil who copies "O" from the board still gets in.
JOIN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
JOIN_CODE_LENGTH = 8

_JOIN_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise(raw: str) -> str:
    """Upper-case and strip spaces/dashes so 'ab3 k9-q' reads as 'AB3K9Q'."""
    return (raw or "").upper().replace(" ", "").replace("-", "").strip()


def card_check_symbol(body: str) -> str:
    """Mod-31 weighted check symbol: catches every single-symbol error and every swap of
    two neighbouring symbols (31 is prime and weights 1..6 are distinct and non-zero)."""
    total = 0
    for position, symbol in enumerate(body, start=1):
        total += position * CARD_ALPHABET.index(symbol)
    return CARD_ALPHABET[total % 31]


def new_card_code() -> str:
    body = "".join(token_source.choice(CARD_ALPHABET) for _ in range(CARD_BODY_LENGTH))
    return body + card_check_symbol(body)


class CardCodeError(ValueError):
    """Raised with a message written for a pupil."""


def validate_card_code(raw: str) -> str:
    """Return the normalised 7-symbol code, or raise CardCodeError with a friendly message."""
    code = normalise(raw)
    if len(code) != CARD_BODY_LENGTH + 1:
        raise CardCodeError("Your card code has 7 letters and numbers. Please check your card and try again.")
    if any(symbol not in CARD_ALPHABET for symbol in code):
        raise CardCodeError("That code has a letter or number that isn't on the cards. Check for O and 0, or I and 1.")
    if card_check_symbol(code[:-1]) != code[-1]:
        raise CardCodeError("That code doesn't look quite right. Please check each letter on your card and try again.")
    return code


def format_card_code(code: str) -> str:
    """'AB3K9QX' -> 'AB3-K9Q-X' for printing (pupils may type it with or without dashes)."""
    return f"{code[:3]}-{code[3:6]}-{code[6:]}"


def new_join_code() -> str:
    return "".join(token_source.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(raw: str) -> str:
    return normalise(raw).translate(_JOIN_LOOKALIKES)


def keyed_hash(key: str | bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts, so a database dump alone reveals no codes or SGIC answers."""
    if isinstance(key, str):
        key = key.encode()
    message = "\x1f".join(parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
