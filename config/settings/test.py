"""Settings for the test suite: the real database engine given by DATABASE_URL (PostgreSQL
in CI), eager Celery unless a test starts its own worker, fast password hashing."""

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-3b6f9e2c1d8a7f4e5b0c9d2e1f3a6b8c7d0e9f1a2b3c4d5e"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = BASE_DIR / ".test-media"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = env("REDIS_URL", "memory://")
UPSTREAM_PSEUDONYM_KEY = "test-pseudonym-key"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's shared in-memory database: tests that run threads (the window
    # close race, live servers, in-process relays) need real locking with a busy timeout,
    # which the shared-cache in-memory database does not give ("table is locked").
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
