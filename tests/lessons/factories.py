"""Factories for lesson pages and classes, shared by the lessons and surveys tests.

Usage::

    home = site_home()                                   # a HomePage that is the default Site's root
    programme = ProgrammePageFactory(parent=ProgrammeIndexPageFactory(parent=home))
    lesson = LessonPageFactory(parent=programme)         # published, with a live revision
    draft = LessonPageFactory(parent=programme, publish=False)
    group = TeachingGroupFactory(programme=programme)    # a class at a new school
    group = TeachingGroupFactory(membership=membership)  # taught by membership.user at its school
    group = TeachingGroupFactory()                       # and on a new programme (programme_page())
    LessonDeliveryFactory(group=group, lesson=lesson)    # taught today, at its live revision
    older = programme_page(year_from=10, year_to=11)     # under the first home and index, made if missing

Pages are published through a revision (``publish=True`` by default), as an editor would,
so ``live_revision`` and the publish log exist for the delivery log and PDF cache.
``programme_page()`` is the exception: its pages are live but have no revision, for tests
that only need a class to point at a programme.
"""

from __future__ import annotations

import factory
import wagtail_factories
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from accounts.models import LocalAuthority, School
from lessons.demo.build import activity, check, discuss, safeguarding, teacher_note, vocabulary
from lessons.models import (
    HomePage,
    LessonDelivery,
    LessonPage,
    ProgrammeIndexPage,
    ProgrammePage,
    TeachingGroup,
    Theme,
)
from tests.factories import MembershipFactory, SchoolFactory, restore_reference_data


def ensure_reference_data() -> None:
    """The shared ``restore_reference_data``, under the name lessons' unittest
    ``setUpTestData`` methods use."""
    restore_reference_data()


def root_page() -> Page:
    """Wagtail's tree root. Transactional tests elsewhere in the suite (live_server, real
    workers) flush every table, including the root page and locale Wagtail's migrations
    create, so re-create them when they are missing."""
    if not Locale.objects.exists():
        # Flushed without serialized rollback: post_migrate re-made the content types with
        # new ids, so drop the stale cache, and re-make the default locale.
        ContentType.objects.clear_cache()
        Locale.objects.create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    return Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))


def ensure_local_authority() -> LocalAuthority:
    """Birmingham, which ``SchoolFactory`` files new schools under (a flush may have removed
    the migration's copy)."""
    authority = LocalAuthority.objects.filter(slug="birmingham").first()
    return authority or LocalAuthority.objects.create(name="Birmingham", slug="birmingham", gss_code="E08000025")


def new_school() -> School:
    ensure_local_authority()
    return SchoolFactory()


class _PublishedPageFactory(wagtail_factories.PageFactory):
    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @factory.post_generation
    def publish(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            obj.save_revision().publish()
            obj.refresh_from_db()


class HomePageFactory(_PublishedPageFactory):
    class Meta:
        model = HomePage

    title = "Upstream"
    slug = factory.Sequence(lambda n: f"home-{n}")


class ProgrammeIndexPageFactory(_PublishedPageFactory):
    class Meta:
        model = ProgrammeIndexPage

    title = "Programmes"
    slug = "programmes"


def site_home() -> HomePage:
    """A new published HomePage under ``root_page()``, made the root of the only Site
    (localhost:80, "Upstream"), so page URLs and ``Site.find_for_request`` resolve to it."""
    home = HomePageFactory(parent=root_page())
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Upstream")
    return home


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Theme {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")


class ProgrammePageFactory(_PublishedPageFactory):
    class Meta:
        model = ProgrammePage

    title = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    summary = "A programme about handling conflict calmly."
    safeguarding_guidance = "<p>Tell the designated safeguarding lead before each lesson.</p>"
    year_from = 7
    year_to = 9
    status = "pilot"
    toolkit_entry = "social_skills"


def lesson_body(*headings: str) -> list[dict]:
    headings = headings or ("Warm-up", "Main task", "Plenary")
    body = [teacher_note("<p>Keep it calm.</p>"), safeguarding("<p>Report disclosures the same day.</p>")]
    for n, heading in enumerate(headings):
        body.append(activity(heading, 10 + n, "small_groups" if n % 2 else "whole_class", f"<p>Do {heading}.</p>"))
    body += [discuss("Is conflict always bad?", "Why?"), check("Name one calming tool.", "Pausing.")]
    return body


class LessonPageFactory(_PublishedPageFactory):
    class Meta:
        model = LessonPage

    title = factory.Sequence(lambda n: f"Lesson {n}")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    summary = "A lesson."
    learning_objectives = "Describe conflict\nPractise two calming tools"
    duration_minutes = 50
    key_vocabulary = factory.LazyFunction(lambda: vocabulary(("conflict", "A disagreement.")))
    body = factory.LazyFunction(lesson_body)


def programme_page(year_from: int = 7, year_to: int = 9) -> ProgrammePage:
    """A new programme under the first HomePage > ProgrammeIndexPage, each made (under
    ``root_page()``) if there is none yet. Not published through a revision."""
    home = HomePage.objects.first() or HomePageFactory(parent=root_page(), title="Home", publish=False)
    index = ProgrammeIndexPage.objects.first() or ProgrammeIndexPageFactory(parent=home, publish=False)
    return ProgrammePageFactory(
        parent=index,
        summary="A short programme.",
        safeguarding_guidance="<p>Tell the safeguarding lead.</p>",
        year_from=year_from,
        year_to=year_to,
        toolkit_entry="",
        publish=False,
    )


class TeachingGroupFactory(factory.django.DjangoModelFactory):
    """A class taught by an approved teacher: ``membership.user`` at ``membership.school``
    (a new membership at a new school by default), on ``programme_page()`` unless given."""

    class Meta:
        model = TeachingGroup
        skip_postgeneration_save = True

    school = factory.LazyAttribute(lambda o: o.membership.school)
    teacher = factory.LazyAttribute(lambda o: o.membership.user)
    name = factory.Sequence(lambda n: f"8R{n}")
    year_group = 8
    pupil_count = 28
    programme = factory.LazyFunction(programme_page)
    academic_year = 2026

    class Params:
        membership = factory.SubFactory(MembershipFactory, school=factory.LazyFunction(new_school))


class LessonDeliveryFactory(factory.django.DjangoModelFactory):
    """``lesson`` logged for ``group`` (both required) today, at the lesson's live revision,
    by the class's teacher."""

    class Meta:
        model = LessonDelivery

    revision = factory.LazyAttribute(lambda o: o.lesson.live_revision)
    delivered_on = factory.LazyFunction(timezone.localdate)
    minutes = 50
    logged_by = factory.LazyAttribute(lambda o: o.group.teacher)
