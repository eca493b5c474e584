"""Wagtail admin for organisations: officers manage schools, authorities and memberships
with search and filters; invitations are listed read-only; custom audit-log actions are
registered here. Deleting a row other rows still use is refused with a message
(``admin_views.InUseDeleteView``)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import EditView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from . import services
from .admin_views import InUseDeleteView
from .models import Invitation, LocalAuthority, Membership, School


class LocalAuthorityViewSet(ModelViewSet):
    model = LocalAuthority
    icon = "site"
    menu_label = "Local authorities"
    list_display = ["name", "gss_code"]
    search_fields = ["name", "gss_code"]
    form_fields = ["name", "slug", "gss_code"]
    add_to_admin_menu = False
    delete_view_class = InUseDeleteView


class SchoolViewSet(ModelViewSet):
    model = School
    icon = "home"
    list_display = ["name", "urn", "phase", "local_authority"]
    list_filter = ["phase", "local_authority"]
    search_fields = ["name", "urn"]
    form_fields = [
        "name",
        "urn",
        "phase",
        "local_authority",
        "staff_email_domains",
        "dsl_name",
        "dsl_contact",
        "safeguarding_email",
    ]
    delete_view_class = InUseDeleteView


class MembershipEditView(EditView):
    """Status and role changes made in the admin go through the same services as the
    school lead's page, so approvals record who approved and when, e-mail the teacher,
    and are written to the audit log as approvals and role changes."""

    def save_instance(self):
        changed = self.form.changed_data
        wanted = self.form.instance
        membership = Membership.objects.select_related("school", "user").get(pk=wanted.pk)
        actor = self.request.user
        try:
            if "role" in changed:
                services.membership_set_role(actor=actor, membership=membership, role=wanted.role)
            if "status" in changed:
                if wanted.status == Membership.Status.APPROVED:
                    services.membership_approve(actor=actor, membership=membership)
                elif wanted.status == Membership.Status.REVOKED:
                    services.membership_revoke(actor=actor, membership=membership)
                else:
                    membership.status = wanted.status
                    membership.save(update_fields=["status"])
            if "safeguarding_role" in changed:
                services.membership_set_safeguarding_role(
                    actor=actor, membership=membership, safeguarding_role=wanted.safeguarding_role
                )
        except (PermissionDenied, ValidationError) as error:
            raise PermissionDenied(" ".join(getattr(error, "messages", [str(error)]))) from error
        return membership


class MembershipViewSet(ModelViewSet):
    model = Membership
    edit_view_class = MembershipEditView
    delete_view_class = InUseDeleteView
    icon = "user"
    list_display = ["user", "school", "role", "safeguarding_role", "status", "approved_at"]
    list_filter = ["role", "safeguarding_role", "status", "school__local_authority"]
    search_fields = ["user__email", "school__name", "school__urn"]
    form_fields = ["role", "safeguarding_role", "status"]
    inspect_view_enabled = True


class InvitationAdminPolicy(ModelPermissionPolicy):
    """Invitations are made and cancelled only through ``services`` (the staff pages): that
    is where the token is generated, only its hash stored, the e-mail sent and the audit
    log written. A "new" or "copy" form here saved an invitation with no token, no
    expiry (a server error) or blank fields, and an edit form set ``revoked_at`` with no
    audit entry. So nobody, not even a superuser, may add or change one in the admin:
    Wagtail then hides those buttons and refuses the views. Reading (list, inspect) and
    the superuser's delete keep the usual model permissions."""

    READ_ONLY_ACTIONS = frozenset({"add", "change"})

    def user_has_permission(self, user, action):
        return action not in self.READ_ONLY_ACTIONS and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action not in self.READ_ONLY_ACTIONS]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)


register_permission_policy(Invitation, InvitationAdminPolicy(Invitation), exact_class=True)


class InvitationViewSet(ModelViewSet):
    model = Invitation
    icon = "mail"
    list_display = ["email", "school", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "school__name"]
    form_fields = ["revoked_at"]  # the viewset needs a form definition; InvitationAdminPolicy refuses every form
    inspect_view_enabled = True
    # The token's hash is no use to a reader and need not be on screen.
    inspect_view_fields = [
        "email",
        "school",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    copy_view_enabled = False
    delete_view_class = InUseDeleteView


class OrganisationsGroup(ViewSetGroup):
    menu_label = "Schools and people"
    menu_icon = "group"
    menu_order = 300
    items = (SchoolViewSet, LocalAuthorityViewSet, MembershipViewSet, InvitationViewSet)


@hooks.register("register_admin_viewset")
def register_organisations():
    return OrganisationsGroup()


class InviteMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("accounts.invite_school_lead")


@hooks.register("register_admin_menu_item")
def register_invite_menu_item():
    return InviteMenuItem("Invite a school lead", reverse("accounts:invite_school_lead"), icon_name="mail", order=310)


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action("upstream.invitation.create", "Invite", "Invitation sent")
    actions.register_action("upstream.invitation.revoke", "Cancel invitation", "Invitation cancelled")
    actions.register_action("upstream.membership.request", "Request membership", "Asked to join a school")
    actions.register_action("upstream.membership.approve", "Approve", "Membership approved")
    actions.register_action("upstream.membership.revoke", "Remove", "Membership removed")
    actions.register_action("upstream.membership.role_change", "Change role", "Role changed")
    actions.register_action(
        "upstream.membership.safeguarding_change", "Change safeguarding role", "Safeguarding lead or deputy changed"
    )
    actions.register_action(
        "upstream.school.safeguarding_change",
        "Change safeguarding details",
        "Safeguarding lead's name or inbox changed",
    )
    actions.register_action("upstream.user.access_change", "Change access", "Superuser, staff or group access changed")
    actions.register_action("upstream.group.permissions_change", "Change permissions", "Group permissions changed")
