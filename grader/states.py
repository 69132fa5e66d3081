"""Judge a free-form notebook re-run on every trial's inputs: the variables after one cell, the best cell wins.

The child (grader.sandbox.freeform) re-ran the cells once per trial with the argument variables bound to the
trial's inputs and measured the variables after each cell. The cell is chosen once for all trials, so every trial
grades the same code; the reference ran on the grader's inputs alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .exercise import Exercise
from .inputs import Trial
from .result import CheckResult

MAX_CELLS = 64  # candidate cells judged: each costs a full scoring over every trial
SHAPES_SHOWN = 4  # inputs described when a cell fails on the grader's inputs
FAILED_CELLS_SHOWN = 3


@dataclass(frozen=True)
class Rerun:
    """What the child sent for the re-runs: per trial, each measured cell's state and each failed cell's error."""

    states: tuple[dict, ...]  # trial index -> {cell: (values, autograd_calls)}
    errors: tuple[dict, ...]  # trial index -> {cell: exception info}
    finished: frozenset[int]  # trials whose re-run reached its end


def collect(messages: tuple[dict, ...], trials: int, *, whole_run: bool = False) -> Rerun:
    """Sort the re-run's messages by trial; at most MAX_CELLS states per trial count.

    `whole_run`: the child counted autograd over the whole run (a no_autograd check), so each count only grows.
    Student code can write state frames of its own to the result pipe, with any count; every state then carries
    the worst count the run reported, its trials' ends included, which the child alone sends.
    """
    states: list[dict] = [{} for _ in range(trials)]
    errors: list[dict] = [{} for _ in range(trials)]
    finished = set()
    counts = [m["autograd_calls"] for m in messages if m["kind"] in ("state", "trial") and "autograd_calls" in m]
    worst = -1 if -1 in counts else max(counts, default=0)
    for message in messages:
        index = message.get("trial")
        if message["kind"] == "trial" and message.get("freeform"):
            finished.add(message["index"])
        elif not isinstance(index, int) or not 0 <= index < trials:
            continue
        elif message["kind"] == "state" and len(states[index]) < MAX_CELLS:
            states[index][message["cell"]] = (message["values"], worst if whole_run else message["autograd_calls"])
        elif message["kind"] == "cell_error":
            errors[index].setdefault(message["cell"], message["error"])
    return Rerun(states=tuple(states), errors=tuple(errors), finished=frozenset(finished))


def grade_rerun(exercise: Exercise, trials: tuple[Trial, ...], rerun: Rerun, dims: dict[str, int], *,
                score: Callable[[list], tuple[CheckResult, ...]], outcome: Callable[..., Any]) -> \
        tuple[tuple[CheckResult, ...] | None, str]:
    """The checks at the best cell, and the note that tells the student how the notebook was graded.

    `score(outcomes)` scores every check over the trials; `outcome(values=..., autograd_calls=..., exception=...)`
    builds one trial's outcome (grader.grade.Outcome).
    """
    names = exercise.notebook
    cells = sorted({cell for per_trial in rerun.states for cell in per_trial})[:MAX_CELLS]
    if not cells:
        return None, (f"the variables {', '.join(names.names)} never all existed when the cells ran on the grader's "
                      f"inputs")
    best: tuple[float, tuple[CheckResult, ...], int] | None = None
    for cell in cells:
        outcomes = [_outcome(rerun, trial.index, cell, outcome) for trial in trials]
        checks = score(outcomes)
        total = sum(check.score for check in checks)
        if best is None or total > best[0]:
            best = (total, checks, cell)
    assert best is not None
    variables = ", ".join(dict.fromkeys(names.args.values()))
    sizes = ", ".join(f"{name} = {size}" for name, size in dims.items())
    sized = f" (at your notebook's sizes, {sizes})" if sizes else ""
    return best[1], (f"graded the notebook's variables {', '.join(names.names)} as they stood after cell {best[2]} "
                     f"(the best of {len(cells)} cell(s) at which they all existed). Your cells were run again for "
                     f"each of the {len(trials)} trials, and every assignment to {variables} took the trial's "
                     f"input{sized} instead of your value: compute the results from those variables, never from "
                     f"fixed numbers")


def _outcome(rerun: Rerun, index: int, cell: int, outcome: Callable[..., Any]) -> Any:
    state = rerun.states[index].get(cell)
    if state is not None:
        return outcome(values=state[0], autograd_calls=state[1])
    if index not in rerun.finished:
        return outcome()  # the run ended before this trial finished: the cause is the run's
    failed = [c for c in rerun.errors[index] if c <= cell]
    if failed:
        return outcome(exception=rerun.errors[index][failed[-1]])
    return outcome(exception={"type": "NameError", "frames": [],
                              "message": f"after cell {cell} the notebook's variables did not all exist on this "
                                         f"trial's inputs"})


def failed_cell_notes(rerun: Rerun, trials: tuple[Trial, ...], expected: list, first_run: set,
                      describe: Callable[[dict], str]) -> list[str]:
    """Cells that ran on the notebook's own values but failed on the grader's inputs, once each, with the inputs."""
    notes, seen = [], set(first_run)
    for trial, expectation in zip(trials, expected):
        for cell, error in sorted(rerun.errors[trial.index].items()):
            if cell in seen or len(notes) >= FAILED_CELLS_SHOWN:
                continue
            seen.add(cell)
            shapes = "; ".join(f"{name}: {_shape(node)}" for name, node in
                               list(expectation.before.items())[:SHAPES_SHOWN])
            notes.append(f"cell {cell} ran on your own values but failed on the grader's inputs ({trial.label}: "
                         f"{shapes}): {describe(error)}. The exercise's inputs change in value and shape from trial "
                         f"to trial: write cells that work for any of them")
    return notes


def _shape(node: Any) -> str:
    if isinstance(node, dict) and node.get("t") == "tensor" and "shape" in node:
        grad = ", requires_grad" if node.get("requires_grad") else ""
        return f"shape {tuple(node['shape'])} {node.get('dtype')}{grad}"
    return type(node).__name__ if not isinstance(node, dict) else str(node.get("cls", node.get("t")))
