"""A student's history as a person reads it: every event of the gradebook, oldest first, one table row each.

Events come from Gradebook.history (a dict per event, its detail merged in). Kinds this module knows (graded,
override, override_dropped, extension) get a sentence; any other kind, such as one a newer command adds, is shown
generically as its detail's fields, so nothing in the history is ever hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .overrides import OverrideRow, describe

_EVENT_KEYS = ("id", "student", "exercise", "at", "who", "kind")
HEADER = ("when", "exercise", "event", "by", "what")


def _points(value: object, top: object = None) -> str:
    if not isinstance(value, (int, float)):
        return "?"
    return f"{value:g}/{top:g}" if isinstance(top, (int, float)) else f"{value:g}"


def _graded(event: dict) -> str:
    score = _points(event.get("score"), event.get("max_score"))
    before = event.get("before")
    was = f" (was {_points(before, event.get('max_score'))})" if before is not None else " (first grade)"
    status = event.get("status")
    return f"{score}{was}" + (f", {status}" if status and status != "passed" else "")


def _target(event: dict) -> str:
    return f"check {event['check']}: " if event.get("check") else ""


def _override(event: dict) -> str:
    text = f"{_target(event)}set to {_points(event.get('score'), event.get('max_score'))}"
    if event.get("autograded") is not None:
        text += f" (autograded {_points(event['autograded'])})"
    text += f": {event.get('reason', '')!r}"
    previous = event.get("previous")
    if isinstance(previous, dict):
        text += f"; replaces override #{previous.get('override_id')} ({_points(previous.get('score'))})"
    return text


def _override_dropped(event: dict) -> str:
    previous = event.get("previous") if isinstance(event.get("previous"), dict) else {}
    what = f"{_target(event)}override #{event.get('override_id')} ({_points(event.get('score'))}"
    if previous.get("reason"):
        what += f", {previous['reason']!r}"
    if previous.get("by"):
        what += f", by {previous['by']}"
    return what + f") dropped: {event.get('reason', '')!r}"


def _extension(event: dict) -> str:
    days = event.get("days")
    text = f"{days:g} day(s) more" if isinstance(days, (int, float)) else _generic(event)
    return text + (f": {event['reason']!r}" if event.get("reason") else "")


def _generic(event: dict) -> str:
    """Any event's fields, as key=value: a kind this module does not know still shows all it says."""
    fields = {k: v for k, v in event.items() if k not in _EVENT_KEYS and v is not None}
    return ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={json.dumps(v, sort_keys=True)}"
                     for k, v in sorted(fields.items()))


RENDERERS: dict[str, Callable[[dict], str]] = {
    "graded": _graded, "override": _override, "override_dropped": _override_dropped, "extension": _extension}
LABELS = {"override": "override set", "override_dropped": "override dropped"}


def history_rows(events: list[dict]) -> list[tuple[str, ...]]:
    """One row per event: when, exercise, event, by, what."""
    return [(e["at"], e["exercise"], LABELS.get(e["kind"], e["kind"]), e["who"],
             RENDERERS.get(e["kind"], _generic)(e)) for e in events]


def render_history(student: str, exercise: str | None, events: list[dict],
                   in_force: dict[tuple[str, str], list[OverrideRow]]) -> str:
    """The history as a text table, then the overrides in force now."""
    about = f"{student} {exercise}" if exercise else student
    if not events:
        return f"no history for {about} in the gradebook yet\n"
    rows = [HEADER, *history_rows(events)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = [f"history of {about} ({len(events)} event(s), oldest first)", ""]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    now = [f"  {ex}: {describe(o)} (#{o.id}, since {o.at})" for (s, ex), overrides in sorted(in_force.items())
           if s == student and (exercise is None or ex == exercise) for o in overrides]
    if now:
        lines += ["", "in force now:", *now]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def history_json(student: str, exercise: str | None, events: list[dict],
                 in_force: dict[tuple[str, str], list[OverrideRow]]) -> dict:
    """The history as one JSON object: every event with its detail, and the overrides in force now."""
    now = [{"id": o.id, "exercise": ex, "check": o.check, "score": o.score, "reason": o.reason, "who": o.who,
            "at": o.at} for (s, ex), overrides in sorted(in_force.items())
           if s == student and (exercise is None or ex == exercise) for o in overrides]
    return {"student": student, "exercise": exercise, "events": events, "overrides_in_force": now}
