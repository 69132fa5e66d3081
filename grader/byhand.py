"""The static half of a `no_autograd` check: read the submission's source, in the grader, for ways around the count.

The child counts every run of torch's backward engine, but that count lives in the submission's own process: code
that reaches torch's internals (torch._C._ImperativeEngine, a graph node called directly, forward-mode duals, a
pickle) can compute gradients without being counted. So a `no_autograd` check passes only when the run counted no
autograd *and* the source, parsed here and never run here, uses nothing the count cannot see:

- no name from autograd that works around the engine (forward-mode duals, torch.func, grad_fn nodes);
- no reflection: getattr/eval/exec/vars/globals/__import__ and the like, private (_x) or dunder attributes,
  interpreter internals (frames, code objects);
- attributes only by public names of torch, torch.nn(.functional/.init), torch.linalg/special/fft/autograd/optim, math,
  numpy and typing, of tensors and of Python's own types, or names the submission defines itself; never a name by
  which one of those modules reaches another module (torch.serialization.pickle, numpy.lib);
- imports only of those modules, and of functools and itertools for a few named tools (reduce, chain, ...).

grad_fn may be printed or compared (tutorials do), not kept or called. In a notebook every cell that runs is read.

Plain tensor arithmetic passes; using backward() or torch.autograd.grad is left to the run's count (it sees them),
so a notebook cell that checks the answer against autograd outside the graded function is no offence.
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from .diagnose import Finding

IMPORTABLE = ("torch", "math", "numpy", "typing", "__future__", "functools", "itertools")
# What by-hand code may use from functools and itertools, which are not walked like the modules above.
TOOLS = frozenset({"reduce", "partial", "accumulate", "chain", "product", "zip_longest", "pairwise", "islice",
                   "repeat", "count", "cycle", "starmap", "combinations", "permutations"})
# The submodules plain code may reach by name (torch.nn.functional); the walk below finds what they hold.
TRAVERSABLE = frozenset({"nn", "functional", "linalg", "special", "fft", "autograd", "optim", "init"})
# Autograd without the backward engine, which the child's count therefore never sees.
AROUND_THE_ENGINE = frozenset({
    "forward_ad", "make_dual", "unpack_dual", "dual_level", "func", "functorch", "jvp", "vjp", "jacfwd", "jacrev",
    "jacobian", "hessian", "hvp", "vhp", "grad_fn", "next_functions",
    *(f"conv{d}d_{wrt}" for d in (1, 2, 3) for wrt in ("input", "weight")),  # torch.nn.grad: backward kernels
})
# Ways to reach code, attributes or modules by a name computed at run time: builtins, then attributes.
REFLECTIVE_BUILTINS = frozenset({
    "getattr", "setattr", "delattr", "vars", "globals", "locals", "eval", "exec", "compile", "open", "breakpoint",
    "memoryview",
})
REFLECTIVE_ATTRIBUTES = frozenset({
    "load", "loads", "compile", "get_type_hints", "mro", "attrgetter", "methodcaller", "import_module",
})
INSPECTABLE = frozenset({"grad_fn"})  # tutorials print it; only calling it (or keeping it to call) computes anything
HARMLESS_DUNDERS = frozenset({"__init__", "__name__", "__qualname__", "__doc__"})
INTERNAL_PREFIXES = ("f_", "gi_", "cr_", "ag_", "tb_", "co_", "func_", "im_")  # frames, generators, code objects
STDLIB_MODULES = frozenset({
    "os", "sys", "gc", "pickle", "ctypes", "importlib", "inspect", "builtins", "types", "operator", "marshal",
    "copyreg", "io", "subprocess", "socket", "shutil", "pathlib", "code", "codeop", "runpy", "functools", "string",
    "weakref", "threading", "multiprocessing", "signal", "tempfile", "traceback", "linecache", "dis", "ast", "pdb",
    "site", "posix", "dataclasses", "contextlib", "abc", "collections", "itertools", "random", "json", "re",
})


@dataclass(frozen=True)
class _Names:
    """What attribute names plain code may use, and which ones lead from a module to another module."""

    public: frozenset[str]
    to_modules: frozenset[str]


@cache
def _names() -> _Names:
    """Walk the modules plain code can reach by name. A name that is public somewhere (tensor.cpu()) and a module
    elsewhere (torch.cpu) is followed into that module too; names of modules not followed become forbidden."""
    import numpy
    import torch
    import typing

    kinds = (torch.Tensor, torch.nn.Module, torch.nn.Parameter, torch.Size, torch.dtype, torch.device,
             torch.optim.Optimizer, numpy.ndarray, str, bytes, list, tuple, dict, set, frozenset, int, float, complex,
             range, slice)
    public = {n for kind in kinds for n in dir(kind) if not n.startswith("_")}
    while True:
        follow = (TRAVERSABLE | public) - STDLIB_MODULES
        modules_by_name: set[str] = set(STDLIB_MODULES)
        queue: list[ModuleType] = [torch, numpy, typing, sys.modules["math"]]
        seen = {id(m) for m in queue}
        found = set(public)
        while queue:
            module = queue.pop()
            for name in dir(module):
                if name.startswith("_"):
                    continue
                value = vars(module).get(name, ModuleType)  # ModuleType: only dir() knows it, imported lazily
                if value is not ModuleType and not isinstance(value, ModuleType):
                    found.add(name)
                    continue
                if name not in follow:
                    modules_by_name.add(name)
                    continue
                value = _lazy(module, name) if value is ModuleType else value
                if isinstance(value, ModuleType) and id(value) not in seen:
                    seen.add(id(value))
                    queue.append(value)
        if found == public:
            return _Names(public=frozenset(public - modules_by_name) | TRAVERSABLE | TOOLS,
                          to_modules=frozenset(modules_by_name))
        public = found


def _lazy(module: ModuleType, name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(module, name)
        except Exception:  # noqa: BLE001 - a lazy attribute that fails to import is simply not followed
            return None


@dataclass(frozen=True)
class _Problem:
    line: int
    column: int
    code: str  # a diagnosis: used_autograd or unverifiable
    what: str


def audit(units: tuple[Any, ...]) -> Finding | None:
    """Why the source cannot be vouched for as computed by hand, or None. `units` are grader.child.Unit."""
    problems: list[tuple[Any, _Problem]] = []
    for unit in units:
        try:
            tree = ast.parse(unit.source, filename=unit.filename)
        except SyntaxError:
            continue  # this code never runs (the child reports it), so it cannot compute anything
        except (RecursionError, MemoryError, ValueError):
            problems.append((unit, _Problem(1, 0, "unverifiable", "the code is nested too deeply to be read")))
            continue
        problems.extend((unit, p) for p in _problems(tree))
    if not problems:
        return None
    unit, first = problems[0]
    where = f"line {first.line}" if unit.cell is None else f"cell {unit.cell}, line {first.line}"
    more = f" (and {len(problems) - 1} more such place(s))" if len(problems) > 1 else ""
    if first.code == "used_autograd":
        return Finding("used_autograd", f"{where}: {first.what}: that is autograd too, without backward(){more}.\n"
                                        f"This exercise asks for the gradients by hand: apply the chain rule with "
                                        f"plain tensor arithmetic.")
    return Finding("unverifiable", f"{where}: {first.what}{more}.\nThe by-hand check accepts only code it can read "
                                   f"as plain arithmetic: public names of torch, math and numpy, no getattr/eval/"
                                   f"exec, no private or dunder attributes, no other modules. Write it out plainly.")


def _problems(tree: ast.AST) -> list[_Problem]:
    names = _names()
    defined = _defined_attributes(tree)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: list[_Problem] = []

    def attribute(node: ast.AST, name: str) -> None:
        problem = _attribute_problem(name, names, defined)
        if problem is not None and not (name in INSPECTABLE and _only_shown(node, parents)):
            found.append(_Problem(node.lineno, node.end_col_offset or 0, *problem))

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attribute(node, node.attr)
        elif isinstance(node, ast.MatchClass):  # case C(attr=...) reads attributes by name
            for name in node.kwd_attrs:
                attribute(node, name)
        elif isinstance(node, ast.Name) and node.id in REFLECTIVE_BUILTINS:
            found.append(_Problem(node.lineno, node.col_offset, "unverifiable",
                                  f"{node.id}() fetches attributes, code or modules by a name known only at run time"))
        elif isinstance(node, ast.Name) and node.id.startswith("__") and node.id not in HARMLESS_DUNDERS:
            found.append(_Problem(node.lineno, node.col_offset, "unverifiable",
                                  f"{node.id} is private to Python"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.extend(_import_problems(node, alias.name.split("."), names, defined))
        elif isinstance(node, ast.ImportFrom):
            if node.level or not node.module:
                found.append(_Problem(node.lineno, node.col_offset, "unverifiable", "a relative import"))
                continue
            found.extend(_import_problems(node, node.module.split("."), names, defined))
            for alias in node.names:
                if alias.name == "*":
                    found.append(_Problem(node.lineno, node.col_offset, "unverifiable",
                                          f"from {node.module} import * (import the names you use)"))
                else:
                    attribute(node, alias.name)
    return sorted(found, key=lambda p: (p.line, p.column))


def _only_shown(node: ast.AST, parents: dict) -> bool:
    """Whether the value is only printed or compared (print(y.grad_fn), y.grad_fn is None), never kept or called."""
    parent = parents.get(node)
    if isinstance(parent, (ast.Compare, ast.FormattedValue, ast.Assert)):
        return True
    return (isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name)
            and parent.func.id in ("print", "repr", "str", "type", "isinstance", "bool"))


def _attribute_problem(name: str, names: _Names, defined: frozenset[str]) -> tuple[str, str] | None:
    if name in AROUND_THE_ENGINE:
        return "used_autograd", f".{name} computes gradients outside the backward engine"
    if name in REFLECTIVE_ATTRIBUTES:
        return "unverifiable", f".{name} fetches attributes, code or modules by a name known only at run time"
    if name.startswith("_") and name not in HARMLESS_DUNDERS:
        return "unverifiable", f".{name} is private to Python or torch"
    if name.startswith(INTERNAL_PREFIXES) and name not in names.public:
        return "unverifiable", f".{name} reaches into the interpreter's frames or code objects"
    if name in names.to_modules:
        return "unverifiable", f".{name} leads from a module to another module"
    if name not in names.public and name not in defined and name not in HARMLESS_DUNDERS:
        return "unverifiable", f".{name} is not a public name of torch, math or numpy, nor one the code defines"
    return None


def _import_problems(node: ast.stmt, path: list[str], names: _Names, defined: frozenset[str]) -> list[_Problem]:
    if path[0] not in IMPORTABLE:
        return [_Problem(node.lineno, node.col_offset, "unverifiable",
                         f"import {'.'.join(path)}: by-hand code needs no module but torch, math and numpy")]
    for part in path[1:]:
        problem = _attribute_problem(part, names, defined)
        if problem is not None:
            return [_Problem(node.lineno, node.col_offset, *problem)]
    return []


def _defined_attributes(tree: ast.AST) -> frozenset[str]:
    """Attribute names the code gives its own objects: self.x = ..., and what its classes define."""
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    defined.add(item.name)
                elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                    defined.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(defined)
