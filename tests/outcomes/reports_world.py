"""Shared builders for the outcome report tests: a programme with figures at three schools
(so regional figures show), one of them with two classes, and a school lead per school."""

from __future__ import annotations

from outcomes import services
from tests.factories import MembershipFactory, SchoolFactory
from tests.outcomes.helpers import authority, closed_class, outcome_version, populate, programme_page


def report_world(*, sizes=(14, 12, 11), small_class: int = 6) -> dict:
    version, programme = outcome_version(), programme_page()
    schools = [
        SchoolFactory(name=name, local_authority=authority(slug))
        for name, slug in (("Oakfield Academy", "coventry"), ("Elmwood School", "dudley"), ("Ashgrove High", "walsall"))
    ]
    groups = []
    for school, n in zip(schools, sizes, strict=True):
        group, baseline, post = closed_class(programme=programme, version=version, school=school)
        populate(baseline, post, n, lost=2)
        groups.append(group)
    # A small second class at the first school: its figures read "fewer than 10".
    small, baseline, post = closed_class(programme=programme, version=version, school=schools[0])
    populate(baseline, post, small_class, seed=3)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    leads = [MembershipFactory(school=school, role="school_lead").user for school in schools]
    return {
        "programme": programme,
        "schools": schools,
        "groups": groups,
        "small": small,
        "leads": leads,
        "year": groups[0].academic_year,
    }
