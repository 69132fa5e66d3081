"""Regrading: which submissions a targeted regrade takes, and each run's before/after diff, kept in the history.

Every `grade batch` that grades something opens a run: a `run` event (student and exercise '*') holding the run's
number (1, 2, ... per gradebook), and each `graded` event of the run carries it (Gradebook.run). A `graded` event
keeps the score it replaced (`before`, `before_status`, `before_max`), so a run's diff is read back from the history.
Scores here are raw: an override still in force is the overrides' business, not the diff's.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..exercise import did_you_mean
from .batch import Course
from .gradebook import Gradebook, Stamp
from .roster import Job, Roster

RUN = "run"  # the event kind that opens a run
EVERYONE = "*"  # a run event's student and exercise: it concerns the class


def pick_students(roster: Roster, wanted: tuple[str, ...]) -> Roster:
    """The roster cut to the students of `--student alice --student bob,carol`, each one checked against it."""
    names = tuple(dict.fromkeys(part.strip() for given in wanted for part in given.split(",") if part.strip()))
    if not names:
        raise UsageError("--student is empty; give a student folder's name, e.g. --student alice")
    known = list(roster.students)
    for name in names:
        if name not in known:
            hint = did_you_mean(name, known) or \
                f"; the students are {', '.join(known[:8])}{', ...' if len(known) > 8 else ''}"
            raise UsageError(f"--student: no student {name!r} in {roster.folder}{hint}")
    chosen = set(names)
    return dataclasses.replace(roster, students=tuple(s for s in roster.students if s in chosen),
                               jobs=tuple(job for job in roster.jobs if job.student in chosen))


def regrade_selection(roster: Roster, students: tuple[str, ...], *, changed_exercise: bool,
                      force: bool) -> tuple[Roster, str]:
    """The roster cut to --student, and the run's selection as the history names it; contradictions refused."""
    if force and changed_exercise:
        raise UsageError("--force regrades everything and --changed-exercise only what a changed exercise affects; "
                         "give one of them")
    words = []
    if students:
        roster = pick_students(roster, students)
        words.append(f"--student {','.join(roster.students)}")
    if changed_exercise:
        words.append(f"--exercises {','.join(roster.exercises)} --changed-exercise")
    elif force:
        words.append("--force")
    return roster, " ".join(words) or "changed submissions"


@dataclass(frozen=True)
class Selection:
    """The jobs a regrade takes, and one line per exercise saying why."""

    jobs: tuple[Job, ...]
    lines: tuple[str, ...]


def changed_exercises(jobs: tuple[Job, ...], gradebook: Gradebook, course: Course) -> Selection:
    """The graded jobs whose exercise (its file, fixtures or grading settings) differs from the one they were graded on.

    A job never graded is left to the default run; a job whose student's file changed but whose exercise did not is
    too. Only the stamp's exercise parts are compared, never the submission's hash.
    """
    stored = _stored_stamps(gradebook)
    chosen: list[Job] = []
    lines: list[str] = []
    for exercise_id in dict.fromkeys(job.exercise for job in jobs):
        mine = [job for job in jobs if job.exercise == exercise_id]
        now = course.stamp(mine[0])
        graded = [job for job in mine if (job.student, exercise_id) in stored]
        stale = [job for job in graded if _exercise_part(stored[job.student, exercise_id]) != _exercise_part(now)]
        never = len(mine) - len(graded)
        if not graded:
            lines.append(f"{exercise_id} has no stored grade yet; nothing to regrade (`grade batch` without "
                         f"--changed-exercise grades it)")
            continue
        if not stale:
            lines.append(f"{exercise_id} has not changed since it was graded (hash {_short(now.exercise_hash)}); "
                         f"nothing to regrade")
        else:
            lines.append(f"{exercise_id} changed since {len(stale)} of its grades ({_why(stale, stored, now)}): "
                         f"regrading those {len(stale)}")
        if never:
            lines.append(f"  {never} {exercise_id} submission(s) never graded: left for `grade batch` without "
                         f"--changed-exercise")
        chosen += stale
    return Selection(tuple(chosen), tuple(lines))


def _exercise_part(stamp: Stamp) -> tuple[int, str, str]:
    return stamp.exercise_version, stamp.exercise_hash, stamp.settings_hash


def _why(stale: list[Job], stored: dict[tuple[str, str], Stamp], now: Stamp) -> str:
    """What changed: the exercise (with its old and new hash) and/or the settings that feed its grading."""
    was = [stored[job.student, job.exercise] for job in stale]
    reasons = []
    old = sorted({s.exercise_hash for s in was if (s.exercise_version, s.exercise_hash) !=
                  (now.exercise_version, now.exercise_hash)})
    if old:
        before = _short(old[0]) if len(old) == 1 else f"{len(old)} earlier versions"
        reasons.append(f"the exercise file or its fixtures: hash {before} -> {_short(now.exercise_hash)}")
    if any(s.settings_hash != now.settings_hash for s in was):
        reasons.append("the settings that feed its grading: tolerance, limits or hidden trials")
    return "; ".join(reasons)


def _short(digest: str) -> str:
    return digest[:12]


def _stored_stamps(gradebook: Gradebook) -> dict[tuple[str, str], Stamp]:
    rows = _db(gradebook).execute("SELECT student, exercise, file_hash, exercise_version, exercise_hash, "
                                  "settings_hash, grader_version FROM grades")
    return {(s, e): Stamp(file_hash=f, exercise_version=v, exercise_hash=h, settings_hash=k, grader_version=g)
            for s, e, f, v, h, k, g in rows}


def start_run(gradebook: Gradebook, *, selection: str, jobs: list[Job]) -> int:
    """Open a run: log its `run` event in one transaction; every grade this connection records after it names it."""
    exercises = sorted({job.exercise for job in jobs})
    with gradebook._transaction():  # BEGIN IMMEDIATE: two batches at once still get two numbers
        run = 1 + _db(gradebook).execute("SELECT COUNT(*) FROM events WHERE kind = ?", (RUN,)).fetchone()[0]
        gradebook._log(EVERYONE, EVERYONE, RUN, {"run": run, "selection": selection, "pairs": len(jobs),
                                                 "exercises": exercises,
                                                 "students": len({job.student for job in jobs})})
    gradebook.run = run
    return run


@dataclass(frozen=True)
class Change:
    """One pair a run graded: its raw score and status before (None: graded for the first time) and after."""

    student: str
    exercise: str
    before: float | None
    before_max: float | None
    before_status: str | None
    after: float
    after_max: float
    after_status: str

    @property
    def regraded(self) -> bool:
        return self.before is not None

    @property
    def delta(self) -> float | None:
        return None if self.before is None else self.after - self.before

    @property
    def changed(self) -> bool:
        """Whether anything a reader of the diff cares about moved: the score, its maximum or the status."""
        return self.regraded and (self.before, self.before_max, self.before_status) != (
            self.after, self.after_max if self.before_max is not None else None,
            self.after_status if self.before_status is not None else None)


@dataclass(frozen=True)
class Run:
    """One batch run as the history keeps it: when, who, what it selected, and every pair it graded."""

    id: int
    at: str
    who: str
    selection: str
    pairs: int  # how many it set out to grade (an interrupted run graded fewer)
    changes: tuple[Change, ...]


def read_run(gradebook: Gradebook, run: int | None = None) -> Run:
    """Run `run` (default: the last) with every grade it recorded, read back from the history."""
    db = _db(gradebook)
    opened = {json.loads(d)["run"]: (i, at, w, json.loads(d)) for i, at, w, d in
              db.execute("SELECT id, at, who, detail FROM events WHERE kind = ? ORDER BY id", (RUN,))}
    if not opened:
        raise UsageError(f"{gradebook.path}: no batch run has graded anything yet; run `grade batch` first")
    number = max(opened) if run is None else run
    if number not in opened:
        hint = f"runs 1 to {max(opened)}" if len(opened) == max(opened) else f"runs {', '.join(map(str, opened))}"
        raise UsageError(f"--run {run}: no such run in {gradebook.path}; it holds {hint} (`grade regrades --list`)")
    event_id, at, who, detail = opened[number]
    changes = []
    for student, exercise, text in db.execute(
            "SELECT student, exercise, detail FROM events WHERE kind = 'graded' AND id > ? ORDER BY id", (event_id,)):
        graded = json.loads(text)
        if graded.get("run") == number:
            changes.append(Change(student, exercise, graded["before"], graded.get("before_max"),
                                  graded.get("before_status"), graded["score"], graded["max_score"],
                                  graded["status"]))
    return Run(number, at, who, detail["selection"], detail["pairs"], tuple(changes))


def run_diff(gradebook: Gradebook, run: int | None) -> str:
    """After a batch: its before/after table, preceded by a blank line; empty when it regraded nothing graded before."""
    if run is None:
        return ""
    done = read_run(gradebook, run)
    return "\n\n" + render_run(done) if any(change.regraded for change in done.changes) else ""


def list_runs(gradebook: Gradebook, *, limit: int = 20) -> list[dict[str, Any]]:
    """The last `limit` runs, newest first: number, when, who, what each selected and how much."""
    rows = _db(gradebook).execute("SELECT at, who, detail FROM events WHERE kind = ? ORDER BY id DESC LIMIT ?",
                                  (RUN, limit)).fetchall()
    runs = [(at, w, json.loads(d)) for at, w, d in rows]
    return [{"run": d["run"], "at": at, "who": w, "selection": d["selection"], "pairs": d["pairs"],
             "students": d["students"], "exercises": d["exercises"]} for at, w, d in runs]


def run_to_dict(run: Run, *, everything: bool = False) -> dict[str, Any]:
    """The run as JSON: its changed rows (every regraded row with `everything`) and the counts."""
    regraded = [c for c in run.changes if c.regraded]
    shown = regraded if everything else [c for c in regraded if c.changed]
    return {"run": run.id, "at": run.at, "who": run.who, "selection": run.selection, "pairs": run.pairs,
            "graded": len(run.changes), "regraded": len(regraded), "first_grades": len(run.changes) - len(regraded),
            "changed": sum(c.changed for c in regraded), "unchanged": sum(not c.changed for c in regraded),
            "rows": [{**dataclasses.asdict(c), "delta": c.delta} for c in shown]}


def render_run(run: Run, *, everything: bool = False) -> str:
    """The run's before/after table of raw scores: the changed rows (every regraded row with `everything`)."""
    regraded = [c for c in run.changes if c.regraded]
    changed = [c for c in regraded if c.changed]
    head = (f"run {run.id} ({run.at}, {run.who}; {run.selection}): regraded {len(regraded)} submission(s), "
            f"{len(changed)} changed")
    if len(run.changes) > len(regraded):
        head += f"; {len(run.changes) - len(regraded)} graded for the first time (no before)"
    if run.pairs > len(run.changes):
        head += f"; interrupted after {len(run.changes)} of {run.pairs}"
    shown = regraded if everything else changed
    lines = [head]
    if shown:
        rows = [("student", "exercise", "before", "after", "delta", "status")] + [_row(c) for c in shown]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    unchanged = len(regraded) - len(changed)
    if unchanged and not everything:
        lines.append(f"  {unchanged} regraded submission(s) unchanged (`grade regrades --run {run.id} --all` "
                     f"lists them)")
    return "\n".join(lines)


def _row(change: Change) -> tuple[str, ...]:
    status = change.after_status
    if change.before_status is not None and change.before_status != change.after_status:
        status = f"{change.before_status} -> {change.after_status}"
    delta = change.delta or 0.0
    return (change.student, change.exercise, _score(change.before, change.before_max),
            _score(change.after, change.after_max), f"{delta:+g}" if delta else "0", status)


def _score(score: float | None, maximum: float | None) -> str:
    if score is None:
        return "-"
    return f"{score:g}" if maximum is None else f"{score:g}/{maximum:g}"


def _db(gradebook: Gradebook) -> Any:
    """The gradebook's connection, for this module's own queries (kept out of gradebook.py, which others share)."""
    return gradebook._db
