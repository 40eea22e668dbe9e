from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"

    def ready(self) -> None:
        _keep_raw_uri_in_development_servers()


def _keep_raw_uri_in_development_servers() -> None:
    """SigV4 signs the path as the client sent it (``%2F`` inside a REST-JSON label,
    such as Access Analyzer's ``/tags/{resourceArn}``, differs from ``/``), but WSGI's
    ``PATH_INFO`` is decoded. gunicorn passes the raw path as ``RAW_URI``
    (api/views.py reads it); Django's own servers (runserver, the test live server,
    both ``WSGIRequestHandler``) do not, so theirs is added here from the request line.
    """
    from django.core.servers import basehttp

    handler = basehttp.WSGIRequestHandler
    if getattr(handler, "_iam_raw_uri", False):
        return
    original = handler.get_environ

    def get_environ(self: Any) -> dict[str, Any]:
        environ = original(self)
        environ.setdefault("RAW_URI", self.path)
        return environ

    handler.get_environ = get_environ  # type: ignore[method-assign]
    handler._iam_raw_uri = True  # type: ignore[attr-defined]
