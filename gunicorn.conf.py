"""Production server settings: ``make serve`` (and ``make run``) run

    .venv/bin/python -m gunicorn -c gunicorn.conf.py iamconsole.wsgi

Environment: ``HOST`` (127.0.0.1), ``PORT`` (8000), ``WORKERS`` (one per CPU),
``THREADS`` (4 per worker), plus the Django settings' own (``DATABASE_URL``,
``DJANGO_SECRET_KEY``, ``IAM_TRUSTED_PROXIES``, ...). DEBUG is always off here.

Before the workers start, the master collects the static files into ``var/static``
(hashed names and gzip copies) for WhiteNoise to serve with a long
Cache-Control. SIGTERM (or SIGINT) stops gracefully: the workers finish the requests
in flight, up to ``graceful_timeout``, and the master exits 0.
"""

from __future__ import annotations

import os


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _positive(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return number


# Production mode for every process (the workers inherit the master's environment).
os.environ["DJANGO_DEBUG"] = "0"
os.environ["IAM_STATIC_MANIFEST"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iamconsole.settings")
# Persistent database connections per worker thread (SQLite too: opening one and its
# PRAGMAs cost ~1-2 ms a request; bench/api.py, issue 15).
os.environ.setdefault("DB_CONN_MAX_AGE", "600")

_host = os.environ.get("HOST", "127.0.0.1")
bind = [
    f"[{_host}]:{os.environ.get('PORT', '8000')}"
    if ":" in _host
    else f"{_host}:{os.environ.get('PORT', '8000')}"
]
workers = _positive("WORKERS", _cpus())
threads = _positive("THREADS", 4)
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 10000  # recycle long-lived workers now and then
max_requests_jitter = 1000
wsgi_app = "iamconsole.wsgi:application"

# Proxies are Django's business (IAM_TRUSTED_PROXIES, TrustedProxyMiddleware): gunicorn
# itself believes no forwarding header from anyone.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
proxy_allow_ips = ""
# No control socket in the home directory (several servers may run side by side).
control_socket_disable = True

# Access log on stdout. The request's path only, never its query string: a presigned
# URL or a console link may carry X-Amz-Signature, X-Amz-Security-Token or other
# secrets there. No Referer either (it is a whole URL, query string included).
# %(h)s is the client address after TrustedProxyMiddleware (it rewrites REMOTE_ADDR).
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def on_starting(server) -> None:
    """In the master, before any worker: settings load (the secret key file is made
    once, here) and the static files are collected."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    server.log.info("static files collected")
