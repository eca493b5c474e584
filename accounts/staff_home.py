"""What the staff home (``/staff/``) shows a school's leads and safeguarding leads as
waiting for them: teachers to approve, pupils' requests to talk not yet followed up.

Imports flow one way (accounts <- lessons <- surveys), so the apps that own the other
things waiting register a provider here from their ``AppConfig.ready()``; accounts never
imports them. A provider takes the user and one of their approved memberships and returns
the items for that school (an empty list when the user has no business seeing them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from . import selectors
from .models import Membership, User


@dataclass(frozen=True)
class Waiting:
    """One line on the staff home: ``label`` links to ``url``, where ``count`` things wait."""

    label: str
    url: str
    count: int


Provider = Callable[[User, Membership], list[Waiting]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a provider (idempotent, so a second ``ready()`` does not list things twice)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def waiting_for(user: User, membership: Membership) -> list[Waiting]:
    items: list[Waiting] = []
    for provider in _providers:
        items.extend(provider(user, membership))
    return items


@register
def teachers_to_approve(user: User, membership: Membership) -> list[Waiting]:
    if membership.role != Membership.Role.SCHOOL_LEAD:
        return []
    return [
        Waiting(
            label="Teachers waiting for approval",
            url=reverse("accounts:school_staff", args=[membership.school_id]),
            count=selectors.pending_staff(membership.school).count(),
        )
    ]
