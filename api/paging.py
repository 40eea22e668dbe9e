"""The one pager of the Query API: AWS's ``Marker``/``MaxItems`` in, ``IsTruncated``/
``Marker`` out.

Lists the database pages (``iamconsole.ops.paginate``, keyset) and lists held in
memory (``iamconsole.ops.page_list``: tags, a policy's entities, simulation results)
come out the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from iamconsole.ops import Page, page_list

__all__ = ["list_args", "page_items", "page_out"]


def page_out(page: Page, key: str, shape: Callable[[Any], Any]) -> dict[str, Any]:
    """``{key: [shape(item)…], "IsTruncated": …, "Marker": …}`` (Marker only when truncated)."""
    out: dict[str, Any] = {key: [shape(item) for item in page.items]}
    out["IsTruncated"] = page.is_truncated
    if page.is_truncated and page.marker:
        out["Marker"] = page.marker
    return out


def page_items(items: Sequence[Any], p: dict[str, Any]) -> Page:
    """One page of an in-memory sequence, from the request's Marker and MaxItems."""
    return page_list(items, marker=p.get("Marker"), max_items=p.get("MaxItems"))


def list_args(p: dict[str, Any], *, path_prefix: bool = False) -> dict[str, Any]:
    """A list operation's paging keywords from the request (and its PathPrefix)."""
    out: dict[str, Any] = {"marker": p.get("Marker"), "max_items": p.get("MaxItems")}
    if path_prefix:
        out["path_prefix"] = p.get("PathPrefix")
    return out
