"""What an exercise file can only be checked against once its reference has run: paths, return count, probes.

Runs on the values the oracle computes for every grade anyway (a few dictionary lookups per check), so a mistake
in the exercise stops grading with the file and line instead of failing every student in the same way.
"""

from __future__ import annotations

import ast
import difflib
from typing import Any

from .compare import MISSING, resolve
from .errors import ExerciseError
from .exercise import MEASURED, Check, Exercise
from .inputs import Trial

MAX_PATHS = 2000  # paths offered as "did you mean": enough for any model the course builds


def check_reference(exercise: Exercise, trial: Trial, values: dict) -> None:
    """Refuse a reference that returns another number of values than declared, a probe that raises on it, or a
    check whose path names nothing in its values."""
    returns = exercise.contract.returns
    found = [values["returns"].get(name) for name in returns]
    if len(returns) > 1 and all(isinstance(n, dict) and n.get("t") == "missing" for n in found):
        why = found[0].get("why", "")
        raise ExerciseError(f"{exercise.path}:{_return_line(exercise)}: the reference does not return what "
                            f"contract.returns declares on {trial.label}: {why}; return those values, or fix "
                            f"contract.returns")
    for name, node in values["probes"].items():
        if isinstance(node, dict) and node.get("t") == "error":
            frames = [f for f in node.get("frames", []) if f.get("file") == str(exercise.path)]
            line = frames[-1]["line"] if frames else exercise.probes[name].line
            raise ExerciseError(f"{exercise.path}:{line}: the probe '{name}' raised on the reference's values on "
                                f"{trial.label}: {node['type']}: {node['message']}")
    for check in exercise.checks:
        measured = values.get("measures", {}).get(check.name)
        if isinstance(measured, dict) and measured.get("t") == "missing":  # gradcheck, hooks, flag: read live
            raise ExerciseError(f"{exercise.path}:{check.line}: check '{check.name}' could not be measured on the "
                                f"reference's values on {trial.label}: {measured.get('why', '')}")
        for path in () if check.kind in MEASURED else _paths(check):
            if resolve(values, path) is MISSING:
                close = difflib.get_close_matches(path, known_paths(values), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ExerciseError(f"{exercise.path}:{check.line}: check '{check.name}': '{path}' names nothing in "
                                    f"the reference's values on {trial.label}{hint}")


def check_vacuous(exercise: Exercise, expectations: list) -> None:
    """Refuse a value or grad check whose reference result is None on every public trial, unless `expect: none`."""
    public = [e for e in expectations if not e.trial.hidden]
    if not public:
        return
    for check in exercise.checks:
        if check.kind not in ("value", "grad"):
            continue
        nones = [_result(check, e.reference) is None for e in public]
        what = f"{check.target}.grad" if check.kind == "grad" else check.target
        if check.expect == "none" and not all(nones):
            raise ExerciseError(f"{exercise.path}:{check.line}: check '{check.name}' says expect: none, but the "
                                f"reference's {what} is not None on {public[nones.index(False)].trial.label}; drop "
                                f"'expect: none'")
        if check.expect != "none" and all(nones):
            raise ExerciseError(f"{exercise.path}:{check.line}: check '{check.name}' passes for everyone who leaves "
                                f"{what} None: the reference's {what} is None on every public trial. Point the "
                                f"check at a value the reference computes, or write expect: none if None is the "
                                f"answer")


def _result(check: Check, values: dict) -> Any:
    node = resolve(values, check.target)
    if check.kind == "grad":
        return node.get("grad") if isinstance(node, dict) and node.get("t") == "tensor" else None
    return node


def _paths(check: Check) -> tuple[str, ...]:
    return tuple(p for p in (check.target, *check.targets, check.module) if p)


def known_paths(values: dict) -> list[str]:
    """Every dotted path into the values, for suggestions: names, then .grad, items, keys, submodules."""
    found: list[str] = []

    def walk(path: str, node: Any, depth: int) -> None:
        if len(found) >= MAX_PATHS:
            return
        found.append(path)
        if not isinstance(node, dict) or depth > 4:
            return
        tag = node.get("t")
        if tag == "tensor":
            found.append(f"{path}.grad")
        elif tag in ("list", "tuple"):
            for index, item in enumerate(node["items"][:50]):
                walk(f"{path}.{index}", item, depth + 1)
        elif tag == "dict":
            for key, item in list(node["items"].items())[:50]:
                walk(f"{path}.{key}", item, depth + 1)
        elif tag == "module":
            found.extend(f"{path}.{name}" for name in [*node["params"], *node["modules"]] if name)

    for group in ("returns", "args", "probes"):
        for name, node in values[group].items():
            walk(name, node, 0)
    return found


def _return_line(exercise: Exercise) -> int:
    """The line of the reference's first `return` in the contract's function, else where the reference starts."""
    code = exercise.reference
    for node in ast.walk(ast.parse(code.source)):
        if isinstance(node, ast.FunctionDef) and node.name == exercise.contract.function:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return):
                    return code.line + inner.lineno - 1
    return code.line
