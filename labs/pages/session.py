"""The instructor session, and the gate every instructor page passes.

An instructor session holds ``INSTRUCTOR_KEY``: ``{"id": pk, "verified": bool,
"started": unix time}`` (plus the enrollment's fingerprint while MFA is being set
up). ``verified`` turns true only after the MFA step. It is not a console session:
``request.user`` stays anonymous, so ``console_login_required`` keeps every console
page closed to it; and a browser signed in to the console (root, IAM user) is no
instructor here, whatever else its session holds.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from iamconsole.console import safe_next
from labs.instructors import find_instructor
from labs.models import Instructor

INSTRUCTOR_KEY = "labs_instructor"
NEXT_KEY = "labs_instructor_next"

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _state(request: HttpRequest) -> dict[str, Any] | None:
    data = request.session.get(INSTRUCTOR_KEY)
    if not isinstance(data, dict):
        return None
    if request.user.is_authenticated:
        return None  # a console session is never an instructor session
    started = data.get("started")
    if not isinstance(started, int | float):
        return None
    if time.time() - float(started) > settings.IAM_SESSION_ABSOLUTE_SECONDS:
        request.session.pop(INSTRUCTOR_KEY, None)
        return None
    return data


def pending_instructor(request: HttpRequest) -> Instructor | None:
    """The instructor whose password this session passed (MFA done or not)."""
    cached = request.__dict__.get("_labs_pending")
    if cached is not None:
        return cached
    data = _state(request)
    instructor = find_instructor(data.get("id")) if data else None
    request._labs_pending = instructor  # type: ignore[attr-defined]
    return instructor


def signed_in_instructor(request: HttpRequest) -> Instructor | None:
    """The instructor of this session, with password and MFA done."""
    data = _state(request)
    if not data or data.get("verified") is not True:
        return None
    instructor = pending_instructor(request)
    if instructor is None or instructor.mfa_enabled is None:
        return None
    return instructor


def start_instructor_session(request: HttpRequest, instructor: Instructor) -> None:
    """Password accepted: a new session key, MFA still owed."""
    request.session.cycle_key()
    request.session[INSTRUCTOR_KEY] = {
        "id": instructor.pk,
        "verified": False,
        "started": time.time(),
    }
    request.__dict__.pop("_labs_pending", None)


def update_instructor_session(request: HttpRequest, **changes: Any) -> None:
    data = dict(request.session.get(INSTRUCTOR_KEY) or {})
    data.update(changes)
    request.session[INSTRUCTOR_KEY] = data


def complete_instructor_session(request: HttpRequest) -> None:
    """MFA accepted: rotate the key again and mark the session verified."""
    request.session.cycle_key()
    data = dict(request.session.get(INSTRUCTOR_KEY) or {})
    data.pop("enroll", None)
    data["verified"] = True
    request.session[INSTRUCTOR_KEY] = data


def remember_next(request: HttpRequest) -> None:
    url = safe_next(request, request.GET.get("next"))
    if url and url.startswith("/instructor/"):
        request.session[NEXT_KEY] = url


def after_signin_url(request: HttpRequest) -> str:
    url = safe_next(request, request.session.pop(NEXT_KEY, None))
    if url and url.startswith("/instructor/"):
        return url
    return reverse("labs:class-list")


def redirect_to(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        # A fragment request would swap a sign-in page into the page: load it whole.
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def pending_step(request: HttpRequest) -> str:
    """The URL name of the sign-in step this session still owes."""
    instructor = pending_instructor(request)
    if instructor is None:
        return "labs:instructor-signin"
    if instructor.mfa_enabled is None:
        return "labs:instructor-signin-enroll"
    return "labs:instructor-signin-mfa"


def instructor_required(view: View) -> View:
    """Signed in as an instructor with password and MFA done; otherwise to the sign-in
    step still owed (htmx requests get ``HX-Redirect``). Answers are never cached: they
    carry seats' passwords and keys."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instructor = signed_in_instructor(request)
        if instructor is None:
            url = reverse(pending_step(request))
            if request.method == "GET" and not getattr(request, "htmx", False):
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect_to(request, url)
        request.instructor = instructor  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store"
        return response

    return wrapper  # type: ignore[return-value]
