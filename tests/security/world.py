"""The fixture data the authorization matrix runs against: two schools and the people,
classes, windows, pages and admin objects every URL pattern needs an id for.

School A owns everything school-scoped (a class, its delivery, its open survey window,
a printed card, a talk request, an invitation, a pending teacher); school B has its own
teacher and class, so that a teacher of B asking for any of A's ids shows whether tenancy
holds. ``build_world()`` returns a ``World`` whose ``ids`` map the symbolic names the
policy uses (``"class_a"``, ``"window_a"``...) to real primary keys, and whose ``users``
map each role to its account (``None`` for the anonymous and pupil roles).

How each role signs in (``sign_in``): Django's ``force_login``, then allauth's own
session records of how this session authenticated, in allauth's format
(``account_authentication_methods``, ``account_authentication_methods_user``): a
``password`` record for everyone, and an ``mfa`` (TOTP) record for VRU roles and the
superuser, whose TOTP authenticator exists. ``officer_no_mfa`` has the authenticator but
only the password record: the session that typed a password and never the code. The
pupil joins an open window with the class code and enters a card, through the real
pupil pages.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone
from taggit.models import Tag
from wagtail.admin.models import EditingSession
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction, Site, UploadedFile, Workflow

from accounts.models import Invitation, LocalAuthority, Membership, hash_token
from accounts.roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN
from lessons import services as lesson_services
from lessons.models import ProgrammePack
from surveys.models import InstrumentVersion, TalkRequest
from tests.factories import MembershipFactory, SchoolFactory, UserFactory
from tests.lessons.factories import (
    LessonDeliveryFactory,
    LessonPageFactory,
    ProgrammeIndexPageFactory,
    ProgrammePageFactory,
    TeachingGroupFactory,
    ThemeFactory,
    site_home,
)
from tests.surveys.factories import SurveyWindowFactory, make_pupil, make_response, make_version, pupil_version

INVITATION_TOKEN = "matrix-invitation-token-for-school-a-0123456789"
CSRF_SECRET = _get_new_csrf_string()

# Roles whose session passed the second factor (TOTP) as well as the password.
SECOND_FACTOR_ROLES = frozenset({"editor", "moderator", "officer", "analyst", "platform_admin", "superuser"})


@dataclass
class World:
    ids: dict[str, object] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    card_code: str = ""
    join_code: str = ""


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def build_world() -> World:
    """Create the data; the caller wraps it in a transaction it rolls back at the end."""
    world = World()
    ids = world.ids
    authority = LocalAuthority.objects.get(slug="birmingham")

    # --- Schools and their staff -------------------------------------------------------
    school_a = SchoolFactory(name="Matrix School A", local_authority=authority)
    school_b = SchoolFactory(name="Matrix School B", local_authority=authority)
    teacher_a = MembershipFactory(school=school_a, role=Membership.Role.TEACHER).user
    lead_a = MembershipFactory(school=school_a, role=Membership.Role.SCHOOL_LEAD).user
    pending = MembershipFactory(school=school_a, status=Membership.Status.PENDING)
    teacher_b = MembershipFactory(school=school_b, role=Membership.Role.TEACHER).user

    # --- VRU staff and the superuser, each with a TOTP authenticator --------------------
    def vru(group_name: str | None, **extra):
        user = UserFactory(email=f"{(group_name or 'root').split()[0].lower()}-{time.time_ns()}@vru.example", **extra)
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
        from allauth.mfa.totp.internal.auth import TOTP

        from tests.factories import TOTP_SECRET

        TOTP.activate(user, TOTP_SECRET)
        return user

    users = {
        "anonymous": None,
        "pupil": None,
        "pending_teacher": pending.user,
        "teacher_a": teacher_a,
        "teacher_b": teacher_b,
        "lead_a": lead_a,
        "editor": vru(CONTENT_EDITOR),
        "moderator": vru(MODERATOR),
        "officer": vru(OFFICER),
        "analyst": vru(ANALYST),
        "platform_admin": vru(PLATFORM_ADMIN, is_staff=True),
        "superuser": vru(None, is_staff=True, is_superuser=True),
        "officer_no_mfa": vru(OFFICER),
    }
    world.users = users

    # --- Pages: home > programmes > programme > lessons, with the content workflow ------
    home = site_home()
    index = ProgrammeIndexPageFactory(parent=home)
    programme = ProgrammePageFactory(parent=index, title="Matrix programme")
    lesson = LessonPageFactory(parent=programme, title="Matrix lesson")
    workflow = lesson_services.content_workflow_ensure(index_page=index)
    in_review = LessonPageFactory(parent=programme, title="Lesson in review", publish=False)
    in_review.save_revision(user=users["editor"])
    workflow_state = Workflow.objects.get(pk=workflow.pk).start(in_review, users["editor"])
    task_state = workflow_state.current_task_state
    theme = ThemeFactory(name="Matrix theme", slug="matrix-theme")
    # A private page (login restriction, the only kind the platform allows) and its restriction.
    private = ProgrammePageFactory(parent=index, title="Private programme")
    page_restriction = PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)

    # --- Classes, deliveries and surveys --------------------------------------------------
    membership_a = Membership.objects.get(user=teacher_a, school=school_a)
    membership_b = Membership.objects.get(user=teacher_b, school=school_b)
    class_a = TeachingGroupFactory(membership=membership_a, programme=programme, name="7A")
    class_b = TeachingGroupFactory(membership=membership_b, programme=programme, name="7B")
    delivery_a = LessonDeliveryFactory(group=class_a, lesson=lesson)
    version = pupil_version()
    draft_version = make_version(status=InstrumentVersion.Status.DRAFT)
    window_a = SurveyWindowFactory(group=class_a, instrument_version=version)
    window_b = SurveyWindowFactory(group=class_b, instrument_version=version)
    make_response(window_a)
    card = make_pupil(window_a)
    world.card_code = card.card_code
    world.join_code = window_a.join_code
    talk_a = TalkRequest.objects.create(school=school_a, window=window_a, card_code=card.card_code)

    invitation = Invitation.objects.create(
        email="invited@matrix-a.example",
        school=school_a,
        role=Membership.Role.TEACHER,
        token_hash=hash_token(INVITATION_TOKEN),
        invited_by=lead_a,
        expires_at=timezone.now() + timezone.timedelta(days=7),
    )

    pack = ProgrammePack.objects.create(
        programme=programme,
        content_key="matrix",
        status=ProgrammePack.Status.DONE,
        lessons_total=1,
        lessons_done=1,
        requested_by=teacher_a,
    )
    from django.core.files.storage import default_storage

    pack.file_path = default_storage.save(pack.output_path, ContentFile(b"%PDF-1.4\n%matrix\n"))
    pack.save(update_fields=["file_path"])

    # Outcome reports (issue 9): school A's report and a regional one, both ready.
    from outcomes.reports.models import OutcomeReport

    outcome_reports = {}
    for name, kind, scope, school in (
        ("outcome_report_a", "school", f"school:{school_a.urn}", school_a),
        ("outcome_report_region", "regional", "region", None),
    ):
        report = OutcomeReport.objects.create(
            kind=kind,
            scope_key=scope,
            filter_key=name,
            filters={"programme": programme.slug},
            data_version=0,
            programme=programme,
            academic_year=2026,
            school=school,
            status=OutcomeReport.Status.READY,
            requested_by=lead_a if school else users["officer"],
        )
        report.file_path = default_storage.save(report.output_path, ContentFile(b"%PDF-1.4\n%report\n"))
        report.save(update_fields=["file_path"])
        outcome_reports[name] = report.pk

    # The analyst's own ready analyst export (issue 9): personal to the analyst.
    import datetime as _dt

    from outcomes.analyst_models import AnalystExportJob

    job = AnalystExportJob.objects.create(
        requested_by=users["analyst"],
        filters={"programme": programme.slug},
        state=AnalystExportJob.State.READY,
        reference="matrix01",
        file_name="upstream-analyst-export-matrix.zip",
        expires_at=timezone.now() + _dt.timedelta(hours=24),
    )
    job.file_path = default_storage.save(job.output_path, ContentFile(b"PK\x05\x06" + b"\x00" * 18))
    job.save(update_fields=["file_path"])
    outcome_reports["analyst_export_job"] = job.pk

    # --- Media ------------------------------------------------------------------------------
    root_collection = Collection.get_first_root_node()
    collection = root_collection.add_child(name="Matrix collection")
    private_collection = root_collection.add_child(name="Private collection")
    collection_restriction = CollectionViewRestriction.objects.create(
        collection=private_collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    spare = UserFactory(email="spare@matrix-a.example")  # nobody's colleague: deletable in the admins
    document = get_document_model().objects.create(
        title="Lesson handout", file=ContentFile(b"%PDF-1.4\n%handout\n", name="handout.pdf"), collection=collection
    )
    image = get_image_model().objects.create(
        title="Lesson picture", file=ContentFile(_png(), name="picture.png"), collection=collection
    )
    upload = UploadedFile.objects.create(
        file=ContentFile(b"%PDF-1.4\n%upload\n", name="upload.pdf"),
        for_content_type=ContentType.objects.get_for_model(get_document_model()),
        uploaded_by_user=users["editor"],
    )
    editing = EditingSession.objects.create(
        user=users["editor"],
        content_type=ContentType.objects.get_for_model(lesson.specific_class),
        object_id=str(lesson.pk),
        last_seen_at=timezone.now(),
    )

    # --- Rows the Django admin lists --------------------------------------------------------
    tag = Tag.objects.create(name="matrix", slug="matrix")
    # A provider id no installed provider answers to, so Google and Microsoft sign-in stay
    # unconfigured (as in production without their variables) while the admin lists a row.
    social_app = SocialApp.objects.create(provider="matrix-unused", name="Matrix app", client_id="matrix", secret="x")
    social_account = SocialAccount.objects.create(user=spare, provider="matrix-unused", uid="matrix-uid")
    social_token = SocialToken.objects.create(app=social_app, account=social_account, token="matrix-token")
    user_session = UserSession.objects.create(
        user=teacher_a, ip="127.0.0.1", session_key="matrix-session-key", user_agent="matrix", data={}
    )

    ids.update(
        **outcome_reports,
        school_a=school_a.pk,
        school_b=school_b.pk,
        authority=authority.pk,
        membership_pending=pending.pk,
        membership_teacher_a=membership_a.pk,
        invitation_a=invitation.pk,
        invitation_token=INVITATION_TOKEN,
        class_a=class_a.pk,
        class_b=class_b.pk,
        delivery_a=delivery_a.pk,
        window_a=window_a.pk,
        window_b=window_b.pk,
        talk_a=talk_a.pk,
        pack=pack.pk,
        home=home.pk,
        index=index.pk,
        programme=programme.pk,
        lesson=lesson.pk,
        lesson_path=lesson.url_path,
        lesson_url=lesson.get_url_parts()[2],
        lesson_revision=lesson.latest_revision.pk,
        in_review=in_review.pk,
        task_state=task_state.pk,
        task=task_state.task_id,
        workflow=workflow.pk,
        workflow_state=workflow_state.pk,
        matrix_theme=theme.pk,
        version=version.pk,
        draft_version=draft_version.pk,
        instrument=version.instrument_id,
        collection=collection.pk,
        document=document.pk,
        document_filename=document.filename,
        image=image.pk,
        upload=upload.pk,
        editing_session=editing.pk,
        site=Site.objects.get(is_default_site=True).pk,
        group=Group.objects.get(name=CONTENT_EDITOR).pk,
        user_teacher_a=teacher_a.pk,
        user_spare=spare.pk,
        private_page=private.pk,
        page_restriction=page_restriction.pk,
        collection_restriction=collection_restriction.pk,
        email_teacher_a=EmailAddress.objects.get(user=teacher_a).pk,
        authenticator=Authenticator.objects.filter(user=users["officer"]).first().pk,
        taggit_tag=tag.pk,
        social_app=social_app.pk,
        social_account=social_account.pk,
        social_token=social_token.pk,
        user_session=user_session.pk,
        lesson_content_type=ContentType.objects.get_for_model(lesson.specific_class).pk,
    )
    return world


def csrf_client() -> Client:
    """A client that enforces CSRF like a browser session and holds a valid token, as a
    browser would after loading any page with a form."""
    from django.conf import settings

    client = Client(enforce_csrf_checks=True, raise_request_exception=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def _record_authentication(client: Client, user, *, second_factor: bool) -> None:
    """allauth's record of how this session authenticated, in its own format."""
    now = time.time()
    records = [{"method": "password", "at": now - 5, "email": user.email}]
    if second_factor:
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        records.append({"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"})
    session = client.session
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def sign_in(world: World, role: str) -> Client:
    """A client signed in as ``role`` (see the module docstring)."""
    client = csrf_client()
    if role == "anonymous":
        return client
    if role == "pupil":
        token = {"csrfmiddlewaretoken": CSRF_SECRET}
        joined = client.post("/go/", {"code": world.join_code, **token})
        assert joined.status_code == 302, "the pupil could not join the open window"
        carded = client.post("/go/card/", {"code": world.card_code, **token})
        assert carded.status_code == 302, "the pupil's card was refused"
        return client
    user = world.users[role]
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    _record_authentication(client, user, second_factor=role in SECOND_FACTOR_ROLES)
    return client
