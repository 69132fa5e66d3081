"""Python source -> a token stream in which names, comments, layout and independent statement order no longer show.

Nothing here runs the code: the source is only parsed (ast) or, when it does not parse, tokenized. Each token keeps
the line of the source it came from, so a match can be shown as lines of each file.

The rules, in order (docs/semester.md, "Similar submissions"):
1. Docstrings, bare string statements, comments, type annotations and layout are dropped; constants are kept.
2. Import aliases become what they import (`import numpy as np`: `np` -> `numpy`); attribute names, keyword
   argument names and names the code never binds (builtins, `torch`) are kept: they carry meaning.
3. Order that does not matter: a module's imports and its function and class definitions form an unordered set
   (sorted by their normalized shape), and within every block a run of adjacent statements is put in one canonical
   order that respects their data dependencies (a topological order of the dependency graph, smallest shape first).
4. Names the code binds are renamed by first appearance, after the reordering: helper functions and classes `f0`,
   `f1`, ... (the exercise's own function keeps its name), module-level variables `g0`, ..., and in each function
   its arguments and locals `v0`, `v1`, ...
"""

from __future__ import annotations

import ast
import builtins
import heapq
import io
import keyword
import re
import tokenize
from collections.abc import Iterable

Token = tuple[str, int]  # (text, 1-based source line)

BUILTINS = frozenset(dir(builtins))
PURE_BUILTINS = frozenset({"abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "int", "isinstance",
                           "len", "list", "max", "min", "pow", "range", "reversed", "round", "set", "sorted", "str",
                           "sum", "tuple", "zip"})
# Calls with an effect no name shows: they write gradients, optimizer state or random state.
GLOBAL_EFFECTS = frozenset({"backward", "step", "zero_grad", "manual_seed", "seed", "set_grad_enabled"})
BARRIERS = (ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.Delete, ast.Assert,
            ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match,
            ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
FALLBACK = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|#[^\n]*"
                      r"|\*\*=?|//=?|<<=?|>>=?|->|[-+*/%&|^<>=!@:]=|\S")
KEYWORDS = {"FunctionDef": "def", "AsyncFunctionDef": "def", "ExceptHandler": "except", "match_case": "case",
            "AsyncFor": "for", "AsyncWith": "with"}
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MAX_RUN = 64  # statements ordered as one run at most
NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class Unparsable(Exception):
    """The source cannot be normalized as a syntax tree; the caller falls back to tokens."""


def normalize(source: str, *, keep: frozenset[str] = frozenset(),
              variables: frozenset[str] = frozenset()) -> tuple[ast.Module, list[Token]]:
    """Return the normalized tree and its tokens.

    `keep` names the functions every student must name alike (the exercise's), `variables` the module-level names
    a notebook must use (its arguments and results): neither is renamed.
    """
    try:
        tree = ast.parse(source)
        tree = _strip(tree)
        _reorder(tree, keep | variables)
        _rename(tree, keep | variables)
        return tree, list(_emit(tree))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise Unparsable(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # syntax this normalizer does not know yet: tokens still compare it
        raise Unparsable(f"not normalized ({type(exc).__name__}: {exc})") from None


def fallback_tokens(source: str, keep: frozenset[str] = frozenset()) -> list[Token]:
    """Tokens of text that does not parse: comments and layout dropped, bound-looking names renamed by appearance."""
    raw: list[Token] = []
    lines = source.split("\n")
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING,
                            tokenize.ENDMARKER) or not tok.string.strip():
                continue
            raw.append((tok.string, tok.start[0]))
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        # tokenize stops at the first problem: read the rest with a forgiving pattern instead
        done = raw[-1][1] if raw else 0
        for number, line in enumerate(lines[done:], done + 1):
            raw.extend((m.group(), number) for m in FALLBACK.finditer(line) if not m.group().startswith("#"))
    names: dict[str, str] = {}
    out: list[Token] = []
    kept = BUILTINS | keep
    for i, (text, line) in enumerate(raw):
        after_dot = i > 0 and raw[i - 1][0] == "."
        if text.isidentifier() and not _keyword(text) and text not in kept and not after_dot:
            text = names.setdefault(text, f"v{len(names)}")
        out.append((text, line))
    return out


def _keyword(text: str) -> bool:
    return keyword.iskeyword(text) or keyword.issoftkeyword(text)


# -- 1. what carries no meaning -----------------------------------------------------------------------------------

class _Strip(ast.NodeTransformer):
    """Drop docstrings, bare strings and annotations; replace import aliases by what they import."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases

    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None
        return self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        self.generic_visit(node)
        node.body = node.body or [ast.Pass(lineno=node.lineno, col_offset=0)]
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None
        return ast.copy_location(ast.Assign(targets=[node.target], value=self.visit(node.value)), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.aliases:
            node.id = self.aliases[node.id]
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):  # a block emptied of strings still needs a statement
            block = getattr(node, field, None)
            if field == "body" and isinstance(block, list) and not block and not isinstance(node, ast.Module):
                block.append(ast.Pass(lineno=getattr(node, "lineno", 1), col_offset=0))
        return node


def _strip(tree: ast.Module) -> ast.Module:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                    alias.asname = None
    return _Strip(aliases).visit(tree)


# -- 3. order that does not matter --------------------------------------------------------------------------------

def _shape(node: ast.AST, hidden: frozenset[str]) -> str:
    """The statement's structure with the names it may rename hidden: its place in a canonical order."""
    parts = []
    for sub in _walk_order(node):
        parts.append(type(sub).__name__)
        for field, value in ast.iter_fields(sub):
            if isinstance(value, list):
                parts.append(str(len(value)))  # how many children: the flat walk then reads as one tree only
            elif isinstance(value, str) and field in ("id", "arg", "name"):
                parts.append("_" if field == "arg" or value in hidden else value)
            elif not isinstance(value, ast.AST):
                parts.append(repr(value))
    return " ".join(parts)


def _effects(stmt: ast.stmt, modules: frozenset[str], own: frozenset[str]) -> tuple[set[str], set[str], bool]:
    """(names read, names written, whether it has an effect names do not show) of one simple statement."""
    reads: set[str] = set()
    writes: set[str] = set()
    opaque = False
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name):
            (reads if isinstance(node.ctx, ast.Load) else writes).add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
            writes.add(_root(node) or "")
        elif isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr)):
            opaque = True
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in modules | PURE_BUILTINS:
                opaque |= func.id in GLOBAL_EFFECTS
            elif isinstance(func, ast.Name) and func.id in own:
                writes.update(r for r in map(_root, node.args) if r)  # it may change what it is given
            elif isinstance(func, ast.Name):
                opaque = True  # print, or a function from another cell: unknown effects
            elif isinstance(func, ast.Attribute):
                root = _root(func)
                if func.attr in GLOBAL_EFFECTS or (func.attr.endswith("_") and not func.attr.endswith("__")):
                    opaque = True  # in place, or writes gradients: order matters against everything
                elif root is None:
                    opaque = True
                elif root not in modules:
                    writes.add(root)  # a method may change its object
            else:
                opaque = True
    if isinstance(stmt, ast.AugAssign):
        reads |= writes
    return reads, writes, opaque


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _order_run(run: list[ast.stmt], modules: frozenset[str], own: frozenset[str],
               hidden: frozenset[str]) -> list[ast.stmt]:
    """A canonical topological order of adjacent simple statements: smallest shape first among the ready ones."""
    if len(run) > MAX_RUN:  # the dependency graph is quadratic in the run: order a long one in pieces
        return [s for i in range(0, len(run), MAX_RUN) for s in _order_run(run[i:i + MAX_RUN], modules, own, hidden)]
    if len(run) < 2:
        return run
    facts = [_effects(s, modules, own) for s in run]
    shapes = [_shape(s, hidden) for s in run]
    after: list[list[int]] = [[] for _ in run]
    waiting = [0] * len(run)
    for j, (reads_j, writes_j, opaque_j) in enumerate(facts):
        for i in range(j):
            reads_i, writes_i, opaque_i = facts[i]
            if opaque_i or opaque_j or writes_i & (reads_j | writes_j) or reads_i & writes_j:
                after[i].append(j)
                waiting[j] += 1
    ready = [(shapes[i], i) for i in range(len(run)) if not waiting[i]]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, i = heapq.heappop(ready)
        ordered.append(run[i])
        for j in after[i]:
            waiting[j] -= 1
            if not waiting[j]:
                heapq.heappush(ready, (shapes[j], j))
    return ordered


def _order_block(block: list[ast.stmt], modules: frozenset[str], own: frozenset[str],
                 hidden: frozenset[str]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    run: list[ast.stmt] = []
    for stmt in block:
        if isinstance(stmt, BARRIERS):
            out += _order_run(run, modules, own, hidden) + [stmt]
            run = []
        else:
            run.append(stmt)
    return out + _order_run(run, modules, own, hidden)


def _reorder(tree: ast.Module, keep: frozenset[str]) -> None:
    imported = {a.name.split(".")[0] if isinstance(node, ast.Import) else a.name
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    modules = frozenset(imported | {"torch", "numpy", "math"})
    hidden = frozenset(_bound(tree) - keep)
    own = frozenset(s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, _order_block(block, modules, own, hidden))
    definitions = [s for s in tree.body if isinstance(s, DEFINITIONS)]
    rest = [s for s in tree.body if not isinstance(s, DEFINITIONS)]
    definitions.sort(key=lambda s: (not isinstance(s, (ast.Import, ast.ImportFrom)), _shape(s, hidden)))
    tree.body = definitions + rest


# -- 4. names -------------------------------------------------------------------------------------------------------

def _bound(node: ast.AST) -> set[str]:
    """Every name the code binds: assigned, an argument, a loop or `with` target, a definition."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
            names.add(sub.id)
        elif isinstance(sub, ast.arg):
            names.add(sub.arg)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            names.add(sub.name)
    return names


def _rename(tree: ast.Module, keep: frozenset[str]) -> None:
    top = {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    names = {name: f"f{i}" for i, name in enumerate(n for n in _appearance(tree.body) if n in top - keep)}
    plain = [s for s in tree.body if not isinstance(s, NESTED)]
    assigned = _bound(ast.Module(body=plain, type_ignores=[])) - keep - set(names)
    for name in [n for n in _appearance(plain) if n in assigned]:  # before the functions: they may read them
        names[name] = f"g{len(names) - len(top - keep)}"
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stmt.name = names.get(stmt.name, stmt.name)
        scopes = [stmt] if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) else [
            sub for sub in ast.walk(stmt) if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef))
            and isinstance(stmt, ast.ClassDef)]  # a class's method names are the API's: kept
        for scope in scopes:
            _rename_scope(scope, names)
        if not isinstance(stmt, NESTED):
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Name) and sub.id in names:
                    sub.id = names[sub.id]


def _rename_scope(func: ast.FunctionDef | ast.AsyncFunctionDef, outer: dict[str, str]) -> None:
    """Rename a function's arguments and locals (nested scopes included) by first appearance."""
    local = (_bound(func.args) | _bound(ast.Module(body=func.body, type_ignores=[]))) - set(outer)
    names: dict[str, str] = {}
    for sub in _walk_order(func):
        if sub is func:
            continue
        if isinstance(sub, ast.arg) and sub.arg in local:
            sub.arg = names.setdefault(sub.arg, f"v{len(names)}")
        elif isinstance(sub, ast.Name):
            if sub.id in local:
                sub.id = names.setdefault(sub.id, f"v{len(names)}")
            elif sub.id in outer:
                sub.id = outer[sub.id]
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub.name in local:
            sub.name = names.setdefault(sub.name, f"v{len(names)}")
        elif isinstance(sub, ast.ExceptHandler) and sub.name in local:
            sub.name = names.setdefault(sub.name, f"v{len(names)}")


def _walk_order(node: ast.AST) -> Iterable[ast.AST]:
    """Nodes in source order (depth first, fields in order), unlike ast.walk's breadth-first order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def _appearance(body: list[ast.stmt]) -> list[str]:
    """Names in order of first appearance, definitions' own names first where they stand."""
    seen: dict[str, None] = {}
    for stmt in body:
        for sub in _walk_order(stmt):
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                seen.setdefault(sub.name)
            elif isinstance(sub, ast.Name):
                seen.setdefault(sub.id)
    return list(seen)


# -- the token stream ------------------------------------------------------------------------------------------------

def _emit(node: ast.AST, line: int = 1) -> Iterable[Token]:
    """Tokens of a normalized tree, each with the source line of the statement it came from.

    Compound statements are spelled with their keywords, as the token-level fallback reads them, so a copy that no
    longer parses still shares the fingerprints of its simple statements with the original.
    """
    line = getattr(node, "lineno", line)
    blocks = [f for f, v in ast.iter_fields(node) if isinstance(v, list) and v
              and isinstance(v[0], (ast.stmt, ast.excepthandler, ast.match_case))]
    if not blocks and not isinstance(node, ast.Module):
        yield from _text_tokens(ast.unparse(node), line)
        return
    header = not isinstance(node, ast.Module)
    if header:
        yield (KEYWORDS.get(type(node).__name__, type(node).__name__.lower()), line)
    for field, value in ast.iter_fields(node):
        if field in blocks:
            if header:
                yield (":", line)
                header = False
            if field in ("orelse", "finalbody"):
                yield ("else" if field == "orelse" else "finally", line)
                yield (":", line)
            for child in value:
                yield from _emit(child, line)
        elif isinstance(value, str) and field in ("name", "module"):
            yield (value, line)
        elif isinstance(value, ast.arguments):
            yield from [("(", line), *_text_tokens(ast.unparse(value), line), (")", line)]
        elif isinstance(value, ast.AST) and not isinstance(value, (ast.expr_context, ast.operator)):
            yield from _text_tokens(ast.unparse(value), line)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield from _text_tokens(ast.unparse(item), getattr(item, "lineno", line))


def _text_tokens(text: str, line: int) -> Iterable[Token]:
    for match in FALLBACK.finditer(text):
        yield (match.group(), line)
