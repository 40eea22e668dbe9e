"""The engine is pure Python: nothing under policies/engine/ may import Django."""

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[3] / "policies" / "engine"


def test_engine_directory_exists_and_has_modules():
    assert sorted(p.name for p in ENGINE.glob("*.py"))


def test_no_module_in_the_engine_imports_django():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "django"]
        assert '__import__("django' not in path.read_text()
    assert offenders == []
