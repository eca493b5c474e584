"""Production settings, made runnable on one machine for the benchmark only.

Everything that affects speed is as in production (DEBUG off, PostgreSQL, database sessions
and cache, WhiteNoise with the manifest storage, persistent connections, the full middleware
stack with CSP). What differs: plain HTTP on 127.0.0.1 (no SSL redirect, HSTS or ``__Host-``
cookies, which a client cannot send over http), fixed bench-only secrets, static files
collected under ``bench/out/`` and a URL conf that adds the floor view.
"""

import os
from pathlib import Path

_BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/upstream_bench")

# Bench-only values, set before production settings read them. Never used anywhere else.
os.environ["SECRET_KEY"] = "bench-only-not-secret-5d0c2b7a9e4f1c3a8b6d0e2f4a6c8e0b2d4f6a8c0e2b4d6f8a"
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ["DATABASE_URL"] = _BENCH_DB
os.environ["PSEUDONYM_KEY"] = "bench-only-pseudonym-key"
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["SECURE_HSTS_PRELOAD"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings.production import *  # noqa: E402, F403
from config.settings.production import BASE_DIR, DATABASES, MIDDLEWARE  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = ["http://127.0.0.1", "http://localhost"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
DATABASES["default"]["CONN_MAX_AGE"] = 60
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", str(BASE_DIR / "bench" / "out" / "staticfiles")))
ROOT_URLCONF = "bench.urls"
UPSTREAM_PSEUDONYM_KEY = os.environ["PSEUDONYM_KEY"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
# Bench-only timing header (bench/middleware.py), outermost so it sees the whole stack.
MIDDLEWARE = ["bench.middleware.ServerTimingMiddleware", *MIDDLEWARE]
