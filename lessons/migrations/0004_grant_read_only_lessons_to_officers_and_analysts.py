"""Officers and analysts read programmes and lessons in the admin (lessons/roles.py)."""

from django.db import migrations


def grant(apps, schema_editor):
    from lessons.roles import ensure_lesson_permissions

    ensure_lesson_permissions(apps)


def revoke(apps, schema_editor):
    from lessons.roles import LESSON_GRANTS

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=list(LESSON_GRANTS)):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="lessons", codename__in=LESSON_GRANTS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0003_moderator_approval_task"),
        ("accounts", "0002_seed_authorities_and_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
