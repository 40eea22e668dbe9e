"""The policy editor's progressive enhancement, seen from the server side.

- Every page that edits a policy document (customer-managed create and new version,
  inline policies of users, groups and roles, role trust policies in the wizard and on
  the role, the Organizations SCP/RCP editor) serves a plain ``<textarea>`` in a POST
  form holding the document, so the page works without JavaScript, and loads the
  committed CodeMirror bundle from the site's own static files.
- The bundle is built from a pinned lockfile and is not ignored by git (it is committed);
  no template loads anything from another origin (no CDN).
- The validation panel gives the editor each finding's type, code, line and column.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import HTMX
from tests.policies.console.conftest import S3_READ

ROOT = Path(__file__).resolve().parents[3]
BUNDLE = ROOT / "static" / "js" / "policy-editor.bundle.js"
BUNDLE_URL = "/static/js/policy-editor.bundle.js"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    },
    indent=2,
)


class _Page(HTMLParser):
    """The policy textareas (with the form around each) and the script sources."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.textareas: list[dict[str, object]] = []
        self.scripts: list[str] = []
        self._open: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(a)
        elif tag == "script":
            self.scripts.append(a.get("src", ""))
        elif tag == "textarea" and "policy-json" in a.get("class", "").split():
            form = self.forms[-1] if self.forms else None
            self._open = {"attrs": a, "form": form, "text": ""}
            self.textareas.append(self._open)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] = str(self._open["text"]) + data


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


def assert_plain_editor(html: str, name: str, holds: str | None = None) -> None:
    """Without JavaScript: a POST form's textarea named ``name`` (holding ``holds``);
    with it: the bundle, from this site, deferred."""
    page = parse(html)
    areas = [t for t in page.textareas if t["attrs"]["name"] == name]
    assert len(areas) == 1, f"expected one policy textarea named {name!r}: {page.textareas}"
    area = areas[0]
    assert area["form"] is not None and area["form"].get("method", "").lower() == "post"
    assert area["attrs"].get("hx-post"), "the live check's endpoint is on the textarea"
    if holds is not None:
        assert json.loads(str(area["text"])) == json.loads(holds)
    assert BUNDLE_URL in page.scripts
    assert re.search(rf'<script src="{re.escape(BUNDLE_URL)}" defer></script>', html)


@pytest.fixture
def role(root):
    from accounts.operations.roles import create_role

    return create_role(actor=root, name="Deployer", trust_policy=TRUST)


def test_create_policy_page_serves_the_textarea_and_the_bundle(console):
    r = console.get("/policies/create/")
    assert r.status_code == 200
    assert_plain_editor(r.content.decode(), "document")


def test_new_version_page_serves_the_textarea_with_the_default_version(console, root):
    from policies.operations import create_policy

    policy = create_policy(actor=root, name="Reader", document=S3_READ)
    r = console.get(f"/policies/{policy.policy_id}/versions/create/")
    assert r.status_code == 200
    assert_plain_editor(r.content.decode(), "document", holds=S3_READ)


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_inline_policy_pages_serve_the_textarea_and_the_bundle(
    console, root, iam_user, group, role, kind
):
    from policies.operations import put_group_policy, put_role_policy, put_user_policy

    name = {"user": "alice", "group": "developers", "role": "Deployer"}[kind]
    put = {"user": put_user_policy, "group": put_group_policy, "role": put_role_policy}[kind]
    put(actor=root, **{f"{kind}_name": name}, policy_name="Reads", document=S3_READ)
    new = console.get(f"/{kind}s/{name}/policies/inline/")
    assert new.status_code == 200
    assert_plain_editor(new.content.decode(), "document")
    edit = console.get(f"/{kind}s/{name}/policies/inline/?policy=Reads")
    assert edit.status_code == 200
    assert_plain_editor(edit.content.decode(), "document", holds=S3_READ)


def test_trust_policy_editors_serve_the_textarea_and_the_bundle(console, role):
    r = console.get("/roles/Deployer/trust/edit/")
    assert r.status_code == 200
    assert_plain_editor(r.content.decode(), "document", holds=TRUST)
    wizard = console.get("/roles/create/")
    assert wizard.status_code == 200
    assert_plain_editor(wizard.content.decode(), "custom_policy")


@pytest.mark.parametrize("kind", ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"])
def test_organizations_policy_editor_serves_the_textarea_and_the_bundle(console, root, kind):
    from organizations import operations as o

    o.create_organization(actor=root)
    r = console.get(f"/organizations/policies/?type={kind}")
    assert r.status_code == 200
    assert_plain_editor(r.content.decode(), "content", holds=o.FULL_ACCESS_CONTENT[kind])


def test_validation_panel_gives_each_finding_its_line_and_column(console):
    document = '{\n  "Version": "2012-10-17"\n  "Statement": []\n}'
    html = console.post("/policies/validate/", {"document": document}, headers=HTMX)
    li = re.search(r'<li class="finding finding-error"([^>]*)>', html.content.decode())
    assert li is not None, html.content.decode()
    attrs = dict(re.findall(r'data-(\w+)="([^"]*)"', li.group(1)))
    assert attrs["type"] == "ERROR" and attrs["code"] == "JSON_SYNTAX_ERROR"
    assert attrs["line"] == "3" and attrs["column"].isdigit() and attrs["message"]


def test_finding_messages_are_escaped_in_the_data_attributes(console):
    document = json.dumps({"Version": "2012-10-17", '"><img src=x>': 1})
    html = console.post("/policies/validate/", {"document": document}, headers=HTMX).content
    assert b"<img src=x>" not in html
    assert b"data-message=" in html


# -- the bundle, its build and no CDN ------------------------------------------------------


def test_the_bundle_is_built_minified_and_not_ignored_by_git():
    text = BUNDLE.read_text(encoding="utf-8")
    assert len(text) > 100_000, "CodeMirror is in the bundle"
    assert text.count("\n") < 20, "minified"
    assert "policy-json" in text and "cm-content" in text
    assert not re.search(r"\bimport\s*\(|\brequire\(", text), "self-contained"
    # Not ignored: `git add` takes it (the lead commits it).
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(BUNDLE)], cwd=ROOT, check=False
    ).returncode
    assert ignored == 1, "static/js/policy-editor.bundle.js must not be git-ignored"
    node_modules = subprocess.run(
        ["git", "check-ignore", "-q", "node_modules/x"], cwd=ROOT, check=False
    ).returncode
    assert node_modules == 0, "node_modules/ is git-ignored"


def test_package_json_pins_exact_versions_and_the_lockfile_matches():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    deps = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    for name in (
        "codemirror",
        "@codemirror/state",
        "@codemirror/view",
        "@codemirror/lang-json",
        "@codemirror/lint",
        "@codemirror/language",
        "esbuild",
    ):
        assert name in deps, name
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not pinned"
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == version, name
        assert locked["integrity"].startswith("sha512-"), name
    root = lock["packages"][""]
    assert {**root.get("dependencies", {}), **root.get("devDependencies", {})} == deps
    assert "esbuild" in package["scripts"]["build"]
    assert "static/js/policy-editor.bundle.js" in package["scripts"]["build"]
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^assets:\n((?:\t.*\n)+)", makefile, re.M)
    assert target is not None and "npm ci" in target.group(1)


EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""",
    re.I,
)


def test_no_template_loads_anything_from_another_origin():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if EXTERNAL.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert EXTERNAL.search('<script src="https://cdn.example/x.js">')  # the check bites
    assert EXTERNAL.search("<link rel=stylesheet href=//cdn.example/x.css>")
