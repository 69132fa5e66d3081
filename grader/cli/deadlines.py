"""`grade extend`: give one student more time for an exercise, or take it back (docs/deadlines.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import GraderError, UsageError
from .app import _fail, config_option, main
from .course import _gradebook_path, gradebook_option


@main.command("extend")
@click.argument("student")
@click.argument("exercise", metavar="EXERCISE|all")
@click.option("--days", type=float, default=None, help="Days added to the due time (fractions allowed: 0.5 = 12 h).")
@click.option("--reason", default="", help="Why: kept in the gradebook's history (required, except with --remove).")
@click.option("--remove", is_flag=True, help="Take the student's extension for EXERCISE (or all) back.")
@gradebook_option
@config_option
def extend_command(student: str, exercise: str, days: float | None, reason: str, remove: bool,
                   gradebook: Path | None, config: Path | None) -> None:
    """Move STUDENT's due time for EXERCISE ('all': every exercise) by --days, e.g.
    grade extend alice ex03 --days 2 --reason "medical certificate".

    An exercise's own extension replaces the student's 'all' one for it. Exports and the class report apply it at
    once; nothing is regraded. The change and its reason are kept in the gradebook's history.
    """
    from ..config import load_settings, search_config
    from ..course import extensions as ext
    from ..course.gradebook import Gradebook
    from ..exercise import exercise_files

    try:
        path = _gradebook_path(gradebook, config, "extend")
        if not path.is_file():
            raise UsageError(f"{path}: no gradebook here yet; run `grade batch SUBMISSIONS` first "
                             f"(or pass --gradebook)")
        settings = load_settings(config or search_config(path.absolute().parent) or search_config(Path.cwd()))
        catalog = list(exercise_files(settings.exercises_dir)) if settings.exercises_dir.is_dir() else []
        if remove and days is not None:
            raise UsageError("--remove takes the extension back: give it without --days")
        if not remove and days is None:
            raise UsageError("give --days N (or --remove to take an extension back)")
        with Gradebook(path) as book:
            known = sorted(set(catalog) | set(book.assigned() or ()) | set(book.answered()))
            name = ext.known_student(book, student)
            target = ext.known_exercise(exercise, known)
            what = "every exercise" if target == ext.ALL else target
            if remove:
                gone = ext.remove(book, name, target, reason=reason)
                click.echo(f"{name}: extension of {gone.days:g} day(s) for {what} removed")
                return
            before = ext.extend(book, name, target, days=days or 0.0, reason=reason)
    except GraderError as error:
        _fail(error)
        return
    replaced = f", replacing {before.days:g} day(s)" if before else ""
    click.echo(f"{name}: {days:g} more day(s) for {what}{replaced}; reason: {reason.strip()}")
    rules = settings.deadlines
    if rules is None:
        click.echo("note: config.yaml has no deadlines: section, so nothing is late yet (docs/deadlines.md)", err=True)
    elif target != ext.ALL and rules.rule(target).due is None:
        click.echo(f"note: {target} has no due time in config.yaml's deadlines, so the extension changes nothing "
                   f"until it gets one", err=True)
