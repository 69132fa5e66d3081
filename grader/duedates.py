"""config.yaml's `deadlines:` -> frozen due times and late policies, and the arithmetic of a late submission.

Pure: nothing here reads a clock, a file's time or a gradebook. grader.course.submitted finds when work was
handed in, grader.course.ledger applies these rules to the gradebook. docs/deadlines.md is the user's guide.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .yamlfile import Fields, each_item

POLICIES = ("none", "cutoff", "percent_per_day")
SOURCES = ("mtime", "git", "csv")
DAY = timedelta(days=1)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?$")


@dataclass(frozen=True)
class Rule:
    """When one exercise is due and what lateness costs; `line` is where it was written, for messages."""

    due: datetime | None         # aware; None: no due time, so never late
    policy: str = "none"         # one of POLICIES
    percent_per_day: float = 0.0
    grace: timedelta = timedelta(0)
    max_days: float | None = None  # percent_per_day: more days late than this and the work scores 0
    line: int = 0


@dataclass(frozen=True)
class CsvSource:
    """Where a CSV of submission times is and which columns hold what."""

    path: Path
    student: str
    time: str
    exercise: str | None = None  # None: one time per student, for every exercise


@dataclass(frozen=True)
class Deadlines:
    """config.yaml's deadlines: the course's time zone, the time source, and a rule per exercise."""

    timezone: str
    source: str                              # one of SOURCES
    csv: CsvSource | None
    default: Rule
    exercises: tuple[tuple[str, Rule], ...] = ()             # an exercise's own rule
    assignments: tuple[tuple[str, tuple[str, ...], Rule], ...] = ()  # name, its exercises, their rule
    config: Path | None = None
    lines: tuple[tuple[str, int], ...] = ()  # exercise or assignment name -> its line, for messages

    def rule(self, exercise: str) -> Rule:
        """The exercise's own rule, else its assignment's, else the default."""
        own = dict(self.exercises)
        if exercise in own:
            return own[exercise]
        return next((rule for _, members, rule in self.assignments if exercise in members), self.default)

    def named(self) -> dict[str, int]:
        """Every exercise id the deadlines name (in exercises: or an assignment), with its line."""
        found = {e: line for e, line in self.lines}
        for name, members, _ in self.assignments:
            for exercise in members:
                found.setdefault(exercise, dict(self.lines)[name])
        return found


@dataclass(frozen=True)
class Lateness:
    """What the policy makes of one submission time: whole days late (0: on time) and the share it takes."""

    days: int
    fraction: float
    due: datetime | None  # the due time in force, the extension included


def lateness(rule: Rule, submitted: datetime | None, *, extension_days: float = 0.0) -> Lateness:
    """Days late = ceil((submitted - due - grace) / 1 day), a started day counting whole; then the policy's share.

    percent_per_day: min(1, percent * days / 100), and 1 past max_days; cutoff: 1 when late at all; none: 0.
    No submission time or no due time: never late.
    """
    if rule.due is None:
        return Lateness(0, 0.0, None)
    due = rule.due.astimezone(timezone.utc) + timedelta(days=extension_days)  # elapsed time, not wall clocks
    if submitted is None:
        return Lateness(0, 0.0, due)
    submitted = submitted.astimezone(timezone.utc)
    over = (submitted - due - rule.grace) / DAY
    days = math.ceil(over) if over > 0 else 0
    if days == 0 or rule.policy == "none":
        return Lateness(days, 0.0, due)
    if rule.policy == "cutoff" or (rule.max_days is not None and over > rule.max_days):
        return Lateness(days, 1.0, due)
    return Lateness(days, min(1.0, rule.percent_per_day * days / 100.0), due)


def zone(name: str) -> Any:
    """The tzinfo for an IANA name such as Europe/Berlin (ValueError when unknown)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name like Europe/Berlin, America/New_York or "
                         f"UTC (on Windows: pip install tzdata)") from None


def local_time(text: str, tz: Any, *, later: bool) -> datetime:
    """ISO 8601 with an offset (or Z), else 'YYYY-MM-DD HH:MM[:SS]' in `tz`; ValueError naming the fix.

    A wall time that occurs twice (clocks set back) is the later instant when `later`, else the earlier: each
    caller picks the one that favours the student. A wall time that never occurs (clocks set forward) is refused.
    """
    text = text.strip()
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is None or (parsed.tzinfo is None and not _LOCAL.match(text)):
        raise ValueError(f"{text!r} is not a time: write '2026-10-01 23:59' (in the course's time zone) or "
                         f"ISO 8601 with an offset, '2026-10-01T23:59:00+02:00'")
    return aware(parsed, tz, later=later)


def aware(moment: datetime, tz: Any, *, later: bool) -> datetime:
    """`moment` in UTC, read in `tz` when it has no offset of its own (see local_time for DST)."""
    # Always UTC out: Python subtracts two times of the same zone by their wall clocks, across a DST change too.
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc)
    first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
    back = first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    if back != moment:
        raise ValueError(f"{moment:%Y-%m-%d %H:%M} does not exist in {tz} (the clocks skip it for daylight saving "
                         f"time); write a time outside the skipped hour, or one with an offset")
    if first.utcoffset() != second.utcoffset():  # the hour that occurs twice
        return (second if later else first).astimezone(timezone.utc)
    return first.astimezone(timezone.utc)


def utc_text(moment: datetime) -> str:
    """`moment` as ISO 8601 UTC to the second: 2026-10-01T21:59:00Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """The inverse of utc_text (any ISO 8601 with an offset is read too)."""
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def duration(value: Any) -> timedelta:
    """'15m', '2h', '1d', '90s' or 0 -> a timedelta; ValueError naming the fix."""
    if value == 0 and not isinstance(value, bool):
        return timedelta(0)
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"{value!r} is not a duration: write a number and a unit, like 15m, 2h, 1d or 90s")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


def parse_deadlines(top: Fields, root: Path) -> Deadlines | None:
    """Read `deadlines:` of config.yaml (None when absent); every mistake names its line and the fix."""
    if not top.has("deadlines"):
        top.declare("deadlines")
        return None
    fields = top.sub("deadlines")
    name = fields.opt("timezone", str, "UTC")
    try:
        tz = zone(name)
    except ValueError as exc:
        fields.fail(f"deadlines.timezone: {exc}", line=fields.line_of("timezone"))
    source, csv = _source(fields, root)
    default = _rule(fields.sub("default", required=False), tz, base=Rule(None))
    own, lines = [], []
    exercises = fields.sub("exercises", required=False)
    for exercise in list(exercises.data):
        own.append((str(exercise), _rule(exercises.sub(exercise), tz, base=default, need_due=True)))
        lines.append((str(exercise), exercises.line_of(exercise)))
    exercises.done()
    assignments = fields.sub("assignments", required=False)
    grouped: list[tuple[str, tuple[str, ...], Rule]] = []
    seen: dict[str, str] = {}
    for assignment in list(assignments.data):
        entry = assignments.sub(assignment)
        members = tuple(each_item(entry.req("exercises", list), entry, "exercises", _member(entry)))
        entry.check(bool(members), "exercises", "name at least one exercise, e.g. [ex01, ex02]")
        for member in members:
            entry.check(member not in seen, "exercises",
                        f"{member} is already in assignment {seen.get(member)!r}; an exercise belongs to one")
            seen[member] = str(assignment)
        grouped.append((str(assignment), members, _rule(entry, tz, base=default, need_due=True)))
        lines.append((str(assignment), assignments.line_of(assignment)))
    assignments.done()
    fields.done()
    return Deadlines(name, source, csv, default, tuple(own), tuple(grouped), config=top.path, lines=tuple(lines))


def _source(fields: Fields, root: Path) -> tuple[str, CsvSource | None]:
    """deadlines.submitted: mtime, git, or {csv: FILE, student: COLUMN, time: COLUMN, exercise: COLUMN}."""
    value = fields.opt("submitted", (str, dict), "mtime")
    if isinstance(value, str):
        fields.check(value in ("mtime", "git"), "submitted",
                     f"must be mtime, git or a mapping {{csv: times.csv, student: COLUMN, time: COLUMN}}, "
                     f"not {value!r}")
        return value, None
    entry = fields.sub("submitted")
    path = root / entry.req("csv", str)
    csv = CsvSource(path, student=entry.req("student", str), time=entry.req("time", str),
                    exercise=entry.opt("exercise", str, None))
    entry.done()
    return "csv", csv


def _member(entry: Fields) -> Any:
    def parse(item: Any, _index: int, line: int) -> str:
        if not isinstance(item, str):
            entry.fail(f"{entry.where}.exercises: {item!r} is not an exercise id like ex01", line=line)
        return item
    return parse


def _rule(entry: Fields, tz: Any, *, base: Rule, need_due: bool = False) -> Rule:
    """One due time and policy; keys left out come from `base` (the default rule)."""
    entry.declare("due", "policy", "grace", "max_days")
    due = base.due
    if entry.has("due"):
        value = entry.req("due", (str, datetime, date))
        if isinstance(value, date) and not isinstance(value, datetime):
            entry.fail(f"{entry.where}.due: {value} has no time of day; write '{value} 23:59' (quoted)",
                       line=entry.line_of("due"))
        try:
            # a wall time that occurs twice: the later instant, in the student's favour
            due = aware(value, tz, later=True) if isinstance(value, datetime) else local_time(value, tz, later=True)
        except ValueError as exc:
            entry.fail(f"{entry.where}.due: {exc}", line=entry.line_of("due"))
    policy, percent = base.policy, base.percent_per_day
    if entry.has("policy"):
        value = entry.req("policy", (str, dict))
        if isinstance(value, str):
            entry.check(value in ("none", "cutoff"), "policy",
                        f"must be none, cutoff or {{percent_per_day: 10}}, not {value!r}")
            policy, percent = value, 0.0
        else:
            sub = entry.sub("policy")
            percent = sub.req("percent_per_day", float)
            sub.check(0 < percent <= 100, "percent_per_day", f"must be more than 0 and at most 100, not {percent:g}")
            sub.done()
            policy = "percent_per_day"
    grace = base.grace
    if entry.has("grace"):
        try:
            grace = duration(entry.req("grace", (str, int, float)))
        except ValueError as exc:
            entry.fail(f"{entry.where}.grace: {exc}", line=entry.line_of("grace"))
    inherited = base.max_days if policy == "percent_per_day" else None  # cutoff or none: no days to count
    max_days = entry.opt("max_days", float, inherited)
    entry.check(max_days is None or max_days >= 0, "max_days", "must be 0 or more")
    entry.check(max_days is None or policy == "percent_per_day", "max_days",
                "applies only to policy {percent_per_day: N}; cutoff already scores late work 0")
    if need_due and due is None:
        entry.fail(f"{entry.where} has no due time: give it due: '2026-10-01 23:59', or set deadlines.default.due")
    entry.done()
    return Rule(due, policy, percent, grace, max_days, line=entry.line)
