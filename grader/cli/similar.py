"""`grade similar`: near-identical submissions of one exercise, grouped, as evidence for the instructor."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ..errors import GraderError, UsageError
from .app import UserPath, _fail, _settings, config_option, main
from .course import _echo_ignored, _gradebook_path, gradebook_option


@main.command("similar")
@click.argument("submissions", required=False, type=UserPath(file_okay=False))
@click.option("--exercise", "exercise_id", required=True, metavar="EXERCISE",
              help="The exercise to compare, e.g. ex03.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.8, show_default=True,
              help="Group two submissions when this share of their own fingerprints (starter code removed) is shared.")
@click.option("--format", "kind", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text for reading; json: groups, similarities, lines and each submission's starter share.")
@gradebook_option
@config_option
def similar_command(submissions: Path | None, exercise_id: str, threshold: float, kind: str,
                    gradebook: Path | None, config: Path | None) -> None:
    """Group near-identical submissions of an exercise (SUBMISSIONS: one folder per student; default ./submissions).

    Names, comments, layout and the order of independent statements are ignored and the starter code is subtracted
    (method and limits: docs/semester.md). The groups replace the exercise's last run in the gradebook's `similar`
    table and show in `grade report`. Evidence for a human, not a verdict: it never changes a score.
    """
    from ..course.gradebook import Gradebook
    from ..course.roster import read_roster
    from ..course.similar import find_similar
    from ..course.similarreport import gradebook_rows, render_text, to_json
    from ..exercise import exercise_files, load_exercise
    from ..starter import starter_text

    try:
        folder = submissions if submissions is not None else Path("submissions")
        if submissions is None and not folder.is_dir():
            raise UsageError(f"no submissions folder here; name it: grade similar --exercise {exercise_id} "
                             f"path/to/submissions")
        book_path = _gradebook_path(gradebook, config, "similar")
        settings = _settings(config)
        exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
        roster = read_roster(folder, list(exercise_files(settings.exercises_dir)), (exercise.id,))
        _echo_ignored(roster.ignored)
        handed_in = [job for job in roster.jobs if job.files]
        if len(handed_in) < 2:
            who = f" (only {handed_in[0].student})" if handed_in else ""
            click.echo(f"{exercise.id}: {len(handed_in)} submission(s) in {folder}{who}; at least two are needed to "
                       f"compare. Nothing stored.")
            return
        names = frozenset(exercise.notebook.names if exercise.notebook else ())
        started = time.perf_counter()
        result = find_similar(exercise.id, list(roster.jobs), roster.folder, starter=starter_text(exercise),
                              keep=frozenset({exercise.contract.function}), variables=names, threshold=threshold)
        seconds = time.perf_counter() - started
        book_path.parent.mkdir(parents=True, exist_ok=True)
        with Gradebook(book_path) as book:
            book.replace_similar(exercise.id, gradebook_rows(result))
            computed_at = book.similar(exercise.id)[0]["computed_at"] if result.groups else _now()
    except GraderError as error:
        _fail(error)
        return
    if kind == "json":
        click.echo(json.dumps(to_json(result, computed_at), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(result), nl=False)
    flagged = sum(len(g.members) for g in result.groups)
    click.echo(f"{len(result.groups)} group(s), {flagged} student(s), in {seconds:.2f} s; stored in {book_path} "
               f"(table similar, replacing {exercise.id}'s last run)", err=True)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
