"""Forms (lessons.forms): programme filters and the delivery form's lesson choices."""

from __future__ import annotations

import pytest

from lessons.forms import LessonDeliveryForm, ProgrammeFilterForm

from .factories import LessonDeliveryFactory, TeachingGroupFactory, ThemeFactory

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
