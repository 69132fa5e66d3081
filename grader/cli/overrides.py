"""Commands for an instructor's corrections: `grade override` sets or drops a score by hand, `grade history` shows
every change of a student's grades."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import GraderError, UsageError
from .app import _fail, _settings, config_option, main
from .course import _gradebook_path, gradebook_option


def _open(gradebook: Path | None, config: Path | None, command: str):  # noqa: ANN202 - a Gradebook
    from ..course.gradebook import Gradebook

    path = _gradebook_path(gradebook, config, command)
    if not path.is_file():
        raise UsageError(f"{path}: no gradebook here yet; run `grade batch SUBMISSIONS` first (or pass --gradebook)")
    return Gradebook(path)


def _course_exercises(config: Path | None) -> list[str]:
    from ..exercise import exercise_files

    return list(exercise_files(_settings(config).exercises_dir))


@main.command("override")
@click.argument("student")
@click.argument("exercise")
@click.option("--score", type=float, default=None,
              help="The score to set, from 0 to the points the exercise (or --check) is worth.")
@click.option("--check", default=None, metavar="NAME",
              help="Set (or with --drop, drop) one check's score instead of the whole exercise's, the check named "
                   "as the report names it (e.g. a.grad).")
@click.option("--drop", is_flag=True,
              help="Drop the override(s) in force (all of the exercise's, or --check's); the row is kept, marked "
                   "dropped, and the autograded score counts again.")
@click.option("--reason", default=None, help="Why (required): kept in the gradebook and shown by grade history.")
@click.option("--who", default=None, help="Who decided it (default: the user running grade).")
@gradebook_option
@config_option
def override_command(student: str, exercise: str, score: float | None, check: str | None, drop: bool,
                     reason: str | None, who: str | None, gradebook: Path | None, config: Path | None) -> None:
    """Set STUDENT's score for EXERCISE by hand (--score), or drop an override (--drop); the raw score is kept.

    \b
    grade override alice ex03 --score 8 --reason "late medical note"
    grade override alice ex03 --check a.grad --score 3 --reason "sign error only"
    grade override alice ex03 --drop --reason "note withdrawn"

    A new override of the same exercise (or check) replaces the one in force. A regrade keeps overrides in force
    and says so; grade batch --drop-overrides drops them.
    """
    from ..course.overrides import check_exercise, check_student, describe, drop_overrides, max_points, set_override

    try:
        if drop == (score is not None):
            raise UsageError("give either --score X (set an override) or --drop (drop the one in force)")
        known = _course_exercises(config)
        with _open(gradebook, config, "override") as book:
            check_student(book, student)
            check_exercise(book, exercise, known)
            if drop:
                dropped = drop_overrides(book, student, exercise, reason=reason, check=check, by=who)
                lines = [f"{student} {exercise}: dropped {describe(o)} (#{o.id}); the autograded score counts again"
                         + (" for that check" if o.check is not None else "") for o in dropped]
            else:
                assert score is not None
                row = set_override(book, student, exercise, score=score, reason=reason, check=check, by=who)
                top = max_points(book, student, exercise, check)
                lines = [f"{student} {exercise}: {describe(row, top)} set (#{row.id}); grade history {student} "
                         f"{exercise} shows every change"]
    except GraderError as error:
        _fail(error)
        return
    for line in lines:
        click.echo(line)


@main.command("history")
@click.argument("student")
@click.argument("exercise", required=False)
@click.option("--format", "kind", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text: a table; json: one object with every event and its detail.")
@gradebook_option
@config_option
def history_command(student: str, exercise: str | None, kind: str, gradebook: Path | None,
                    config: Path | None) -> None:
    """Show every change of STUDENT's grades (of EXERCISE only, if given), oldest first: each grade with the score
    it replaced, overrides set and dropped (who, why), extensions and any other event."""
    from ..course.history import history_json, render_history
    from ..course.overrides import active_overrides, check_exercise, check_student

    try:
        known = _course_exercises(config) if exercise is not None else []
        with _open(gradebook, config, "history") as book:
            check_student(book, student)
            if exercise is not None:
                check_exercise(book, exercise, known)
            events = book.history(student, exercise)
            in_force = active_overrides(book)
    except GraderError as error:
        _fail(error)
        return
    if kind == "json":
        click.echo(json.dumps(history_json(student, exercise, events, in_force), indent=2, ensure_ascii=False))
    else:
        click.echo(render_history(student, exercise, events, in_force), nl=False)
