"""Judge an exercise's `rules:` on a submission: its source read here (never run), and what each trial counted.

The child's counts are the submission's claim (it can write frames of its own), so a rule that asks for something
needs both halves: `requires` needs the source to name the function and every trial to count a call of it,
`uses_autograd` needs the source to use autograd and every trial to count enough backward passes. A rule that
forbids something is broken by either half: the source naming the function, or any count of a call.
"""

from __future__ import annotations

from typing import Any

import torch

from .compare import as_tensor
from .diagnose import Finding
from .exercise import Exercise
from .inputs import Trial
from .result import CheckResult
from .ruleset import IN_PLACE_ON_INPUTS, SPECIAL_FORBIDS, Use, autograd_use, first_use, read_all, resolve

IN_PLACE_FORMS = "x.add_(...), x[...] = ..., x += ..."


def broken_rule(exercise: Exercise, units: tuple[Any, ...], messages: tuple[dict, ...], expected: list,
                trials: tuple[Trial, ...]) -> Finding | None:
    """The first rule of the exercise the submission breaks, with the evidence, or None.

    `units` are the submission's code (grader.source.Unit), `messages` the child's validated frames, `expected`
    the oracle's expectations per trial (their `before` holds each input as it was built).
    """
    rules = exercise.rules
    if not rules:
        return None
    ends: list[dict | None] = [None] * len(trials)  # each trial's end: the child's counts, autograd calls, values
    for message in messages:
        if message["kind"] == "trial" and 0 <= message["index"] < len(trials):
            ends[message["index"]] = message
    read = list(zip(units, read_all([unit.source for unit in units])))  # a notebook's cells share their imports
    why = (_forbidden(rules.forbids, read, ends, trials) or _in_place(exercise, messages, ends, expected, trials)
           or _required(rules.requires, read, ends, trials) or _one_of(rules.one_of, read, ends, trials)
           or _autograd(rules.uses_autograd, units, read, ends,
                                                                          trials))
    if why is None:
        return None
    return Finding("rule", f"{why}\n{rules.hint}" if rules.hint else why)


def enforce(checks: tuple[CheckResult, ...], broken: Finding | None) -> tuple[CheckResult, ...]:
    """Every check failed with the broken rule's diagnosis and message; the checks unchanged when none is broken."""
    if broken is None:
        return checks
    return tuple(CheckResult(name=c.name, kind=c.kind, passed=False, score=0.0, max_score=c.max_score,
                             diagnosis=broken.code, message=broken.message) for c in checks)


def _where(unit: Any, use: Use) -> str:
    return f"line {use.line}" if unit.cell is None else f"cell {unit.cell}, line {use.line}"


def _finished(end: dict | None) -> bool:
    """A trial whose call returned (or a notebook's re-run that ended): what `requires` is judged on."""
    return end is not None and ("values" in end or bool(end.get("freeform")))


def _count(end: dict, name: str) -> int:
    counts = end.get("rules", {}).get("counts", {})
    return counts.get(name, 0)


def _forbidden(forbids: tuple[str, ...], read: list, ends: list, trials: tuple[Trial, ...]) -> str | None:
    named = [name for name in forbids if name not in SPECIAL_FORBIDS]
    for name in named:
        target = resolve(name)
        for unit, found in read:
            use = first_use(found, target)
            if use is not None:
                alias = f" (as {use.path})" if use.path != name else ""
                return f"This exercise forbids {name}: {_where(unit, use)} {use.how} it{alias}."
    for name in named:  # the source does not name it plainly, yet it ran: reached by reflection
        for trial, end in zip(trials, ends):
            if end is not None and _count(end, name) > 0:
                return (f"This exercise forbids {name}: your code called it {_count(end, name)} time(s) by the "
                        f"end of {trial.label}.")
    return None


def _in_place(exercise: Exercise, messages: tuple[dict, ...], ends: list, expected: list,
              trials: tuple[Trial, ...]) -> str | None:
    """Inputs written in place: the child's version counters, or the input's values after the call (which also
    catches writes through x.data, whose version counter is a fresh one)."""
    if IN_PLACE_ON_INPUTS not in exercise.rules.forbids:
        return None
    names = exercise.input_names
    for trial, end in zip(trials, ends):
        modified = [n for n in (end or {}).get("rules", {}).get("modified", []) if n in names]
        if modified:
            return _in_place_message(modified, trial)
    for message in messages:  # a function's trial ends, and a free-form notebook's states after each cell
        index = message.get("trial" if message["kind"] == "state" else "index")
        if message["kind"] not in ("trial", "state") or "values" not in message or not 0 <= index < len(trials):
            continue
        after, before = message["values"]["args"], expected[index].before
        changed = [n for n in names if n in after and _tensor(before.get(n)) and _changed(before[n], after[n])]
        if changed:
            return _in_place_message(changed, trials[index])
    return None


def _tensor(node: Any) -> bool:
    return isinstance(node, dict) and node.get("t") == "tensor"


def _changed(before: Any, after: Any) -> bool:
    want, got = as_tensor(before), as_tensor(after)
    if not isinstance(want, torch.Tensor) or not isinstance(got, torch.Tensor) or want.shape != got.shape:
        return False  # nothing to compare: other checks judge an input that is no longer a tensor of its shape
    return not bool(torch.isclose(want, got, rtol=0, atol=0, equal_nan=True).all())


def _in_place_message(names: list[str], trial: Trial) -> str:
    listed = ", ".join(names)
    verb = "was" if len(names) == 1 else "were"
    return (f"This exercise forbids in-place operations on its inputs: {listed} {verb} modified in place on "
            f"{trial.label} ({IN_PLACE_FORMS.replace('x', names[0])}). Build new tensors instead "
            f"({names[0]} + 1, {names[0]}.clone()).")


def _required(requires: tuple[str, ...], read: list, ends: list, trials: tuple[Trial, ...]) -> str | None:
    for name in requires:
        target = resolve(name)
        if all(first_use(found, target) is None for _, found in read):
            return f"This exercise requires {name}: your code never calls it."
        for trial, end in zip(trials, ends):
            if _finished(end) and _count(end, name) < 1:
                return f"This exercise requires {name}: your code did not call it on {trial.label}."
    return None


def _one_of(groups: tuple[tuple[str, ...], ...], read: list, ends: list, trials: tuple[Trial, ...]) -> str | None:
    """A group of `requires` is met by any of its names: one named in the source, and one called on every trial."""
    for group in groups:
        listed = f"one of {', '.join(group[:-1])} or {group[-1]}"
        if all(first_use(found, resolve(name)) is None for name in group for _, found in read):
            return f"This exercise requires {listed}: your code never calls any of them."
        for trial, end in zip(trials, ends):
            if _finished(end) and all(_count(end, name) < 1 for name in group):
                return f"This exercise requires {listed}: your code called none of them on {trial.label}."
    return None


def _autograd(least: int, units: tuple[Any, ...], read: list, ends: list, trials: tuple[Trial, ...]) -> str | None:
    if not least:
        return None
    if all(autograd_use(unit.source, found) is None for unit, (_, found) in zip(units, read)):
        return ("This exercise requires autograd: your code never calls backward() nor torch.autograd.grad. Let "
                "autograd compute the gradients instead of a formula worked out by hand.")
    for trial, end in zip(trials, ends):
        calls = end.get("autograd_calls", 0) if _finished(end) else None
        if calls == -1:
            return f"This exercise requires autograd: your code replaced torch's autograd engine ({trial.label})."
        if calls is not None and calls < least:
            return (f"This exercise requires autograd, at least {least} backward() or torch.autograd.grad call(s) "
                    f"on each trial: your code ran {calls} on {trial.label}.")
    return None
