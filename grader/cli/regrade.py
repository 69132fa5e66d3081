"""`grade regrades`: a batch run's before/after diff, read again from the gradebook (batch's options: course.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import GraderError, UsageError
from .app import _fail, config_option, main
from .course import _gradebook_path, gradebook_option


@main.command("regrades")
@click.option("--run", "run", type=click.IntRange(min=1), default=None,
              help="The run to show (default: the last; `grade batch` prints each run's number).")
@click.option("--list", "listing", is_flag=True, help="List the last runs instead: number, when, who, what.")
@click.option("--all", "everything", is_flag=True, help="Every regraded submission, not only the changed ones.")
@click.option("--format", "kind", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text: a table; json: the run and its rows.")
@gradebook_option
@config_option
def regrades_command(run: int | None, listing: bool, everything: bool, kind: str, gradebook: Path | None,
                     config: Path | None) -> None:
    """Show a batch run's before/after diff of raw scores again, as the gradebook's history keeps it."""
    from ..course.gradebook import Gradebook
    from ..course.regrade import list_runs, read_run, render_run, run_to_dict

    try:
        path = _gradebook_path(gradebook, config, "regrades")
        if not path.is_file():
            raise UsageError(f"{path}: no gradebook here yet; run `grade batch SUBMISSIONS` first "
                             f"(or pass --gradebook)")
        with Gradebook(path) as book:
            if listing:
                runs = list_runs(book)
                text = (json.dumps(runs, indent=2) if kind == "json" else
                        "\n".join(f"run {r['run']}  {r['at']}  {r['who']}  {r.get('selection', '')}: "
                                  f"{r.get('pairs', 0)} submission(s)" for r in runs) or "no runs yet")
            else:
                done = read_run(book, run)
                text = (json.dumps(run_to_dict(done, everything=everything), indent=2) if kind == "json"
                        else render_run(done, everything=everything))
    except GraderError as error:
        _fail(error)
        return
    click.echo(text)
