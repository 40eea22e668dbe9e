"""Route AWS API requests (POST / with Action=…, or SigV4-signed on any path) to the API.

Browsers' plain GET / still reaches the console.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def is_api_request(request: HttpRequest) -> bool:
    signed = request.META.get("HTTP_AUTHORIZATION", "").startswith("AWS4-")
    if request.path != "/":
        # REST-JSON (Access Analyzer) names its operations by path: a SigV4-signed
        # request on any path is the API's; browsers never send one.
        return signed
    if signed:
        return True
    if request.method == "GET":
        return "Action" in request.GET or "X-Amz-Signature" in request.GET
    return request.method == "POST"


class QueryApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_request(request):
            # Deferred for start-up cost: the API stack (botocore, every handler) loads
            # on the first API request, not in every process that serves the console.
            from api.views import handle

            return handle(request)
        return self.get_response(request)
