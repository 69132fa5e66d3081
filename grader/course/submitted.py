"""When each student handed each exercise in: a file's modification time, the last git commit, or an LMS's CSV.

A submission whose time cannot be found (no file, no repository, git failing, no CSV row) gets None, which the
ledger reports and never penalises.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..duedates import CsvSource, Deadlines, local_time, utc_text, zone
from ..errors import ConfigError
from ..exercise import closest_id, did_you_mean
from ..yamlfile import read_utf8
from .gradebook import Gradebook
from .roster import Job, Roster

GIT_TIMEOUT_S = 10.0
MAX_CSV_BYTES = 50_000_000
# A student's repository is hostile: its own config must not make git run anything (fsmonitor, a pager, gpg).
_GIT_SAFE = ("-c", "core.fsmonitor=false", "-c", "log.showSignature=false", "-c", "core.pager=cat",
             "--no-pager")


@dataclass(frozen=True)
class Submitted:
    """One submission's time (ISO 8601 UTC, None when unknown) and where it came from (mtime, git, csv)."""

    at: str | None
    source: str


def submission_times(roster: Roster, deadlines: Deadlines | None, known: list[str]) -> dict[tuple[str, str], Submitted]:
    """(student, exercise) -> its Submitted, from the source config.yaml names (mtime when there are no deadlines)."""
    source = deadlines.source if deadlines is not None else "mtime"
    if source == "csv":
        assert deadlines is not None and deadlines.csv is not None
        table = read_csv_times(deadlines, known)
        return {(j.student, j.exercise): Submitted(csv_time(table, j.student, j.exercise), "csv") for j in roster.jobs}
    if source == "git":
        commits = {student: git_time(roster.folder / student) for student in roster.students}
        return {(j.student, j.exercise): Submitted(commits[j.student] if j.files else None, "git")
                for j in roster.jobs}
    return {(j.student, j.exercise): Submitted(mtime(j), "mtime") for j in roster.jobs}


def mtime(job: Job) -> str | None:
    """The modification time of the newest of the job's files; None when it has none (or they are gone)."""
    stamps = []
    for path in job.files:
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:
            continue
    return utc_text(datetime.fromtimestamp(max(stamps), timezone.utc)) if stamps else None


def git_time(folder: Path) -> str | None:
    """The committer time of the last commit of the repository `folder` is the top of; None when it is not one.

    A folder inside some other repository (the instructor's own) is not the student's repository: only a folder
    holding its own .git counts. Git runs without a shell, with a timeout and without the caller's GIT_* settings.
    """
    if not (folder / ".git").exists():
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    command = ["git", *_GIT_SAFE, "-c", f"safe.directory={folder.absolute()}", "-C", str(folder),
               "log", "-1", "--format=%cI"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT_S, env=env, stdin=subprocess.DEVNULL,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = done.stdout[:200].decode("ascii", "replace").strip().splitlines()
    if done.returncode != 0 or not line:
        return None  # no commit yet, or not a repository git can read
    try:
        return utc_text(datetime.fromisoformat(line[0]))
    except ValueError:
        return None


def read_csv_times(deadlines: Deadlines, known: Iterable[str]) -> dict[tuple[str, str | None], str]:
    """(student casefolded, exercise or None for every exercise) -> the latest time any row gives it, ISO UTC.

    The exercise column may name an exercise or an assignment of deadlines.assignments (all its exercises). A row
    with an empty time cell is a student who handed nothing in, and is skipped.
    """
    source: CsvSource = deadlines.csv  # type: ignore[assignment]
    tz = zone(deadlines.timezone)
    rows = _rows(source)
    assignments = {name: members for name, members, _ in deadlines.assignments}
    known = list(known)
    times: dict[tuple[str, str | None], str] = {}
    for line, row in rows:
        student = (row.get(source.student) or "").strip()
        stamp = (row.get(source.time) or "").strip()
        if not student or not stamp:
            continue
        try:
            at = utc_text(local_time(stamp, tz, later=False))  # an hour that occurs twice: the earlier, for the student
        except ValueError as exc:
            raise ConfigError(f"{source.path}:{line}: column {source.time!r}: {exc}") from None
        targets: tuple[str | None, ...] = (None,)
        if source.exercise is not None:
            named = (row.get(source.exercise) or "").strip()
            if named in assignments:
                targets = assignments[named]
            elif named in known:
                targets = (named,)
            else:
                hint = did_you_mean(named, [*known, *assignments])
                raise ConfigError(f"{source.path}:{line}: column {source.exercise!r}: {named!r} is no exercise or "
                                  f"assignment{hint}; the exercises are {', '.join(known)}")
        for target in targets:
            key = (student.casefold(), target)
            times[key] = max(times.get(key, at), at)  # the same format throughout: text order is time order
    return times


def csv_time(times: dict[tuple[str, str | None], str], student: str, exercise: str) -> str | None:
    """The student's time for the exercise: its own row, else a row for every exercise; None when neither."""
    key = student.casefold()
    return times.get((key, exercise), times.get((key, None)))


def _rows(source: CsvSource) -> list[tuple[int, dict[str, str]]]:
    """The CSV's rows with their line numbers; the columns config.yaml names must all be in its header."""
    text = read_utf8(source.path, ConfigError, max_bytes=MAX_CSV_BYTES)  # deadlines.submitted.csv
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    wanted = [c for c in (source.student, source.time, source.exercise) if c is not None]
    for column in wanted:
        if column not in header:
            close = closest_id(column, list(header))
            hint = f" (did you mean {close!r}?)" if close else ""
            raise ConfigError(f"{source.path}:1: no column {column!r}{hint}; the columns are {', '.join(header)}. "
                              f"Fix deadlines.submitted in config.yaml or the CSV's header")
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ConfigError(f"{source.path}:{reader.line_num}: not a CSV row: {exc}") from None


def store_times(book: Gradebook, times: dict[tuple[str, str], Submitted]) -> int:
    """Write each stored grade's submission time where it changed (a grade kept unchanged keeps its row), in one
    transaction; return how many rows changed. A time is no score: no event is logged."""
    rows = [(t.at, t.source if t.at else None, student, exercise, t.at, t.source if t.at else None)
            for (student, exercise), t in times.items()]
    with book._transaction() as db:  # noqa: SLF001 - the gradebook's own transaction, for a table it owns
        before = db.total_changes
        db.executemany("UPDATE grades SET submitted_at = ?, submitted_source = ? WHERE student = ? AND exercise = ? "
                       "AND (submitted_at IS NOT ? OR submitted_source IS NOT ?)", rows)
        return db.total_changes - before
