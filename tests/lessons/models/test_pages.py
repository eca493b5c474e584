"""Page types (lessons.models.pages): where each may be created, who may see it, and the
teacher-facing values derived from their fields."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from accounts.models import Membership
from lessons.models import HomePage, LessonPage, ProgrammeIndexPage, ProgrammePage
from tests.factories import MembershipFactory, UserFactory, login_with_second_factor

from ..factories import (
    LessonPageFactory,
    ProgrammeIndexPageFactory,
    ProgrammePageFactory,
    ensure_reference_data,
    lesson_body,
    site_home,
)


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_page_can_only_sit_under_the_root(self):
        self.assertCanCreateAt(Page, HomePage)
        self.assertCanNotCreateAt(HomePage, HomePage)
        self.assertCanNotCreateAt(ProgrammePage, HomePage)

    def test_programme_index_only_under_home(self):
        self.assertAllowedParentPageTypes(ProgrammeIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ProgrammeIndexPage, {ProgrammePage})

    def test_programmes_only_under_the_index_and_lessons_only_under_programmes(self):
        self.assertCanCreateAt(ProgrammeIndexPage, ProgrammePage)
        self.assertCanNotCreateAt(HomePage, ProgrammePage)
        self.assertCanCreateAt(ProgrammePage, LessonPage)
        self.assertCanNotCreateAt(ProgrammeIndexPage, LessonPage)
        self.assertCanNotCreateAt(LessonPage, LessonPage)
        self.assertAllowedSubpageTypes(LessonPage, {})


class LessonPageAccessTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        ensure_reference_data()
        home = site_home()
        cls.programme = ProgrammePageFactory(parent=ProgrammeIndexPageFactory(parent=home))
        cls.lesson = LessonPageFactory(parent=cls.programme, title="Being an active bystander")

    def test_programme_overview_is_public(self):
        self.assertPageIsRenderable(self.programme)
        response = self.client.get(self.programme.url)
        self.assertContains(response, "Being an active bystander")

    def test_lesson_detail_redirects_anonymous_visitors_to_login(self):
        response = self.client.get(self.lesson.url)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def test_lesson_detail_is_shown_to_signed_in_staff(self):
        self.client.force_login(MembershipFactory().user)
        response = self.client.get(self.lesson.url)
        self.assertContains(response, "Being an active bystander")
        self.assertContains(response, "block-safeguarding")
        self.assertContains(response, reverse("lessons:lesson_plan", args=[self.lesson.pk]))

    def test_lesson_detail_is_refused_to_a_teacher_waiting_for_approval(self):
        pending = MembershipFactory(status=Membership.Status.PENDING)
        self.client.force_login(pending.user)
        response = self.client.get(self.lesson.url)
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "You need to be approved first", status_code=403)
        self.assertContains(response, pending.school.name, status_code=403)
        self.assertNotContains(response, "block-safeguarding", status_code=403)
        self.assertNotContains(response, reverse("lessons:lesson_plan", args=[self.lesson.pk]), status_code=403)

    def test_lesson_detail_is_refused_to_an_account_linked_to_no_school(self):
        self.client.force_login(UserFactory())
        response = self.client.get(self.lesson.url)
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "isn't linked to a school yet", status_code=403)

    def test_lesson_detail_is_shown_to_vru_staff(self):
        login_with_second_factor(self.client, UserFactory(groups=["VRU officers"], mfa=True))
        self.assertContains(self.client.get(self.lesson.url), "Being an active bystander")

    def test_lesson_page_has_no_inline_scripts_or_styles(self):
        self.client.force_login(MembershipFactory().user)
        html = self.client.get(self.lesson.url).content.decode()
        assert "style=" not in html
        assert "<script>" not in html
        assert " onclick=" not in html


pytestmark = pytest.mark.django_db


def test_programme_key_stages_follow_its_year_range(programme):
    programme.year_from, programme.year_to = 6, 8
    assert programme.key_stages == ["Key Stage 2 (Years 3–6)", "Key Stage 3 (Years 7–9)"]
    assert programme.year_range_display == "Years 6–8"


def test_programme_refuses_a_year_range_that_runs_backwards(programme):
    programme.year_from, programme.year_to = 9, 7
    with pytest.raises(ValidationError):
        programme.full_clean()


def test_knife_crime_programme_shows_the_yef_warning(programme):
    programme.toolkit_entry = "knife_crime"
    assert programme.evidence.headline == "Insufficient evidence of impact; risk of increasing fear or carrying."


def test_live_lessons_are_in_editor_order_and_exclude_drafts(programme, lessons):
    LessonPageFactory(parent=programme, publish=False, live=False, title="Draft")
    fresh = ProgrammePage.objects.get(pk=programme.pk)
    assert [lesson.title for lesson in fresh.live_lessons] == [lesson.title for lesson in lessons]


def test_lesson_timings_table_runs_activities_back_to_back(programme):
    lesson = LessonPageFactory(parent=programme, body=lesson_body("Warm-up", "Main task"))
    assert lesson.timings == [
        {"heading": "Warm-up", "minutes": 10, "grouping": "Whole class", "start": 0, "end": 10},
        {"heading": "Main task", "minutes": 11, "grouping": "Small groups", "start": 10, "end": 21},
    ]
    assert lesson.activity_minutes == 21


def test_objectives_are_read_one_per_line_ignoring_bullets(programme):
    lesson = LessonPageFactory(parent=programme, learning_objectives="- Explain A\n\n• Describe B\n")
    assert lesson.objectives == ["Explain A", "Describe B"]


def test_lesson_position_counts_only_live_lessons(programme, lessons):
    assert LessonPage.objects.get(pk=lessons[1].pk).position == (2, 3)
