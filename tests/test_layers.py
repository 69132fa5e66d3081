"""The package's layers, as grader/__init__.py states them: imports point down, never up, and never in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "grader"

# Top-level modules by layer; subpackages are layers of their own. Lower numbers serve higher ones.
FOUNDATION = {"errors", "codes", "schema", "config", "yamlfile", "contract", "inputspec", "exercise", "fixtures",
              "inputs", "source", "notebook", "starter", "result", "export", "ruleset", "saves",
              "duedates"}
PIPELINE = {"oracle", "deadline", "compare", "kinds", "diagnose", "byhand", "grade", "states", "report", "feedback",
            "validate", "measured", "rules", "explain", "codescope", "context", "warm"}
RANKS = {"foundation": 0, "sandbox": 1, "pipeline": 2, "exports": 3, "course": 4, "platforms": 4, "cli": 5}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def layer(module: str) -> str | None:
    """The layer a module belongs to; None for the package's own entry points (grader, grader.__main__)."""
    parts = module.split(".")
    if len(parts) > 2 or module in ("grader.sandbox", "grader.course", "grader.platforms", "grader.exports",
                                    "grader.cli"):
        return parts[1]
    name = parts[-1] if len(parts) == 2 else ""
    return "foundation" if name in FOUNDATION else "pipeline" if name in PIPELINE else None


def imports(module: str) -> set[str]:
    """Every grader module `module` imports, at the top or inside a function."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.update(t for t in (target, *(f"{target}.{a.name}" for a in node.names)) if t in MODULES)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
    found.discard(module)
    return found


def test_every_top_level_module_is_placed_in_a_layer():
    unplaced = [m for m in MODULES if m.count(".") == 1 and layer(m) is None and m != "grader.__main__"]
    assert unplaced == [], "add each new top-level module to FOUNDATION or PIPELINE here (or move it into a layer)"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    mine = layer(module)
    if mine is None:
        return
    upward = [f"{target} ({layer(target)})" for target in sorted(imports(module))
              if layer(target) is not None and layer(target) != mine
              and RANKS[layer(target)] >= RANKS[mine]]
    assert upward == [], f"{module} ({mine}) imports from a layer at or above its own"


def test_no_two_modules_import_each_other_even_through_others():
    graph = {module: imports(module) for module in MODULES}
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        seen[module] = 1
        for target in sorted(graph[module]):
            if seen.get(target) == 1:
                return path[path.index(target):] + [target] if target in path else [module, target]
            if target not in seen:
                cycle = visit(target, path + [target])
                if cycle:
                    return cycle
        seen[module] = 2
        return None

    for module in sorted(MODULES):
        if module not in seen:
            cycle = visit(module, [module])
            assert cycle is None, " -> ".join(cycle)


def test_the_sandbox_never_reaches_a_reference():
    """The child must not be able to reach the oracle: nothing under grader/sandbox imports the judging stages."""
    judging = {f"grader.{name}" for name in PIPELINE}
    for module in MODULES:
        if module.startswith("grader.sandbox"):
            assert not imports(module) & judging, module
