"""Demo content for ``seed_demo``: the site tree, two programmes (Key Stage 3 and Key Stage
2, nine published lessons), the moderation workflow with one lesson waiting for approval,
and a few demo classes with lessons logged.

Idempotent: pages, themes, classes and deliveries are looked up before they are created,
and existing pages are never republished, so running it twice gives the same state (and
leaves any edits made in the admin alone).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from wagtail.models import Page, Site

from accounts.models import School, User

from .. import services
from ..models import HomePage, LessonPage, ProgrammeIndexPage, ProgrammePage, TeachingGroup, Theme
from . import primary, secondary
from .build import vocabulary

THEMES = {
    "conflict-resolution": "Conflict resolution",
    "peer-influence": "Peer influence",
    "weapons-awareness": "Weapons awareness",
    "bystander-action": "Bystander action",
    "online-safety": "Online safety",
    "help-seeking": "Getting help",
    "emotions-and-wellbeing": "Emotions and wellbeing",
    "friendships": "Friendships",
}

HOME_INTRO = (
    "<p>Violence-prevention lessons for schools in the West Midlands, written by the Violence "
    "Reduction Unit with teachers. Find a programme, set up your class, teach and log the lessons, "
    "and see how your pupils' attitudes change.</p>"
)
INDEX_INTRO = (
    "<p>Every programme is free for West Midlands schools. Programme overviews are open to all; "
    "lesson plans are for signed-in school staff.</p>"
)

# teacher, school URN, class name, year group, pupils, programme slug, lessons logged, co-teachers
DEMO_GROUPS = [
    (
        "teacher@oakfield-academy.example",
        "140001",
        "8R",
        8,
        28,
        secondary.PROGRAMME["slug"],
        4,
        ["lead@oakfield-academy.example"],
    ),
    ("teacher@oakfield-academy.example", "140001", "9T", 9, 30, secondary.PROGRAMME["slug"], 1, []),
    ("teacher@hillcrest.example", "140003", "7H", 7, 29, secondary.PROGRAMME["slug"], 6, []),
    ("teacher@riverside-cc.example", "140004", "8S", 8, 30, secondary.PROGRAMME["slug"], 5, []),
    ("teacher@meadowvale.example", "140006", "9M", 9, 27, secondary.PROGRAMME["slug"], 3, []),
    ("teacher@brookside-primary.example", "140002", "Year 6 Oak", 6, 27, primary.PROGRAMME["slug"], 2, []),
]


def _home() -> HomePage:
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's install leaves a "Welcome" page at /home/; the demo replaces it.
        Page.objects.filter(depth=2).exclude(content_type__model="homepage").update(slug="wagtail-welcome")
        home = HomePage(title="Upstream", slug="home", intro=HOME_INTRO)
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True, site_name="Upstream")
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    Page.objects.filter(depth=2).exclude(pk=home.pk).delete()
    return home


def _index(home: HomePage) -> ProgrammeIndexPage:
    index = ProgrammeIndexPage.objects.child_of(home).first()
    if index is None:
        index = ProgrammeIndexPage(title="Programmes", slug="programmes", intro=INDEX_INTRO)
        home.add_child(instance=index)
        index.save_revision().publish()
    return index


def _programme(index: ProgrammeIndexPage, data: dict, themes: dict[str, Theme], user) -> ProgrammePage:
    programme = ProgrammePage.objects.child_of(index).filter(slug=data["slug"]).first()
    if programme is not None:
        return programme
    fields = {key: value for key, value in data.items() if key != "themes"}
    programme = ProgrammePage(**fields)
    programme.themes = [themes[slug] for slug in data["themes"]]
    index.add_child(instance=programme)
    programme.save_revision(user=user).publish(user=user)
    return programme


def _home_evidence(home: HomePage, programme: ProgrammePage, user) -> None:
    """The home page shows the secondary programme's regional headline (the evidence block),
    once: an editor's later change to the home page is left alone."""
    if len(home.evidence_blocks):
        return
    home.evidence_blocks = [("programme_results", {"programme": programme, "heading": "What pupils told us"})]
    home.save_revision(user=user).publish(user=user)


def _lesson(programme: ProgrammePage, data: dict, *, user, publish: bool) -> tuple[LessonPage, bool]:
    lesson = LessonPage.objects.child_of(programme).filter(slug=data["slug"]).first()
    if lesson is not None:
        return lesson, False
    lesson = LessonPage(
        title=data["title"],
        slug=data["slug"],
        summary=data["summary"],
        learning_objectives="\n".join(data["objectives"]),
        duration_minutes=data["duration"],
        key_vocabulary=vocabulary(*data["vocabulary"]),
        body=data["body"],
        live=publish,
        owner=user,
    )
    programme.add_child(instance=lesson)
    revision = lesson.save_revision(user=user)
    if publish:
        revision.publish(user=user)
    return lesson, True


def _groups(programmes: dict[str, ProgrammePage]) -> int:
    today = timezone.localdate()
    count = 0
    for email, urn, name, year, pupils, slug, logged, co_emails in DEMO_GROUPS:
        teacher = User.objects.filter(email=email).first()
        school = School.objects.filter(urn=urn).first()
        if teacher is None or school is None:
            continue
        programme = programmes[str(slug)]
        group = TeachingGroup.objects.filter(school=school, teacher=teacher, name=name).first()
        if group is None:
            group = services.teaching_group_create(
                teacher=teacher,
                school=school,
                name=name,
                year_group=year,
                pupil_count=pupils,
                programme=programme,
                co_teachers=User.objects.filter(email__in=co_emails),
            )
        count += 1
        lessons = programme.live_lessons[:logged]
        already = set(group.deliveries.values_list("lesson_id", flat=True))
        for weeks_ago, lesson in zip(range(len(lessons), 0, -1), lessons, strict=True):
            if lesson.pk in already:
                continue
            services.lesson_delivery_record(
                group=group,
                lesson=lesson,
                delivered_on=today - dt.timedelta(weeks=weeks_ago),
                minutes=lesson.duration_minutes,
                adaptations="Shortened the plenary to fit a shorter period." if weeks_ago % 2 else "",
                logged_by=teacher,
            )
    return count


def seed(stdout=None) -> dict:
    from ..roles import ensure_lesson_permissions

    ensure_lesson_permissions()
    home = _home()
    index = _index(home)
    themes = {slug: Theme.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in THEMES.items()}
    editor = User.objects.filter(email="editor@vru.example").first()
    moderator = User.objects.filter(email="moderator@vru.example").first()

    programmes = {}
    published = 0
    for module in (secondary, primary):
        programme = _programme(index, module.PROGRAMME, themes, moderator)
        for data in module.LESSONS:
            _lesson(programme, data, user=moderator, publish=True)
            published += 1
        programmes[programme.slug] = programme

    workflow = services.content_workflow_ensure(index_page=index)
    draft, created = _lesson(
        programmes[secondary.PROGRAMME["slug"]], secondary.DRAFT_LESSON, user=editor, publish=False
    )
    if created and editor is not None:
        workflow.start(draft, editor)

    groups = _groups(programmes)
    _home_evidence(home, programmes[secondary.PROGRAMME["slug"]], moderator)
    if stdout is not None:
        stdout.write(
            f"  lessons: {len(programmes)} programmes, {published} published lessons, 1 awaiting moderation, "
            f"{groups} demo classes"
        )
    return {"home": home, "index": index, "programmes": programmes}
