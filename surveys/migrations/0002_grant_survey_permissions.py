"""Grant the surveys permissions to the VRU groups (see surveys/roles.py)."""

from django.db import migrations


def grant(apps, schema_editor):
    from surveys.roles import ensure_survey_permissions

    ensure_survey_permissions(apps)


def revoke(apps, schema_editor):
    from surveys.roles import SURVEY_GRANTS

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=list(SURVEY_GRANTS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="surveys"))


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("accounts", "0002_seed_authorities_and_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
