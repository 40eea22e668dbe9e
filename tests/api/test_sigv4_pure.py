"""SigV4 is pure Python: ``api/sigv4.py`` imports no Django, directly or through any
module it imports (DESIGN.md: "SigV4 (pure)"), so it can be tested and reused
without settings or a database.

Two checks: a static one that follows the project modules sigv4 imports (function
bodies included) and a real import in a fresh interpreter that must not load
Django. The planted tests show that the static check can fail.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_path(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path, module: str) -> set[str]:
    """Every module named by an import in ``path`` (relative ones resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            # ``from pkg import sub`` may name a submodule (followed if it is the project's).
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") in ("__import__", "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return {n for n in names if n}


def django_imports(root: Path, start: str) -> list[str]:
    """Chains ``start -> … -> django…`` through the project's own modules."""
    found: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
    while stack:
        module, chain = stack.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_path(root, module)
        if path is None:
            continue
        # Importing a submodule runs its packages' __init__ first.
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        for name in sorted(_imported(path, module)) + parents:
            if name.split(".")[0] == "django":
                # One chain per importing module is enough (not one per name imported).
                if not any(f.startswith(" -> ".join((*chain, ""))) for f in found):
                    found.append(" -> ".join((*chain, name)))
            elif _module_path(root, name) is not None and name not in seen:
                stack.append((name, (*chain, name)))
    return found


def test_sigv4_imports_no_django_directly_or_through_project_modules():
    assert (ROOT / "api" / "sigv4.py").is_file()
    assert django_imports(ROOT, "api.sigv4") == []


def test_importing_sigv4_in_a_fresh_interpreter_loads_no_django():
    code = (
        "import sys; import api.sigv4; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr


# -- the guard can fail ------------------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_planted_direct_django_import_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {"api/__init__.py": "", "api/sigv4.py": "def f():\n    from django.conf import settings\n"},
    )
    assert django_imports(root, "api.sigv4") == ["api.sigv4 -> django.conf"]


def test_planted_transitive_django_import_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/sigv4.py": "from . import helpers\n",
            "api/helpers.py": "import accounts.clock\n",
            "accounts/__init__.py": "",
            "accounts/clock.py": "from django.utils import timezone\n",
        },
    )
    assert django_imports(root, "api.sigv4") == [
        "api.sigv4 -> api.helpers -> accounts.clock -> django.utils"
    ]


def test_planted_django_import_in_a_package_init_is_found(tmp_path):
    root = _tree(tmp_path, {"api/__init__.py": "import django\n", "api/sigv4.py": "import hmac\n"})
    assert django_imports(root, "api.sigv4") == ["api.sigv4 -> api -> django"]
