"""The layout's rules, checked on the source: no import circles anywhere, no training or serving
module importing a CLI module, one place for each model's name, a generated MLproject."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from shopstream.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit
PACKAGES = ("shopstream", "ingestion", "pipelines", "serving", "infra")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (PROJECT_ROOT / pkg).rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module `path` imports, at module level or inside functions."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for imported in names:
            module = imported
            while module and module not in modules:
                module = module.rpartition(".")[0]
            if module and not (path.name == "__init__.py" and module == _module_name(path)):
                out.add(module)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_cli(module: str) -> bool:
    leaf = module.rpartition(".")[2]
    return leaf in {"cli", "__main__", "demo", "mlproject"} or leaf.startswith("cli_")


def test_no_import_circles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_cli_modules_import_cli_modules() -> None:
    offenders = {m: sorted(i for i in deps if _is_cli(i))
                 for m, deps in _graph().items() if not _is_cli(m)}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_model_names_live_in_their_package_and_the_contracts() -> None:
    """`"transaction_predictor"` appears only in its own package and the contracts module."""
    allowed = {PROJECT_ROOT / "shopstream" / "contracts.py"}
    for name in ("recommender", "transaction_predictor", "user_segmentation"):
        pattern = re.compile(rf'["\']{name}["\']')
        own = PROJECT_ROOT / "pipelines" / "models" / name
        hits = [p for pkg in (*PACKAGES, "bench") for p in (PROJECT_ROOT / pkg).rglob("*.py")
                if p not in allowed and own not in p.parents and pattern.search(p.read_text())]
        assert hits == [], f"{name!r} spelled out in {hits}; use shopstream.contracts"


def test_mlproject_is_generated_from_the_specs() -> None:
    from pipelines.mlproject import render

    assert (PROJECT_ROOT / "MLproject").read_text() == render(), (
        "MLproject is stale: run `.venv/bin/python -m pipelines.mlproject > MLproject`")
