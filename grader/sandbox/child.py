"""What runs inside the forked child: confine the process, run the student's code, send back plain data.

The child only measures. It never sees tolerances, points or messages; the parent judges what it sends.
"""

from __future__ import annotations

import builtins
import gc
import importlib.abc
import importlib.machinery
import json
import linecache
import math
import os
import pickle
import sys
import time
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, NoReturn

import torch
from torch.autograd.variable import Variable

from ..config import Limits
from ..contract import INSTANCE
from ..exercise import Exercise
from ..inputs import Trial, build_inputs
from ..source import Unit
from . import anomaly, measures, observe
from .built import BuiltInputs
from .descriptors import close_all_but
from .freeform import measure_state, notebook_dims, parameterize, run_trial
from .isolate import meets
from .protocol import SANDBOX_NOTE, frame
from .rulewatch import Watch

if TYPE_CHECKING:
    from .confine import Detached

_dumps, _write, _exit, _monotonic = json.dumps, os.write, os._exit, time.monotonic
HARNESS_FAULT = 70
TOO_WEAK = 77  # the level config.yaml demands was not reached: the child stops before any student code runs


@dataclass(frozen=True)
class ChildPlan:
    """Everything the child needs: the student's code, the public part of the exercise, the trials, the limits."""

    units: tuple[Unit, ...]
    notebook: bool
    exercise: Exercise
    trials: tuple[Trial, ...]
    limits: Limits
    workdir: str
    hidden: tuple[str, ...] = ()  # folders the submission must not see (exercises, solutions), where possible
    count_whole_run: bool = False  # count autograd from the start, never per trial (the exercise forbids it)
    notebook_dims: bool = False  # a free-form notebook's own sizes may fix the dims (the parent can compute any)
    built: tuple[bytes, ...] = ()  # per trial, its fixture and callable inputs built by the grader (cloudpickle)


class _CountingEngine:
    """Stand in for torch's autograd engine and count every backward pass or autograd.grad call."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.calls = 0

    def run_backward(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self._engine.run_backward(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


class _Snapshot:
    """Remember the attributes of modules and classes a submission might patch, and put them back."""

    def __init__(self, owners: list) -> None:
        self.saved = [(owner, dict(vars(owner))) for owner in owners]

    def restore(self) -> None:
        for owner, saved in self.saved:
            current = vars(owner)
            for key in [k for k in current if k not in saved]:
                if not isinstance(current[key], type(sys)):  # keep submodules imported meanwhile
                    _set(owner, key, None, delete=True)
            for key, value in saved.items():
                if current.get(key, _set) is not value:
                    _set(owner, key, value)

    def intact(self) -> bool:
        """Whether every saved attribute is still the one saved (a measurement run meanwhile can be trusted)."""
        return all(vars(owner).get(key, _set) is value for owner, saved in self.saved for key, value in saved.items())


def _set(owner: Any, key: str, value: Any, *, delete: bool = False) -> None:
    try:
        if isinstance(owner, type(sys)):
            if delete:
                owner.__dict__.pop(key, None)
            else:
                owner.__dict__[key] = value
        elif delete:
            delattr(owner, key)
        else:
            setattr(owner, key, value)
    except (AttributeError, TypeError):
        pass


DISPLAY_ONLY = frozenset({"matplotlib", "seaborn", "plotly", "IPython", "ipywidgets", "graphviz", "torchviz"})


class _Absorb:
    """Stands in for anything from a display-only library that is not installed: attributes and calls return it."""

    def __getattr__(self, name: str) -> "_Absorb":
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> "_Absorb":
        return self

    def __iter__(self) -> Any:
        return iter(())

    def __enter__(self) -> "_Absorb":
        return self

    def __exit__(self, *exc: object) -> bool:
        return False


class DisplayStubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Let `import matplotlib.pyplot as plt` succeed where the library is missing, so a plot costs nothing else.

    Consulted only after every real finder failed; each stubbed library is noted once in the report.
    """

    def __init__(self, note: Any) -> None:
        self.note = note
        self.noted: set = set()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name.split(".")[0] not in DISPLAY_ONLY:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec: Any) -> Any:
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda attr: _Absorb()  # type: ignore[method-assign]
        return module

    def exec_module(self, module: Any) -> None:
        top = module.__name__.split(".")[0]
        if top not in self.noted:
            self.noted.add(top)
            self.note(f"{top} is not installed where this was graded: its calls (plots, displays) were ignored")


def _guarded() -> list:
    return [builtins, math, json, json.encoder, os, torch, torch.Tensor, torch._C._TensorMeta, torch.nn.Module,
            torch.nn.functional, torch.autograd, torch.autograd.graph, Variable, torch.optim.Optimizer]


def _send(fd: int, message: dict) -> None:
    data = frame(_dumps(message, separators=(",", ":")).encode())
    while data:
        data = data[_write(fd, data):]


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass


def await_plan(plan_fd: int, result_fd: int, output_fd: int, *, own_tree: bool = False,
               capped: bool = False) -> NoReturn:
    """Wait, forked ahead of time, for the plan the launcher writes on plan_fd, then run it; never returns.

    What needs no plan is done first (confine.detach), every descriptor the launcher held closed with it. The pipe
    closed with nothing on it: exit quietly.
    """
    try:
        from .confine import detach  # Linux only, as confine

        detached = detach(result_fd, output_fd, keep=(plan_fd,))
        chunks = []
        while chunk := os.read(plan_fd, 1 << 20):
            chunks.append(chunk)
        os.close(plan_fd)
        if not chunks:
            _exit(0)
        plan = pickle.loads(b"".join(chunks))  # noqa: S301 - written by the grading process, which we trust
    except BaseException:  # noqa: BLE001 - never unwind into the forked launcher
        _exit(HARNESS_FAULT)
    run_child(plan, result_fd, 1, own_tree=own_tree, capped=capped, detached=detached)


def run_child(plan: ChildPlan, result_fd: int, output_fd: int, *, own_tree: bool = False,
              capped: bool = False, detached: Detached | None = None) -> NoReturn:
    """Confine this process, then run every trial of the plan and exit; never returns into the grading code."""
    try:
        from .confine import confine  # Linux only: imported here so the portable runner can import this module
        level = confine(plan.limits, plan.hidden, plan.workdir, result_fd, output_fd, own_tree=own_tree,
                        capped=capped, detached=detached)
        run_at_level(plan, result_fd, level)
    except BaseException:  # noqa: BLE001 - whatever happens, never unwind into the forked grader
        _exit(HARNESS_FAULT)


def run_at_level(plan: ChildPlan, result_fd: int, level: str) -> NoReturn:
    """Report the isolation level reached, run every trial of the plan (below plan.limits.require: none) and exit.

    Everything sent, it closes its descriptors before exiting (POSIX): the pipes end at once, and the launcher, reading
    the last message, answers while the kernel tears down this process's share of torch's memory (10 ms and more).
    """
    try:
        _send(result_fd, {"kind": "note", "text": SANDBOX_NOTE + level})
        if not meets(level, plan.limits.require):  # the parent reads the note and refuses; nothing else to do
            _exit(TOO_WEAK)
        _run(plan, result_fd)
        _flush()
        if os.name == "posix":
            close_all_but(set())
        _exit(0)
    except BaseException:  # noqa: BLE001 - whatever happens, never unwind into the grader's code
        _exit(HARNESS_FAULT)


def _count(engine: _CountingEngine, earlier: int | None = None) -> int:
    """The backward passes counted so far, or -1 when the engine was replaced (it is put back). Finalizers of
    whatever the submission left unreachable run first, so that code they hold is counted, never run unseen later."""
    gc.collect()
    tampered = Variable._execution_engine is not engine
    Variable._execution_engine = engine
    if tampered or earlier == -1:
        return -1
    return engine.calls


def _run(plan: ChildPlan, fd: int) -> None:
    exercise = plan.exercise
    contract = exercise.contract
    engine = _CountingEngine(Variable._execution_engine)
    Variable._execution_engine = engine
    built = BuiltInputs(plan.built)  # before any student code runs
    files = frozenset(unit.filename for unit in plan.units)
    for unit in plan.units:
        linecache.cache[unit.filename] = (len(unit.source), None, unit.source.splitlines(True), unit.filename)
    probes = {}
    for name, probe in exercise.probes.items():
        namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
        exec(compile(probe.source, f"<probe {name}>", "exec"), namespace)  # noqa: S102 - trusted instructor code
        probes[name] = namespace["probe"]
    sys.meta_path.append(DisplayStubs(lambda text: _send(fd, {"kind": "note", "text": text[:500]})))
    watch = Watch(exercise.rules)  # the rules' functions counted wherever they are reached, before student code
    snapshot = _Snapshot([*_guarded(), *watch.owners])
    namespace = _namespace(plan)
    names = exercise.notebook if plan.notebook and exercise.notebook else None
    dims: dict | None = None  # set once the notebook's variables all existed after a cell: the sizes they use
    for unit in plan.units:
        try:
            code = compile(unit.source, unit.filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            error = {"kind": "syntax", "message": getattr(exc, "msg", str(exc)),
                     "line": getattr(exc, "lineno", None) or 0, "code": (getattr(exc, "text", None) or "").rstrip()}
            if not plan.notebook:
                _send(fd, {"kind": "error", "error": error})
                return
            _send(fd, {"kind": "cell_error", "cell": unit.cell, "error": error})
            continue
        try:
            exec(code, namespace)  # noqa: S102 - the point of the child: run untrusted code, confined
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
            snapshot.restore()
            error = {"kind": "exception", **observe.describe_exception(exc, files)}
            if not plan.notebook:
                _send(fd, {"kind": "error", "error": {**error, "at": "import"}})
                return
            _send(fd, {"kind": "cell_error", "cell": unit.cell, "error": error})
        snapshot.restore()
        if dims is None and names is not None and all(name in namespace for name in names.names):
            dims = notebook_dims(exercise, names, namespace) if plan.notebook_dims else {}
    function = namespace.get(contract.function)
    problem = measures.contract_problem(function, contract)
    if problem is not None and dims is not None:
        _run_freeform(plan, fd, engine, snapshot, probes, files, dims, built, watch)
        return
    if problem is not None:
        defined = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("_")
                         and getattr(v, "__module__", None) == "__submission__")
        _send(fd, {"kind": "error", "error": {"kind": "missing", "message": contract.function, "defined": defined,
                                              **({"found": problem} if contract.base else {})}})
        return
    guard = measures.Guard(restore=snapshot.restore, intact=snapshot.intact)
    _send(fd, {"kind": "loaded"})
    reran = False
    for trial in plan.trials:
        args = build_inputs(exercise, trial.seed, built=built.take(trial.index))
        measures.seed(trial.seed + 1)
        # Per trial, the count tells how many backward() calls filled a .grad (accumulated gradients). Where autograd
        # is forbidden it never restarts: whatever ran it, at import, while inputs were built or between trials, counts.
        if not plan.count_whole_run:
            engine.calls = 0
        watch.start_trial()
        versions = watch.versions(args)
        started = _monotonic()
        instance = None
        try:
            call, instance = measures.prepare(function, contract, trial.seed)
            returned = call(*args.values())
            error = None
        except BaseException as exc:  # noqa: BLE001
            error = observe.describe_exception(exc, files)
        elapsed = _monotonic() - started
        snapshot.restore()  # may drop the submission's last reference to an object whose finalizer runs its code
        calls = _count(engine)
        if error is not None and not reran and anomaly.wanted(error, elapsed,
                                                              plan.limits.timeout_s / (4 * len(plan.trials))):
            error["forward"] = anomaly.forward_frames(_again(plan, function, trial, built), files)
            snapshot.restore()
            reran = True  # once: the first failing trial is the one the report explains
        message: dict = {"kind": "trial", "index": trial.index, "seconds": round(elapsed, 6)}
        if watch.active:
            message["rules"] = watch.report(args, versions)
        if error is not None:
            message["exception"] = error
        else:
            live = args if instance is None else {**args, INSTANCE: instance}
            take = measures.taker(exercise, function, trial.seed, guard=guard)
            def measure() -> dict:
                return observe.measure(returned, live, names=contract.returns, function=contract.function,
                                       probes=probes, seed=trial.seed, max_elements=plan.limits.max_tensor_elements,
                                       take=take)

            message.update(watch.uncounted(lambda: _measured(engine, calls, probes or exercise.measures, measure)))
        _send(fd, message)
    _send(fd, {"kind": "done"})


def _again(plan: ChildPlan, function: Any, trial: Trial, built: BuiltInputs) -> Callable[[], Any]:
    """The trial's call once more, from fresh inputs: for grader.sandbox.anomaly to find an in-place error's line."""
    def call() -> Any:
        args = build_inputs(plan.exercise, trial.seed, built=built.take(trial.index))
        again, _ = measures.prepare(function, plan.exercise.contract, trial.seed)
        measures.seed(trial.seed + 1)
        return again(*args.values())

    return call


def _measured(engine: _CountingEngine, calls: int, probes: dict, measure: Callable[[], dict]) -> dict:
    """The values `measure` encodes, and the autograd count: `calls`, counted before measuring, or later.

    Measuring can run the submission's code too (a returned object's properties); probes are the instructor's and
    may use autograd themselves (as gradcheck does), so only without probes or measurements (`probes` is true when
    there are any) does the count run to the end of the measuring.
    """
    values = measure()
    return {"values": values, "autograd_calls": calls if probes else _count(engine, earlier=calls)}


def _namespace(plan: ChildPlan) -> dict:
    namespace: dict = {"__name__": "__submission__", "__file__": plan.units[0].filename, "__builtins__": builtins}
    if plan.notebook:
        namespace["display"] = print  # Jupyter's display() shows a value; here it prints it
    return namespace


def _run_freeform(plan: ChildPlan, fd: int, engine: _CountingEngine, snapshot: _Snapshot, probes: dict,
                  files: frozenset, dims: dict, built: BuiltInputs, watch: Watch) -> None:
    """Run the notebook's cells again for every trial, its argument variables bound to the trial's inputs."""
    exercise, names = plan.exercise, plan.exercise.notebook
    codes = []
    for unit in plan.units:
        try:
            codes.append(parameterize(unit.source, unit.filename, names))
        except (SyntaxError, ValueError):  # reported by the first run already
            codes.append(None)
    _send(fd, {"kind": "loaded", "freeform": True, "dims": dims})
    for trial in plan.trials:
        measures.seed(trial.seed + 1)
        if not plan.count_whole_run:
            engine.calls = 0
        watch.start_trial()

        def measure(namespace: dict, seed: int = trial.seed) -> dict:
            take = measures.taker(exercise, None, seed, guard=measures.Guard(snapshot.restore, snapshot.intact),
                                  dims=dims)
            def state() -> dict:
                return measure_state(namespace, exercise, names, probes=probes, seed=seed,
                                     max_elements=plan.limits.max_tensor_elements, take=take)

            return watch.uncounted(lambda: _measured(engine, _count(engine), probes or exercise.measures, state))

        started = _monotonic()
        run_trial(plan.units, codes, exercise, names, trial.seed, dims=dims, namespace=_namespace(plan),
                  restore=snapshot.restore, send=lambda message, i=trial.index: _send(fd, {**message, "trial": i}),
                  measure=measure, files=files, built=lambda i=trial.index: built.take(i))
        # the count at the trial's end, which student code cannot send in place of the child's (trials come in
        # order): a state frame it forges can claim any count, so the parent judges no_autograd by the worst seen
        end = {"kind": "trial", "index": trial.index, "seconds": round(_monotonic() - started, 6),
               "freeform": True, "autograd_calls": _count(engine)}
        if watch.active:  # the inputs a notebook writes in place show in its measured variables: the parent compares
            end["rules"] = watch.report({}, {})
        _send(fd, end)
    _send(fd, {"kind": "done"})
