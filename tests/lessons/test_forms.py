"""Forms (lessons.forms): programme filters, the class form's year groups and labels, and
the delivery form's lesson choices."""

from __future__ import annotations

import pytest

from accounts.models import School
from lessons.forms import LessonDeliveryForm, ProgrammeFilterForm, TeachingGroupForm
from tests.factories import MembershipFactory, SchoolFactory

from .factories import LessonDeliveryFactory, ProgrammePageFactory, TeachingGroupFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def test_filter_form_cleans_empty_values_to_no_filter():
    form = ProgrammeFilterForm({"q": "", "key_stage": "", "year_group": "", "status": ""})
    assert form.is_valid()
    assert not any(form.cleaned_data.values())


def test_filter_form_reads_theme_by_slug_and_year_as_a_number():
    theme = ThemeFactory(slug="online-safety")
    form = ProgrammeFilterForm({"theme": "online-safety", "year_group": "8", "key_stage": "ks3"})
    assert form.is_valid()
    assert (form.cleaned_data["theme"], form.cleaned_data["year_group"]) == (theme, 8)


def test_filter_form_refuses_unknown_values():
    assert not ProgrammeFilterForm({"key_stage": "ks9"}).is_valid()


def test_delivery_form_offers_only_lessons_not_yet_logged(programme, lessons, membership):
    group = TeachingGroupFactory(programme=programme, membership=membership)
    LessonDeliveryFactory(group=group, lesson=lessons[0], delivered_on="2026-01-05", logged_by=None)
    form = LessonDeliveryForm(group=group, lesson=lessons[2])
    assert [pk for pk, _ in form.fields["lesson"].choices] == [lessons[1].pk, lessons[2].pk]
    assert form.initial["lesson"] == lessons[2].pk
    assert form.initial["minutes"] == lessons[2].duration_minutes


def _years(form) -> list[int]:
    return [year for year, _ in form.fields["year_group"].choices]


def test_a_new_class_for_a_years_7_to_9_programme_starts_at_year_7_and_offers_secondary_years(programme, membership):
    assert (programme.year_from, programme.year_to, membership.school.phase) == (7, 9, School.Phase.SECONDARY)
    form = TeachingGroupForm(user=membership.user, initial={"programme": programme.pk})
    assert _years(form) == [7, 8, 9, 10, 11]
    assert form["year_group"].value() == 7


def test_a_primary_school_is_offered_years_4_to_6_and_its_programmes_first_year(index):
    membership = MembershipFactory(school=SchoolFactory(phase=School.Phase.PRIMARY))
    primary = ProgrammePageFactory(parent=index, year_from=5, year_to=6)
    form = TeachingGroupForm(user=membership.user, initial={"programme": primary.pk})
    assert _years(form) == [4, 5, 6]
    assert form["year_group"].value() == 5
    assert not TeachingGroupForm(
        {"school": membership.school.pk, "name": "5K", "year_group": 8, "pupil_count": 20, "programme": primary.pk},
        user=membership.user,
    ).is_valid()


def test_without_a_programme_chosen_the_year_follows_the_first_programme_listed(programme, membership):
    form = TeachingGroupForm(user=membership.user)
    assert form["programme"].value() is None  # the select shows its first option
    assert form["year_group"].value() == programme.year_from


def test_an_all_through_school_is_offered_every_year(programme):
    membership = MembershipFactory(school=SchoolFactory(phase=School.Phase.ALL_THROUGH))
    assert _years(TeachingGroupForm(user=membership.user)) == list(range(4, 12))


def test_editing_a_class_keeps_its_year_even_outside_the_schools_phase(programme, membership):
    group = TeachingGroupFactory(programme=programme, membership=membership, year_group=6)
    form = TeachingGroupForm(user=membership.user, instance=group)
    assert _years(form) == [6, 7, 8, 9, 10, 11]


def test_co_teachers_are_labelled_as_other_teachers_of_the_class(membership):
    assert TeachingGroupForm(user=membership.user).fields["co_teachers"].label == "Other teachers of this class"
