"""The survey as pupils meet it (pages of questions built from an instrument version), and
the in-process cache of the pages of *frozen* versions, which the pupil pages
(``surveys.pupil.selectors``) and the page save (``surveys.services.submission``) share.

A version is frozen once a response exists for a window using it
(``services.instruments.version_is_frozen``): the admin then refuses every edit, so its
scales and items never change again. Drafts and published-but-unanswered versions can
still be edited, so their pages are always built afresh. A version becomes "known frozen"
in this process only when a caller has read a committed response for it
(``mark_frozen``). Keys carry the version's ``created_at`` as well as its id, so a reused
id (SQLite after a rollback) never meets an old entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from . import response_scales
from .models import InstrumentVersion, Item, Scale, SurveyWindow


@dataclass
class SurveyPage:
    """One screen of the survey: a heading and its questions with their answer options."""

    number: int
    heading: str
    questions: list[dict] = field(default_factory=list)
    # Filled by surveys.pupil.markup.questions_markup the first time the page is shown.
    markup_pieces: list | None = field(default=None, repr=False, compare=False)
    # The page's shells (surveys.pupil.shells), by school footer and template.
    shells: dict = field(default_factory=dict, repr=False, compare=False)


def _question(item: Item) -> dict:
    if item.is_demographic:
        options = [(value, label) for value, label in response_scales.DEMOGRAPHIC_CHOICES[item.response_scale]]
    else:
        options = [(str(value), label) for value, label in response_scales.PRESETS[item.response_scale]]
    return {"item": item, "code": item.code, "text": item.text, "options": options, "demographic": item.is_demographic}


def build_pages(scales: list[Scale], items: list[Item], *, layout: str, include_demographics: bool) -> list[SurveyPage]:
    """One scale per page (or one question per page), demographic questions last, in the
    editors' order."""
    groups: list[tuple[str, list[Item]]] = []
    for scale in scales:
        members = [item for item in items if item.scale_code == scale.code and not item.is_demographic]
        if members:
            groups.append(("", members))
    loose = [item for item in items if not item.is_demographic and item.scale_code not in {s.code for s in scales}]
    if loose:
        groups.append(("", loose))
    demographics = [item for item in items if item.is_demographic]
    if include_demographics and demographics:
        groups.append(("About you", demographics))

    pages: list[SurveyPage] = []
    for heading, members in groups:
        if layout == SurveyWindow.Layout.ITEM_PER_PAGE:
            for item in members:
                pages.append(SurveyPage(number=len(pages) + 1, heading=heading, questions=[_question(item)]))
        else:
            pages.append(SurveyPage(number=len(pages) + 1, heading=heading, questions=[_question(i) for i in members]))
    return pages


# --- The cache of frozen versions' pages -------------------------------------------------

_PAGES: dict[tuple, list[SurveyPage]] = {}
_FROZEN: set[tuple] = set()
_LIMIT = 256


def version_marker(version_id: int, created_at) -> tuple:
    """The cache key of a version: its id and creation time, the latter as the model gives
    it or as the database returns it (``surveys.pupil.sql.LockedWindow``: naive on
    SQLite), the same either way."""
    value = InstrumentVersion._meta.get_field("created_at").to_python(created_at)
    if value is not None and timezone.is_aware(value):
        value = timezone.make_naive(value, dt.UTC)
    return (version_id, value.isoformat() if value is not None else "")


def mark_frozen(marker: tuple) -> None:
    """Record that a committed response exists for this version (so it can never change)."""
    if len(_FROZEN) >= _LIMIT:
        _FROZEN.clear()
    _FROZEN.add(marker)


def clear() -> None:
    _PAGES.clear()
    _FROZEN.clear()


def pages_for_version(version_id: int, *, marker: tuple, layout: str, include_demographics: bool) -> list[SurveyPage]:
    """The pages of a version by id (no version row needed), from the cache when the
    version is known to be frozen. Callers must not change the pages."""
    key = (marker, layout, bool(include_demographics))
    cached = _PAGES.get(key)
    if cached is not None:
        return cached
    pages = build_pages(
        list(Scale.objects.filter(version_id=version_id).order_by("sort_order")),
        list(Item.objects.filter(version_id=version_id).order_by("sort_order")),
        layout=layout,
        include_demographics=include_demographics,
    )
    keep(marker, layout=layout, include_demographics=include_demographics, pages=pages)
    return pages


def keep(marker: tuple, *, layout: str, include_demographics: bool, pages: list[SurveyPage]) -> None:
    """Keep pages built by ``pages_for_version``, if their version is known frozen."""
    if marker not in _FROZEN:
        return
    if len(_PAGES) >= _LIMIT:
        _PAGES.clear()
    _PAGES[(marker, layout, bool(include_demographics))] = pages
