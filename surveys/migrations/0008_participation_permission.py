"""The ``view_participation`` permission ("Delivery and participation" in the admin), granted
to VRU officers and analysts (surveys/roles.py)."""

from django.db import migrations


def grant(apps, schema_editor):
    from surveys.roles import ensure_survey_permissions

    ensure_survey_permissions(apps)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="surveys", codename="view_participation").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0007_instrumentversion_publish_permission"),
        ("accounts", "0002_seed_authorities_and_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="surveywindow",
            options={
                "ordering": ["-opens_at"],
                "permissions": [
                    (
                        "view_participation",
                        "Can see delivery and participation (lessons taught, survey windows, response counts) "
                        "in every school",
                    )
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
