"""Reads for the staff side of surveys. Tenancy: windows are reached through
``lessons.selectors.groups_visible_to`` so another school's window is a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts import selectors as account_selectors
from accounts import staff_home
from accounts.models import Membership, School, User
from lessons import selectors as lesson_selectors
from lessons.models import TeachingGroup

from . import scales as response_scales
from . import sgic
from .models import InstrumentVersion, Item, Response, Scale, SurveyWindow, TalkRequest
from .services.instruments import instrument_suits_year_group


@dataclass
class SurveyPage:
    """One screen of the survey: a heading and its questions with their answer options."""

    number: int
    heading: str
    questions: list[dict] = field(default_factory=list)
    # Filled by surveys.pupil.selectors.questions_markup the first time the page is shown.
    markup_pieces: list | None = field(default=None, repr=False, compare=False)


def _question(item: Item) -> dict:
    if item.is_demographic:
        options = [(value, label) for value, label in response_scales.DEMOGRAPHIC_CHOICES[item.response_scale]]
    else:
        options = [(str(value), label) for value, label in response_scales.PRESETS[item.response_scale]]
    return {"item": item, "code": item.code, "text": item.text, "options": options, "demographic": item.is_demographic}


def survey_pages(
    version: InstrumentVersion, *, layout: str = SurveyWindow.Layout.SCALE_PER_PAGE, include_demographics: bool = True
) -> list[SurveyPage]:
    """The questions as pupils meet them: one scale per page (or one question per page),
    demographic questions last, in the editors' order. Always read from the database
    (the admin preview of a draft uses this)."""
    return _build_pages(
        list(version.scales.all().order_by("sort_order")),
        list(version.items.all().order_by("sort_order")),
        layout=layout,
        include_demographics=include_demographics,
    )


def _build_pages(
    scales: list[Scale], items: list[Item], *, layout: str, include_demographics: bool
) -> list[SurveyPage]:
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


# In-process cache of built pages for *frozen* versions only. A version is frozen once a
# response exists for a window using it (``services.instruments.version_is_frozen``): the
# admin then refuses every edit, so its scales and items never change again. Drafts and
# published-but-unanswered versions can still be edited, so they are always read afresh.
# A version becomes "known frozen" in this process only when a caller has read a committed
# response for it (``mark_version_frozen``). Keys carry the version's ``created_at`` as
# well as its id, so a reused id (SQLite after a rollback) never meets an old entry.
_PAGES_CACHE: dict[tuple, list[SurveyPage]] = {}
_FROZEN_VERSIONS: set[tuple] = set()
_PAGES_CACHE_LIMIT = 256


def version_marker(version_id: int, created_at: dt.datetime | None) -> tuple:
    return (version_id, created_at.isoformat() if created_at is not None else "")


def mark_version_frozen(marker: tuple) -> None:
    """Record that a committed response exists for this version (so it can never change)."""
    if len(_FROZEN_VERSIONS) >= _PAGES_CACHE_LIMIT:
        _FROZEN_VERSIONS.clear()
    _FROZEN_VERSIONS.add(marker)


def clear_survey_pages_cache() -> None:
    _PAGES_CACHE.clear()
    _FROZEN_VERSIONS.clear()


def survey_pages_for_version_id(
    version_id: int, *, marker: tuple, layout: str, include_demographics: bool
) -> list[SurveyPage]:
    """``survey_pages`` by version id (no version row needed), from the in-process cache
    when the version is known to be frozen. Callers must not mutate the pages."""
    key = (marker, layout, bool(include_demographics))
    cached = _PAGES_CACHE.get(key)
    if cached is not None:
        return cached
    pages = _build_pages(
        list(Scale.objects.filter(version_id=version_id).order_by("sort_order")),
        list(Item.objects.filter(version_id=version_id).order_by("sort_order")),
        layout=layout,
        include_demographics=include_demographics,
    )
    remember_survey_pages(marker, layout=layout, include_demographics=include_demographics, pages=pages)
    return pages


def remember_survey_pages(marker: tuple, *, layout: str, include_demographics: bool, pages: list[SurveyPage]) -> None:
    """Keep pages built by ``survey_pages_for_version_id``, if their version is known frozen."""
    if marker not in _FROZEN_VERSIONS:
        return
    if len(_PAGES_CACHE) >= _PAGES_CACHE_LIMIT:
        _PAGES_CACHE.clear()
    _PAGES_CACHE[(marker, layout, bool(include_demographics))] = pages


def versions_for_year_group(year_group: int) -> list[InstrumentVersion]:
    """Published versions whose instrument suits the year group and whose licence allows use."""
    versions = InstrumentVersion.objects.filter(status=InstrumentVersion.Status.PUBLISHED).select_related("instrument")
    return [
        version
        for version in versions.order_by("instrument__name", "-number")
        if version.instrument.licence_allows_use and instrument_suits_year_group(version.instrument, year_group)
    ]


def windows_visible_to(user: User) -> QuerySet[SurveyWindow]:
    return SurveyWindow.objects.filter(group__in=lesson_selectors.groups_visible_to(user)).select_related(
        "group", "group__school", "instrument_version", "instrument_version__instrument"
    )


def window_for_user(user: User, pk: int) -> SurveyWindow:
    """The window, or 404 when its class is not one the user teaches or leads."""
    return get_object_or_404(windows_visible_to(user), pk=pk)


def windows_for_group(group: TeachingGroup) -> list[SurveyWindow]:
    order = {wave: n for n, wave in enumerate(SurveyWindow.Wave.values)}
    return sorted(group.survey_windows.select_related("instrument_version__instrument"), key=lambda w: order[w.wave])


def window_counts(window: SurveyWindow) -> dict[str, int]:
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


def talk_requests_for(user: User) -> QuerySet[TalkRequest]:
    """'Talk to someone' requests at schools where the user is the safeguarding lead or a
    deputy, or the school lead (who hears of them until a safeguarding lead is named)."""
    return (
        TalkRequest.objects.filter(school__in=account_selectors.schools_seeing_talk_requests(user))
        .select_related("school", "window__group", "seen_by")
        .order_by("seen_at", "-requested_on", "-pk")
    )


def talk_request_for_lead(user: User, pk: int) -> TalkRequest:
    """One of the requests ``talk_requests_for`` lists, or 404."""
    return get_object_or_404(talk_requests_for(user), pk=pk)


def unseen_talk_request_count(school: School) -> int:
    """Requests to talk at the school that nobody has marked as followed up yet."""
    return TalkRequest.objects.filter(school=school, seen_at__isnull=True).count()


def talk_requests_waiting(user: User, membership: Membership) -> list[staff_home.Waiting]:
    """For the staff home (registered in ``SurveysConfig.ready``): the school's requests to
    talk not yet followed up, for its school lead and its safeguarding lead and deputies."""
    if membership.role != Membership.Role.SCHOOL_LEAD and not membership.safeguarding_role:
        return []
    return [
        staff_home.Waiting(
            label="Pupils who asked to talk, not followed up yet",
            url=reverse("surveys:talk_requests"),
            count=unseen_talk_request_count(membership.school),
        )
    ]


def leads_school(user: User, school: School) -> bool:
    return account_selectors.is_school_lead(user, school)


def sgic_candidates(window: SurveyWindow) -> list[sgic.Candidate]:
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


def sgic_match(baseline: SurveyWindow, post: SurveyWindow) -> sgic.MatchResult:
    """Pairs of (baseline response id, post response id) linked by self-generated code."""
    return sgic.match_codes(sgic_candidates(baseline), sgic_candidates(post))
