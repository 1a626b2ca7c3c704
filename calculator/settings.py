"""One settings module, read from environment variables (see calculator/env.py)."""

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from calculator.env import envbool, envint, envlist, envstr

# Django's generic classes subscriptable at run time as the type checker reads them
# (admin.ModelAdmin[RateCardVersion]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", True)
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-not-secret"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "billing",
    "calculator",
]

MIDDLEWARE = [
    "calculator.server.middleware.ServerTimingMiddleware",
    "calculator.server.middleware.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that may answer by itself (the CPU budget's 429 among them): every
    # page of the app carries the security headers.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "calculator.server.middleware.SecurityHeadersMiddleware",
    "calculator.server.middleware.CpuBudgetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "calculator.server.middleware.DatabaseUnavailableMiddleware",
    "calculator.saved.access.SavedItemMiddleware",
]

ROOT_URLCONF = "calculator.urls"
WSGI_APPLICATION = "calculator.wsgi.application"

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

# No persistent connections: a usage file's upload runs in a thread Django's ASGI handler makes
# for it, where a kept connection would only wait for the thread to end (Django's advice for
# ASGI); the other requests' kept threads (calculator/server/bridge.py) open one each time too.
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=0
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_REDIRECT_URL = "mine"
LOGOUT_REDIRECT_URL = "start"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise: compressed (gzip and brotli) and cached forever by hashed name once
# `collectstatic` has run; straight from the source folders while DEBUG is on.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("COMPRESS_STATIC", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Scenario documents may be large (10,000 participants) but never more than 2 MB.
MAX_DOCUMENT_BYTES = envint("MAX_DOCUMENT_BYTES", 2_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_DOCUMENT_BYTES
# Served (calculator/serving.py), a body past this is refused before it is stored: room for a
# 2 MB document in a multipart form (import); views refuse what is over 2 MB with their own
# message. And a body must have arrived within this many seconds.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", MAX_DOCUMENT_BYTES + 64_000)
REQUEST_BODY_TIMEOUT = envint("REQUEST_BODY_TIMEOUT", 60)
# A usage file (POST /api/usage, the usage page) is its own kind of upload: streamed to disk,
# at most this many bytes (gzipped or not), given as long as this many seconds to arrive.
USAGE_MAX_BYTES = envint("USAGE_MAX_BYTES", 200_000_000)
USAGE_BODY_TIMEOUT = envint("USAGE_BODY_TIMEOUT", 600)
# How many requests one worker runs at once (the others wait their turn, in order; 0: no
# limit). Pricing is CPU work under one interpreter lock: one at a time measured best.
WORKER_SLOTS = envint("WORKER_SLOTS", 1)
# Heavy work waits for one of HEAVY_LANES lanes for the whole machine, apart from everyone
# else's, for at most HEAVY_LANE_WAIT seconds (then 503, try again): a request with a body of
# HEAVY_BODY bytes or more (a scenario of some 250 participants or more), and every request
# of an address that has had a request take HEAVY_REQUEST_MS of CPU or more in the last
# minute or two.
HEAVY_BODY = envint("HEAVY_BODY", 64_000)
HEAVY_REQUEST = (envint("HEAVY_REQUEST_MS", 250), 60)
HEAVY_LANES = envint("HEAVY_LANES", 1)
HEAVY_LANE_WAIT = envint("HEAVY_LANE_WAIT", 30)
# Heavy work is done in a process of its own at a lower CPU priority, reached through this
# Unix socket (gunicorn.conf.py starts it and sets this; empty: the worker does it itself).
HEAVY_SOCKET = envstr("HEAVY_SOCKET", "")
HEAVY_NICE = envint("HEAVY_NICE", 10)
# The interpreter's switch interval under make serve, in milliseconds (calculator/asgi.py).
SWITCH_INTERVAL_MS = float(envstr("SWITCH_INTERVAL_MS", "0.5"))
# After each heavy request its lane rests this many times as long as the request held it.
HEAVY_LANE_REST = envint("HEAVY_LANE_REST_PERCENT", 100) / 100
# The editor posts nine fields a participant: up to 10,000 participants must fit.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100_000

# The stored rate card that prices a scenario naming no card, and that inline cards override.
DEFAULT_RATE_CARD = envstr("DEFAULT_RATE_CARD", "default")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_edit_tokens": {"()": "calculator.server.logredact.RedactEditTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_edit_tokens"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}

# -- Security ---------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Served over HTTPS (directly or behind a proxy that says so): secure cookies, HSTS, redirects.
HTTPS = envbool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if envbool("BEHIND_PROXY", False):
    # The reverse proxy terminates TLS and must set this header (and strip it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# A stale token (signed in or out in another tab) never loses what was typed.
CSRF_FAILURE_VIEW = "calculator.pages.csrf_failure"

# -- Rate limits (per client address; sign-in also per account name) ----------------------
# (limit, window in seconds). API and saves: fixed windows of the clock. Sign-in and CPU time:
# sliding windows (calculator/ratelimit.py), so a streak straddling a window's edge counts whole.
RATE_LIMITS = {
    "api": (envint("RATE_LIMIT_API", 120), 60),
    "save": (envint("RATE_LIMIT_SAVE", 30), 60),
    # Wrong passwords for one account name, from anywhere: past this, that name is paused.
    "signin-account": (envint("SIGN_IN_LIMIT_ACCOUNT", 10), 900),
    # Sign-in attempts from one address, whatever the names tried.
    "signin-address": (envint("SIGN_IN_LIMIT_ADDRESS", 30), 900),
    # Milliseconds of CPU one address may use in any minute (CPU_BUDGET is in seconds):
    # a few strangers looping on the heaviest pages cannot starve everybody else.
    "cpu": (envint("CPU_BUDGET", 10) * 1000, 60),
}
TRUST_X_FORWARDED_FOR = envbool("BEHIND_PROXY", False)
# How many proxies in front of the app add to X-Forwarded-For (calculator/server/ratelimit.py).
PROXY_HOPS = max(1, envint("PROXY_HOPS", 1))
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Counters are shared by every worker of the machine in a small SQLite file, or, with
# CACHE_URL, by every machine in that cache.
RATE_LIMIT_DB = Path(envstr("RATE_LIMIT_DB", str(BASE_DIR / "ratelimits.sqlite3")))
RATE_LIMIT_STORE = "sqlite"
if envstr("CACHE_URL", ""):
    # A shared cache for several instances, e.g. redis://host:6379/0 (Django's Redis backend).
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": envstr("CACHE_URL", ""),
    }
    RATE_LIMIT_STORE = "cache"
