"""The Wagtail user admin (/admin/users/) with the same privilege rules as the Django admin
(accounts/admin.py): only a superuser sees or sets "Administrator" (``is_superuser``) and
changes or deletes a superuser's account; every change of superuser, staff, active or
group access is audited (``services.user_access_record``).

Wagtail picks this viewset up through ``accounts.apps.WagtailUsersConfig``, which replaces
``wagtail.users`` in INSTALLED_APPS (Wagtail's documented way to customise its user views).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from wagtail.users.views import users

from . import services
from .models import User


def _hide_superuser_field(form, request):
    if not request.user.is_superuser:
        form.fields.pop("is_superuser", None)
    return form


class CreateView(users.CreateView):
    def get_form(self, form_class=None):
        return _hide_superuser_field(super().get_form(form_class), self.request)

    def save_instance(self):
        instance = super().save_instance()
        services.user_access_record(actor=self.request.user, user=instance, before=services.user_access_snapshot(None))
        return instance


class EditView(users.EditView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if self.object.is_superuser and not request.user.is_superuser:
            raise PermissionDenied("Only a superuser can change a superuser's account.")
        self.access_before = services.user_access_snapshot(User.objects.get(pk=self.object.pk))

    def get_form(self, form_class=None):
        return _hide_superuser_field(super().get_form(form_class), self.request)

    def save_instance(self):
        instance = super().save_instance()
        services.user_access_record(actor=self.request.user, user=instance, before=self.access_before)
        return instance


class DeleteView(users.DeleteView):
    def dispatch(self, request, *args, **kwargs):
        target = self.get_object()
        if target.is_superuser and not request.user.is_superuser:
            raise PermissionDenied("Only a superuser can delete a superuser's account.")
        return super().dispatch(request, *args, **kwargs)


class UserViewSet(users.UserViewSet):
    add_view_class = CreateView
    edit_view_class = EditView
    delete_view_class = DeleteView
