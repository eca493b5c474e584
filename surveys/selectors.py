"""Reads for the staff side of surveys, keyword-only like the services. Tenancy: windows
are reached through ``lessons.selectors.groups_visible_to`` so another school's window is
a 404."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts import selectors as account_selectors
from accounts import staff_home
from accounts.models import Membership, School, User
from lessons import selectors as lesson_selectors
from lessons.models import TeachingGroup

from . import sgic
from .models import InstrumentVersion, Response, SurveyWindow, TalkRequest
from .services.instruments import instrument_suits_year_group
from .survey_pages import SurveyPage, build_pages


def survey_pages(
    *, version: InstrumentVersion, layout: str = SurveyWindow.Layout.SCALE_PER_PAGE, include_demographics: bool = True
) -> list[SurveyPage]:
    """The questions as pupils meet them (``survey_pages.build_pages``), always read from
    the database (the admin preview of a draft uses this)."""
    return build_pages(
        list(version.scales.all().order_by("sort_order")),
        list(version.items.all().order_by("sort_order")),
        layout=layout,
        include_demographics=include_demographics,
    )


def versions_for_year_group(*, year_group: int) -> list[InstrumentVersion]:
    """Published versions whose instrument suits the year group and whose licence allows use."""
    versions = InstrumentVersion.objects.filter(status=InstrumentVersion.Status.PUBLISHED).select_related("instrument")
    return [
        version
        for version in versions.order_by("instrument__name", "-number")
        if version.instrument.licence_allows_use and instrument_suits_year_group(version.instrument, year_group)
    ]


def windows_visible_to(*, user: User) -> QuerySet[SurveyWindow]:
    return SurveyWindow.objects.filter(group__in=lesson_selectors.groups_visible_to(user)).select_related(
        "group", "group__school", "instrument_version", "instrument_version__instrument"
    )


def window_for_user(*, user: User, pk: int) -> SurveyWindow:
    """The window, or 404 when its class is not one the user teaches or leads."""
    return get_object_or_404(windows_visible_to(user=user), pk=pk)


def windows_for_group(*, group: TeachingGroup) -> list[SurveyWindow]:
    order = {wave: n for n, wave in enumerate(SurveyWindow.Wave.values)}
    return sorted(group.survey_windows.select_related("instrument_version__instrument"), key=lambda w: order[w.wave])


def window_counts(*, window: SurveyWindow) -> dict[str, int]:
    """Numbers for the teacher's page, never answers: sent and counted, started but not
    sent yet, and kept apart (a second set from the same card, or beyond the quota)."""
    counts = dict.fromkeys(Response.Status.values, 0)
    for status, number in (
        Response.objects.filter(window=window).values_list("status").annotate(n=Count("pk")).order_by()
    ):
        counts[status] = number
    return {
        "completed": counts[Response.Status.COMPLETED],
        "started": counts[Response.Status.IN_PROGRESS],
        "conflicts": counts[Response.Status.CONFLICT],
        "over_quota": counts[Response.Status.OVER_QUOTA],
    }


def talk_requests_for(*, user: User) -> QuerySet[TalkRequest]:
    """'Talk to someone' requests at schools where the user is the safeguarding lead or a
    deputy, or the school lead (who hears of them until a safeguarding lead is named)."""
    return (
        TalkRequest.objects.filter(school__in=account_selectors.schools_seeing_talk_requests(user))
        .select_related("school", "window__group", "seen_by")
        .order_by("seen_at", "-requested_on", "-pk")
    )


def talk_request_for_lead(*, user: User, pk: int) -> TalkRequest:
    """One of the requests ``talk_requests_for`` lists, or 404."""
    return get_object_or_404(talk_requests_for(user=user), pk=pk)


def unseen_talk_request_count(*, school: School) -> int:
    """Requests to talk at the school that nobody has marked as followed up yet."""
    return TalkRequest.objects.filter(school=school, seen_at__isnull=True).count()


def talk_requests_waiting(user: User, membership: Membership) -> list[staff_home.Waiting]:
    """For the staff home (registered in ``SurveysConfig.ready``, and called positionally
    like every ``accounts.staff_home`` provider): the school's requests to talk not yet
    followed up, for its school lead and its safeguarding lead and deputies."""
    if membership.role != Membership.Role.SCHOOL_LEAD and not membership.safeguarding_role:
        return []
    return [
        staff_home.Waiting(
            label="Pupils who asked to talk, not followed up yet",
            url=reverse("surveys:talk_requests"),
            count=unseen_talk_request_count(school=membership.school),
        )
    ]


def sgic_candidates(*, window: SurveyWindow) -> list[sgic.Candidate]:
    """Completed responses in a window whose participant made their own code, ready for
    ``sgic.match_codes`` (blocked by school and year group, gender from the response)."""
    responses = (
        Response.objects.filter(window=window, status=Response.Status.COMPLETED, participant__isnull=False)
        .exclude(participant__sgic_element_hashes=[])
        .select_related("participant")
    )
    year_group = window.group.year_group
    return [
        sgic.Candidate(
            id=response.pk,
            # participant__isnull=False above: every response here has a participant.
            block=(window.group.school_id, response.participant.year_group or year_group),  # type: ignore[union-attr]
            element_hashes=tuple(response.participant.sgic_element_hashes),  # type: ignore[union-attr]
            gender=response.gender,
        )
        for response in responses
    ]


def sgic_match(*, baseline: SurveyWindow, post: SurveyWindow) -> sgic.MatchResult:
    """Pairs of (baseline response id, post response id) linked by self-generated code."""
    return sgic.match_codes(sgic_candidates(window=baseline), sgic_candidates(window=post))
