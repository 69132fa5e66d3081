"""Grades -> the student's report as a self-contained HTML fragment: a notebook cell's output, a feedback file.

It says what report.render says (the same headline, checks, causes and times, computed there) in HTML: inline
styles only, so it looks the same in Jupyter, VS Code, Colab or a browser and leaks no CSS into the page around it;
no script; every text escaped, since messages quote what the student's code produced.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..report import OUTPUT_LINES, CheckView, check_views, elapsed, headline, seeds_line
from ..result import HIDDEN_NOTE, Grade
from .visible import redacted

GREEN, RED, AMBER, GREY = "#1a7f37", "#cf222e", "#9a6700", "#57606a"
BOX = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px;line-height:1.45;color:#1f2328;" \
      "border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;margin:6px 0;max-width:60em;background:#fff"
MONO = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px"
CELL = "padding:2px 8px;vertical-align:top;text-align:left"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _points(x: float) -> str:
    return f"{x:g}"


def render_html(grades: Sequence[Grade], *, hidden_details: bool = True, warnings: Sequence[str] = (),
                title: str | None = None) -> str:
    """Render one student's grades as an HTML fragment: per exercise the score, the failing checks and why.

    `hidden_details` False shows what a student may see away from their own run (exports.visible.redacted): no
    values, seeds or prints of hidden trials. `warnings` go first, in a box of their own (the notebook check's
    'your kernel and your notebook disagree'); `title` heads the fragment (a feedback file names the student)."""
    shown = [g if hidden_details else redacted(g) for g in grades]
    parts = [f'<div class="grader-report" style="{BOX}">']
    if title:
        parts.append(f'<div style="font-size:16px;font-weight:600;margin-bottom:6px">{_e(title)}</div>')
    if warnings:
        items = "".join(f'<li style="margin:2px 0">{_e(w)}</li>' for w in warnings)
        parts.append(f'<div class="grader-warnings" style="border-left:4px solid {AMBER};background:#fff8c5;'
                     f'padding:6px 10px;margin:4px 0 8px 0"><ul style="margin:0;padding-left:18px">{items}</ul></div>')
    for number, grade in enumerate(shown):
        if number:
            parts.append('<hr style="border:none;border-top:1px solid #d0d7de;margin:12px 0">')
        parts.append(_grade(grade))
    if len(shown) > 1:
        score, most = sum(g.score for g in shown), sum(g.max_score for g in shown)
        parts.append(f'<div class="grader-total" style="font-weight:600;margin-top:8px">total: '
                     f'{_points(round(score, 6))}/{_points(round(most, 6))} over {len(shown)} exercise(s)</div>')
    parts.append("</div>")
    return "\n".join(parts)


def _grade(grade: Grade) -> str:
    passed = grade.status == "passed"
    colour = GREEN if passed else RED
    score = f"{_points(grade.score)}/{_points(grade.max_score)}"
    parts = [f'<div class="grader-grade" data-exercise="{_e(grade.exercise)}">',
             f'<div style="display:flex;justify-content:space-between;gap:12px;align-items:baseline">'
             f'<span style="font-weight:600">{_e(grade.exercise)}: {_e(grade.title)}</span>'
             f'<span class="grader-score" style="font-weight:700;color:{colour};white-space:nowrap">{score}</span>'
             f'</div>',
             f'<div style="color:{GREY};font-size:12px">submission: {_e(grade.submission)}</div>',
             f'<div class="grader-headline" style="color:{colour};margin:4px 0">{_e(headline(grade))}</div>']
    if grade.error is not None:
        parts.append(f'<div class="grader-error" style="border-left:4px solid {RED};background:#ffebe9;'
                     f'padding:4px 10px;margin:4px 0"><b>ERROR [{_e(grade.error.kind)}]</b> '
                     f'<span style="white-space:pre-wrap">{_e(grade.error.message)}</span></div>')
    rows = "".join(_row(view) for view in check_views(grade))
    parts.append(f'<table class="grader-checks" style="border-collapse:collapse;margin:4px 0">{rows}</table>')
    if grade.notes:
        items = "".join(f"<li>{_e(note)}</li>" for note in grade.notes)
        parts.append(f'<div style="margin-top:6px">notes:<ul style="margin:2px 0;padding-left:20px">{items}</ul></div>')
    if grade.output.strip():
        lines = grade.output.rstrip("\n").split("\n")
        cut = len(lines) > OUTPUT_LINES or grade.output_truncated
        text = "\n".join(lines[:OUTPUT_LINES]) + ("\n... (output truncated)" if cut else "")
        parts.append(f'<div style="margin-top:6px">your output:<pre style="{MONO};background:#f6f8fa;padding:6px;'
                     f'margin:2px 0;white-space:pre-wrap;max-height:20em;overflow:auto">{_e(text)}</pre></div>')
    footer = [line for line in (elapsed(grade), seeds_line(grade) if grade.public_seeds or grade.hidden_seeds
                                else "") if line]
    for line in footer:
        parts.append(f'<div style="color:{GREY};font-size:12px">{_e(line)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _row(view: CheckView) -> str:
    """One check: its mark, name, points and diagnosis; under a failing one, what went wrong and why."""
    check = view.check
    mark, colour = ("PASS", GREEN) if check.passed else ("FAIL", RED)
    tag = "" if check.hidden or not check.diagnosis else \
        f'<span class="grader-diagnosis" style="color:{AMBER};{MONO}">[{_e(check.diagnosis)}]</span>'
    row = (f'<tr class="grader-check" data-passed="{str(check.passed).lower()}">'
           f'<td style="{CELL};color:{colour};font-weight:700;{MONO}">{mark}</td>'
           f'<td style="{CELL};{MONO}">{_e(check.name)}</td>'
           f'<td style="{CELL};{MONO};text-align:right;white-space:nowrap">'
           f'{_points(check.score)}/{_points(check.max_score)}</td><td style="{CELL}">{tag}</td></tr>')
    said: list[str] = []
    if check.hidden:
        said.append(f'<div style="color:{GREY}">{_e(HIDDEN_NOTE)}</div>')
    said += [f'<div style="margin:2px 0">{_e(p)}</div>' for p in view.paragraphs if p.strip()]
    if view.same_as:
        said.append(f'<div style="color:{GREY}">same cause as {_e(view.same_as)}, explained above</div>')
    elif view.trial:
        said.append(f'<div style="color:{GREY}">on {_e(view.trial)}</div>')
    if said:
        row += (f'<tr class="grader-why"><td></td><td colspan="3" style="{CELL};padding-bottom:6px;'
                f'white-space:pre-wrap">{"".join(said)}</td></tr>')
    return row
