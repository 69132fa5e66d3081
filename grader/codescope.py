"""The submission's source around a failing line, read for grader.explain: assignments, loops, calls, in-place writes.

Parsed in the grading process, never run; bounded by MAX_SOURCE characters and MAX_NODES nodes walked.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from .source import Unit

MAX_SOURCE = 100_000  # characters of one file or cell the explainer reads; a longer one gets no explanation
MAX_NODES = 20_000  # AST nodes of the scope it walks

FACTORIES = frozenset({"tensor", "zeros", "ones", "randn", "rand", "randint", "empty", "full", "arange", "linspace",
                       "eye", "zeros_like", "ones_like", "randn_like", "rand_like", "full_like", "from_numpy",
                       "as_tensor", "Tensor", "FloatTensor"})
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**"}
GRAPH_CUTS = frozenset({"detach", "item", "numpy", "tolist", "detach_"})
NOT_INPLACE = frozenset({"requires_grad_", "retain_grad", "zero_", "share_memory_", "register_hook"})


@dataclass(frozen=True)
class Assign:
    """One write to a name in the scope: an assignment (its value) or an in-place/augmented write (None)."""

    line: int
    name: str
    value: ast.expr | None  # None for an in-place or augmented write
    loop: ast.AST | None  # the innermost loop around it, within the scope
    no_grad: bool  # inside a `with torch.no_grad():` (or inference_mode) block


class Scope:
    """The function (or module) around the failing line, read once: its assignments, calls and loops."""

    def __init__(self, node: ast.AST, failing: int) -> None:
        self.failing = failing
        self.assigns: list[Assign] = []
        self.calls: list[tuple[int, ast.Call, ast.AST | None]] = []  # (line, call, innermost loop)
        self.inplace: list[tuple[int, str, str, str]] = []  # (line, name, what it wrote, its out-of-place form)
        self.loop_of_failing: ast.AST | None = None
        self._before: list[Assign] | None = None
        self._walk(node, None, False, [0])

    def _walk(self, node: ast.AST, loop: ast.AST | None, no_grad: bool, count: list[int]) -> None:
        count[0] += 1
        if count[0] > MAX_NODES:
            return
        if isinstance(node, (ast.For, ast.While)):
            if node.lineno <= self.failing <= (node.end_lineno or node.lineno):
                self.loop_of_failing = node
            loop = node
        if isinstance(node, ast.With) and any(context_name(item.context_expr) in ("no_grad", "inference_mode")
                                              for item in node.items):
            no_grad = True
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in names_bound(target):
                    self.assigns.append(Assign(node.lineno, name, node.value, loop, no_grad))
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    name = target.value.id
                    self.inplace.append((node.lineno, name, f"{name}[...] = ...",
                                         f"{name} = {name}.clone() first, then assign into the copy"))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            op = _OPS.get(type(node.op), "?")
            self.assigns.append(Assign(node.lineno, node.target.id, None, loop, no_grad))
            name = node.target.id
            self.inplace.append((node.lineno, name, f"{name} {op}= ...", f"{name} = {name} {op} ..."))
        elif isinstance(node, ast.Call):
            self.calls.append((node.lineno, node, loop))
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr.endswith("_") and not func.attr.startswith("_") \
                    and func.attr not in NOT_INPLACE and isinstance(func.value, ast.Name):
                name = func.value.id
                self.inplace.append((node.lineno, name, f"{name}.{func.attr}(...)",
                                     f"{name} = {name}.{func.attr[:-1]}(...)"))
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                self._walk(child, loop, no_grad, count)

    def before(self) -> list[Assign]:
        """The assignments up to the failing line, and in a loop around it, those after it too (a later pass ran)."""
        if self._before is None:
            loop = self.loop_of_failing
            self._before = [a for a in self.assigns
                            if a.line <= self.failing or loop is not None and inside(a.line, loop)]
        return self._before

    def depends(self, names: set[str]) -> set[str]:
        """Every name the given ones were computed from, through the assignments before the failing line."""
        reads: dict[str, set[str]] = {}
        for a in self.before():
            if a.value is not None:
                reads.setdefault(a.name, set()).update(names_read(a.value))
        found, todo = set(names), list(names)
        while todo:
            for n in reads.get(todo.pop(), ()):
                if n not in found:
                    found.add(n)
                    todo.append(n)
        return found

    def backward_calls(self) -> list[tuple[int, ast.Call, ast.AST | None]]:
        return [(line, call, loop) for line, call, loop in self.calls if is_backward(call)]


def scope_at(units: Sequence[Unit], filename: str, line: int) -> Scope | None:
    """The innermost function around `line` of the unit named `filename` (or its module), read; None if unreadable."""
    unit = next((u for u in units if u.filename == filename), None)
    if unit is None or len(unit.source) > MAX_SOURCE or line <= 0:
        return None
    tree = parse(unit.source)
    if tree is None:
        return None
    node: ast.AST = tree
    for candidate in ast.walk(tree):
        if isinstance(candidate, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and candidate.lineno <= line <= (candidate.end_lineno or candidate.lineno) \
                and candidate.lineno >= getattr(node, "lineno", 0):
            node = candidate
    return Scope(node, line)


@functools.lru_cache(maxsize=4)
def parse(source: str) -> ast.Module | None:
    """The source's syntax tree, or None; one exception is explained once per check it fails, so it is cached."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def backward_target(code: str) -> str | None:
    """The name a line calls backward() on: `loss` in `loss.backward()` or `loss.sum().backward()`."""
    found = re.search(r"([A-Za-z_]\w*)(?:\.\w+\([^()]*\))*\s*\.backward\s*\(", code) or \
        re.search(r"autograd\.backward\(\s*([A-Za-z_]\w*)", code)
    return found.group(1) if found else None


def last_assignment(scope: Scope, name: str) -> Assign | None:
    """The last write to `name` up to the failing line."""
    found = [a for a in scope.assigns if a.name == name and a.line <= scope.failing]
    return found[-1] if found else None


def requires_grad_later(scope: Scope, name: str) -> bool:
    """Whether `name.requires_grad_()` is called up to the failing line."""
    for line, call, _ in scope.calls:
        func = call.func
        if line <= scope.failing and isinstance(func, ast.Attribute) and func.attr == "requires_grad_" \
                and isinstance(func.value, ast.Name) and func.value.id == name:
            return True
    return False


def factory(value: ast.expr | None) -> bool:
    """Whether `value` creates a tensor (torch.tensor(...), torch.zeros(...)) without requires_grad=True."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in FACTORIES:
        return False
    return not any(k.arg == "requires_grad" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                   for k in value.keywords)


def graph_cut(value: ast.expr) -> str | None:
    """The method in `value` that leaves the graph (detach, item, numpy, tolist), if any."""
    for node in walk(value):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in GRAPH_CUTS:
            return node.func.attr
    return None


def reads_grad(value: ast.expr, name: str) -> bool:
    """Whether `value` reads `name.grad`."""
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" and isinstance(n.value, ast.Name)
               and n.value.id == name for n in walk(value))


def is_backward(call: ast.Call) -> bool:
    """Whether a call is `<something>.backward(...)`."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "backward"


def context_name(expr: ast.expr) -> str:
    """The name of a `with` item: `no_grad` for torch.no_grad() and torch.no_grad alike."""
    node = expr.func if isinstance(expr, ast.Call) else expr
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def names_bound(target: ast.expr) -> Iterator[str]:
    """The names an assignment target binds (tuples unpacked)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from names_bound(element)


def names_read(value: ast.expr) -> set[str]:
    """Every name an expression reads."""
    return {n.id for n in walk(value) if isinstance(n, ast.Name)}


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk, stopped after MAX_NODES nodes."""
    for count, child in enumerate(ast.walk(node)):
        if count > MAX_NODES:
            return
        yield child


def inside(line: int, node: ast.AST) -> bool:
    """Whether `line` lies within `node`."""
    return getattr(node, "lineno", 0) <= line <= (getattr(node, "end_lineno", 0) or 0)
