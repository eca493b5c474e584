"""Navigation links the site header and staff home need (templates/base.html)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from . import selectors


def _programmes_url(request) -> str:
    index = selectors.programme_index()
    return index.get_url(request) if index is not None else ""


def navigation(request) -> dict:
    """``nav_programmes_url``: the programme index, found by page type; ``nav_classes_url``:
    the class list. Both are lazy, so pages that never print them (the pupil survey, on
    every request of a whole year group) do not pay for the page and site queries."""
    return {
        "nav_programmes_url": SimpleLazyObject(lambda: _programmes_url(request)),
        "nav_classes_url": SimpleLazyObject(lambda: reverse("lessons:group_list")),
    }
