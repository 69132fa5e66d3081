"""The static half of a `no_autograd` check: read the submission's source, in the grader, for ways around the count.

The child counts every run of torch's backward engine, but that count lives in the submission's own process: code
that reaches torch's internals (torch._C._ImperativeEngine, a graph node called directly, forward-mode duals, a
pickle) can compute gradients without being counted. So a `no_autograd` check passes only when the run counted no
autograd *and* the source, parsed here and never run here, uses nothing the count cannot see:

- no name from autograd that works around the engine (forward-mode duals, torch.func, graph nodes, backward kernels);
- no reflection: getattr/eval/exec/vars/globals/__import__ and the like, private (_x) or dunder attributes,
  interpreter internals (frames, code objects);
- no TorchScript (torch.CompilationUnit and friends compile a string whose autograd runs in C++, uncounted);
- no class built on another class (a tensor subclass's __torch_function__ is handed torch's own getters, grad_fn's
  among them), neither by a class statement with bases or a metaclass nor by type() with three arguments;
- attributes only by public names of the trusted modules (torch, its nn, nn.functional, nn.init, linalg, special,
  fft, autograd and optim, math, numpy, typing), of tensors, modules, optimizers and Python's own types, or by
  names the submission gives its own objects, provided torch or numpy use that name for nothing anywhere; never a
  name by which a reachable module reaches another module (torch.serialization.pickle, numpy.lib);
- imports only of the trusted modules, and of functools and itertools for a few named tools (reduce, chain, ...).

grad_fn may be printed with the builtin print/str/repr, formatted, tested with `is` or asserted, never kept or
called. In a notebook every cell that runs is read.

Plain tensor arithmetic passes. backward() and torch.autograd.grad are left to the run's count, which sees them
wherever they run: for an exercise with a no_autograd check it covers the whole run, loading the file included.
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

# Modules an import may name besides the trusted ones, and what by-hand code may use from functools and itertools.
UNWALKED_IMPORTS = frozenset({"__future__", "functools", "itertools"})
TOOLS = frozenset({"reduce", "partial", "accumulate", "chain", "product", "zip_longest", "pairwise", "islice",
                   "repeat", "count", "cycle", "starmap", "combinations", "permutations"})
IMPORTS = ("by-hand code imports only torch (and torch.nn, nn.functional, linalg, special, fft, autograd, optim), "
           "math, numpy, typing, functools and itertools")  # what a refused import is told
# The submodules of the trusted modules that are trusted too, reached by these names (torch.nn.functional).
TRAVERSABLE = frozenset({"nn", "functional", "linalg", "special", "fft", "autograd", "optim", "init"})
# Autograd without the backward engine, which the child's count therefore never sees.
AROUND_THE_ENGINE = frozenset({
    "forward_ad", "make_dual", "unpack_dual", "dual_level", "func", "functorch", "jvp", "vjp", "jacfwd", "jacrev",
    "jacobian", "hessian", "hvp", "vhp", "grad_fn", "next_functions", "get_gradient_edge", "GradientEdge",
    "ImperativeEngine", "gradcheck", "gradgradcheck", "get_numerical_jacobian", "get_analytical_jacobian",
    *(f"conv{d}d_{wrt}" for d in (1, 2, 3) for wrt in ("input", "weight")),  # torch.nn.grad
})
# TorchScript: code compiled from a string runs torch.autograd.grad and backward() in C++, on an engine the count
# never sees, and its graph objects reach further. Names starting with "Script" are refused too.
TORCHSCRIPT = frozenset({
    "CompilationUnit", "import_ir_module", "import_ir_module_from_buffer", "parse_ir", "Graph", "Node", "Block",
    "Value", "GraphExecutorState", "FunctionSchema", "LiteScriptModule", "fork", "wait", "Future", "FutureType",
    "AwaitType", "IODescriptor",
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
SHOWING_BUILTINS = ("print", "str", "repr")  # turn a value into text and nothing else, unless the code rebinds them
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
    """The names plain code may use, the ones torch and numpy use anywhere, and the modules it may import."""

    public: frozenset[str]  # attribute names plain code may use
    to_modules: frozenset[str]  # names by which a reachable module reaches another module
    anywhere: frozenset[str]  # every public name of every module reachable: the code's own objects cannot claim one
    modules: frozenset[str]  # the trusted modules, which an import may name


@cache
def _names() -> _Names:
    """Two walks. The first, over the trusted modules, gives the public names; the second follows every module a
    public name reaches (torch.cpu, as tensor.cpu() is public), and forbids the names of modules it does not follow."""
    import numpy
    import torch
    import typing

    roots = (torch, numpy, typing, sys.modules["math"])
    kinds = (torch.Tensor, torch.nn.Module, torch.nn.Parameter, torch.Size, torch.dtype, torch.device,
             torch.optim.Optimizer, numpy.ndarray, str, bytes, list, tuple, dict, set, frozenset, int, float, complex,
             range, slice)
    public = {n for kind in kinds for n in dir(kind) if not n.startswith("_")} | TOOLS | TRAVERSABLE

    def add_public(name: str, is_module: bool) -> None:
        if not is_module:
            public.add(name)

    trusted = _walk(roots, lambda name: name in TRAVERSABLE, on_name=add_public)
    follow = (public | TRAVERSABLE) - STDLIB_MODULES
    to_modules, anywhere = set(STDLIB_MODULES), set(public)

    def record(name: str, is_module: bool) -> None:
        anywhere.add(name)
        if is_module and name not in follow:
            to_modules.add(name)

    _walk(roots, lambda name: name in follow, on_name=record)
    return _Names(public=frozenset(public - to_modules), to_modules=frozenset(to_modules),
                  anywhere=frozenset(anywhere), modules=frozenset(m.__name__ for m in trusted))


def _walk(roots: tuple[ModuleType, ...], follow: Any, on_name: Any) -> list[ModuleType]:
    """Visit every public name of the modules reachable from `roots` through names `follow` accepts."""
    queue, seen = list(roots), {id(m) for m in roots}
    visited = []
    while queue:
        module = queue.pop()
        visited.append(module)
        for name in dir(module):
            if name.startswith("_"):
                continue
            value = vars(module).get(name, ModuleType)  # ModuleType: only dir() knows it, imported lazily
            is_module = value is ModuleType or isinstance(value, ModuleType)
            on_name(name, is_module)
            if not is_module or not follow(name):
                continue
            value = _lazy(module, name) if value is ModuleType else value
            if isinstance(value, ModuleType) and id(value) not in seen:
                seen.add(id(value))
                queue.append(value)
    return visited


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


def audit(units: tuple[Any, ...], contract: Any = None) -> Finding | None:
    """Why the source cannot be vouched for as computed by hand, or None. `units` are grader.source.Unit.

    A class contract (grader.contract.Contract with a base) lets the code define that one class on that base.
    """
    allowed = _contract_class(contract)
    problems: list[tuple[Any, _Problem]] = []
    for unit in units:
        try:
            tree = ast.parse(unit.source, filename=unit.filename)
        except SyntaxError:
            continue  # this code never runs (the child reports it), so it cannot compute anything
        except (RecursionError, MemoryError, ValueError):
            problems.append((unit, _Problem(1, 0, "unverifiable", "the code is nested too deeply to be read")))
            continue
        problems.extend((unit, p) for p in _problems(tree, allowed))
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


def _contract_class(contract: Any) -> tuple[str, frozenset[str]] | None:
    """The class a class contract asks for, and the ways its base may be written (torch.nn.Module, nn.Module)."""
    if contract is None or not getattr(contract, "base", ""):
        return None
    parts = contract.base.split(".")  # torch.nn.Module: also nn.Module, as `from torch import nn` names it
    return contract.function, frozenset(".".join(parts[i:]) for i in range(len(parts) - 1))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return node.id if isinstance(node, ast.Name) else ""


def _problems(tree: ast.AST, allowed: tuple[str, frozenset[str]] | None = None) -> list[_Problem]:
    names = _names()
    defined = _defined_attributes(tree) - (names.anywhere - names.public)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    shown = _only_shown_by(tree, parents)
    found: list[_Problem] = []

    def attribute(node: ast.AST, name: str, own: frozenset[str] = defined) -> None:
        problem = _attribute_problem(name, names, own)
        if problem is not None and not (name in INSPECTABLE and shown(node)):
            found.append(_Problem(node.lineno, node.end_col_offset or 0, *problem))

    def refuse(node: ast.AST, what: str) -> None:
        found.append(_Problem(node.lineno, node.col_offset, "unverifiable", what))

    def module_problem(node: ast.stmt, module: str, statement: str) -> bool:
        if module in names.modules | UNWALKED_IMPORTS:
            return False
        for part in module.split("."):  # name the part that explains it best: torch._C, torch.autograd.forward_ad
            problem = _attribute_problem(part, names, frozenset()) if part else None
            if problem is not None and (problem[0] == "used_autograd" or part.startswith("_")):
                found.append(_Problem(node.lineno, node.col_offset, *problem))
                return True
        refuse(node, f"{statement}: {IMPORTS}")
        return True

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attribute(node, node.attr)
        elif isinstance(node, ast.MatchClass):  # case C(attr=...) reads attributes by name
            for name in node.kwd_attrs:
                attribute(node, name)
        elif (isinstance(node, ast.ClassDef) and (node.bases or node.keywords)
              and not _is_contract_class(node, allowed, tree)):
            refuse(node, f"class {node.name}(...) builds on another class, which by-hand code never needs (a tensor "
                         f"subclass's __torch_function__ sees torch's internals)")
        elif isinstance(node, ast.Name) and node.id == "type" and not _asks_a_type(node, parents):
            refuse(node, "type() with three arguments builds a class, which by-hand code never needs")
        elif isinstance(node, ast.Name) and node.id in REFLECTIVE_BUILTINS:
            refuse(node, f"{node.id}() fetches attributes, code or modules by a name known only at run time")
        elif isinstance(node, ast.Name) and node.id.startswith("__") and node.id not in HARMLESS_DUNDERS:
            refuse(node, f"{node.id} is private to Python")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                module_problem(node, alias.name, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if not module_problem(node, module, f"from {module} import ...") and module != "__future__":
                for alias in node.names:
                    if alias.name == "*":
                        refuse(node, f"from {module} import * (import the names you use)")
                    else:
                        attribute(node, alias.name, frozenset())  # a name imported is never the code's own
    return sorted(found, key=lambda p: (p.line, p.column))


def _is_contract_class(node: ast.ClassDef, allowed: tuple[str, frozenset[str]] | None, tree: ast.AST) -> bool:
    """The one class the contract names, at the top level, on one base written as the contract's (torch.nn.Module).

    The name written could be rebound to another class; the child refuses the submission unless the class really
    derives from the contract's base, so a base of another kind (a tensor subclass) never gets this far.
    """
    if allowed is None or node.name != allowed[0] or node.keywords or len(node.bases) != 1:
        return False
    top = [n for n in getattr(tree, "body", []) if isinstance(n, ast.ClassDef) and n.name == node.name]
    return top == [node] and _dotted(node.bases[0]) in allowed[1]


def _asks_a_type(node: ast.Name, parents: dict) -> bool:
    """type(x) asks a type; type as a base is the class statement's problem; anything else may build a class."""
    call = parents.get(node)
    if isinstance(call, ast.ClassDef):
        return True
    return isinstance(call, ast.Call) and call.func is node and len(call.args) == 1 and not call.keywords


def _only_shown_by(tree: ast.AST, parents: dict) -> Any:
    """A test of whether a value is only turned into text or tested (print(y.grad_fn), y.grad_fn is None), never
    kept, called or handed to code that could keep it (a rebound print, an __eq__, a metaclass)."""
    bound = _bound_names(tree)
    showing = {name for name in SHOWING_BUILTINS if name not in bound}

    def shown(node: ast.AST) -> bool:
        parent = parents.get(node)
        if isinstance(parent, ast.Compare):
            return all(isinstance(op, (ast.Is, ast.IsNot)) for op in parent.ops)
        if isinstance(parent, (ast.FormattedValue, ast.Assert)):
            return node is (parent.value if isinstance(parent, ast.FormattedValue) else parent.test)
        return (isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name)
                and parent.func.id in showing)
    return shown


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the code binds anywhere: assignments, definitions, parameters, imports, exception handlers."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound.update(node.names)
    return bound


def _attribute_problem(name: str, names: _Names, defined: frozenset[str]) -> tuple[str, str] | None:
    if name in AROUND_THE_ENGINE:
        return "used_autograd", f".{name} computes gradients outside the backward engine"
    if "backward" in name and name != "backward":  # backward() itself runs the engine, which the run counts
        return "used_autograd", f".{name} is one of autograd's backward computations"
    if name in TORCHSCRIPT or name.startswith("Script"):
        return "unverifiable", f".{name} is TorchScript, which runs autograd in C++ where the count cannot see it"
    if name in REFLECTIVE_ATTRIBUTES:
        return "unverifiable", f".{name} fetches attributes, code or modules by a name known only at run time"
    if name.startswith("_") and name not in HARMLESS_DUNDERS:
        return "unverifiable", f".{name} is private to Python or torch"
    if name.startswith(INTERNAL_PREFIXES) and name not in names.public:
        return "unverifiable", f".{name} reaches into the interpreter's frames or code objects"
    if name in names.to_modules:
        return "unverifiable", f".{name} leads from a module to another module"
    if name in names.public or name in defined or name in HARMLESS_DUNDERS:
        return None
    if name in names.anywhere:
        return "unverifiable", (f".{name} names something inside torch or numpy that plain code does not use (if it "
                                f"is an attribute of your own, rename it)")
    return "unverifiable", f".{name} is not a public name of torch, math or numpy, nor one the code defines"


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
