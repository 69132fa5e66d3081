"""A class's grades -> one feedback folder per student: report.txt as `grade` prints it and report.html.

Student names come from the class's folder names, so each becomes a safe folder name of its own before anything is
written, and every path is checked to lie inside the output folder. Hidden trials' values, seeds and prints are
left out unless the instructor asks for them (exports.visible.redacted): these files go to students.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError
from ..exports.report_html import render_html
from ..exports.visible import redacted
from ..report import render
from ..result import StudentResult

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SEPARATOR = "\n\n" + "=" * 72 + "\n\n"  # between exercises, as `grade all` prints them


def folder_names(students: Sequence[str]) -> dict[str, str]:
    """Each student's folder name: only letters, digits, '.', '_' and '-', never hidden or '..', never shared."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for student in students:
        base = UNSAFE.sub("_", student).lstrip(".")[:100] or "student"
        name, number = base, 1
        while name.lower() in taken:  # case-insensitive: 'Ann' and 'ann' must not share a folder on macOS
            number += 1
            name = f"{base}-{number}"
        taken.add(name.lower())
        names[student] = name
    return names


def choose(results: Sequence[StudentResult], student: str | None) -> list[StudentResult]:
    """Every student's results, or the one named; an unknown name is refused with the closest one."""
    if student is None:
        return list(results)
    chosen = [r for r in results if r.student == student]
    if chosen:
        return chosen
    known = [r.student for r in results]
    close = difflib.get_close_matches(student, known, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else f"; the gradebook has {len(known)} student(s)"
    raise UsageError(f"--student {student!r}: not in the gradebook{hint}")


def report_text(result: StudentResult, *, hidden_details: bool) -> str:
    """The student's text report, without colour: each exercise as `grade` prints it, then the total."""
    grades = [g if hidden_details else redacted(g) for g in result.grades]
    text = SEPARATOR.join(render(g) for g in grades)
    if len(grades) > 1:
        text += f"\n\ntotal: {result.score:g}/{result.max_score:g} over {len(grades)} exercise(s)"
    return text + "\n"


def write_feedback(results: Sequence[StudentResult], out: Path, *, hidden_details: bool = False) -> list[Path]:
    """Write out/<student>/report.txt and report.html for each student; return the folders written."""
    out.mkdir(parents=True, exist_ok=True)
    root = out.resolve()
    names = folder_names([r.student for r in results])
    written = []
    for result in results:
        folder = out / names[result.student]
        folder.mkdir(exist_ok=True)
        planted = [p for p in (folder / "report.txt", folder / "report.html") if p.is_symlink()]
        if not folder.resolve().is_relative_to(root) or planted:  # a symlink in out/ must not lead elsewhere
            raise UsageError(f"{planted[0] if planted else folder} is a link that may lead outside {out}; remove it "
                             f"and run again")
        (folder / "report.txt").write_text(report_text(result, hidden_details=hidden_details), encoding="utf-8")
        title = f"{result.student}: {result.score:g}/{result.max_score:g}"
        page = render_html(result.grades, hidden_details=hidden_details, title=title)
        (folder / "report.html").write_text(f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>'
                                            f'{html.escape(title)}</title></head><body>\n{page}\n</body></html>\n',
                                            encoding="utf-8")
        written.append(folder)
    return written
