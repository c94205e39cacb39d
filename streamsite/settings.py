"""Settings for the streaming site, read from the environment (see .env.example).

Development defaults exist only while DJANGO_DEBUG is on; with it off every secret must come
from the environment, and `manage.py check --deploy` has nothing to report.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Values already in the environment win over the file.
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Used only while DEBUG is on, so a newcomer can start without configuring anything.
_DEV_SECRET_KEY = "dev-only-secret-key-never-use-in-production-0123456789abcdef"
_DEV_LIVEKIT_API_KEY = "devkey"
_DEV_LIVEKIT_API_SECRET = "dev-only-livekit-secret-at-least-32-characters"


def _secret(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} is not set. Production settings (DJANGO_DEBUG off) need every secret from "
        f"the environment: set {name}, or set DJANGO_DEBUG=true for local development. "
        "See .env.example."
    )


SECRET_KEY = _secret("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "social",
    "streams",
    "videos",
    "directory",
    "emotes",
    "raids",
    "analytics",
]

MIDDLEWARE = [
    "streamsite.metrics.request_metrics",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's MessageMiddleware, building the flash-message storage only when it is used.
    "streamsite.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "streamsite.urls"
WSGI_APPLICATION = "streamsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "streams.context_processors.sidebar",
                "social.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer at a time. A deferred transaction that reads and then writes
    # fails at once with "database is locked" when another writer got there first; an
    # IMMEDIATE one takes the write lock at BEGIN and waits up to `timeout` seconds for it,
    # so concurrent requests queue instead of failing, and a transaction's reads (slow
    # mode's check) see every write before it: SQLite's stand-in for select_for_update.
    # WAL lets pages read while a write is under way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Page fragments (streams/page_cache.py). Local memory is per process: with several server
# processes, share Redis (redis://host:6379/1, Django's RedisCache; `pip install redis`) so
# that a live-status change shows everywhere at once rather than within a few seconds.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "streamsite.cache.RedisCache"  # one client per pool
# Whether every server process reads the same cache (Redis, Memcached: not local memory,
# which is per process). Then sessions, signed-in users and their follows and blocks are
# read from it rather than the database on every request (accounts.cache, streams.selectors),
# each dropped beside the write that changes it, so a log-out or a block shows at once in
# every process; with a cache per process they are read from the database every time.
CACHE_IS_SHARED = env.bool(
    "DJANGO_CACHE_SHARED",
    default=CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] not in {"LocMemCache", "DummyCache"},
)
# accounts.sessions: Django's cached_db, read ahead by the signed-in pages with what else they read.
SESSION_ENGINE = "accounts.sessions" if CACHE_IS_SHARED else "django.contrib.sessions.backends.db"

# How long a shared cache in front of the site (nginx with deploy/nginx.conf, a CDN) may keep
# what every guest gets alike: the home and channel pages, stream info, the live markers
# (streams/public_cache.py). Guests see a change at most this much later; 0 marks nothing.
PUBLIC_CACHE_SECONDS = env.int("DJANGO_PUBLIC_CACHE_SECONDS", default=2)
if not 0 <= PUBLIC_CACHE_SECONDS <= 5:
    raise ImproperlyConfigured("DJANGO_PUBLIC_CACHE_SECONDS must be 0 (off) or 1 to 5.")

# How many reverse proxies of ours stand in front of the site, each adding the address it
# received a request from to X-Forwarded-For (streams/client_address.py). 0: the header
# is ignored, since a client can write anything in it; 1 behind one TLS proxy.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's, reading a session's user from the shared cache (accounts.cache).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: sign up with username, email and password; log in with either.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS_ENABLED = True  # allauth's built-in limits stay on (its defaults).
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

# Mail: password resets (allauth) and go-live emails (sent by the worker, social/emails.py).
# EMAIL_URL sets the backend and its server, e.g. smtp+tls://user:password@host:587;
# the console backend prints every message instead.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="streamsite <noreply@localhost>")
# Seconds an SMTP connection may block: a mail server that stops answering must not hold
# the worker for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The site's public address, for the links in emails the worker sends (no request there to
# take the host from). Production has no default: `check --deploy` warns when it is unset,
# and go-live emails are not sent without it (in-site notifications are).
SITE_URL = env.str("DJANGO_SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

# Background tasks (go-live notifications): django-tasks with its database backend. The web
# process only writes a row; `manage.py db_worker` (Procfile `worker`) runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("DJANGO_MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads larger than this are refused by the forms; keep Django's own limit a bit above.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# LiveKit: the server API (LIVEKIT_URL) and the address browsers connect to (LIVEKIT_WS_URL).
LIVEKIT_URL = env.str("LIVEKIT_URL", default="http://127.0.0.1:7880")
LIVEKIT_WS_URL = env.str("LIVEKIT_WS_URL", default="ws://127.0.0.1:7880")
LIVEKIT_API_KEY = _secret("LIVEKIT_API_KEY", _DEV_LIVEKIT_API_KEY)
LIVEKIT_API_SECRET = _secret("LIVEKIT_API_SECRET", _DEV_LIVEKIT_API_SECRET)

# Past broadcasts (docs/recording.md): the recorder writes each recording under
# RECORDINGS_SPOOL_DIR while it runs (the site reads the same folder, so the recorder runs
# beside the worker), and the worker moves it into media storage. A broadcast whose
# recorder never said it finished is finalised from what is on disk after
# RECORDING_FINALISE_AFTER seconds. The recorder joins rooms at LIVEKIT_URL (as ws://).
RECORDINGS_SPOOL_DIR = Path(
    env.str("RECORDINGS_SPOOL_DIR", default=str(BASE_DIR / ".cache" / "recordings"))
)
RECORDING_FINALISE_AFTER = env.int("RECORDING_FINALISE_AFTER", default=30)
# A stream whose room closed (not ended by its encoder nor the site: a LiveKit restart) and
# that is live again within this many seconds goes on in the same broadcast.
BROADCAST_RECONNECT_SECONDS = env.int("BROADCAST_RECONNECT_SECONDS", default=30)
FFMPEG = env.str("FFMPEG", default="ffmpeg")
FFPROBE = env.str("FFPROBE", default="ffprobe")  # reads back what a clip's cut made

# GET /metrics answers Prometheus scrapes carrying `Authorization: Bearer <this>`; unset, 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Production hardening (all switched on when DEBUG is off; see README "Production").
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe the health check over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _not_a_broken_pipe(record) -> bool:
    """runserver says "Broken pipe" when a client hangs up before its answer is written
    (LiveKit's webhook sender does): nothing to act on."""
    return not record.getMessage().startswith("- Broken pipe from")


def _not_a_recorder_poll(record) -> bool:
    """The recorder asks what to record every second: a request line each time would bury
    everything else runserver prints. A refused one (not 200) is still printed."""
    args = record.args if isinstance(record.args, tuple) else ()
    line, status = (str(arg) for arg in (*args, "", "")[:2])
    return not (line.startswith("GET /api/recorder/jobs ") and status == "200")


def _a_server_error(record) -> bool:
    """Django logs every 4xx answer (a page not found, a refused chat message, a rate limit)
    as a WARNING on django.request. Those are the client's doing, and the request line
    (runserver's, or the server's access log) already records each one: a WARNING is kept
    for what needs someone, and a 5xx stays an ERROR. (A refused CSRF check, which says why,
    is logged by django.security.csrf and kept.)"""
    return getattr(record, "status_code", 500) >= 500


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "not_a_broken_pipe": {
            "()": "django.utils.log.CallbackFilter",
            "callback": _not_a_broken_pipe,
        },
        "a_server_error": {"()": "django.utils.log.CallbackFilter", "callback": _a_server_error},
        "not_a_recorder_poll": {
            "()": "django.utils.log.CallbackFilter",
            "callback": _not_a_recorder_poll,
        },
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        # runserver's request lines, as Django prints them.
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "streams": {"level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
        "social": {"level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
        "django.server": {
            "handlers": ["django.server"],
            "filters": ["not_a_broken_pipe", "not_a_recorder_poll"],
            "level": "INFO",
            "propagate": False,
        },
        "django.request": {"filters": ["a_server_error"]},
        # runserver prints "Watching for file changes" itself; not twice.
        "django.utils.autoreload": {"level": "WARNING"},
    },
}
