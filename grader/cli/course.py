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
@click.option("--exercises", "--exercise", "exercises", default=None, metavar="IDS",
              help="Comma-separated exercises to grade, e.g. ex01,ex03; a student with no file for one gets a zero "
                   "with the reason (default: every exercise anyone in the class answered).")
@click.option("--student", "students", multiple=True, metavar="NAMES",
              help="Regrade only these students (repeatable or comma-separated), changed or not.")
@click.option("--changed-exercise", is_flag=True,
              help="Regrade only the grades whose exercise (file, fixtures, grading settings) changed since they were "
                   "graded, of --exercises (default: all); prints the before/after diff. See docs/semester.md.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once (default: the number of cores). With --cluster, each Dask worker "
                   "thread grades one at a time instead.")
@click.option("--force", is_flag=True, help="Regrade everything, including submissions graded before and unchanged.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=None, help="Seconds per submission.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=16), default=None, help="Megabytes per submission.")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster: tcp://scheduler:8786, or local:N for N worker processes here "
                   "(needs pip install 'autograd-grader[dask]'; see docs/scale.md).")
@click.option("--drop-overrides", is_flag=True,
              help="Drop the overrides in force of every submission regraded (default: keep them and say so).")
@gradebook_option
@config_option
def batch_command(submissions: Path, exercises: str | None, students: tuple[str, ...], changed_exercise: bool,
                  workers: int | None, force: bool, timeout_s: float | None, memory_mb: int | None,
                  cluster: str | None, gradebook: Path | None, config: Path | None,
                  drop_overrides: bool = False) -> None:
    """Grade a class: SUBMISSIONS holds one folder per student (the folder name is the student id).

    Grades are stored in the gradebook as they land; run again after a crash and it goes on where it stopped,
    regrading nothing unchanged.
    """
    from ..course.regrade import regrade_selection
    from ..course.roster import read_roster, select_exercises
    from ..exercise import exercise_files

    try:
        book_path = _gradebook_path(gradebook, config, "batch")  # first: outside a course, stop before any work
        settings = _settings(config, timeout_s=timeout_s, memory_mb=memory_mb)
        known = list(exercise_files(settings.exercises_dir))
        roster = read_roster(submissions, known, select_exercises(known, exercises))
        roster, selection = regrade_selection(roster, students, changed_exercise=changed_exercise, force=force)
        workers = workers or len(os.sched_getaffinity(0))
        _echo_ignored(roster.ignored)
        click.echo(f"{len(roster.students)} students, {len(roster.jobs)} submissions over {len(roster.exercises)} "
                   f"exercise(s) ({', '.join(roster.exercises)}); gradebook {book_path}")
        summary = _grade_class(roster, settings, book_path, selected=exercises is not None, workers=workers,
                               force=force or bool(students), cluster=cluster, changed_exercise=changed_exercise,
                               selection=selection, drop_overrides=drop_overrides)
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
                 force: bool, cluster: str | None = None, changed_exercise: bool = False,
                 selection: str = "changed submissions", drop_overrides: bool = False) -> str:
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
    from ..course.regrade import changed_exercises, run_diff, start_run
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
        times = _submission_times(roster, settings, book)
        course = Course(settings, roster.exercises, seed_base(book),
                        hide=(roster.folder.resolve(), book_path.resolve().parent), times=times)
        if changed_exercise:
            chosen = changed_exercises(roster.jobs, book, course)
            click.echo("\n".join(chosen.lines))
            todo = list(chosen.jobs)
        else:
            todo = to_grade(roster.jobs, book, course, force=force)
        unchanged = len(roster.jobs) - len(todo)
        run = start_run(book, selection=selection, jobs=todo) if todo else None
        if unchanged and not changed_exercise:
            click.echo(f"{unchanged} submission(s) unchanged since they were graded: kept (--force regrades them)")
        progress = Progress(total=len(todo), terminal=sys.stderr.isatty())
        count = min(workers, max(len(todo), 1))
        launchers = (PortableLaunchers(count) if portable else Launchers(zygote, count)) if client is None else None
        try:
            overridden, notices = _overridden(book), []
            graded = (run_batch(todo, course, launchers, book, root=roster.folder) if launchers is not None
                      else run_on_cluster(todo, course, client, book, root=roster.folder))
            for done in graded:
                error = done.grade.error
                line = progress.update(problem=error is not None and error.kind != "no_submission")
                if line:
                    click.echo(line, nl=False, err=True)
                if (done.job.student, done.job.exercise) in overridden:
                    notices.append(_after_regrade(book, done.job, drop_overrides))
        finally:
            if launchers is not None:
                launchers.close()
        for notice in filter(None, notices):  # after the run: each pair whose overrides still apply or were dropped
            click.echo(notice)
        assigned = tuple(sorted({*(roster.exercises if selected else book.answered()), *(book.assigned() or ())}))
        book.set_meta("exercises", json.dumps(assigned))
        results = book.results(exercises=assigned)
        diff = run_diff(book, run)
    students = set(roster.students)
    return class_summary([r for r in results if r.student in students], graded=len(todo), unchanged=unchanged) + diff


def _overridden(book) -> set:  # noqa: ANN001
    """The (student, exercise) pairs with overrides in force, read once before a batch."""
    from ..course.overrides import active_overrides

    return set(active_overrides(book))


def _after_regrade(book, job, drop: bool) -> str | None:  # noqa: ANN001
    """Keep (and say so) or drop the overrides of a pair just regraded, right after its grade is stored."""
    from ..course.overrides import after_regrade, notice_line

    notice = after_regrade(book, job.student, job.exercise, drop=drop)
    return notice_line(notice) if notice is not None else None


def _submission_times(roster, settings, book) -> dict:  # noqa: ANN001
    """When each job was handed in (config.yaml's deadlines.submitted); kept grades get theirs updated too."""
    from ..course.ledger import check_named
    from ..course.submitted import store_times, submission_times
    from ..exercise import exercise_files

    known = list(exercise_files(settings.exercises_dir))
    if settings.deadlines is not None:
        check_named(settings.deadlines, known)
    times = submission_times(roster, settings.deadlines, known)
    store_times(book, times)
    if settings.deadlines is not None:
        untimed = sorted(f"{s} {e}" for (s, e), t in times.items() if t.at is None and
                         any(j.files for j in roster.jobs if (j.student, j.exercise) == (s, e)))
        if untimed:
            click.echo(f"no submission time ({settings.deadlines.source}) for {len(untimed)} submission(s); they "
                       f"get no late penalty: {', '.join(untimed[:10])}{' ...' if len(untimed) > 10 else ''}", err=True)
    return times


def _load_results(gradebook: Path | None, config: Path | None, exercises: str | None, command: str) -> list:
    """The class's StudentResults from the gradebook, for the assigned exercises or the ones given, with the
    overrides, extensions and late policy in force (grader.course.ledger); its warnings go to stderr."""
    from ..config import load_settings, search_config
    from ..course.gradebook import Gradebook
    from ..course.ledger import ledger
    from ..course.roster import select_exercises

    path = _gradebook_path(gradebook, config, command)
    if not path.is_file():
        raise UsageError(f"{path}: no gradebook here yet; run `grade batch SUBMISSIONS` first (or pass --gradebook)")
    # the course whose deadlines apply: --config, else the one holding the gradebook, else the one here
    settings = load_settings(config or search_config(path.absolute().parent) or search_config(Path.cwd()))
    with Gradebook(path) as book:
        assigned = book.assigned() or book.answered()
        chosen = select_exercises(list(assigned), exercises) if exercises else assigned
        adjusted = ledger(book, settings, chosen)
    for warning in adjusted.warnings:
        click.echo(f"warning: {warning}", err=True)
    return list(adjusted.results)


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

    from ..course.gradebook import Gradebook
    from ..course.similarreport import marks

    try:
        results = _load_results(gradebook, config, exercises, "report")
        output = _output(output, "the class report")
        with Gradebook(_gradebook_path(gradebook, config, "report")) as book:
            similar = marks(book.similar())  # `grade similar` groups, marked per student and exercise
    except GraderError as error:
        _fail(error)
        return
    _write(render_class_report(results, title=title, similar=similar), output)


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


@main.command("feedback")
@click.option("-o", "--output", "out", required=True, type=UserPath(file_okay=False),
              help="The folder to write into: OUT/<student>/report.txt and report.html.")
@click.option("--student", default=None, help="Only this student (default: every student in the gradebook).")
@click.option("--hidden-details", is_flag=True,
              help="Also show hidden trials' values, seeds and printed output (default: left out, as on Gradescope "
                   "before grades are published; a hidden check never shows more than its name and points).")
@exercises_option
@gradebook_option
@config_option
def feedback_command(out: Path, student: str | None, hidden_details: bool, exercises: str | None,
                     gradebook: Path | None, config: Path | None) -> None:
    """Write each student's feedback from the gradebook: OUT/<student>/report.txt and report.html.

    Folder names are the student names made safe (letters, digits, '.', '_', '-'); nothing is written outside OUT.
    """
    from ..config import outside_package
    from ..course.feedbackfiles import choose, write_feedback

    try:
        results = choose(_load_results(gradebook, config, exercises, "feedback"), student)
        written = write_feedback(results, outside_package(out, "the feedback"), hidden_details=hidden_details)
    except GraderError as error:
        _fail(error)
        return
    click.echo(f"wrote feedback for {len(written)} student(s) into {out}" + (
        "" if hidden_details else " (hidden trials' details left out; --hidden-details to include them)"))
