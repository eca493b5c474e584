"""Settings shared by every environment.

Everything that differs between a laptop and production is read from the environment;
every variable is listed in ``.env.example`` and the README. Base settings fail closed:
``DEBUG`` is off and there is no usable secret key here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import overload

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None) -> str | None: ...


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = False
SECRET_KEY = env("SECRET_KEY")
# Previous secret keys while rotating SECRET_KEY (comma-separated): sessions, signed links
# and the TOTP secrets encrypted with keys derived from them (accounts.adapters.MFAAdapter)
# stay readable until every old value has been re-written under the new key.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Our apps first so their templates override Wagtail's and allauth's.
    "accounts",
    "lessons",
    "surveys",
    "outcomes",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "accounts.apps.WagtailUsersConfig",  # wagtail.users with our user admin rules
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.usersessions",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, its policy text built once
    "accounts.middleware.AdminContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.RequireMFAMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "accounts.context_processors.staff_navigation",
                "lessons.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Embedded default: SQLite beside the code. Production and CI: DATABASE_URL (PostgreSQL).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "0") or 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server read while a write is in progress; IMMEDIATE transactions
    # take the write lock up front, so concurrent requests wait for it (up to the timeout)
    # instead of failing with "database is locked" when a read lock cannot be upgraded.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# docs/decisions.md#prepared-statements: on PostgreSQL the pupil path's hand-written statements
# (surveys/pupil/sql.py) are bound on the server and prepared on a connection once they have
# run psycopg's default five times, instead of planned on every run. The ORM's cursors bind on
# the client, which psycopg never prepares. Off for a transaction-mode pooler that cannot
# keep a connection's prepared statements.
UPSTREAM_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and UPSTREAM_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)

# docs/decisions.md#1: sessions and the default cache live in the database, never in Redis, so a
# broker outage cannot break a page (Wagtail site paths and allauth rate limits use it).
SESSION_ENGINE = "config.session_store"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "upstream_cache",
    }
}

# --- People ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "/"

# allauth: e-mail is the login, verification is mandatory (which also makes enumeration
# prevention complete at sign-up), logging out everywhere when the password changes.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "accounts.forms.TeacherSignupForm",
    "change_password": "accounts.forms.ChangePasswordForm",  # current password under the login-failure limit
}
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "5/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Upstream] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", "https")
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0") or 0)

MFA_ADAPTER = "accounts.adapters.MFAAdapter"  # encrypts TOTP secrets at rest
UPSTREAM_MFA_ENCRYPTION_KEYS = env_list("MFA_ENCRYPTION_KEYS")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TRUST_ENABLED = False
MFA_TOTP_ISSUER = "Upstream VRU"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False

# SSO: never link or log in by e-mail alone (the Microsoft "nOAuth" risk). Buttons appear
# only for providers whose client id and secret are configured.
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
if env("GOOGLE_CLIENT_ID") and env("GOOGLE_CLIENT_SECRET"):
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": env("GOOGLE_CLIENT_ID"), "secret": env("GOOGLE_CLIENT_SECRET")}],
        "SCOPE": ["openid", "email", "profile"],
    }
if env("MICROSOFT_CLIENT_ID") and env("MICROSOFT_CLIENT_SECRET"):
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": env("MICROSOFT_CLIENT_ID"),
                "secret": env("MICROSOFT_CLIENT_SECRET"),
                "settings": {"tenant": env("MICROSOFT_TENANT", "organizations")},
            }
        ],
    }

USERSESSIONS_TRACK_ACTIVITY = True

# Messages ("Invitation sent to ...", "... can now set up classes") name staff and their
# e-mail addresses: keep them in the server-side session, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Session lifetimes (ASVS 7.1.1): idle timeout by cookie age, absolute cap by middleware.
SESSION_COOKIE_AGE = 2 * 60 * 60
# Not on every request: SessionLifetimeMiddleware refreshes signed-in staff sessions (the
# sliding idle timeout) at most once a minute; pupils' sessions are saved only when they change.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
UPSTREAM_SESSION_ABSOLUTE_HOURS = {"vru": 8, "staff": 12}
UPSTREAM_VRU_IDLE_SECONDS = 30 * 60

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Wagtail --------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Upstream"
WAGTAILADMIN_BASE_URL = env("SITE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No Gravatar: avatars would send a hash of every staff e-mail address to a third party
# (and the admin CSP blocks them anyway). Wagtail falls back to its built-in avatar.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "pptx", "odt", "odp"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAILFORMS_HELP_TEXT_ALLOW_HTML = False

# Wagtail's own background work (reference index, file deletion) runs in process.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Celery ---------------------------------------------------------------------------
# Embedded default: no REDIS_URL, tasks run eagerly in the web process. With REDIS_URL,
# Redis is the broker only (docs/decisions.md#1) and a worker runs them. Production requires it.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}
# Surveys: relay the transactional outbox to Celery every minute (docs/decisions.md#1).
CELERY_BEAT_SCHEDULE["surveys-relay-outbox"] = {"task": "surveys.tasks.relay_outbox", "schedule": 60.0}
# Accounts: staff data past its retention period, nightly (docs/data-protection.md).
CELERY_BEAT_SCHEDULE["accounts-purge-staff-data"] = {"task": "accounts.tasks.purge_staff_data", "schedule": 24 * 3600.0}
# Surveys: pupil data past its retention period, nightly (docs/data-protection.md).
CELERY_BEAT_SCHEDULE["surveys-purge-pupil-data"] = {"task": "surveys.tasks.purge_pupil_data", "schedule": 24 * 3600.0}
# Outcomes: rollups of windows that closed at their closing time, every 5 minutes, and
# every class pair nightly (docs/outcomes-engine.md, "Triggers").
CELERY_BEAT_SCHEDULE["outcomes-refresh-closed-windows"] = {
    "task": "outcomes.tasks.refresh_closed_windows",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["outcomes-refresh-all"] = {"task": "outcomes.tasks.refresh_all", "schedule": 24 * 3600.0}
# Lessons: re-send programme packs stuck by a broker outage or a lost worker.
CELERY_BEAT_SCHEDULE["lessons-requeue-stale-packs"] = {
    "task": "lessons.tasks.requeue_stale_programme_packs",
    "schedule": 300.0,
}
# Outcome reports left queued or rendering (broker outage, lost worker): send them again.
CELERY_BEAT_SCHEDULE["outcomes-requeue-stale-reports"] = {"task": "outcomes.reports.requeue_stale", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["outcomes-purge-reports"] = {"task": "outcomes.reports.purge", "schedule": 24 * 3600.0}
# Analyst exports: files deleted 24 hours after they were made (hourly), stuck jobs re-sent.
CELERY_BEAT_SCHEDULE["outcomes-purge-analyst-exports"] = {"task": "outcomes.analyst.purge", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["outcomes-requeue-stale-analyst-exports"] = {
    "task": "outcomes.analyst.requeue_stale",
    "schedule": 300.0,
}

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Upstream <no-reply@upstream.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security headers -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# docs/decisions.md#4: a strict nonce-based policy everywhere outside /admin/; the admin gets a
# relaxed policy from accounts.middleware.AdminContentSecurityPolicyMiddleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF, "https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
    }
}

# --- Upstream -------------------------------------------------------------------------
# Keyed-hash secret for participant codes; falls back to SECRET_KEY-derived in dev/test.
UPSTREAM_PSEUDONYM_KEY = env("PSEUDONYM_KEY")
UPSTREAM_INVITATION_DAYS = int(env("INVITATION_DAYS", "7") or 7)
UPSTREAM_DPIA_REFERENCE = env("DPIA_REFERENCE", "DPIA-VRU-2026-01")
# Pupil-data retention (docs/data-protection.md#pupil-data): raw responses
# go this many months after their window closed, linkage data (participants) this many
# months after the last window of the school and academic year closed.
UPSTREAM_RESPONSE_RETENTION_MONTHS = 24
UPSTREAM_LINKAGE_RETENTION_MONTHS = 12
# Outcomes: the name of the whole area the platform serves (the "region" scope of figures).
UPSTREAM_REGION_NAME = env("REGION_NAME", "West Midlands")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "django_tasks": {"level": "WARNING"},
    },
}
