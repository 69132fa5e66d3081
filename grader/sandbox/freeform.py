"""Re-run a free-form notebook on a trial's inputs, in the child: the way papermill parameterizes a notebook.

A notebook that does not define the exercise's function answers with variables (the exercise's `notebook:` names).
Its cells are run again for every trial, with each assignment to an argument variable rebound to that trial's input,
so the results must follow the grader's inputs; the variables are measured after every cell. The parent picks the
cell (grader.states); the reference only ever runs on the grader's own inputs.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

import torch

from ..exercise import Exercise, NotebookNames
from ..inputs import build_inputs
from . import observe

BIND = "__grader_input__"  # the name the rewritten cells call; bound afresh before every cell
MAX_STATES = 64  # cells measured per trial: the parent judges each one, so a notebook cannot make that unbounded


class _Rebind(ast.NodeTransformer):
    """After every statement that assigns an argument variable at the notebook's top level, rebind it to the input."""

    def __init__(self, variables: frozenset[str]) -> None:
        self.variables = variables

    def _bound(self, targets: list) -> list[str]:
        names: list[str] = []
        for target in targets:
            if isinstance(target, ast.Name) and target.id in self.variables:
                names.append(target.id)
            elif isinstance(target, (ast.Tuple, ast.List)):
                names += self._bound([e.value if isinstance(e, ast.Starred) else e for e in target.elts])
        return list(dict.fromkeys(names))

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return node  # code inside a definition does not run at the notebook's top level
        return super().generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> Any:
        return [node, *self._rebinds(node, self._bound(node.targets))]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        return [node, *self._rebinds(node, self._bound([node.target]) if node.value is not None else [])]

    def _rebinds(self, node: ast.stmt, names: list[str]) -> list[ast.stmt]:
        made = []
        for name in names:
            call = ast.Call(func=ast.Name(BIND, ast.Load()),
                            args=[ast.Constant(name), ast.Name(name, ast.Load())], keywords=[])
            made.append(ast.copy_location(ast.Assign(targets=[ast.Name(name, ast.Store())], value=call), node))
        return made


def parameterize(source: str, filename: str, names: NotebookNames) -> Any:
    """Compile a cell with each assignment to an argument variable followed by its rebinding to the trial's input."""
    tree = _Rebind(frozenset(names.args.values())).visit(ast.parse(source, filename))
    return compile(ast.fix_missing_locations(tree), filename, "exec", dont_inherit=True)


class TrialInputs:
    """Hand out a fresh copy of the trial's input for a variable each time the notebook assigns it."""

    def __init__(self, exercise: Exercise, names: NotebookNames, seed: int, dims: dict[str, int],
                 built: Callable[[], Any] | None = None) -> None:
        self.exercise, self.seed, self.dims, self.built = exercise, seed, dims, built
        self.role = {variable: role for role, variable in names.args.items()}
        self.specs = {spec.name: spec for spec in exercise.inputs}

    def __call__(self, variable: str, assigned: Any) -> Any:
        role = self.role[variable]
        # built afresh each time, deterministically: equal to the argument the reference gets
        built = self.built() if self.built is not None else None  # the fixture objects, a fresh copy each time
        value = build_inputs(self.exercise, self.seed, self.dims, built=built)[role]
        if self.specs[role].kind in ("float", "int") and type(assigned) is torch.Tensor and assigned.numel() == 1:
            return _like(value, assigned)
        return value


def _like(number: float, tensor: torch.Tensor) -> torch.Tensor:
    """A number the grader chose, in the notebook's form: a tensor of its dtype and shape, tracked as it was."""
    made = torch.full(tuple(tensor.shape), number, dtype=tensor.dtype)
    if tensor.requires_grad and made.is_floating_point():
        made.requires_grad_(True)
        if not tensor.is_leaf:
            made = made * 1  # the notebook's value was the result of an operation: so is the rebound one
    return made


def notebook_dims(exercise: Exercise, names: NotebookNames, namespace: dict) -> dict[str, int]:
    """The exercise's dimension sizes that the notebook's own inputs use, where the exercise allows them.

    A tutorial's cells may hold sizes fixed (a gradient of ones of shape (2,)); grading at the sizes the notebook chose
    keeps those cells working, while the values still come from the trial's seed.
    """
    dims: dict[str, int] = {}
    for spec in exercise.inputs:
        value = namespace.get(names.args[spec.name])
        tensor = type(value) in (torch.Tensor, torch.nn.Parameter)
        if spec.kind != "tensor" or not tensor or value.dim() != len(spec.shape):
            continue
        for size, dim in zip(value.shape, spec.shape):
            low, high = exercise.dims.get(dim, (0, -1)) if isinstance(dim, str) else (0, -1)
            if low <= size <= high and dims.setdefault(dim, size) != size:
                return {}  # the notebook's inputs disagree on a size: draw every size from the seed
    return dims


def run_trial(units: tuple, codes: list, exercise: Exercise, names: NotebookNames, seed: int, *, dims: dict[str, int],
              namespace: dict, restore: Callable[[], None], send: Callable[[dict], None],
              measure: Callable[[dict], dict], files: frozenset, built: Callable[[], Any] | None = None) -> None:
    """Run every cell on the trial's inputs, sending each cell's failure and, where all names exist, its state.

    `codes` are the cells compiled by `parameterize` (None where a cell does not compile); `measure` returns the
    state's fields: the variables encoded, and the autograd count. `built` gives the trial's fixture objects afresh.
    """
    bind = TrialInputs(exercise, names, seed, dims, built)
    states = 0
    for unit, code in zip(units, codes):
        if code is None:
            continue
        namespace[BIND] = bind
        try:
            exec(code, namespace)  # noqa: S102 - the student's cell, confined in the child
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
            restore()
            send({"kind": "cell_error", "cell": unit.cell, "error": {"kind": "exception",
                                                                      **observe.describe_exception(exc, files)}})
        restore()
        if states < MAX_STATES and all(name in namespace for name in names.names):
            states += 1
            send({"kind": "state", "cell": unit.cell, **measure(namespace)})


def measure_state(namespace: dict, exercise: Exercise, names: NotebookNames, *, probes: dict, seed: int,
                  max_elements: int, take: Callable[[dict], dict] | None = None) -> dict:
    """The variables in the roles of the function's arguments and results, measured as a function's call would be.

    `take` takes the hooks and flag measurements on those variables (grader.sandbox.measures.taker).
    """
    contract = exercise.contract
    results = tuple(namespace[names.returns[name]] for name in contract.returns)
    returned = results[0] if len(results) == 1 else results
    args = {role: namespace[variable] for role, variable in names.args.items()}
    return observe.measure(returned, args, names=contract.returns, function=contract.function, probes=probes,
                           seed=seed, max_elements=max_elements, take=take)
