"""Production settings fail closed (issue 2, T01): they refuse to start without their
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
    return subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
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
