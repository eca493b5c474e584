"""Production settings fail closed (docs/decisions.md#t01): they refuse to start without their
secrets, and with them ``check --deploy`` is clean at WARNING level."""

from __future__ import annotations

import os
import secrets as token_source
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIRED = {
    "SECRET_KEY": token_source.token_urlsafe(64),
    "ALLOWED_HOSTS": "upstream.example.org",
    "DATABASE_URL": "postgres://upstream@127.0.0.1:5432/upstream",
    "PSEUDONYM_KEY": token_source.token_urlsafe(32),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
    }
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_refuse_to_start_without_any_required_variable():
    result = _run(["-c", "import django; django.setup()"])

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        assert name in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PSEUDONYM_KEY", "REDIS_URL"])
def test_production_settings_name_the_one_missing_variable(missing):
    env = {name: value for name, value in REQUIRED.items() if name != missing}

    result = _run(["-c", "import django; django.setup()"], **env)

    assert result.returncode != 0
    assert missing in result.stderr.splitlines()[-1]


def test_production_settings_refuse_a_short_secret_key():
    result = _run(["-c", "import django; django.setup()"], **(REQUIRED | {"SECRET_KEY": "too-short"}))

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50" in result.stderr


def test_production_settings_start_with_all_required_variables():
    result = _run(["-c", "import django; django.setup(); print('ok')"], **REQUIRED)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_check_deploy_passes_at_warning_level_with_nothing_silenced():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING", "--settings=config.settings.production"],
        **REQUIRED,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_values_match_the_security_baseline():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'DEBUG','SESSION_ENGINE','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY',"
        "'SESSION_COOKIE_NAME','CSRF_COOKIE_NAME','SECURE_HSTS_SECONDS','SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'SECURE_SSL_REDIRECT','X_FRAME_OPTIONS','SECURE_REFERRER_POLICY','SILENCED_SYSTEM_CHECKS',"
        "'CELERY_TASK_ALWAYS_EAGER','CELERY_BROKER_URL','MESSAGE_STORAGE']} | "
        "{'CACHE': s.CACHES['default']['BACKEND'], 'HASHER': s.PASSWORD_HASHERS[0],"
        " 'DB': s.DATABASES['default']['ENGINE']}))"
    )
    result = _run(["-c", script], **REQUIRED)
    assert result.returncode == 0, result.stderr
    import json

    values = json.loads(result.stdout)

    assert values["DEBUG"] is False
    assert values["SESSION_ENGINE"] == "config.session_store"  # database sessions (tests/config/test_session_store.py)
    assert values["CACHE"] == "django.core.cache.backends.db.DatabaseCache"
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SILENCED_SYSTEM_CHECKS"] == []
    assert values["HASHER"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert values["DB"] == "django.db.backends.postgresql"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False  # tasks go to the worker, never run in a request
    assert values["CELERY_BROKER_URL"] == REQUIRED["REDIS_URL"]
    assert values["MESSAGE_STORAGE"] == "django.contrib.messages.storage.session.SessionStorage"


# --- Secret key rotation through the environment (issue 7) --------------------------------

_ENCRYPT = (
    "import django; django.setup(); "
    "from allauth.mfa.adapter import get_adapter; print(get_adapter().encrypt('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'))"
)
_VERIFY = (
    "import django, sys; django.setup(); "
    "from allauth.mfa.adapter import get_adapter; "
    "from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value; "
    "secret = get_adapter().decrypt(sys.argv[1]); print(format_hotp_value(hotp_value(secret, 123456)))"
)


def test_totp_secrets_still_verify_after_rotating_secret_key_through_the_environment():
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    old_key, new_key = token_source.token_urlsafe(64), token_source.token_urlsafe(64)
    encrypted = _run(["-c", _ENCRYPT], **(REQUIRED | {"SECRET_KEY": old_key}))
    assert encrypted.returncode == 0, encrypted.stderr
    stored = encrypted.stdout.strip()
    expected = format_hotp_value(hotp_value("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 123456))

    rotated = _run(
        ["-c", _VERIFY, stored],
        **(REQUIRED | {"SECRET_KEY": new_key, "SECRET_KEY_FALLBACKS": f"{token_source.token_urlsafe(64)}, {old_key}"}),
    )
    forgotten = _run(["-c", _VERIFY, stored], **(REQUIRED | {"SECRET_KEY": new_key}))

    assert stored.startswith("fernet:")
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.strip() == expected  # the code the authenticator app shows
    assert forgotten.returncode != 0 and "InvalidToken" in forgotten.stderr  # why the fallback matters


# --- The second-factor rule under the production settings themselves (issue 7) ------------

_CLIENT_SCRIPT = r"""
import json, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client
from accounts.models import User

# The one change to the production settings: static files from the finders, so that the
# admin pages render without a collectstatic run (the manifest storage needs one).
from django.test.utils import override_settings
static_from_finders = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
override_settings(STORAGES={**settings.STORAGES, "staticfiles": static_from_finders}).enable()

SECRET, PASSWORD = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "a-long-test-password-42"
root = User.objects.create_superuser("root@vru.example", PASSWORD)
EmailAddress.objects.create(user=root, email=root.email, verified=True, primary=True)
TOTP.activate(root, SECRET)

def https():
    return Client(HTTP_X_FORWARDED_PROTO="https")

result = {}
wagtail_login = https()
wagtail_login.post("/_util/login/", {"username": root.email, "password": PASSWORD})
result["front_end_login_signed_in"] = "_auth_user_id" in wagtail_login.session
result["front_end_login_admin"] = wagtail_login.get("/admin/").status_code

password_only = https()
password_only.force_login(root)
result["password_only_admin"] = password_only.get("/admin/").status_code
result["password_only_django_admin"] = password_only.get("/django-admin/").status_code
result["password_only_still_signed_in"] = "_auth_user_id" in password_only.session

with_code = https()
with_code.post("/accounts/login/", {"login": root.email, "password": PASSWORD})
if 30 - time.time() % 30 < 3:
    time.sleep(30 - time.time() % 30 + 0.2)
with_code.post("/accounts/2fa/authenticate/", {"code": format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))})
result["second_factor_admin"] = with_code.get("/admin/").status_code
result["second_factor_django_admin"] = with_code.get("/django-admin/").status_code
print(json.dumps(result))
"""


def test_production_settings_refuse_a_password_only_session_and_accept_the_second_factor(tmp_path):
    """The same middleware stack and URLs as the tests' settings, run under
    config.settings.production itself (on a throwaway SQLite file: the rule does not
    depend on the engine; static files from the finders, see the script)."""
    env = REQUIRED | {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "ALLOWED_HOSTS": "testserver"}

    result = _run(["-c", _CLIENT_SCRIPT], **env)

    assert result.returncode == 0, result.stderr[-3000:]
    import json

    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "front_end_login_signed_in": False,
        "front_end_login_admin": 302,
        "password_only_admin": 302,
        "password_only_django_admin": 302,
        "password_only_still_signed_in": False,
        "second_factor_admin": 200,
        "second_factor_django_admin": 200,
    }


@pytest.mark.parametrize(("flag", "threshold"), [(None, "5"), ("false", "None"), ("true", "5")])
def test_the_pupil_statements_are_prepared_unless_switched_off(flag, threshold):
    """docs/decisions.md#prepared-statements: on PostgreSQL psycopg prepares a statement
    the pupil path runs five times on a connection; DB_PREPARED_STATEMENTS=false (for a
    transaction-mode pooler) leaves the threshold unset, and nothing is prepared."""
    code = (
        "import django; django.setup(); from django.conf import settings;"
        " print(settings.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold'))"
    )
    env = REQUIRED | ({} if flag is None else {"DB_PREPARED_STATEMENTS": flag})

    result = _run(["-c", code], **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == threshold
