"""An exercise's `rules:`: the torch functions it requires or forbids, and the static reading of source for them.

Rules name torch functions by dotted path (torch.func.vmap). The names are resolved against the trusted torch of
the grading process when the exercise loads; source code (the reference's, a submission's) is read here as text,
never run: each dotted name it uses, through its imports and aliases, is looked up in the modules torch has already
imported and compared by identity with the rule's function.
"""

from __future__ import annotations

import ast
import difflib
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Iterable

from .yamlfile import Fields

IN_PLACE_ON_INPUTS = "in_place_on_inputs"
SPECIAL_FORBIDS = (IN_PLACE_ON_INPUTS,)
# What the static half of uses_autograd accepts as a use of autograd: an attribute named backward, or a reference to
# one of these functions (backward's engine, or a transform of torch.func / torch.autograd.functional built on it).
AUTOGRAD_FUNCTIONS = ("torch.autograd.grad", "torch.autograd.backward", "torch.func.grad", "torch.func.grad_and_value",
                      "torch.func.vjp", "torch.func.jacrev", "torch.func.hessian", "torch.autograd.functional.vjp",
                      "torch.autograd.functional.jacobian", "torch.autograd.functional.hessian",
                      "torch.autograd.functional.vhp", "torch.autograd.functional.hvp")


@dataclass(frozen=True)
class Rules:
    """What an exercise requires of every submission's code beyond its values (none by default)."""

    requires: tuple[str, ...] = ()  # torch functions each trial must call, and the source must name
    one_of: tuple[tuple[str, ...], ...] = ()  # groups (a list inside `requires`): each needs one of its names
    forbids: tuple[str, ...] = ()  # torch functions never to name nor call, and in_place_on_inputs
    uses_autograd: int = 0  # at least this many backward()/autograd.grad calls per trial (0: no rule)
    hint: str = ""  # the instructor's sentence added to the message of any broken rule
    line: int = 0  # where `rules:` is, in the exercise file

    @property
    def counted(self) -> tuple[str, ...]:
        """The functions the child wraps and counts: every named one, the special names left out."""
        grouped = tuple(name for group in self.one_of for name in group)
        return tuple(n for n in (*self.requires, *grouped, *self.forbids) if n not in SPECIAL_FORBIDS)

    def __bool__(self) -> bool:
        return bool(self.requires or self.one_of or self.forbids or self.uses_autograd)

    def summary(self) -> str:
        """The rules in one line for a student: what the code must and must not use."""
        parts = [f"call {name}" for name in self.requires]
        parts += [f"call one of {', '.join(group[:-1])} or {group[-1]}" for group in self.one_of]
        parts += ["never modify the inputs in place" if name == IN_PLACE_ON_INPUTS else f"never use {name}"
                  for name in self.forbids]
        if self.uses_autograd:
            times = "" if self.uses_autograd == 1 else \
                f" (at least {self.uses_autograd} backward()/autograd.grad calls each time your function runs)"
            parts.append(f"compute gradients with autograd{times}")
        return "; ".join(parts)


def resolve(name: str) -> Any:
    """The torch function a rule names; LookupError with the closest known name where there is none."""
    import torch  # here, not at the top: loading an exercise without rules never needs torch

    parts = name.split(".")
    if parts[0] != "torch" or len(parts) < 2 or not all(p.isidentifier() and not p.startswith("_") for p in parts):
        raise LookupError("name a public torch function by its dotted path, e.g. torch.func.vmap")
    owner: Any = torch
    for index, part in enumerate(parts[1:], 1):
        found = vars(owner).get(part) if isinstance(owner, ModuleType) else None
        if found is None and isinstance(owner, ModuleType):
            found = _submodule(f"{owner.__name__}.{part}")
        if found is None:
            known = [n for n in dir(owner) if not n.startswith("_")] if isinstance(owner, ModuleType) else []
            close = difflib.get_close_matches(part, known, n=1)
            hint = f" (did you mean {'.'.join(parts[:index])}.{close[0]}?)" if close else ""
            raise LookupError(f"torch has no {'.'.join(parts[:index + 1])}{hint}")
        if index < len(parts) - 1 and not isinstance(found, ModuleType):
            raise LookupError(f"{'.'.join(parts[:index + 1])} is not a module: rules name functions of torch's "
                              f"modules (torch.func.vmap), not methods")
        owner = found
    if isinstance(owner, ModuleType) or not callable(owner):
        raise LookupError(f"{name} is not a function")
    return owner


def _submodule(name: str) -> ModuleType | None:
    """A submodule of torch that `import torch` does not load, imported now (trusted code; the name is public)."""
    import importlib

    try:
        return sys.modules.get(name) or importlib.import_module(name)
    except Exception:  # noqa: BLE001 - no such module, or one whose optional dependencies are missing
        return None


def parse_rules(top: Fields, *, no_autograd: bool) -> Rules:
    """Read `rules:` (requires, forbids, uses_autograd), each name resolved against the trusted torch."""
    if not top.has("rules"):
        top.sub("rules", required=False)
        return Rules()
    f = top.sub("rules")
    lists = {}
    groups = _one_of_groups(f)
    for key in ("requires", "forbids"):
        names = [n for n in f.opt(key, list, []) if not (key == "requires" and isinstance(n, list))]
        for name in names:
            f.check(isinstance(name, str), key, f"list dotted names of torch functions, not {name!r}")
            if key == "forbids" and name in SPECIAL_FORBIDS:
                continue
            try:
                resolve(name)
            except LookupError as exc:
                f.check(False, key, f"{name}: {exc}")
        f.check(len(set(names)) == len(names), key, "a name is listed twice")
        lists[key] = tuple(names)
    grouped = [name for group in groups for name in group]
    f.check(not set(grouped) & set(lists["requires"]), "requires",
            "a name is required both on its own and as one of a group")
    both = sorted(set(lists["requires"] + tuple(grouped)) & set(lists["forbids"]))
    f.check(not both, "forbids", f"{', '.join(both)} is both required and forbidden")
    wanted = f.opt("uses_autograd", (bool, int), False)
    count = int(wanted) if isinstance(wanted, bool) else wanted
    f.check(count >= 0, "uses_autograd", "must be true, false, or a whole number of calls per trial")
    f.check(not (count and no_autograd), "uses_autograd",
            "contradicts the no_autograd check: an exercise asks for autograd or forbids it, not both")
    rules = Rules(requires=lists["requires"], one_of=groups, forbids=lists["forbids"], uses_autograd=count,
                  hint=f.opt("hint", str, "").strip(), line=top.line_of("rules"))
    f.done()
    return rules


def _one_of_groups(f: Fields) -> tuple[tuple[str, ...], ...]:
    """The lists inside `requires`: each a group of two or more names, of which a submission must use one."""
    groups = []
    for item in f.data.get("requires") or []:
        if not isinstance(item, list):
            continue
        f.check(len(item) >= 2 and all(isinstance(name, str) for name in item), "requires",
                f"a list inside requires is a group of two or more dotted names, one of which must be used; "
                f"not {item!r}")
        for name in item:
            try:
                resolve(name)
            except LookupError as exc:
                f.check(False, "requires", f"{name}: {exc}")
        f.check(len(set(item)) == len(item), "requires", f"a name is listed twice in the group {item}")
        groups.append(tuple(item))
    return tuple(groups)


@dataclass(frozen=True)
class Use:
    """A place in source code where a dotted name resolves to a torch object."""

    line: int
    path: str  # the dotted name as the grader read it, aliases resolved (torch.func.vmap)
    how: str  # calls, uses or imports
    obj: Any


def uses(source: str, *, predefined: dict[str, str] | None = None) -> list[Use]:
    """Every name or attribute chain in `source` that resolves, through its imports, to an object of torch.

    Imports anywhere in the code count, whatever their scope; `predefined` maps names bound without an import (the
    reference's namespace holds torch, nn and F). Code that does not parse uses nothing: it never runs.
    """
    return read_all([source], predefined=predefined)[0]


def read_all(sources: list[str], *, predefined: dict[str, str] | None = None) -> list[list[Use]]:
    """`uses` for each of several pieces of code that share one namespace, as a notebook's cells do."""
    import torch  # noqa: F401 - the names are looked up among the modules it imports

    aliases: dict[str, set[str]] = {k: {v} for k, v in (predefined or {}).items()}
    starred: list[str] = []
    walks, found = [], []
    looked: dict[str, Any] = {}  # each dotted path is looked up once
    for source in sources:
        try:
            walks.append(list(ast.walk(ast.parse(source))))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            walks.append([])
        found.append(_imports(walks[-1], aliases, starred))
    for nodes, uses_here in zip(walks, found):
        called = {id(node.func) for node in nodes if isinstance(node, ast.Call)}
        for node in nodes:
            if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(node.ctx, ast.Load):
                continue
            chain = _chain(node)
            if chain is None:
                continue
            head, rest = chain[0], chain[1:]
            roots = aliases.get(head) or {f"{module}.{head}" for module in starred}
            how = "calls" if id(node) in called else "uses"
            for root in sorted(roots):
                path = ".".join([root, *rest])
                obj = looked[path] if path in looked else looked.setdefault(path, lookup(path))
                if obj is not None:
                    uses_here.append(Use(line=node.lineno, path=path, how=how, obj=obj))
        uses_here.sort(key=lambda use: use.line)
    return found


def _imports(nodes: list[ast.AST], aliases: dict[str, set[str]], starred: list[str]) -> list[Use]:
    """Record what the imports among `nodes` bind (into `aliases` and `starred`); the imports of torch objects."""
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                aliases.setdefault(bound, set()).add(alias.name if alias.asname else bound)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name == "*":
                    starred.append(node.module)
                    continue
                path = f"{node.module}.{alias.name}"
                aliases.setdefault(alias.asname or alias.name, set()).add(path)
                imported = lookup(path)
                if imported is not None:
                    found.append(Use(line=node.lineno, path=path, how="imports", obj=imported))
    return found


def _chain(node: ast.AST) -> list[str] | None:
    """['torch', 'func', 'vmap'] for the expression torch.func.vmap; None for anything else."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(names)]


def lookup(path: str) -> Any:
    """The object a dotted path names among the modules torch has imported, or None; nothing is imported here."""
    parts = path.split(".")
    if parts[0] != "torch":
        return None
    owner: Any = sys.modules.get("torch")
    for index, part in enumerate(parts[1:], 1):
        if not isinstance(owner, ModuleType):
            return None
        found = vars(owner).get(part)
        owner = found if found is not None else sys.modules.get(".".join(parts[:index + 1]))
        if owner is None:
            return None
    return owner


def first_use(found: Iterable[Use], target: Any) -> Use | None:
    """The first place that names exactly `target` (identity: torch.vmap and torch.func.vmap are one function)."""
    return next((use for use in found if use.obj is target), None)


def autograd_use(source: str, found: Iterable[Use]) -> int | None:
    """The line of the first use of autograd in the source: .backward, or a function of AUTOGRAD_FUNCTIONS."""
    targets = [lookup(name) for name in AUTOGRAD_FUNCTIONS]
    lines = [use.line for use in found if any(use.obj is t for t in targets if t is not None)]
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        lines += [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "backward"]
    return min(lines, default=None)


REFERENCE_NAMES = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional"}  # bound in the oracle's namespace


def reference_breaks(rules: Rules, source: str) -> tuple[int, str] | None:
    """The line (within `source`) and the reason where the reference's own code breaks a rule statically, or None."""
    found = uses(source, predefined=REFERENCE_NAMES)
    for name in rules.requires:
        if first_use(found, resolve(name)) is None:
            return 1, f"the reference never uses {name}, which rules.requires: a submission could never meet the rule"
    for group in rules.one_of:
        if all(first_use(found, resolve(name)) is None for name in group):
            return 1, (f"the reference uses none of {', '.join(group)}, one of which rules.requires: a submission "
                       f"could never meet the rule")
    for name in rules.forbids:
        use = None if name in SPECIAL_FORBIDS else first_use(found, resolve(name))
        if use is not None:
            return use.line, f"the reference uses {name} ({use.path}), which rules.forbids"
    if rules.uses_autograd and autograd_use(source, found) is None:
        return 1, ("the reference never calls backward() nor torch.autograd.grad, which rules.uses_autograd asks "
                   "of every submission")
    return None
