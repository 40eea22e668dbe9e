"""Guards on the shape of the code (DESIGN.md, "One core, two interfaces").

- No page, view or API handler writes a model: writes go through an
  ``@operation`` (which authorizes, works in one transaction and audits).
- The apps' modules import each other without cycles, so imports read downward.
  Function-level imports count too: they hide a cycle, they do not remove it.
- The policy engine and ``api/sigv4.py`` are pure: nothing they import, directly
  or through other project modules, imports Django.

Each checker is a plain function over a source tree, so the ``planted`` tests
below can run it on a tiny synthetic tree and show that the guard can fail.
Everything is read with ``ast``; nothing under test is imported (except Django's
model registry, to learn the names of related managers).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top-level directories that hold code but are not apps.
NOT_APPS = {"tests", "bench", "scripts", "static", "templates", "var", "test-output"}


def app_packages(root: Path) -> list[str]:
    """The project's top-level packages (every directory with an ``__init__.py``)."""
    return sorted(
        p.parent.name
        for p in root.glob("*/__init__.py")
        if p.parent.name not in NOT_APPS and not p.parent.name.startswith(".")
    )


# ---------------------------------------------------------------- import graph


@dataclass(frozen=True)
class Edge:
    source: str  # importing module
    target: str  # imported project module
    path: str  # file, relative to the root
    line: int
    deferred: bool  # inside a function body
    commented: bool  # a comment on the same or the previous line says why


@dataclass
class ImportGraph:
    modules: dict[str, Path] = field(default_factory=dict, repr=False)
    edges: list[Edge] = field(default_factory=list, repr=False)
    # module -> [(top-level external package, line)], e.g. ("django", 12)
    external: dict[str, list[tuple[str, int]]] = field(default_factory=dict, repr=False)

    def targets(self, module: str) -> set[str]:
        return {e.target for e in self.edges if e.source == module and e.target != module}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _reason_comment_lines(source: str) -> set[int]:
    """Lines carrying a comment that is more than a linter pragma."""
    lines: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                text = tok.string.lstrip("#").strip()
                if text and not text.startswith(("noqa", "type:", "pragma")):
                    lines.add(tok.start[0])
    except tokenize.TokenError:  # pragma: no cover - ast.parse already succeeded
        pass
    return lines


def _comment_only_lines(source: str) -> set[int]:
    return {n for n, text in enumerate(source.splitlines(), 1) if text.strip().startswith("#")}


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, with whether it sits inside a function body."""

    def walk(
        node: ast.AST, in_function: bool
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inner = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            yield from walk(child, inner)

    yield from walk(tree, False)


def build_import_graph(root: Path, packages: Iterable[str]) -> ImportGraph:
    """All imports between the modules of ``packages`` (module level and function level).

    ``from pkg import name`` is an edge to ``pkg.name`` when that is a module,
    else to ``pkg``. Importing ``a.b`` also runs ``a/__init__.py``; those implicit
    parent-package edges are left out of the graph (a package that re-exports its
    submodules would otherwise be in a "cycle" with each of them) and added back
    where they matter, in :func:`reach`.
    """
    graph = ImportGraph()
    packages = set(packages)
    files = [p for pkg in sorted(packages) for p in sorted((root / pkg).rglob("*.py"))]
    for path in files:
        graph.modules[module_name(root, path)] = path

    def resolve(dotted: str) -> str | None:
        while dotted:
            if dotted in graph.modules:
                return dotted
            dotted = dotted.rpartition(".")[0]
        return None

    for path in files:
        source = path.read_text()
        tree = ast.parse(source, filename=str(path))
        name = module_name(root, path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        reasons = _reason_comment_lines(source)
        comment_lines = _comment_only_lines(source)
        rel = str(path.relative_to(root))
        seen: set[Edge] = set()
        for node, deferred in _imports(tree):
            wanted: list[str] = []
            if isinstance(node, ast.Import):
                wanted = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                wanted = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in graph.modules else base
                    for a in node.names
                ]
            for dotted in wanted:
                top = dotted.split(".")[0]
                if top not in packages:
                    graph.external.setdefault(name, []).append((top, node.lineno))
                    continue
                target = resolve(dotted)
                if target is None:
                    continue
                span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                commented = any(n in reasons for n in span) or (
                    node.lineno - 1 in reasons and node.lineno - 1 in comment_lines
                )
                edge = Edge(name, target, rel, node.lineno, deferred, commented)
                if edge not in seen:
                    seen.add(edge)
                    graph.edges.append(edge)
    return graph


def strongly_connected(graph: ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm: the components of more than one module, i.e. the cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    successors = {m: sorted(graph.targets(m)) for m in graph.modules}

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in successors[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(out)


def describe_cycles(graph: ImportGraph) -> list[str]:
    """One entry per cycle: its modules and the imports that hold it together."""
    report = []
    for component in strongly_connected(graph):
        members = set(component)
        inside = [
            e
            for e in graph.edges
            if e.source in members and e.target in members and e.source != e.target
        ]
        lines = [f"cycle of {len(component)} modules: {', '.join(component)}"]
        lines += [
            f"    {e.path}:{e.line} {e.source} -> {e.target}{' (function-level)' if e.deferred else ''}"
            for e in sorted(inside, key=lambda e: (e.path, e.line))
        ]
        report.append("\n".join(lines))
    return report


def undocumented_deferred_imports(graph: ImportGraph) -> list[str]:
    return [
        f"{e.path}:{e.line} imports {e.target} inside a function without a comment saying why"
        for e in graph.edges
        if e.deferred and not e.commented
    ]


def reach(graph: ImportGraph, start: str) -> dict[str, list[str]]:
    """Every project module that importing ``start`` runs, with the chain that gets there.

    Includes each module's parent packages (importing ``a.b`` runs ``a/__init__``).
    """

    def parents(module: str) -> list[str]:
        parts = module.split(".")
        return [
            ".".join(parts[:i])
            for i in range(1, len(parts))
            if ".".join(parts[:i]) in graph.modules
        ]

    chains = {start: [start]}
    queue = [start]
    while queue:
        current = queue.pop(0)
        for nxt in sorted(graph.targets(current) | set(parents(current))):
            if nxt not in chains:
                chains[nxt] = [*chains[current], nxt]
                queue.append(nxt)
    return chains


def impure_imports(graph: ImportGraph, pure: Iterable[str], forbidden: str = "django") -> list[str]:
    """Where a pure module reaches ``forbidden``, directly or through project modules."""
    found = []
    for start in pure:
        for module, chain in reach(graph, start).items():
            for top, line in graph.external.get(module, []):
                if top == forbidden:
                    path = graph.modules[module].name
                    found.append(
                        f"{start} reaches {forbidden} via {' -> '.join(chain)} ({path}:{line})"
                    )
    return sorted(set(found))


# ---------------------------------------------------------------- model writes

# Queryset/manager methods that write.
WRITE_METHODS = {
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
}
# Related-manager methods that write (``user.groups.add(g)``).
RELATED_WRITE_METHODS = {
    "add",
    "remove",
    "set",
    "clear",
    "create",
    "get_or_create",
    "update_or_create",
}
MANAGERS = {"objects", "_default_manager", "_base_manager"}
# Queryset methods: ``<anything>.filter(...).update(...)`` is a queryset write.
QUERYSET_METHODS = {
    "all",
    "filter",
    "exclude",
    "select_for_update",
    "select_related",
    "prefetch_related",
    "order_by",
    "only",
    "defer",
    "using",
    "annotate",
}
# Receivers whose .save()/.delete() are not model writes: the session and caches.
NOT_MODELS = {"session", "cache", "caches"}


def _chain(node: ast.expr) -> list[str]:
    """Attribute names and called method names down a receiver chain, outermost first."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names
        else:
            return names


def model_writes(source: str, related_names: set[str] = frozenset()) -> list[tuple[int, str]]:
    """Calls in ``source`` that write a model, as (line, what).

    Flagged: ``x.save()`` and ``x.delete()`` without positional arguments on
    anything but the session or a cache (``form.save()`` counts: a ModelForm saving is a write, and the project
    has no plain form with a ``save``); ``<Model>.objects....create/update/delete/
    bulk_create/…``, and the same after queryset methods (``.filter(...).update()``);
    ``<obj>.<related manager>.add/remove/set/clear/create`` where the attribute is
    a known related-manager name. ``dict.update``, ``set.add`` and friends on
    plain names are not flagged. A queryset held in a variable and written
    later is not detectable without data flow and is not flagged.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        receiver = _chain(node.func.value)  # outermost first: for a.b.c -> [c, b, a]
        if method in {"save", "delete"}:
            # Model.save/delete and QuerySet.delete take keyword arguments only (Django
            # 5.1 deprecated positional ones): ``qr.save(buffer)`` saves a file.
            if not node.args and not (receiver and receiver[0] in NOT_MODELS):
                found.append((node.lineno, f".{method}()"))
            continue
        if method in WRITE_METHODS and (set(receiver) & (MANAGERS | QUERYSET_METHODS)):
            found.append((node.lineno, f"{'.'.join(reversed(receiver))}.{method}()"))
            continue
        # ``obj.groups.add(g)``: an attribute, so a local ``groups = set()`` is not flagged.
        if method in RELATED_WRITE_METHODS and len(receiver) > 1 and receiver[0] in related_names:
            found.append((node.lineno, f"{'.'.join(reversed(receiver))}.{method}()"))
    return found


def writes_outside_operations(
    root: Path, targets: Iterable[str], related_names: set[str]
) -> list[str]:
    found = []
    for target in targets:
        base = root / target
        paths = sorted(base.rglob("*.py")) if base.is_dir() else [base]
        for path in paths:
            for line, what in model_writes(path.read_text(), related_names):
                found.append(f"{path.relative_to(root)}:{line}: {what}")
    return found


def related_manager_names() -> set[str]:
    """Names of many-to-many fields and reverse accessors on the project's models."""
    from django.apps import apps  # deferred: Django is configured by pytest-django by now

    names: set[str] = set()
    project = set(app_packages(ROOT))
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in project:
            continue
        for f in model._meta.get_fields():
            if f.many_to_many or f.one_to_many:
                accessor = f.get_accessor_name() if f.auto_created else f.name
                if accessor:
                    names.add(accessor)
    return names


# ---------------------------------------------------------------- operations modules


def operations_modules(root: Path) -> list[Path]:
    apps = app_packages(root)
    found = [root / a / "operations.py" for a in apps] + [
        p for a in apps for p in (root / a / "operations").glob("*.py") if p.name != "__init__.py"
    ]
    return sorted(p for p in found if p.exists())


def _is_operation(node: ast.FunctionDef) -> bool:
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if (isinstance(target, ast.Name) and target.id == "operation") or (
            isinstance(target, ast.Attribute) and target.attr == "operation"
        ):
            return True
    return False


def undeclared_operations(root: Path) -> list[str]:
    """Operations modules without ``__all__``, and ``@operation`` functions left out of it."""
    found = []
    for path in operations_modules(root):
        tree = ast.parse(path.read_text())
        rel = path.relative_to(root)
        declared: set[str] | None = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                declared = set(ast.literal_eval(node.value))
        if declared is None:
            found.append(f"{rel}: no __all__")
            continue
        for node in tree.body:
            if (
                isinstance(node, ast.FunctionDef)
                and _is_operation(node)
                and node.name not in declared
            ):
                found.append(f"{rel}:{node.lineno}: @operation {node.name} is not in __all__")
    return found


# ---------------------------------------------------------------- the guards

# Interfaces: they translate and call operations, never write a model. Globs, so
# a new app's pages and views are covered the day they appear.
INTERFACE_GLOBS = ["*/pages/**/*.py", "*/pages.py", "*/views/**/*.py", "*/views.py", "api/**/*.py"]
INTERFACE_FILES = ["iamconsole/console.py"]


def interface_files(root: Path) -> list[str]:
    apps = set(app_packages(root))
    found = {str(p.relative_to(root)) for g in INTERFACE_GLOBS for p in root.glob(g)}
    found |= {f for f in INTERFACE_FILES if (root / f).exists()}
    return sorted(f for f in found if f.split("/")[0] in apps)


PURE_PACKAGES = ("policies.engine",)
PURE_MODULES = ("api.sigv4",)


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return build_import_graph(ROOT, app_packages(ROOT))


def test_the_interfaces_are_found():
    files = interface_files(ROOT)
    for expected in [
        "accounts/pages/users.py",
        "accounts/views.py",
        "policies/views/managed.py",
        "iamconsole/views.py",
        "iamconsole/console.py",
        "api/views.py",
        "api/sigv4.py",
    ]:
        assert expected in files
    assert {"accounts", "policies", "api", "iamconsole", "audit"} <= set(app_packages(ROOT))


def test_no_page_view_or_api_handler_writes_a_model():
    offenders = writes_outside_operations(ROOT, interface_files(ROOT), related_manager_names())
    assert offenders == [], "writes belong in an @operation:\n" + "\n".join(offenders)


def test_the_apps_import_each_other_without_cycles(graph):
    cycles = describe_cycles(graph)
    assert cycles == [], "\n" + "\n".join(cycles)


def test_function_level_imports_say_why(graph):
    offenders = undocumented_deferred_imports(graph)
    assert offenders == [], "\n" + "\n".join(offenders)


def test_operations_modules_declare_their_operations_in_all():
    assert len(operations_modules(ROOT)) >= 8
    assert undeclared_operations(ROOT) == []


def test_the_engine_and_sigv4_never_reach_django(graph):
    pure = [m for m in graph.modules if m in PURE_MODULES or m.startswith(PURE_PACKAGES)]
    assert set(PURE_MODULES) <= set(pure) and len(pure) > len(PURE_MODULES)
    assert impure_imports(graph, pure) == []


# ---------------------------------------------------------------- planted violations


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_planted_write_in_a_view_is_found(tmp_path):
    root = plant(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/operations.py": "def touch(key):\n    key.save()\n",  # the right place
            "shop/views.py": (
                "def touch(request, key, data):\n"
                "    request.session.save()\n"  # the session: not a model
                "    data.update(a=1)\n"  # a dict: not a model
                "    groups = set(); groups.add(1)\n"  # a set: not a model
                "    key.save()\n"
                "    Key.objects.filter(pk=1).update(used=True)\n"
                "    Key.objects.create(name='x')\n"
                "    key.user.groups.add(1)\n"
                "    Key.objects.filter(pk=2).delete()\n"
                "    request.session.delete()\n"
                "    image.save(buffer, kind='png')\n"  # a file: not a model
                "    key.delete(keep_parents=True)\n"
            ),
        },
    )
    assert interface_files(root) == ["shop/views.py"]
    found = writes_outside_operations(root, interface_files(root), {"groups"})
    assert found == [
        "shop/views.py:5: .save()",
        "shop/views.py:6: Key.objects.filter.update()",
        "shop/views.py:7: Key.objects.create()",
        "shop/views.py:8: key.user.groups.add()",
        "shop/views.py:9: .delete()",
        "shop/views.py:12: .delete()",
    ]


def test_planted_operations_module_without_all_is_found(tmp_path):
    root = plant(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/operations.py": "@operation('Buy')\ndef buy(*, actor):\n    pass\n",
            "till/__init__.py": "",
            "till/operations/__init__.py": "",
            "till/operations/cash.py": (
                "__all__ = ['count']\n"
                "@operation('Count')\ndef count(*, actor):\n    pass\n"
                "@ops.operation('Open')\ndef open_till(*, actor):\n    pass\n"
            ),
        },
    )
    assert undeclared_operations(root) == [
        "shop/operations.py: no __all__",
        "till/operations/cash.py:6: @operation open_till is not in __all__",
    ]


def test_planted_two_module_cycle_is_found_even_through_a_function_level_import(tmp_path):
    root = plant(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/a.py": "from shop import b\n",
            "shop/b.py": "def f():\n    from . import a\n    return a\n",
            "shop/c.py": "from shop.a import b\n",  # downward only: no cycle
        },
    )
    graph = build_import_graph(root, ["shop"])
    assert strongly_connected(graph) == [["shop.a", "shop.b"]]
    (cycle,) = describe_cycles(graph)
    assert "shop/b.py:2 shop.b -> shop.a (function-level)" in cycle
    assert undocumented_deferred_imports(graph) == [
        "shop/b.py:2 imports shop.a inside a function without a comment saying why"
    ]


def test_a_function_level_import_with_a_reason_passes_the_comment_rule(tmp_path):
    root = plant(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/a.py": "",
            "shop/b.py": (
                "def f():\n"
                "    # deferred: a is slow to import\n"
                "    from shop import a\n"
                "    from shop import a as again  # deferred: same reason\n"
                "    from shop import a as third  # noqa: F401\n"
            ),
        },
    )
    graph = build_import_graph(root, ["shop"])
    assert undocumented_deferred_imports(graph) == [
        "shop/b.py:5 imports shop.a inside a function without a comment saying why"
    ]


def test_planted_django_import_reached_from_a_pure_module_is_found(tmp_path):
    root = plant(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/engine/__init__.py": "",
            "shop/engine/pure.py": "import json\nfrom shop import helpers\n",
            "shop/helpers.py": "def f():\n    from django.db import models\n",
        },
    )
    graph = build_import_graph(root, ["shop"])
    assert impure_imports(graph, ["shop.engine.pure"]) == [
        "shop.engine.pure reaches django via shop.engine.pure -> shop.helpers (helpers.py:2)"
    ]
    # ... and through a parent package's __init__ too.
    (root / "shop/helpers.py").write_text("")
    (root / "shop/__init__.py").write_text("import django\n")
    graph = build_import_graph(root, ["shop"])
    assert impure_imports(graph, ["shop.engine.pure"]) == [
        "shop.engine.pure reaches django via shop.engine.pure -> shop (__init__.py:1)"
    ]
