"""Publishing an instrument version becomes its own permission, held by moderators and
officers (surveys/roles.py): editors draft, like pages, and no longer publish."""

from django.db import migrations


def grant(apps, schema_editor):
    from surveys.roles import ensure_survey_permissions

    ensure_survey_permissions(apps)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    publish = Permission.objects.filter(content_type__app_label="surveys", codename="publish_instrumentversion")
    Group.permissions.through.objects.filter(permission__in=publish).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0006_accesscounter"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="instrumentversion",
            options={
                "ordering": ["instrument", "-number"],
                "permissions": [("publish_instrumentversion", "Can publish an instrument version")],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
