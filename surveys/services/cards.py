"""Participant cards: make N new card codes for a class, store only their keyed hashes,
and hand the plain codes back once, for the PDF. They are never stored in plain."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from lessons.models import TeachingGroup

from ..codes import new_card_code
from ..models import CardBatch, Participant
from ..pseudonyms import card_code_hash
from .windows import can_manage_group

MAX_CARDS = 120
ATTEMPTS = 5


def _fresh_codes(*, school_id: int, academic_year: int, count: int) -> dict[str, str]:
    """``count`` new codes (code -> hash) not yet used at the school this academic year."""
    chosen: dict[str, str] = {}
    while len(chosen) < count:
        needed = count - len(chosen)
        candidates = {}
        for _ in range(needed):
            code = new_card_code()
            candidates[card_code_hash(school_id=school_id, code=code)] = code
        taken = set(
            Participant.objects.filter(
                school_id=school_id, academic_year=academic_year, code_hash__in=list(candidates)
            ).values_list("code_hash", flat=True)
        )
        for code_hash, code in candidates.items():
            if code_hash not in taken and code not in chosen and len(chosen) < count:
                chosen[code] = code_hash
    return chosen


@transaction.atomic
def card_batch_create(*, actor: User, group: TeachingGroup, count: int) -> tuple[CardBatch, list[str]]:
    """Create ``count`` participants for the class's school and academic year. Returns the
    batch and the plain codes, which the caller prints and then forgets."""
    if not can_manage_group(actor, group):
        raise PermissionDenied("You can only print cards for your own classes.")
    if not 1 <= count <= MAX_CARDS:
        raise ValidationError({"count": [f"Print between 1 and {MAX_CARDS} cards at a time."]})
    for _attempt in range(ATTEMPTS):
        codes = _fresh_codes(school_id=group.school_id, academic_year=group.academic_year, count=count)
        try:
            with transaction.atomic():
                batch = CardBatch.objects.create(group=group, count=count, created_by=actor)
                Participant.objects.bulk_create(
                    Participant(
                        school_id=group.school_id,
                        academic_year=group.academic_year,
                        card_batch=batch,
                        code_hash=code_hash,
                        year_group=group.year_group,
                    )
                    for code_hash in codes.values()
                )
        except IntegrityError:
            continue  # another batch took one of these codes a moment ago: draw again
        return batch, list(codes)
    raise RuntimeError("Could not draw unique card codes")  # pragma: no cover
