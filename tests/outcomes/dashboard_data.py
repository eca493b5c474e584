"""The region the dashboard tests (view and browser) look at.

One programme (4 lessons, a YEF Toolkit entry) taught at 3 schools in Coventry, 2 in Walsall
and 1 in Dudley, 10 matched pupils and 2 lost in each class: the region and Coventry rest on
3+ schools, Walsall and Dudley on fewer (together 3, so Coventry's figures cannot be used to
work theirs out). The first Coventry class also has 4 boys (fewer than 10 everywhere).
Classes delivered 1, 2, 3, 4, 4 and 4 of the 4 lessons.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from outcomes import services
from tests.factories import SchoolFactory
from tests.lessons.factories import LessonDeliveryFactory, LessonPageFactory
from tests.outcomes.helpers import authority, closed_class, outcome_version, populate, programme_page

PLACES = ["coventry"] * 3 + ["walsall"] * 2 + ["dudley"]


def build_region() -> dict:
    version, programme = outcome_version(), programme_page()
    programme.title = "Choices and Voices"
    programme.toolkit_entry = "bystander"
    programme.evidence_note = "<p>Local pilot in 2025 with 6 schools.</p>"
    programme.save()
    lessons = [LessonPageFactory(parent=programme, title=f"Lesson {i}") for i in range(4)]
    schools = [
        SchoolFactory(name=f"{slug.title()} School {i}", local_authority=authority(slug))
        for i, slug in enumerate(PLACES)
    ]
    groups = []
    during = timezone.localdate() - dt.timedelta(days=20)
    for index, school in enumerate(schools):
        group, baseline, post = closed_class(programme=programme, version=version, school=school)
        populate(baseline, post, 10, lost=2, seed=index)
        if index == 0:
            populate(baseline, post, 4, gender="boy", seed=99)
        for lesson in lessons[: min(4, index + 1)]:
            LessonDeliveryFactory(group=group, lesson=lesson, delivered_on=during)
        groups.append(group)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    return {"programme": programme, "schools": schools, "groups": groups, "version": version}
