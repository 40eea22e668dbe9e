"""Settings for the IAM Console.

Everything deploy-specific comes from the environment. DEBUG is off unless
DJANGO_DEBUG=1 (`make dev`); the secret key is DJANGO_SECRET_KEY or one generated
once into var/secret_key. Production (see the README's Configuration section):

    DJANGO_ALLOWED_HOSTS=iam.example.com DATABASE_URL=postgres://... \
    DJANGO_SECRET_KEY=... IAM_SECRETS_KEY=... IAM_TRUSTED_PROXIES=10.0.0.2
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IAM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


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


# Off unless a developer turns it on (`make dev`): a 500 never shows Django's debug page.
DEBUG = env_bool("DJANGO_DEBUG", False)


def generated_secret_key(path: Path) -> str:
    """The key in ``path``, generated there once (owner-only, 0600) if it is missing.

    Several processes may start at once (gunicorn workers, test workers): the key is
    written to a private temporary file and linked into place, so exactly one key wins
    and every process reads that one.
    """
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(64) + "\n")
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # never readable by others, whoever created it
    key = path.read_text().strip()
    if len(key) < 50:
        raise RuntimeError(f"{path} holds no usable secret key: remove it to generate one")
    return key


# DJANGO_SECRET_KEY, or a random key generated once into var/secret_key and reused after
# (sessions and sealed secrets survive restarts). Never a key written in the code.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or generated_secret_key(VAR_DIR / "secret_key")

# Key for access-key secrets and TOTP seeds at rest (AES-GCM, see iamconsole/crypto.py).
# Defaults to a key derived from SECRET_KEY; set it separately to rotate SECRET_KEY alone.
IAM_SECRETS_KEY = os.environ.get("IAM_SECRETS_KEY", "")
# Keys that sealed older values and may still open them (new values are always
# sealed with the current key): comma-separated, for rotating IAM_SECRETS_KEY.
# Until this release `make run` sealed with a fixed development key; a var/ made
# then keeps opening (that key was public, so accepting it reveals nothing new).
_LEGACY_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
IAM_SECRETS_PREVIOUS_KEYS = env_list("IAM_SECRETS_PREVIOUS_KEYS", [])
if "DJANGO_SECRET_KEY" not in os.environ and not IAM_SECRETS_KEY:
    IAM_SECRETS_PREVIOUS_KEYS.append(_LEGACY_DEV_SECRET_KEY)

_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", _LOCAL_HOSTS)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For / X-Forwarded-Proto are
# believed (iamconsole.middleware.TrustedProxyMiddleware); from anyone else they are
# ignored. Empty by default: the client address is the socket's peer.
IAM_TRUSTED_PROXIES = env_list("IAM_TRUSTED_PROXIES", [])
for _proxy in IAM_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise RuntimeError(f"IAM_TRUSTED_PROXIES: {_proxy!r} is not an address or CIDR") from _exc

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_htmx",
    "template_partials",
    "iamconsole",
    "accounts",
    "policies",
    "audit",
    "labs",
    "organizations",
    "analyzer",
    "api",
]

MIDDLEWARE = [
    # First: everything after it sees the real client address and scheme.
    "iamconsole.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "iamconsole.middleware.SecurityHeadersMiddleware",
    # Static files (under the security headers, before sessions and the Query API).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.middleware.QueryApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "iamconsole.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "iamconsole.urls"
WSGI_APPLICATION = "iamconsole.wsgi.application"

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
                "iamconsole.context_processors.console",
            ],
        },
    }
]

# SQLite under var/ by default; DATABASE_URL selects PostgreSQL.
# SQLite: WAL and BEGIN IMMEDIATE so concurrent writers queue instead of failing
# with "database is locked" (Django 5.1+ `transaction_mode`).
_default_sqlite = f"sqlite:///{VAR_DIR / 'iamconsole.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue on an OS lock instead of SQLite's sleeping busy handler.
    DATABASES["default"]["ENGINE"] = "iamconsole.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file, not :memory:, so tests can race real connections from threads.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-iamconsole.sqlite3")}
    # Opening a connection (and its PRAGMAs) costs about as much as an API call's
    # queries: gunicorn.conf.py keeps them (DB_CONN_MAX_AGE=600); elsewhere one per request.
    # WAL with synchronous=NORMAL keeps every committed write through kill -9 (the WAL
    # is in the OS's hands at COMMIT; only a power loss may cost the last transactions).
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "0"))
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.ConsoleUser"
AUTHENTICATION_BACKENDS = ["accounts.auth.ConsoleBackend"]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "iamconsole:dashboard"

# Passwords are hashed with Argon2 (argon2-cffi).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Nothing security-relevant lives in the cache (throttles and sessions are in the
# database), so a per-process memory cache is enough.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions: database-backed (stateless app servers). Idle timeout 30 min
# (SESSION_COOKIE_AGE with SAVE_EVERY_REQUEST), absolute lifetime 12 h
# (enforced by SessionLifetimeMiddleware).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("IAM_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
IAM_SESSION_ABSOLUTE_SECONDS = int(os.environ.get("IAM_SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Production security (check --deploy is clean with DEBUG off and a real host name).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS only (redirect, Secure cookies, HSTS) once the console answers to a real host
# name with DEBUG off. Served only on the loopback names (`make run`, tests) it works
# over plain HTTP. IAM_HTTPS=1 or 0 says so explicitly. Whether a request came over
# HTTPS through a proxy is decided by TrustedProxyMiddleware (not SECURE_PROXY_SSL_HEADER,
# which would believe any client).
IAM_HTTPS = env_bool("IAM_HTTPS", not DEBUG and not set(ALLOWED_HOSTS) <= set(_LOCAL_HOSTS))
if IAM_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

OTP_TOTP_ISSUER = "IAM Console"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# The production server (gunicorn.conf.py) sets IAM_STATIC_MANIFEST=1 and runs
# collectstatic: hashed, compressed files that WhiteNoise serves with a year-long
# Cache-Control. Otherwise (runserver, tests) files come from the source folders.
IAM_STATIC_MANIFEST = env_bool("IAM_STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IAM_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not IAM_STATIC_MANIFEST

# The region IAM requests report as aws:RequestedRegion and last-used (IAM is global:
# AWS signs IAM requests for us-east-1).
IAM_REGION = os.environ.get("IAM_REGION", "us-east-1")

# Public sign-up (/signup/). IAM_SIGNUP=0 where an operator makes the accounts
# (manage.py create_account): /signup/ answers 404 and the sign-in page hides its link.
IAM_SIGNUP = env_bool("IAM_SIGNUP", True)
# Sign-up links and "already registered" notices go out by email; printed on stdout
# unless a deployment sets a real backend (DJANGO_EMAIL_BACKEND, EMAIL_HOST, ...).
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "iam-console@localhost")

# Application logs to stderr (gunicorn's access log goes to stdout, without query
# strings: see gunicorn.conf.py). Django's own request logs carry only the path.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
