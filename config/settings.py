"""Parley settings, driven by the environment.

With no environment at all Parley runs as a single process on SQLite and the
in-memory channel layer. ``DATABASE_URL`` moves it to PostgreSQL and
``REDIS_URL`` moves the channel layer and the cache to Redis, which is what
lets several worker processes serve one site.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a fixed key keeps sessions valid across restarts.
    SECRET_KEY = "django-insecure-parley-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# daphne first: it replaces runserver with an ASGI server that speaks websockets.
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "accounts",
    "rooms",
    "messaging",
    "audit",
    "attachments",
    "django_tasks",
    "django_tasks_db",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Security headers and HTTPS (python manage.py check --deploy stays silent)
# ---------------------------------------------------------------------------

# Scripts only from our own static files: no inline script can run, so an
# injected <script> or on* attribute is inert. Inline styles stay allowed for
# the Django admin's templates.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True

if not DEBUG:
    # Secure-only cookies. SECURE_COOKIES=false is for plain HTTP on the loopback
    # (platform/serve on one machine, the benchmark), never for a public address.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# Behind a TLS-terminating proxy (platform/), trust its X-Forwarded-Proto; only
# set this when the proxy overwrites that header, or clients could forge it.
if env_bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# ---------------------------------------------------------------------------
# Database: SQLite by default, PostgreSQL through DATABASE_URL
# ---------------------------------------------------------------------------

SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))

if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"],
            # Under ASGI each request may run on a different thread: kept connections
            # pile up instead of being reused, so connections come from a pool instead.
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_POOL", default=True
    ):
        # psycopg's pool, per process: opening a PostgreSQL connection for every
        # database call cost a tenth of a worker's time under load (bench/README.md).
        # With PostgreSQL down the pool makes every caller wait this long for a
        # connection (a plain connect fails at once): short, so "database down"
        # stays a prompt error frame or 503, and the one database thread that
        # every socket of a worker shares is not held for long.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "8")),
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "1")),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}}

# SQLite, however it was named (SQLITE_PATH or DATABASE_URL=sqlite:///...): without
# these, concurrent writers fail with "database is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while a message is being written; the busy timeout
        # makes concurrent writers wait instead of failing, and IMMEDIATE
        # transactions take the write lock up front so a reader cannot be upgraded
        # into a deadlock.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # Options given in the URL's query string win.
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # Kept open: the consumers' database thread reuses one connection instead of
    # opening the file (and running the PRAGMAs) on every call. Each HTTP request
    # runs in a thread of its own under ASGI; its connection is closed when that
    # thread's objects are collected (about ten SQLite connections open after
    # 3,000 requests to /healthz).
    DATABASES["default"]["CONN_MAX_AGE"] = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------
# Channel layer and cache: in-process by default, Redis through REDIS_URL
# ---------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    # "pubsub" (default): one PUBLISH per group event, and each process hands it
    # to its own sockets of the group (realtime/layers.py). "lists": channels_redis'
    # RedisChannelLayer, one list entry and one blocking pop per receiving socket,
    # with per-socket capacity.
    # Chosen by measurement (bench/README.md).
    if os.environ.get("REDIS_CHANNEL_LAYER", "pubsub") == "lists":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                # redis-py 8 gives up on a read after 5 s, exactly as long as channels_redis
                # blocks waiting on a quiet socket: a longer timeout keeps idle consumers alive.
                "CONFIG": {
                    "hosts": [{"address": REDIS_URL, "socket_timeout": 10}],
                    # Events queued per socket before the layer drops them (default 100):
                    # room for bursts while a socket's writes are slow.
                    "capacity": 1000,
                },
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "realtime.layers.RedisPubSubLayer",
                "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 10}]},
            }
        }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {
        # Channels' in-memory layer minus its per-call scans (realtime/layers.py).
        "default": {"BACKEND": "realtime.layers.LocalChannelLayer", "CONFIG": {"capacity": 1000}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ---------------------------------------------------------------------------
# Chat limits
# ---------------------------------------------------------------------------

# Messages posted, edited or deleted, per user and room: bursts of
# PARLEY_MESSAGE_BURST, then PARLEY_MESSAGE_RATE per second...
PARLEY_MESSAGE_BURST = int(os.environ.get("PARLEY_MESSAGE_BURST", "10"))
PARLEY_MESSAGE_RATE = float(os.environ.get("PARLEY_MESSAGE_RATE", "2"))
# ...and per user across all rooms, so more rooms do not mean more messages.
PARLEY_USER_MESSAGE_BURST = int(os.environ.get("PARLEY_USER_MESSAGE_BURST", "20"))
PARLEY_USER_MESSAGE_RATE = float(os.environ.get("PARLEY_USER_MESSAGE_RATE", "3"))
# Other frames that cost work (read markers, typing), per user across sockets.
PARLEY_USER_FRAME_BURST = int(os.environ.get("PARLEY_USER_FRAME_BURST", "30"))
PARLEY_USER_FRAME_RATE = float(os.environ.get("PARLEY_USER_FRAME_RATE", "10"))
# Every frame of one socket, whatever it holds, counted before it is read. A page
# sends a few frames a minute; a socket that overdraws this by more than
# PARLEY_RATE_LIMIT_STRIKES frames is closed with 4420.
PARLEY_SOCKET_FRAME_BURST = int(os.environ.get("PARLEY_SOCKET_FRAME_BURST", "30"))
PARLEY_SOCKET_FRAME_RATE = float(os.environ.get("PARLEY_SOCKET_FRAME_RATE", "10"))
# Refused frames in a row (invalid, too large, rate-limited, forbidden...) after
# which the socket is closed with 4420.
PARLEY_RATE_LIMIT_STRIKES = int(os.environ.get("PARLEY_RATE_LIMIT_STRIKES", "20"))
PARLEY_MAX_SOCKETS_PER_USER = int(os.environ.get("PARLEY_MAX_SOCKETS_PER_USER", "10"))
PARLEY_MAX_FRAME_BYTES = 64 * 1024
# Links one message body may render as links; the rest stay plain text (each costs a parse).
PARLEY_MAX_LINKS = int(os.environ.get("PARLEY_MAX_LINKS", "50"))
# Seconds between presence heartbeats of an open socket (entries live three beats).
PARLEY_PRESENCE_HEARTBEAT = float(os.environ.get("PARLEY_PRESENCE_HEARTBEAT", "20"))
# Rooms one person may create in PARLEY_ROOM_CREATE_WINDOW seconds (conversations aside).
PARLEY_ROOM_CREATE_LIMIT = int(os.environ.get("PARLEY_ROOM_CREATE_LIMIT", "10"))
PARLEY_ROOM_CREATE_WINDOW = int(os.environ.get("PARLEY_ROOM_CREATE_WINDOW", "3600"))
# Frames waiting for one client that reads too slowly; past either it is closed with 4503
# and catches up when it reconnects. Bounded here because daphne never makes a write wait.
PARLEY_OUTBOUND_MAX_FRAMES = int(os.environ.get("PARLEY_OUTBOUND_MAX_FRAMES", "1000"))
PARLEY_OUTBOUND_MAX_BYTES = int(os.environ.get("PARLEY_OUTBOUND_MAX_BYTES", str(1024 * 1024)))
# Frames received but not yet handled on one socket; past either it is closed with 4420.
PARLEY_INBOUND_MAX_FRAMES = int(os.environ.get("PARLEY_INBOUND_MAX_FRAMES", "2000"))
PARLEY_INBOUND_MAX_BYTES = int(os.environ.get("PARLEY_INBOUND_MAX_BYTES", str(1024 * 1024)))
# The server pings every socket this often and closes it (4408) when nothing at all
# came back for PARLEY_PING_TIMEOUT seconds after a ping; pages treat 2 * the
# interval + 5 s of silence as a dead connection.
PARLEY_PING_INTERVAL = float(os.environ.get("PARLEY_PING_INTERVAL", "20"))
PARLEY_PING_TIMEOUT = float(os.environ.get("PARLEY_PING_TIMEOUT", "20"))
# How often an open socket checks that its session still signs its user in (else 4401).
PARLEY_SESSION_RECHECK = float(os.environ.get("PARLEY_SESSION_RECHECK", "60"))
# Events sent on commit are round-tripped through JSON where they are made (always
# with DEBUG): a value that Redis could not carry fails there. The tests turn it on.
PARLEY_EVENTS_ROUND_TRIP = env_bool("PARLEY_EVENTS_ROUND_TRIP", default=False)

# ---------------------------------------------------------------------------
# Uploads (attachments/)
# ---------------------------------------------------------------------------

# Images are refused before decoding when they declare more pixels than this
# (all frames of an animation together): a small file can decode to gigabytes.
PARLEY_IMAGE_MAX_PIXELS = int(os.environ.get("PARLEY_IMAGE_MAX_PIXELS", str(50_000_000)))
# One uploaded file, in bytes; platform/serve gives nginx's client_max_body_size this value.
PARLEY_UPLOAD_MAX_BYTES = int(os.environ.get("PARLEY_UPLOAD_MAX_BYTES", str(25 * 1024 * 1024)))
PARLEY_ATTACHMENTS_PER_MESSAGE = int(os.environ.get("PARLEY_ATTACHMENTS_PER_MESSAGE", "10"))
# Uploads per user in any hour, across rooms (kept in the cache, shared by workers).
PARLEY_UPLOADS_PER_HOUR = int(os.environ.get("PARLEY_UPLOADS_PER_HOUR", "60"))
# One avatar upload, in bytes; it is stored as a 256 px square WebP whatever its size. Avatar
# changes count against PARLEY_UPLOADS_PER_HOUR.
PARLEY_AVATAR_MAX_BYTES = int(os.environ.get("PARLEY_AVATAR_MAX_BYTES", str(5 * 1024 * 1024)))
# Django checks who may download a file, then nginx sends it (X-Accel-Redirect to an
# internal location over MEDIA_ROOT): platform/serve turns this on.
PARLEY_ACCEL_REDIRECT = env_bool("PARLEY_ACCEL_REDIRECT", default=False)

# Uploaded files go through Django's storage API only: folders under MEDIA_ROOT by
# default, an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set. MEDIA_URL
# stays unset: no file is public, every download is checked by a view.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    # Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID..., roles).
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "file_overwrite": False,
            # Downloads redirect to URLs signed for a minute (attachments/delivery.py).
            "querystring_auth": True,
            "querystring_expire": 60,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# ---------------------------------------------------------------------------
# Authentication (django-allauth)
# ---------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Tests that start servers log in hundreds of times; each real hash costs about half
# a second of a shared core. Honoured only in development, never with DEBUG off.
if DEBUG and env_bool("FAST_PASSWORD_HASHING", default=False):
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "rooms:list"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
# allauth's own throttles (kept in the cache, so shared by workers with REDIS_URL):
# failed log-ins per IP and per account (the account the login names, on the log-in
# page and the admin's alike: accounts/adapter.py, accounts/forms.py), sign-ups and
# password resets per IP.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Parley <noreply@localhost>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
# Seconds before a silent mail server counts as failed: the first try runs in the request.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
# A mail that could not be sent is tried again after each of these delays, then given
# up (config/mail.py); at most PARLEY_MAIL_RETRY_MAX_PENDING mails wait at once.
PARLEY_MAIL_RETRY_DELAYS = [
    float(delay) for delay in env_list("PARLEY_MAIL_RETRY_DELAYS", ["10", "60", "300", "1800"])
]
PARLEY_MAIL_RETRY_MAX_PENDING = int(os.environ.get("PARLEY_MAIL_RETRY_MAX_PENDING", "100"))

# ---------------------------------------------------------------------------
# Internationalization and static files
# ---------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the app and project folders in development, so the run
# command needs no collectstatic; production collects into STATIC_ROOT.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", default=DEBUG)
WHITENOISE_AUTOREFRESH = DEBUG
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise too.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# ---------------------------------------------------------------------------
# Background tasks
# ---------------------------------------------------------------------------

# Jobs are rows in the database (django-tasks-db): the embedded default needs no
# broker, and a job outlives the request or socket that asked for it. Workers run
# ``manage.py task_worker`` (jobs/); bin/run and platform/serve start them.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("PARLEY_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Task workers this deployment runs beside the web server (bin/run and platform/serve
# set it): with any expected, /healthz fails while none of them beats.
PARLEY_TASK_WORKERS = int(os.environ.get("PARLEY_TASK_WORKERS", "0"))
# Seconds between a worker's heartbeats. A worker silent for three is taken for dead,
# and the jobs it was running are queued again.
PARLEY_TASK_HEARTBEAT = float(os.environ.get("PARLEY_TASK_HEARTBEAT", "5"))
# Attempts a job gets when its worker dies under it; then it fails with WorkerLost.
PARLEY_TASK_MAX_ATTEMPTS = int(os.environ.get("PARLEY_TASK_MAX_ATTEMPTS", "3"))
# Jobs the workers enqueue on a schedule, once per interval whatever the number of
# workers: a task's dotted path -> seconds between runs (README, "Background work").
PARLEY_PERIODIC_TASKS: dict[str, float] = {
    # Uploads no message claimed within a day are removed; hourly keeps that promise to the hour.
    "attachments.tasks.attachments_remove_unused": 3600,
}

# ---------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
