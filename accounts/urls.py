from django.urls import path

import accounts.converters  # noqa: F401  (registers <id:...>)

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("join/", views.join_school, name="join_school"),
    path("invite/", views.invite_school_lead, name="invite_school_lead"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("invitations/<id:invitation_pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("schools/<id:school_pk>/staff/", views.school_staff, name="school_staff"),
    path("schools/<id:school_pk>/safeguarding/", views.school_safeguarding, name="school_safeguarding"),
    path("memberships/<id:membership_pk>/<str:action>/", views.membership_action, name="membership_action"),
]
