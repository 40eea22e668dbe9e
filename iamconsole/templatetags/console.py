"""Small template filters for console pages."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def as_json(value: Any) -> str:
    """Pretty JSON for display (autoescaped by the template like any other text)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` or None: a dict looked up by a loop variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


def _utc_offset(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@register.filter
def aws_datetime(value: Any, seconds: str = "") -> str:
    """The AWS console's date and time: ``December 02, 2026, 05:07 (UTC+00:00)``, in the
    current time zone (UTC by default). The one format of every console date; ``"s"``
    adds the seconds (``05:07:31``) where they matter. Not a datetime: "" (a blank cell)."""
    if not isinstance(value, datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    clock = "%H:%M:%S" if seconds == "s" else "%H:%M"
    return f"{value.strftime('%B %d, %Y, ' + clock)} ({_utc_offset(value)})"


@register.filter
def aws_date(value: Any) -> str:
    """A date alone, as the AWS console writes it: ``December 02, 2026``."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if isinstance(value, date):
        return value.strftime("%B %d, %Y")
    return ""
