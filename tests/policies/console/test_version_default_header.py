"""Issue 16, item 6: "Set as default" updates the policy header in place.

The htmx answer carries the versions tab and, out of band, the "Policy details"
section with the new default version; a tab switch (GET) carries no extra section."""

from __future__ import annotations

import re

from django.urls import reverse

from policies.operations import create_policy_version
from tests.conftest import HTMX, allow_policy

TAB = {**HTMX, "HX-Target": "policy-tab"}


def default_shown(html: str) -> str:
    m = re.search(r"<dt>Default version</dt><dd>([^<]*)</dd>", html)
    assert m, html
    return m.group(1)


def details_section(html: str) -> str:
    m = re.search(r'<section class="card" id="policy-details"[^>]*>', html)
    assert m, html
    return m.group(0)


def test_set_as_default_swaps_the_header_out_of_band(console, root, s3_policy):
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    url = reverse("policies:version-set-default", args=[s3_policy.policy_id, "v2"])
    html = console.post(url, headers=TAB).content.decode()
    assert 'hx-swap-oob="true"' in details_section(html)
    assert default_shown(html) == "v2"
    assert 'id="policy-tab"' in html and "<html" not in html


def test_deleting_a_version_refreshes_the_header_too(console, root, s3_policy):
    create_policy_version(
        actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"), set_as_default=True
    )
    url = reverse("policies:version-delete", args=[s3_policy.policy_id, "v1"])
    html = console.post(url, headers=TAB).content.decode()
    assert default_shown(html) == "v2" and 'hx-swap-oob="true"' in html


def test_the_full_page_has_one_header_and_no_oob(console, s3_policy):
    html = console.get(
        reverse("policies:policy-detail", args=[s3_policy.policy_id])
    ).content.decode()
    assert html.count('id="policy-details"') == 1 and "hx-swap-oob" not in html
    assert default_shown(html) == "v1"


def test_a_tab_switch_carries_no_header(console, s3_policy):
    url = reverse("policies:policy-detail", args=[s3_policy.policy_id]) + "?tab=versions"
    html = console.get(url, headers=TAB).content.decode()
    assert 'id="policy-details"' not in html and 'id="policy-tab"' in html
