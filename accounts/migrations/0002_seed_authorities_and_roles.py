"""Seed the seven West Midlands local authorities and the VRU role groups."""

from django.db import migrations

AUTHORITIES = [
    ("Birmingham", "birmingham", "E08000025"),
    ("Coventry", "coventry", "E08000026"),
    ("Dudley", "dudley", "E08000027"),
    ("Sandwell", "sandwell", "E08000028"),
    ("Solihull", "solihull", "E08000029"),
    ("Walsall", "walsall", "E08000030"),
    ("Wolverhampton", "wolverhampton", "E08000031"),
]


def seed(apps, schema_editor):
    LocalAuthority = apps.get_model("accounts", "LocalAuthority")
    for name, slug, code in AUTHORITIES:
        LocalAuthority.objects.update_or_create(gss_code=code, defaults={"name": name, "slug": slug})
    from accounts.roles import ensure_role_groups

    ensure_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0006_formstate"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
