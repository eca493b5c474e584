"""``<id:...>`` in URL patterns: a database id of at most 18 digits.

Django's ``<int:...>`` accepts any number of digits. An id beyond the database's 64-bit
integer range cannot name a row, yet on SQLite a lookup through a related key (a Wagtail
page subclass's ``page_ptr``, for example) raises ``OverflowError``, a server error, where
PostgreSQL simply finds nothing. Bounding the digits at the resolver answers such a URL
with a 404 before any view or query runs, on every engine: 18 digits stay below
9,223,372,036,854,775,807, so every id the database can hand out still matches.
Importing this module registers the converter (``accounts.urls`` and ``lessons.urls`` do).
"""

from __future__ import annotations

from django.urls import register_converter

MAX_ID_DIGITS = 18


class IdConverter:
    regex = rf"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def parse_id(value) -> int | None:
    """The id in a query-string or form value, or None if it is not one the database could
    hold (not digits, or more than ``MAX_ID_DIGITS`` of them)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) <= MAX_ID_DIGITS else None


register_converter(IdConverter, "id")
