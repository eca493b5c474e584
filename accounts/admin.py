"""The Django admin is for platform admins only (is_staff); its login goes through allauth.
Day-to-day management happens in the Wagtail admin (see wagtail_hooks.py).

Privilege rules (shared with the Wagtail user admin, ``accounts/wagtail_users.py``): only a
superuser sets ``is_superuser`` or changes a superuser's account; a non-superuser grants a
group only permissions they hold themselves; every change of ``is_superuser``,
``is_staff`` or group membership is written to the audit log
(``services.user_access_record``).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from taggit.admin import TagAdmin as TaggitTagAdmin  # importing it registers taggit's TagAdmin
from taggit.models import Tag

from . import services
from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        return readonly

    def has_change_permission(self, request, obj=None):
        """A superuser's account (its e-mail, password, groups, active flag) is changed only
        by a superuser; a platform admin may still see it."""
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        form.upstream_access_before = services.user_access_snapshot(stored)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Groups are saved here, after the user row: the audit entry compares both. The
        admin runs this inside its transaction, so a refused change writes nothing."""
        super().save_related(request, form, formsets, change)
        services.user_access_record(actor=request.user, user=form.instance, before=form.upstream_access_before)


class GroupAdminForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_permissions(self):
        """A non-superuser cannot grant a group (possibly their own) a permission they do
        not hold: otherwise ``auth.change_group`` would be a path to any permission.
        Permissions the group already has may stay or be removed."""
        chosen = self.cleaned_data["permissions"]
        if self.actor.is_superuser:
            return chosen
        existing = set(self.instance.permissions.values_list("pk", flat=True)) if self.instance.pk else set()
        held = self.actor.get_all_permissions()
        refused = [
            perm
            for perm in chosen
            if perm.pk not in existing and f"{perm.content_type.app_label}.{perm.codename}" not in held
        ]
        if refused:
            raise forms.ValidationError(
                "You can only give a group permissions you hold yourself. Ask a superuser for: "
                + ", ".join(sorted(str(perm) for perm in refused))
            )
        return chosen


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    form = GroupAdminForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class FormForActor(form_class):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, actor=request.user, **form_kwargs)

        return FormForActor

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.permissions.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        services.group_permissions_record(actor=request.user, group=form.instance, before=before)


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(TaggitTagAdmin):
    """django-taggit's tag admin, whose "merge tags" page (``merge-tags/``) checks only that
    the user is Django staff: any platform admin could rewrite the tags on every document
    and image. Merging re-points tagged items and may create the new tag, so it needs the
    tag add and change permissions, like the rest of this admin (only the superuser holds
    them)."""

    def merge_tags_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        return super().merge_tags_view(request)
