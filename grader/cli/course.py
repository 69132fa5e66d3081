"""Commands for instructors: prove the exercises, grade a class, export and report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..errors import GraderError, UsageError
from .app import UserPath, _fail, _settings, config_option, main


@main.command("check-exercises")
@click.argument("exercise_ids", metavar="[EXERCISE]...", nargs=-1)
@click.option("--invert", is_flag=True,
              help="Grade each starter instead: it must fail every check (each check it passes is a problem).")
@config_option
def check_exercises_command(exercise_ids: tuple[str, ...], invert: bool, config: Path | None) -> None:
    """Prove the exercises (default: all): each solution scores full marks, each known-wrong variant fails as it
    declares, each known mistake runs and can be diagnosed."""
    from ..course.selfcheck import check_all

    try:
        settings = _settings(config)
        problems = 0
        for line in check_all(settings, exercise_ids, invert=invert):
            click.echo(("  ok    " if line.ok else "  FAIL  ") + line.text)
            problems += not line.ok
    except GraderError as error:
        _fail(error)
        return
    what = "every starter fails every check" if invert else "all exercises check out"
    click.echo(f"\n{what if not problems else f'{problems} problem(s)'}")
    sys.exit(1 if problems else 0)


def _gradebook_path(gradebook: Path | None, config: Path | None, command: str) -> Path:
    """--gradebook, else grades/gradebook.sqlite in the course folder (beside config.yaml); never in the package."""
    from ..config import course_config, outside_package
    from ..course.gradebook import FILENAME

    if gradebook:
        return outside_package(gradebook, "the gradebook")
    found = course_config(config, Path.cwd(), writes=f"`grade {command}` keeps its gradebook in the course folder "
                                                     f"(grades/{FILENAME})",
                          instead=f", or --gradebook path/to/{FILENAME}")
    return outside_package(found.resolve().parent / "grades" / FILENAME, "the gradebook")


gradebook_option = click.option("--gradebook", type=UserPath(dir_okay=False), default=None,
                                help="The gradebook file (default: grades/gradebook.sqlite in the course folder).")


@main.command("batch")
@click.argument("submissions", type=UserPath(file_okay=False))
@click.option("--exercises", default=None, metavar="IDS",
              help="Comma-separated exercises to grade, e.g. ex01,ex03; a student with no file for one gets a zero "
                   "with the reason (default: every exercise anyone in the class answered).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once (default: the number of cores). With --cluster, each Dask worker "
                   "thread grades one at a time instead.")
@click.option("--force", is_flag=True, help="Regrade everything, including submissions graded before and unchanged.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=None, help="Seconds per submission.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=16), default=None, help="Megabytes per submission.")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster: tcp://scheduler:8786, or local:N for N worker processes here "
                   "(needs pip install 'autograd-grader[dask]'; see docs/scale.md).")
@gradebook_option
@config_option
def batch_command(submissions: Path, exercises: str | None, workers: int | None, force: bool,
                  timeout_s: float | None, memory_mb: int | None, cluster: str | None, gradebook: Path | None,
                  config: Path | None) -> None:
    """Grade a class: SUBMISSIONS holds one folder per student (the folder name is the student id).

    Grades are stored in the gradebook as they land; run again after a crash and it goes on where it stopped,
    regrading nothing unchanged.
    """
    from ..course.roster import read_roster, select_exercises
    from ..exercise import exercise_files

    try:
        book_path = _gradebook_path(gradebook, config, "batch")  # first: outside a course, stop before any work
        settings = _settings(config, timeout_s=timeout_s, memory_mb=memory_mb)
        known = list(exercise_files(settings.exercises_dir))
        roster = read_roster(submissions, known, select_exercises(known, exercises))
        workers = workers or len(os.sched_getaffinity(0))
        _echo_ignored(roster.ignored)
        click.echo(f"{len(roster.students)} students, {len(roster.jobs)} submissions over {len(roster.exercises)} "
                   f"exercise(s) ({', '.join(roster.exercises)}); gradebook {book_path}")
        summary = _grade_class(roster, settings, book_path, selected=exercises is not None, workers=workers,
                               force=force, cluster=cluster)
    except GraderError as error:
        _fail(error)
        return
    click.echo(summary)


def _echo_ignored(ignored: tuple[str, ...], shown: int = 10) -> None:
    if ignored:
        click.echo(f"ignored {len(ignored)} file(s) that match no exercise:", err=True)
        for line in ignored[:shown]:
            click.echo(f"  {line}", err=True)
        if len(ignored) > shown:
            click.echo(f"  ... and {len(ignored) - shown} more", err=True)


def _grade_class(roster, settings, book_path: Path, *, selected: bool, workers: int,  # noqa: ANN001
                 force: bool, cluster: str | None = None) -> str:
    """Warm up, fork the zygote before any exercise or grade is read, then grade every job not yet graded.

    With a cluster, each Dask worker warms up and forks its own zygote; this process only reads and stores.
    """
    from contextlib import ExitStack

    from ..sandbox.runners import choose

    portable = cluster is None and choose(settings.runner) == "portable"  # no fork: no zygote, interpreters instead
    if cluster is None and not portable:
        from ..sandbox.spawner import warm_up

        warm_up()  # imports torch and runs autograd and an optimizer step once, for every launcher forked later
    from ..course.batch import Course, run_batch, seed_base, to_grade
    from ..course.gradebook import Gradebook
    from ..course.progress import Progress
    from ..report import class_summary
    from ..sandbox.pool import Launchers, Zygote
    from ..sandbox.portable import PortableLaunchers

    book_path.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if portable:
            zygote, client = None, None
        elif cluster is None:
            zygote, client = stack.enter_context(Zygote()), None
        else:
            from ..course.cluster import open_cluster, run_on_cluster, worker_count

            client = stack.enter_context(open_cluster(cluster))  # before the gradebook: a bad address leaves it be
            click.echo(f"on the Dask cluster {cluster}: {worker_count(client)} worker(s)")
        book = stack.enter_context(Gradebook(book_path))
        course = Course(settings, roster.exercises, seed_base(book),
                        hide=(roster.folder.resolve(), book_path.resolve().parent))
        todo = to_grade(roster.jobs, book, course, force=force)
        unchanged = len(roster.jobs) - len(todo)
        if unchanged:
            click.echo(f"{unchanged} submission(s) unchanged since they were graded: kept (--force regrades them)")
        progress = Progress(total=len(todo), terminal=sys.stderr.isatty())
        count = min(workers, max(len(todo), 1))
        launchers = (PortableLaunchers(count) if portable else Launchers(zygote, count)) if client is None else None
        try:
            graded = (run_batch(todo, course, launchers, book, root=roster.folder) if launchers is not None
                      else run_on_cluster(todo, course, client, book, root=roster.folder))
            for done in graded:
                error = done.grade.error
                line = progress.update(problem=error is not None and error.kind != "no_submission")
                if line:
                    click.echo(line, nl=False, err=True)
        finally:
            if launchers is not None:
                launchers.close()
        assigned = tuple(sorted({*(roster.exercises if selected else book.answered()), *(book.assigned() or ())}))
        book.set_meta("exercises", json.dumps(assigned))
        results = book.results(exercises=assigned)
    students = set(roster.students)
    return class_summary([r for r in results if r.student in students], graded=len(todo), unchanged=unchanged)


def _load_results(gradebook: Path | None, config: Path | None, exercises: str | None, command: str) -> list:
    """The class's StudentResults from the gradebook, for the assigned exercises or the ones given."""
    from ..course.gradebook import Gradebook
    from ..course.roster import select_exercises

    path = _gradebook_path(gradebook, config, command)
    if not path.is_file():
        raise UsageError(f"{path}: no gradebook here yet; run `grade batch SUBMISSIONS` first (or pass --gradebook)")
    with Gradebook(path) as book:
        assigned = book.assigned() or book.answered()
        chosen = select_exercises(list(assigned), exercises) if exercises else assigned
        return book.results(exercises=chosen)


def _write(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


def _output(output: Path | None, what: str) -> Path | None:
    from ..config import outside_package

    return output if output is None or str(output) == "-" else outside_package(output, what)


exercises_option = click.option("--exercises", default=None, metavar="IDS",
                                help="Only these exercises, e.g. ex01,ex03 (default: those of every batch so far).")


@main.command("report")
@click.option("-o", "--output", default="class-report.html", show_default=True,
              type=UserPath(dir_okay=False, allow_dash=True),
              help="Where to write the page ('-' for standard output).")
@click.option("--title", default="Class report", show_default=True, help="The page's title.")
@exercises_option
@gradebook_option
@config_option
def report_command(output: Path, title: str, exercises: str | None, gradebook: Path | None,
                   config: Path | None) -> None:
    """Write the class report: one offline HTML page with score charts, failure rates and common mistakes."""
    from ..course.classreport import render_class_report

    try:
        results = _load_results(gradebook, config, exercises, "report")
        output = _output(output, "the class report")
    except GraderError as error:
        _fail(error)
        return
    _write(render_class_report(results, title=title), output)


EXPORT_FORMATS = ("csv", "json", "canvas", "junit", "gradescope")


@main.command("export")
@click.option("--format", "kind", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True,
              help="csv: a row per student, a column per exercise and a total; json: every check; canvas: a Canvas "
                   "gradebook import; junit: JUnit XML; gradescope: results.json of one --student.")
@click.option("-o", "--output", default=None, type=UserPath(dir_okay=False, allow_dash=True),
              help="Where to write (default: standard output).")
@click.option("--student", default=None, help="The student, for --format gradescope.")
@click.option("--canvas-assignment", default=None, metavar="TITLE",
              help="canvas: one column with this title summing the exercises (default: a column per exercise).")
@click.option("--canvas-id", type=int, default=None, help="canvas: the Canvas assignment id of --canvas-assignment.")
@click.option("--canvas-match", type=click.Choice(("sis_login_id", "sis_user_id", "id")), default="sis_login_id",
              show_default=True, help="canvas: the column that holds the student id (the folder name).")
@click.option("--canvas-section", default="", help="canvas: the Section cell of every row.")
@exercises_option
@gradebook_option
@config_option
def export_command(kind: str, output: Path | None, student: str | None, canvas_assignment: str | None,
                   canvas_id: int | None, canvas_match: str, canvas_section: str, exercises: str | None,
                   gradebook: Path | None, config: Path | None) -> None:
    """Export the gradebook for a gradebook, a CI system or Gradescope (formats in docs/exports.md)."""
    from ..exports import CanvasAssignment, gradescope_results, render

    try:
        results = _load_results(gradebook, config, exercises, "export")
        output = _output(output, "the export")
        if kind == "gradescope":
            chosen = [r for r in results if r.student == student]
            if not chosen:
                raise UsageError("--format gradescope needs --student, one of the gradebook's students"
                                 if student is None else f"--student {student!r}: not in the gradebook")
            text = json.dumps(gradescope_results(list(chosen[0].grades)), indent=2, ensure_ascii=False) + "\n"
        elif kind == "canvas":
            columns = None
            if canvas_assignment is not None:
                every = tuple(dict.fromkeys(g.exercise for r in results for g in r.grades))
                columns = [CanvasAssignment(canvas_assignment, every, canvas_id)]
            text = render(kind, results, assignments=columns, match_on=canvas_match, section=canvas_section)
        else:
            text = render(kind, results)
    except GraderError as error:
        _fail(error)
        return
    _write(text, output)


@main.command("init")
@click.argument("folder", type=UserPath(file_okay=False))
def init_command(folder: Path) -> None:
    """Write a new course into FOLDER: config.yaml, exercises/, solutions/, fixtures.py, a README, example ex01."""
    from ..course.scaffold import init_course

    try:
        written = init_course(folder)
    except GraderError as error:
        _fail(error)
        return
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"\nnext: cd {folder} && grade check-exercises ex01, then grade new ex02 \"title\" "
               f"(see {folder / 'README.md'})")


@main.command("new")
@click.argument("exercise_id", metavar="EXERCISE")
@click.argument("title")
@config_option
def new_command(exercise_id: str, title: str, config: Path | None) -> None:
    """Scaffold exercise EXERCISE (e.g. ex02) titled TITLE in this course: the YAML, a solution, a wrong variant."""
    from ..config import course_config, load_settings
    from ..course.scaffold import new_exercise

    try:
        found = course_config(config, Path.cwd(), writes="`grade new` writes the exercise into the course folder")
        written = new_exercise(load_settings(found), exercise_id, title)
    except GraderError as error:
        _fail(error)
        return
    for path in written:
        click.echo(f"wrote {os.path.relpath(path)}")
    click.echo(f"\nnext: edit them, then: grade check-exercises {exercise_id}")
