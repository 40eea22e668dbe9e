"""A lab's Markdown (instructions, hints) as safe HTML for the trainee's panel.

A lab file may come from anyone (an instructor uploads it), and the panel opens in
the trainee's console session: nothing in it may run script or lead the trainee
somewhere under the lab author's control unannounced.

- CommonMark with raw HTML off: ``<script>`` and every other tag come out escaped.
- Links pass markdown-it's ``validateLink`` (no ``javascript:``, ``vbscript:``,
  ``file:`` or ``data:`` URLs: such a "link" stays literal text) and carry
  ``rel="nofollow noopener noreferrer"``.
- Images become plain links to their source (an inline ``data:`` image, its text): the console's CSP (``img-src 'self'
  data:``) would block (and log) a remote image, and loading one would tell its host
  who reads the lab and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

__all__ = ["render_markdown"]

REL = "nofollow noopener noreferrer"


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", REL)
    return self.renderToken(tokens, idx, options, env)


def _image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    if not src or src.lower().startswith("data:"):
        return escapeHtml(alt)  # an inline image: its description alone
    return f'<a href="{escapeHtml(src)}" rel="{REL}">{escapeHtml(alt)}</a>'


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False})
    parser.add_render_rule("link_open", _link_open)
    parser.add_render_rule("image", _image)
    return parser


md = _parser()


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as HTML that is safe to put in a page as it is."""
    return mark_safe(md.render(text or ""))  # noqa: S308  (html off, links validated)
