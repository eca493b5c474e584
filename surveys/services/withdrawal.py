"""Withdrawing one pupil's data by card code (docs/decisions.md#retention: "A school can
withdraw one pupil's data by card code"; docs/data-protection.md#pupil-data).

Only the school's lead can do it, in two steps: ``withdrawal_preview`` says what would go
(which classes and surveys, never answers), ``pupil_withdraw`` deletes it. Everything the
platform holds about that card goes: the responses and their answers and page saves, the
participant (the link between baseline and post), and any 'talk to someone' request made
with the code. The audit log records who withdrew how much, never the code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from wagtail.log_actions import log

from accounts import selectors as account_selectors
from accounts.models import School, User
from accounts.school_year import academic_year_label

from ..codes import CardCodeError, validate_card_code
from ..models import Answer, PageSave, Participant, Response, TalkRequest
from ..pseudonyms import card_code_hash
from .outbox import outbox_message_create


class WithdrawalError(ValueError):
    """Raised with a message for the school lead."""


@dataclass
class WithdrawalPreview:
    code: str
    academic_year: int
    surveys: list[str] = field(default_factory=list)  # "8R, baseline (sent)", never answers
    talk_requests: int = 0

    @property
    def academic_year_display(self) -> str:
        return academic_year_label(self.academic_year)


@dataclass
class WithdrawalResult:
    participants: int = 0
    responses: int = 0
    answers: int = 0
    page_saves: int = 0
    talk_requests: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _check(actor: User, school: School, raw_code: str) -> str:
    if not account_selectors.is_school_lead(actor, school):
        raise PermissionDenied("Only the school's lead can withdraw a pupil's data.")
    try:
        return validate_card_code(raw_code)
    except CardCodeError as error:
        raise WithdrawalError(str(error).replace("Your card code", "A card code"))


def _participant(school: School, academic_year: int, code: str, *, lock: bool = False) -> Participant | None:
    participants = Participant.objects.filter(
        school=school, academic_year=academic_year, code_hash=card_code_hash(school_id=school.pk, code=code)
    )
    if lock:
        participants = participants.select_for_update()
    return participants.first()


def _talk_requests(school: School, academic_year: int, code: str) -> QuerySet[TalkRequest]:
    return TalkRequest.objects.filter(school=school, card_code=code, window__group__academic_year=academic_year)


NOTHING_HELD = (
    "We hold nothing for that card code at this school in that school year. Check the code on your class list; "
    "if it is right, there is nothing to withdraw."
)


def withdrawal_preview(*, actor: User, school: School, academic_year: int, card_code: str) -> WithdrawalPreview:
    """What withdrawing this card would delete; ``WithdrawalError`` if nothing is held."""
    code = _check(actor, school, card_code)
    preview = WithdrawalPreview(code=code, academic_year=academic_year)
    participant = _participant(school, academic_year, code)
    if participant is not None:
        for response in participant.responses.select_related("window__group").order_by("window__opens_at", "pk"):
            state = "sent" if response.submitted_on else "not finished"
            if response.status == Response.Status.CONFLICT:
                state += ", a second set of answers kept apart"
            elif response.status == Response.Status.OVER_QUOTA:
                state += ", kept apart as beyond the class size"
            wave = response.window.wave.replace("_", "-")
            preview.surveys.append(f"{response.window.group.name}: {wave} survey ({state})")
    preview.talk_requests = _talk_requests(school, academic_year, code).count()
    if participant is None and not preview.talk_requests:
        raise WithdrawalError(NOTHING_HELD)
    return preview


@transaction.atomic
def pupil_withdraw(*, actor: User, school: School, academic_year: int, card_code: str) -> WithdrawalResult:
    """Delete everything held for this card at this school in this school year."""
    code = _check(actor, school, card_code)
    participant = _participant(school, academic_year, code, lock=True)
    talk = _talk_requests(school, academic_year, code)
    window_ids = set(talk.values_list("window_id", flat=True))
    result = WithdrawalResult()
    if participant is not None:
        responses = Response.objects.filter(participant=participant)
        window_ids |= set(responses.values_list("window_id", flat=True))
        result.participants = 1
        result.responses = responses.count()
        result.answers = Answer.objects.filter(response__participant=participant).count()
        result.page_saves = PageSave.objects.filter(response__participant=participant).count()
        responses.delete()  # answers and page saves go with them (CASCADE)
        participant.delete()
    result.talk_requests, _ = talk.delete()
    if not (result.participants or result.talk_requests):
        raise WithdrawalError(NOTHING_HELD)
    log(instance=school, action="upstream.pupil.withdraw", user=actor, data=result.as_dict())
    if result.responses:
        # The pupil must vanish from every outcome figure (consumer: outcomes.receivers).
        outbox_message_create(kind="pupil_withdrawn", payload={"window_ids": sorted(window_ids)})
    return result
