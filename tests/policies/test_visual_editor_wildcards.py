"""The visual policy editor's reader and writer (static/js/src/visual-editor.js) run in
Node against the console's own catalog answers: "<prefix>:*" opens in visual mode as
"All <Service> actions" and is written back byte-equal (whatever case the document
spelled the prefix in); other wildcards stay JSON-only with the reason. Also: the
committed bundle is the one ``make assets`` builds from the sources.

Skipped when Node or the installed esbuild (``make node-deps``) is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not ESBUILD.exists(), reason="needs node and node_modules (make node-deps)"
)

RUNNER = """
import { readFileSync } from "node:fs";
const [, , modulePath, answersPath, docsPath] = process.argv;
const answers = JSON.parse(readFileSync(answersPath, "utf8"));
globalThis.fetch = async (url) => {
  const body = answers[url];
  return { ok: body !== undefined, status: body === undefined ? 404 : 200, json: async () => body };
};
const { _internals } = await import(modulePath);
const out = [];
for (const text of JSON.parse(readFileSync(docsPath, "utf8"))) {
  const r = await _internals.analyze(text, answers.__base);
  out.push(r.ok
    ? { ok: true, text: JSON.stringify(_internals.toDocument(r.model), null, 4),
        allActions: r.model.statements.map((s) => s.allActions) }
    : { ok: false, reason: r.reason });
}
console.log(JSON.stringify(out));
"""


def _doc(action, sid: str | None = None) -> str:
    statement = {"Sid": sid} if sid else {}
    statement |= {"Effect": "Allow", "Action": action, "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


@pytest.fixture
def analyze(console, tmp_path):
    base = reverse("policies:catalog-services")
    answers: dict[str, object] = {"__base": base, base: console.get(base).json()}
    for prefix in ("s3", "iam", "ec2"):
        url = reverse("policies:catalog-service", args=[prefix])
        answers[url] = console.get(url).json()
    module = tmp_path / "visual-editor.mjs"
    subprocess.run(
        [str(ESBUILD), "static/js/src/visual-editor.js", "--format=esm", f"--outfile={module}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    (tmp_path / "run.mjs").write_text(RUNNER)

    def run(texts: list[str]) -> list[dict]:
        (tmp_path / "docs.json").write_text(json.dumps(texts))
        done = subprocess.run(
            [
                NODE,
                str(tmp_path / "run.mjs"),
                str(module),
                str(tmp_path / "answers.json"),
                str(tmp_path / "docs.json"),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return json.loads(done.stdout)

    return run


def test_all_actions_of_a_service_opens_visually_and_writes_back_byte_equal(analyze):
    texts = [
        _doc("s3:*"),
        _doc(["s3:*"]),
        _doc("S3:*"),  # the prefix as the document spelled it (AWS matches it case-insensitively)
        _doc("iam:*", sid="AllIam"),
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"},
                    {"Effect": "Allow", "Action": ["iam:GetUser"], "Resource": "*"},
                ],
            },
            indent=4,
        ),
    ]
    results = analyze(texts)
    for text, result in zip(texts, results, strict=True):
        assert result["ok"], result
        assert result["text"] == text  # rebuilt from the cards: the same bytes
    assert [r["allActions"] for r in results] == [
        [True],
        [True],
        [True],
        [True],
        [True, False],
    ]


def test_other_wildcards_stay_json_only_with_the_reason(analyze):
    results = analyze(
        [_doc("s3:Get*"), _doc("iam:?etUser"), _doc(["s3:*", "s3:GetObject"]), _doc("*")]
    )
    assert not any(r["ok"] for r in results)
    assert 'wildcard action "s3:Get*"' in results[0]["reason"]
    assert '"s3:*" (all actions)' in results[0]["reason"]
    assert 'wildcard action "iam:?etUser"' in results[1]["reason"]
    assert 'lists "s3:*" beside other actions' in results[2]["reason"]
    assert 'every action of every service ("*")' in results[3]["reason"]


def test_the_committed_bundle_is_what_make_assets_builds(tmp_path):
    script = json.loads((ROOT / "package.json").read_text())["scripts"]["build"]
    assert script.startswith("esbuild ") and "--outfile=static/js/policy-editor.bundle.js" in script
    out = tmp_path / "bundle.js"
    command = script.replace("--outfile=static/js/policy-editor.bundle.js", f"--outfile={out}")
    subprocess.run(
        command.replace("esbuild ", f"{ESBUILD} ", 1),
        shell=True,  # the package's own build line, as npm runs it
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    committed = (ROOT / "static" / "js" / "policy-editor.bundle.js").read_bytes()
    assert out.read_bytes() == committed, "run `make assets` and commit the bundle"
