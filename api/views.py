"""AWS Query API entry point (SigV4, IAM and STS). Filled in by the API work."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse


def handle(request: HttpRequest) -> HttpResponse:
    request_id = str(uuid.uuid4())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        "<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return HttpResponse(body, status=403, content_type="text/xml")
