"""The layout of docs/architecture.md, kept: rooms by domain, small modules, no import cycle,
the import layers (import-linter), every package installed and every task found.

Pure checks of the source tree (no database): they read files and parse them."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Import name → folder (platform/ is installed as relier_platform).
APPS = {"relier_platform": ROOT / "platform", "tenants": ROOT / "tenants",
        "tracking": ROOT / "tracking", "billing": ROOT / "billing",
        "onboarding": ROOT / "onboarding"}
MAX_TOP_LEVEL_MODULES = 12
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for name, folder in APPS.items():
        for path in folder.rglob("*.py"):
            parts = [name, *path.relative_to(folder).with_suffix("").parts]
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(module: str, name: str | None = None) -> str | None:
    if name is not None and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    while module and module not in MODULES:
        module = module.rpartition(".")[0]
    return module or None


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every import of ours in the file, at module level or inside a function alike (an
    import deferred into a function still ties the two modules together), except those
    under `if TYPE_CHECKING:`, which never run."""
    tree = ast.parse(path.read_text())
    typing_only = {id(sub) for node in ast.walk(tree)
                   if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for sub in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if (target := _resolve(node.module, alias.name)) is not None:
                    yield target, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _resolve(alias.name)) is not None:
                    yield target, node.lineno


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:  # noqa: PLC0206
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_two_modules_import_each_other_even_through_others() -> None:
    graph = {module: {target for target, _line in _imports(path) if target != module}
             for module, path in MODULES.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("app", ["tenants", "tracking"])
def test_an_app_keeps_few_modules_at_its_top_and_no_views_or_urls_siblings(app: str) -> None:
    top = sorted(path.name for path in (ROOT / app).glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    assert [name for name in top if re.match(r"(views|urls)_", name)] == []


def test_no_module_is_longer_than_six_hundred_lines() -> None:
    long = {str(path.relative_to(ROOT)): count for path in MODULES.values()
            if (count := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_every_app_and_room_says_what_it_owns_where_it_lives_and_what_it_may_import() -> None:
    packages = [path for module, path in MODULES.items()
                if path.name == "__init__.py" and module.count(".") <= 1
                and "management" not in module and module != "onboarding.samples"]
    assert len(packages) >= 20
    missing = []
    for path in packages:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if not ("Schema:" in doc and "May import:" in doc):
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_every_package_is_installed() -> None:
    """A wheel (or a non-editable install) holds only the packages pyproject lists."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    on_disk = {".".join([name, *path.parent.relative_to(folder).parts])
               for name, folder in APPS.items() for path in folder.rglob("__init__.py")}
    on_disk.add("relier_platform")
    assert on_disk - listed == set()


def test_every_tasks_module_is_found_by_celery() -> None:
    from relier_platform.celery import TASK_PACKAGES

    rooms = {module.removesuffix(".tasks") for module in MODULES if module.endswith(".tasks")}
    assert rooms <= set(TASK_PACKAGES)


def test_every_room_is_under_the_layers_contract() -> None:
    """A room added later is checked as soon as it exists: the import-linter contract lists
    every sub-package of tenants/ and tracking/ (management commands and migrations apart)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (rooms,) = [c for c in config["contracts"] if c["id"] == "rooms"]
    on_disk = {f"{app}.{path.parent.name}" for app in ("tenants", "tracking")
               for path in (ROOT / app).glob("*/__init__.py")
               if path.parent.name not in {"management", "migrations"}}
    assert on_disk | {"onboarding.importing", "onboarding.team"} == set(rooms["containers"])


def test_the_import_layers_hold() -> None:
    """import-linter's contracts (pyproject [tool.importlinter]): pages above tasks above
    services above selectors and models in every room; the platform's core below every
    app. `python3 dev.py test` runs it too, before pytest."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
