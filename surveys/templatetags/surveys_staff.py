"""Template filters for the staff survey pages."""

from django import template

from ..codes import format_card_code

register = template.Library()


@register.filter
def card_code(value: str) -> str:
    """'AB3K9QX' -> 'AB3-K9Q-X', as printed on the card."""
    return format_card_code(value) if value and len(value) == 7 else value
