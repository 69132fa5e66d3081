"""Grade a free-form notebook on its variables: the exercise's names as they stood after each cell, best state wins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import Settings
from .exercise import Exercise
from .inputs import Trial
from .result import CheckResult

if TYPE_CHECKING:
    from .diagnose import Finding


def grade_states(exercise: Exercise, oracle: Any, states: list[dict], settings: Settings, *,
                 by_hand: Finding | None = None) -> tuple[tuple[CheckResult, ...] | None, str]:
    """The checks of the best-scoring state, and a note naming the cell graded (or why none could be).

    `by_hand`: grader.byhand's finding on the notebook's source, for no_autograd checks.
    """
    from .grade import Outcome, score_check
    from .oracle import UnusableState, args_from_state, expect

    names = ", ".join(exercise.notebook.names)
    best: tuple[float, tuple[CheckResult, ...], int] | None = None
    reasons = []
    for state in states:
        trial = Trial(index=0, seed=0, hidden=False, cell=state["cell"])
        encoded = state["values"]["args"]
        try:
            expected = expect(oracle, trial, max_elements=settings.limits.max_tensor_elements,
                              make_args=lambda encoded=encoded: args_from_state(exercise, encoded))
        except UnusableState as why:
            reasons.append(f"after cell {state['cell']}: {why}")
            continue
        outcome = Outcome(values=state["values"], autograd_calls=state["autograd_calls"])
        checks = tuple(score_check(check, exercise, (trial,), [expected], [outcome], settings, None,
                                   by_hand=by_hand) for check in exercise.checks)
        score = sum(c.score for c in checks)
        if best is None or score > best[0]:
            best = (score, checks, state["cell"])
    if best is None:
        return None, f"The notebook's variables {names} could not be graded ({'; '.join(reasons[:3])})"
    return best[1], (f"graded the notebook's variables {names} as they stood after cell {best[2]}, the best of "
                     f"{len(states)} state(s) in which they all existed")
