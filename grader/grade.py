"""The pipeline: exercise + submission -> Grade. Pure: no printing, no exiting."""

from __future__ import annotations

import dataclasses
import math
import secrets
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .exercise import Check, Exercise
from .inputs import Trial, make_trials, pack_built
from .result import CheckResult, Grade, GradeError
from .sandbox.protocol import SANDBOX_NOTE
from .source import Submission, Unit, units_for

if TYPE_CHECKING:
    from .diagnose import Finding

PRINT_HEAVY_BYTES = 100_000  # output past this (or half the output limit) when time runs out: printing took the time
MEMORY_HINTS = ("can't allocate memory", "not enough memory", "DefaultCPUAllocator", "out of memory")


def hidden_seeds(count: int, base: int | None = None) -> tuple[int, ...]:
    """Fresh seeds for hidden trials, or the ones a report printed when `base` is given to reproduce it."""
    start = secrets.randbelow(2**31 - 1000) + 1000 if base is None else base
    return tuple(start + i for i in range(count))


@dataclass(frozen=True)
class Outcome:
    """What one trial of the child gave: values, an exception, or nothing (the run ended before it)."""

    values: dict | None = None
    autograd_calls: int = 0
    exception: dict | None = None


@dataclass(frozen=True)
class Pending:
    """A submission ready to run: the plan for its child and what judging the run will need."""

    exercise: Exercise
    submission: Submission
    settings: Settings
    trials: tuple[Trial, ...]
    plan: Any
    base: dict


def prepare(exercise: Exercise, submission: Submission, settings: Settings, *,
            seeds: tuple[int, ...], hide: tuple[Path, ...] = ()) -> Grade | Pending:
    """The child's plan for this submission, or at once its Grade when it cannot run at all.

    The child never sees the exercises and solutions folders, the course's fixtures.py, nor the folders in `hide`,
    where the kernel allows. The exercise's own limits apply (Settings.for_exercise), here and when judging.
    """
    from .sandbox.child import ChildPlan
    from .sandbox.runner import new_workdir

    settings = settings.for_exercise(exercise.limits)
    trials = make_trials(exercise.public_seeds, seeds)
    base = dict(exercise=exercise.id, title=exercise.title, version=exercise.version,
                submission=str(submission.path), public_seeds=exercise.public_seeds, hidden_seeds=seeds)
    if submission.problem is not None:
        error = GradeError("syntax", submission.problem, submission.problem_line)
        return Grade(checks=_all_failed(exercise, error), error=error, **base)
    plan = ChildPlan(units=units_for(submission, exercise.id), notebook=submission.cells is not None,
                     exercise=exercise.public(), trials=trials, limits=settings.limits, workdir=new_workdir(),
                     hidden=tuple(str(p) for p in (settings.exercises_dir, settings.solutions_dir, *hide,
                                                   *fixture_files(exercise.fixtures, settings.fixtures))),
                     count_whole_run=any(check.kind == "no_autograd" for check in exercise.checks),
                     notebook_dims=exercise.expected is None, built=pack_built(exercise, trials))
    return Pending(exercise, submission, settings, trials, plan, base)


def fixture_files(*paths: Path | None) -> tuple[Path, ...]:
    """A course's fixtures file and any compiled copy of it in __pycache__ beside it: what the child must not read."""
    found: list[Path] = []
    for path in dict.fromkeys(p.resolve() for p in paths if p is not None):
        found += [path, *sorted((path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"))]
    return tuple(found)


def expectations(oracle: Any, trials: tuple[Trial, ...], settings: Settings, *,
                 dims: dict[str, int] | None = None) -> list:
    """The reference's values for each trial: the same for every submission given the same seeds (and dims).

    The reference and the mistakes run within the exercise's own timeout (Settings.for_exercise).
    """
    from .oracle import expect
    from .validate import check_vacuous

    limits = settings.for_exercise(oracle.exercise.limits).limits
    found = [expect(oracle, trial, max_elements=limits.max_tensor_elements, timeout_s=limits.timeout_s, dims=dims)
             for trial in trials]
    if oracle.exercise.expected is None:
        check_vacuous(oracle.exercise, found)  # a bundle's stored values were checked when the bundle was made
    return found


def grade_submission(exercise: Exercise, submission: Submission, settings: Settings, *, spawner: Any,
                     seeds: tuple[int, ...], oracle: Any = None) -> Grade:
    """Run the submission in a sandboxed child while the oracle computes expectations here, then judge.

    `spawner` is a grader.sandbox.spawner.Spawner started before any exercise was loaded.
    """
    from .oracle import build_oracle

    pending = prepare(exercise, submission, settings, seeds=seeds)
    if isinstance(pending, Grade):
        return pending
    spawner.start(pending.plan)
    try:
        oracle = oracle or build_oracle(exercise)
        expected = expectations(oracle, pending.trials, settings)
    finally:
        raw = spawner.wait()
    return conclude(pending, raw, oracle, expected)


def conclude(pending: Pending, raw: Any, oracle: Any, expected: list) -> Grade:
    """Judge the child's raw run against the expectations; the child's working folder is removed here."""
    from .rules import broken_rule, enforce
    from .sandbox.runner import read_run

    exercise, submission, settings, trials = pending.exercise, pending.submission, pending.settings, pending.trials
    limits, base = settings.limits, dict(pending.base)
    run = read_run(raw, limits, trials=len(trials))
    shutil.rmtree(pending.plan.workdir, ignore_errors=True)  # the launcher removes it too, unless it was killed
    slow = dict.fromkeys(note for e in expected for note in e.notes)  # each overrunning mistake once, in order
    notes = tuple(slow) + submission.notes + tuple(_cell_notes(run, exercise.contract.function, pending.plan.units))
    output = run.output[: limits.output_limit_kb << 10]
    base.update(sandbox=_sandbox_level(run), output=output, seconds=run.seconds,
                output_truncated=run.output_bytes > len(output.encode()), timeout_s=limits.timeout_s,
                handin_trials=_handin_trials(exercise, settings, oracle),
                trial_seconds=tuple(float(m["seconds"]) for m in run.messages if m["kind"] == "trial"))
    try:
        error, cut_short, outcomes = _interpret(run, exercise, trials, settings, units=pending.plan.units)
        by_hand = _audit_by_hand(pending)
        rerun = next((m for m in run.messages if m["kind"] == "loaded" and m.get("freeform")), None)
        dims = _allowed_dims(exercise, rerun.get("dims") or {}) if rerun and pending.plan.notebook_dims else {}
        if dims:  # the notebook's own sizes: the reference runs on the grader's values at those sizes
            expected = expectations(oracle, trials, settings, dims=dims)
        broken = broken_rule(exercise, pending.plan.units, run.messages, expected, trials)

        def score(outcomes: list[Outcome]) -> tuple[CheckResult, ...]:
            return enforce(tuple(score_check(check, exercise, trials, expected, outcomes, settings, cut_short,
                                             by_hand=by_hand, units=pending.plan.units)
                                 for check in exercise.checks), broken)

        if rerun is not None:
            return _grade_rerun(pending, run, expected, score, dims, error=error, cut_short=cut_short, notes=notes,
                                base=base)
        if error is not None and error.kind in ("syntax", "missing") or not any(o.values for o in outcomes):
            checks = _all_failed(exercise, error or cut_short or GradeError("crash", "no trial finished"))
        else:
            checks = score(outcomes)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, AttributeError) as exc:
        # The frames passed validation yet could not be read: still the submission's crash, never the grader's.
        error = GradeError("crash", f"the child sent back a result the grader could not read "
                                    f"({type(exc).__name__}: {exc})")
        checks = _all_failed(exercise, error)
    return Grade(checks=checks, error=error, notes=notes, **base)


def _allowed_dims(exercise: Exercise, dims: dict) -> dict[str, int]:
    """The sizes the child reports the notebook chose, kept only where the exercise's ranges allow them."""
    return {name: size for name, size in dims.items()
            if name in exercise.dims and exercise.dims[name][0] <= size <= exercise.dims[name][1]}


def _grade_rerun(pending: Pending, run: Any, expected: list, score: Any, dims: dict[str, int], *,
                 error: GradeError | None, cut_short: GradeError | None, notes: tuple[str, ...], base: dict) -> Grade:
    """A free-form notebook, re-run by the child on every trial's inputs: judged at its best cell."""
    from .states import collect, failed_cell_notes, grade_rerun

    exercise, trials = pending.exercise, pending.trials
    rerun = collect(run.messages, len(trials), whole_run=pending.plan.count_whole_run)
    first_run = {m["cell"] for m in run.messages if m["kind"] == "cell_error" and "trial" not in m}
    failed = failed_cell_notes(rerun, trials, expected, first_run, describe=lambda info: _exception_error(
        info, exercise.contract.function, at_import=True, units=pending.plan.units).message)
    checks, note = grade_rerun(exercise, trials, rerun, dims, score=score, outcome=Outcome)
    if checks is None:
        error = error or cut_short or GradeError("missing", f"{note}: nothing could be graded")
        checks = _all_failed(exercise, error)
    return Grade(checks=checks, error=error, notes=(*notes, *failed, note), **base)


def ungraded(exercise: Exercise, error: GradeError, *, submission: str = "") -> Grade:
    """A zero for every check, with the reason: e.g. an assigned exercise the student handed in nothing for."""
    return Grade(exercise=exercise.id, title=exercise.title, version=exercise.version, submission=submission,
                 checks=_all_failed(exercise, error), error=error, public_seeds=exercise.public_seeds)


def _audit_by_hand(pending: Pending) -> Finding | None:
    """The static half of a no_autograd check (grader.byhand), read here from the source, never in the child."""
    if not pending.plan.count_whole_run:  # set exactly when the exercise has a no_autograd check
        return None
    from .byhand import audit

    return audit(pending.plan.units, pending.exercise.contract)


def course_trials(exercise: Exercise, settings: Settings) -> int:
    """How many trials the course's grading runs within one time limit: the public ones and the hidden ones."""
    return len(exercise.public_seeds) + (settings.hidden_trials if exercise.hidden_trials is None
                                         else exercise.hidden_trials)


def _handin_trials(exercise: Exercise, settings: Settings, oracle: Any) -> int:
    """How many trials hand-in grading runs within the same limit: a bundle's stored count, else the course's."""
    if exercise.expected is not None:  # a student bundle: its config runs no hidden trials; the bundle recorded them
        return int(getattr(oracle, "handin_trials", 0))
    return course_trials(exercise, settings)


def _sandbox_level(run: Any) -> str:
    """The isolation level the child reported reaching (informational: the child could lie about it)."""
    levels = [m["text"][len(SANDBOX_NOTE):] for m in run.messages
              if m["kind"] == "note" and m["text"].startswith(SANDBOX_NOTE)]
    return levels[0] if levels else "unknown (the child ended before reporting it)"


def _cell_notes(run: Any, function: str, units: tuple[Unit, ...] = ()) -> list[str]:
    """What the child reported along the way: notebook cells that failed, libraries stubbed out."""
    notes = []
    for message in run.messages:
        if message["kind"] == "cell_error" and "trial" not in message:  # the re-runs' failures: grader.states
            info = message["error"]
            if info["kind"] == "syntax":
                text = _syntax_text(info)
            else:
                text = _exception_error(info, function, at_import=True, units=units).message
            notes.append(f"cell {message['cell']} failed and was skipped; later cells ran anyway: {text}")
        elif message["kind"] == "note" and not message["text"].startswith(SANDBOX_NOTE):
            notes.append(message["text"])
    return notes


def _syntax_text(info: dict) -> str:
    return f"line {info['line']}: {info['message']}"


def _all_failed(exercise: Exercise, error: GradeError) -> tuple[CheckResult, ...]:
    """A zero for every check, each carrying the error's diagnosis, or its known mistake where that names the check."""
    mistake = next((m for m in exercise.mistakes if m.id == error.mistake), None)
    results = []
    for c in exercise.checks:
        named = mistake if mistake is not None and (not mistake.checks or c.name in mistake.checks) else None
        results.append(CheckResult(name=c.name, kind=c.kind, passed=False, score=0.0, max_score=c.points,
                                   diagnosis=named.diagnosis if named else error.diagnosis or error.kind,
                                   message=f"not graded: {error.message}", mistake=named.id if named else None,
                                   hidden=c.hidden))
    return tuple(results)


def _raised(info: dict, exercise: Exercise, *, at_import: bool, check: str | None = None,
            units: tuple[Unit, ...] = ()) -> GradeError:
    """The error for an exception, told as the exercise's `raises` mistake when it matches one (which wins over the
    generic explanation of grader.explain)."""
    from .feedback import raised_mistake

    mistake = raised_mistake(exercise, info, check)
    error = _exception_error(info, exercise.contract.function, at_import=at_import,
                             units=units if mistake is None else ())
    if mistake is None:
        return error
    full = f"{info['type']}: {info['message']}" if info["message"] else info["type"]
    first = f"{info['type']}: {info['message'].split(chr(10), 1)[0]}" if info["message"] else info["type"]
    # torch's first line and the student's line, then the author's explanation in place of torch's long advice
    text = first + error.message[len(full):] if error.message.startswith(full) else error.message
    return dataclasses.replace(error, message=f"{text}\n{mistake.message}", mistake=mistake.id)


def _exception_error(info: dict, function: str, *, at_import: bool, units: tuple[Unit, ...] = ()) -> GradeError:
    """The error for an exception: torch's words, the student's line, and (grader.explain) the cause and the fix."""
    from .explain import explain

    text = f"{info['type']}: {info['message']}" if info["message"] else info["type"]
    kind = "memory" if info["type"] == "MemoryError" or any(h in info["message"] for h in MEMORY_HINTS) else \
        "exception"
    frame = info["frames"][-1] if info["frames"] else None
    where = "while loading the file" if at_import else f"in {function}()"
    if frame:
        cell = frame.get("file", "")
        if cell.startswith("<cell ") and frame["function"] == "<module>":
            where = f"in {cell[1:-1]}"
        elif cell.startswith("<cell "):  # a function defined in a notebook: its line counts from its cell's top
            where += f" in {cell[1:-1]}"
        where += f", line {frame['line']}: {frame['code'].strip()}"
    hint = ""
    if info["type"] == "NotImplementedError":
        hint = f" -- {function}() still holds the starter's placeholder: replace the raise with your answer"
    elif kind == "memory":
        hint = " -- the submission ran out of memory: look for tensors far larger than the inputs"
    explained = explain(info, units, info.get("forward") or ()) if kind == "exception" and units else None
    if explained is not None:
        hint = f"\n{explained.text}"
    return GradeError(kind, f"{text} ({where}){hint}", frame["line"] if frame else None,
                      frame["code"] if frame else None, diagnosis=explained.diagnosis if explained else None)


def _interpret(run: Any, exercise: Exercise, trials: tuple[Trial, ...], settings: Settings, *,
               units: tuple[Unit, ...] = ()) -> tuple[GradeError | None, GradeError | None, list[Outcome]]:
    """Per-trial outcomes, the submission-level error (the first problem), and why the run ended early, if it did."""
    function = exercise.contract.function
    outcomes = [Outcome() for _ in trials]
    error: GradeError | None = None
    done = False
    reruns = 0
    for message in run.messages:
        if message["kind"] == "error":
            info = message["error"]
            if info["kind"] == "syntax":
                error = GradeError("syntax", _syntax_text(info), info["line"], info["code"])
            elif info["kind"] == "missing" and exercise.contract.base:
                error = GradeError("missing", f"{function} must be a class deriving from {exercise.contract.base}; "
                                   f"found {info.get('found') or 'nothing by that name'}. Define it as: class "
                                   f"{function}({exercise.contract.base}): ...")
            elif info["kind"] == "missing":
                defined = ", ".join(info.get("defined") or []) or "no functions"
                error = GradeError("missing", f"the file does not define {function}(); it defines {defined}. "
                                   f"Define it with this signature: {exercise.contract.signature}")
            else:
                error = _raised(info, exercise, at_import=True, units=units)
        elif message["kind"] == "trial":
            if message.get("freeform"):  # a notebook's re-run: its states are judged by grader.states
                reruns += 1
            elif "exception" in message:
                outcomes[message["index"]] = Outcome(exception=message["exception"])
                error = error or _raised(message["exception"], exercise, at_import=False, units=units)
            else:
                outcomes[message["index"]] = Outcome(values=message["values"],
                                                      autograd_calls=message["autograd_calls"])
        elif message["kind"] == "done":
            done = True
    clean = run.malformed is None and run.over_limit is None and not run.timed_out  # a forged "done" + a spin
    if error is not None and error.kind in ("syntax", "missing") or done and clean:
        return error, None, outcomes
    ran = max(reruns, sum(1 for o in outcomes if o.values is not None or o.exception is not None))
    loaded = any(m["kind"] == "loaded" for m in run.messages)
    during = " while loading the file" if not loaded else f" during {trials[ran].label}" if ran < len(trials) else ""
    limits = settings.limits
    if run.timed_out or run.signal == getattr(signal, "SIGXCPU", None):  # Windows has no SIGXCPU
        cause = GradeError("timeout", _timeout_text(run, limits, trials, ran, during))
    elif run.output_exceeded:
        cause = GradeError("output_limit", f"printed more than {limits.output_limit_kb} KB{during}; remove prints "
                                           f"inside loops")
    elif run.over_limit is not None:
        cause = GradeError("result_limit", f"the submission sent the grader {run.over_limit}{during}, past its limit: "
                                           f"the code writes to a file descriptor it did not open (the grader's "
                                           f"result pipe). Remove those writes; use print() instead")
    elif run.malformed is not None:
        cause = GradeError("crash", f"the grading process got a malformed result{during}: {run.malformed}")
    elif run.signal is not None:
        name = signal.Signals(run.signal).name if run.signal in signal.Signals._value2member_map_ else run.signal
        memory = run.signal == signal.SIGKILL
        cause = GradeError("memory" if memory else "crash",
                           f"the process was killed by {name}{during}" + (" (likely out of memory)" if memory else ""))
    else:
        how = "called os._exit() or sys.exit()" if run.exit_code in (0, 1) else f"exited with status {run.exit_code}"
        cause = GradeError("crash", f"the process ended before grading finished{during}: the code {how}")
    return error or cause, cause, outcomes


def _timeout_text(run: Any, limits: Any, trials: tuple[Trial, ...], ran: int, during: str) -> str:
    """Why the run hit its time limit, told from what it shows: slow trials, heavy printing, or a trial that never ended.

    The trial times come from the child: they choose the words, never the score."""
    times = [float(m["seconds"]) for m in run.messages if m["kind"] == "trial" and not m.get("freeform")]
    times = [t for t in times if math.isfinite(t) and t >= 0]
    each = sum(times) / len(times) if times else 0.0
    head = f"stopped after {limits.timeout_s:g} s{during}"
    if times and each * len(trials) >= limits.timeout_s / 2:  # the finished trials alone need half the limit or more
        return (f"{head}: your code is too slow rather than stuck: each finished trial took {each:.1f} s, and the "
                f"{len(trials)} trials must all finish within {limits.timeout_s:g} s. Make it faster: replace Python "
                f"loops over tensor elements with tensor operations, and do not repeat work (such as a training loop "
                f"run again on every call)")
    if run.output_bytes >= min(PRINT_HEAVY_BYTES, (limits.output_limit_kb << 10) // 2):
        return (f"{head}, after printing {run.output_bytes >> 10} KB: printing that much takes time; remove the "
                f"prints inside loops (print a few values, not every step)")
    before = f", although the {len(times)} trial(s) before it finished in time" if times else ""
    return (f"{head}{before}: look for a loop that never ends (a while loop whose condition never changes) or a "
            f"call that waits forever (input(), a lock, a network read)")


def _ignores_inputs(check: Check, expectations: list, outcomes: list[Outcome]) -> bool:
    """Whether a value or gradient came out identical on every trial while the reference's did not."""
    import torch

    from .compare import as_tensor, resolve

    def number(values: dict) -> Any:
        node = resolve(values, check.target)
        if check.kind == "grad":
            node = node.get("grad") if isinstance(node, dict) and node.get("t") == "tensor" else None
        found = as_tensor(node)
        return found if isinstance(found, torch.Tensor) else None

    def same(found: list) -> bool:
        first = found[0]
        return all(t is not None and first is not None and t.shape == first.shape
                   and bool(torch.isclose(t, first, rtol=0, atol=0, equal_nan=True).all()) for t in found)

    if check.kind not in ("value", "grad"):
        return False
    ran = [(e, o) for e, o in zip(expectations, outcomes) if o.values is not None]
    if len(ran) < 2:
        return False
    return same([number(o.values) for _, o in ran]) and not same([number(e.reference) for e, _ in ran])


def score_check(check: Check, exercise: Exercise, trials: tuple[Trial, ...], expectations: list,
                outcomes: list[Outcome], settings: Settings, cut_short: GradeError | None, *,
                by_hand: Finding | None = None, units: tuple[Unit, ...] = ()) -> CheckResult:
    """Score one check, in the exercise author's words where the check gives a hint, and hidden if it says so.

    `units` is the submission's code, which grader.explain reads to explain an exception (never to score it).
    """
    from .feedback import finish

    return finish(check, _score_check(check, exercise, trials, expectations, outcomes, settings, cut_short,
                                      by_hand=by_hand, units=units))


def _score_check(check: Check, exercise: Exercise, trials: tuple[Trial, ...], expectations: list,
                 outcomes: list[Outcome], settings: Settings, cut_short: GradeError | None, *,
                 by_hand: Finding | None = None, units: tuple[Unit, ...] = ()) -> CheckResult:
    """A check passes only when it passes on every trial; the first failing trial explains it.

    `by_hand` is grader.byhand's finding on the source, which fails a no_autograd check whatever the run counted.
    """
    from .compare import judge, match_mistake

    rtol = check.rtol if check.rtol is not None else settings.rtol
    atol = check.atol if check.atol is not None else settings.atol
    fail = dict(name=check.name, kind=check.kind, passed=False, score=0.0, max_score=check.points)
    if check.kind == "no_autograd" and by_hand is not None:
        return CheckResult(**fail, diagnosis=by_hand.code, message=by_hand.message)
    for trial, expected, outcome in zip(trials, expectations, outcomes):
        if outcome.exception is not None:
            err = _raised(outcome.exception, exercise, at_import=False, check=check.name, units=units)
            mistake = next((m for m in exercise.mistakes if m.id == err.mistake), None)
            diagnosis = mistake.diagnosis if mistake else err.diagnosis or err.kind
            return CheckResult(**fail, diagnosis=diagnosis, message=err.message,
                               trial=trial.label, mistake=err.mistake)
        if outcome.values is None:
            cause = cut_short or GradeError("crash", "the run ended early")
            return CheckResult(**fail, diagnosis=cause.kind, message=f"not measured: {cause.message}",
                               trial=trial.label)
        kwargs = dict(before=expected.before, autograd_calls=outcome.autograd_calls, rtol=rtol, atol=atol)
        finding = judge(check, exercise, expected.reference, outcome.values, **kwargs)
        if finding is None:
            continue
        mistake = match_mistake(check, exercise, expected.reference, expected.mistakes, outcome.values, **kwargs)
        if mistake is not None:
            detail = finding.message.split("\n", 1)[0]
            return CheckResult(**fail, diagnosis=mistake.diagnosis, message=f"{detail}\n{mistake.message}",
                               trial=trial.label, mistake=mistake.id)
        if finding.code != "type" and _ignores_inputs(check, expectations, outcomes):
            return CheckResult(**fail, diagnosis="constant", trial=trial.label, message=(
                f"{finding.message.split(chr(10), 1)[0]}\nYour {check.name} came out the same on every trial, although "
                f"the inputs (and the expected {check.name}) changed from trial to trial: the answer does not follow "
                f"the inputs. Compute it from them with tensor operations: no numbers copied from one run, no "
                f".grad assigned by hand."))
        return CheckResult(**fail, diagnosis=finding.code, message=finding.message, trial=trial.label)
    return CheckResult(name=check.name, kind=check.kind, passed=True, score=check.points, max_score=check.points)
