"""``{% load outcome_wording %}``: small helpers for templates that show ``wording.Statement``s."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def any_small_sample(statements) -> bool:
    """True when any shown statement rests on fewer than 30 matched pupils (one note per
    group, not one per scale)."""
    return any(s.shown and s.small_sample for s in statements or ())
