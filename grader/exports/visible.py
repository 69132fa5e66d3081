"""What a student may be shown on a platform: feedback without the inputs or seeds of hidden trials.

A check fails on the first trial that goes wrong, and public trials run first, so a check whose failing trial is
hidden passed every public trial; its message quotes values computed from the hidden inputs. Platforms get, instead,
the check's diagnosis and, when an instructor-written mistake matched, that mistake's explanation (static text).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path, PurePath

from ..codes import DIAGNOSES, ERROR_KINDS
from ..result import HIDDEN_NOTE, CheckResult, Grade

# grader.inputs.Trial.label: "hidden trial 2 (seed 4243)" / "public trial 1 (seed 0)" / "the notebook's variables ..."
_HIDDEN_LABEL = re.compile(r"\bhidden trial (\d+) \(seed -?\d+\)")
_EXCEPTION_TYPE = re.compile(r"[A-Za-z_][\w.]*(?=: |\s\(|$)")


def is_hidden(trial: str | None) -> bool:
    """Tell whether a trial label names a hidden trial."""
    return trial is not None and _HIDDEN_LABEL.match(trial) is not None


def unseeded(text: str) -> str:
    """Drop the seeds of hidden trials from a text, keeping which hidden trial it was."""
    return _HIDDEN_LABEL.sub(r"hidden trial \1", text)


def meaning(diagnosis: str | None) -> str:
    """Describe a diagnosis code or error kind in one phrase."""
    if diagnosis is None:
        return "the result differs from the expected one"
    return DIAGNOSES.get(diagnosis) or ERROR_KINDS.get(diagnosis) or diagnosis


def hidden_failure(check: CheckResult) -> bool:
    """Tell whether a failed check went wrong only on a hidden trial."""
    return not check.passed and is_hidden(check.trial)


def check_message(check: CheckResult) -> str:
    """The feedback a student may see for one check: the full message unless it quotes a hidden trial."""
    if check.passed:
        return ""
    if check.hidden:  # an instructor-only check: nothing of what it found, on any trial
        return f"{check.name}: failed {HIDDEN_NOTE}"
    if not hidden_failure(check):
        where = f"\n(on {check.trial})" if check.trial else ""
        return unseeded(check.message) + where
    text = (f"{check.name}: correct on every public trial, wrong on {unseeded(check.trial or '')}: "
            f"{meaning(check.diagnosis)}. The hidden inputs are not shown.")
    if check.mistake and "\n" in check.message:
        text += "\n" + check.message.split("\n", 1)[1]  # the exercise author's explanation quotes no values
    return text


def shown_diagnosis(check: CheckResult) -> str | None:
    """The diagnosis a student may see: none for a hidden check (it would tell what the check looks for)."""
    return None if check.hidden else check.diagnosis


def error_message(grade: Grade) -> str | None:
    """The grade-level error a student may see, without what it says about hidden trials' values."""
    error = grade.error
    if error is None:
        return None
    caused = [c for c in grade.checks if not c.passed and c.diagnosis == error.kind and c.trial is not None]
    if caused and all(hidden_failure(c) for c in caused):
        found = _EXCEPTION_TYPE.match(error.message)
        what = found.group(0) if found and error.kind in ("exception", "memory") else error.kind
        where = f" at line {error.line}" if error.line else ""
        return f"{what}{where} on {unseeded(caused[0].trial or '')}: {meaning(error.kind)}"
    return unseeded(error.message)


def shown_path(path: str, root: Path | None) -> str:
    """The submission's path as a repository shows it: relative to `root` when it lies below it."""
    pure = PurePath(path)
    if root is not None and pure.is_absolute():
        try:
            return pure.relative_to(root).as_posix()
        except ValueError:
            return pure.as_posix()
    return pure.as_posix()


def redacted(grade: Grade) -> Grade:
    """The grade as a student may see it away from their own machine: no hidden trial's values, seeds or prints.

    Every report renders the result the same way (report.render, report_html.render_html): only its texts change."""
    checks = tuple(c if c.hidden or c.passed else dataclasses.replace(
        c, message=check_message(c) if hidden_failure(c) else unseeded(c.message),
        trial=None if c.trial is None else unseeded(c.trial)) for c in grade.checks)
    error = None if grade.error is None else dataclasses.replace(grade.error, message=error_message(grade) or "")
    # prints during a hidden trial would show its inputs; the hidden seeds would let anyone rebuild them
    return dataclasses.replace(grade, checks=checks, error=error, hidden_seeds=(), handin_trials=0,
                               output="" if grade.hidden_seeds else grade.output,
                               output_truncated=grade.output_truncated and not grade.hidden_seeds)
