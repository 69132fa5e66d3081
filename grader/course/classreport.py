"""StudentResults -> one static HTML page for the instructor: score spread, failing checks, common diagnoses.

The page is self-contained and readable offline: inline CSS, charts as inline SVG, no script, no external
resource. Every piece of text that came from a student (ids, messages, output) is escaped, and the same input
gives the same bytes.
"""

from __future__ import annotations

import html
import math
import re

from ..report import render
from ..result import Grade, StudentResult
from .classstats import ExerciseStats, Finding, by_exercise, describe, exercise_stats, findings, meaning

HISTOGRAM_COLOUR = "#2f6fdb"  # used by nothing else on the page, so a screenshot can find the bars
FAILURE_COLOUR = "#d9480f"
NAME_CHARS = 26  # longer check names are cut in the chart; the full name is in the bar's tooltip

# Characters a browser would drop or mangle, and surrogates UTF-8 cannot encode: shown as U+FFFD instead.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f6f8;color:#1f2933;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:24px 20px 48px}
header{border-bottom:3px solid #1f2933;margin-bottom:8px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:20px;margin:0 0 12px}
h3{font-size:16px;margin:0 0 8px}
.meta,.muted,figcaption{color:#5f6b7a}
nav{font-size:14px;margin:8px 0 20px}
nav a{margin-right:14px}
a{color:#1c4f9c}
section{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:20px;margin:0 0 20px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e1e5ea}
th{background:#f4f6f8;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
dl.stats{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 16px}
dl.stats div{background:#f4f6f8;border-radius:6px;padding:8px 14px;min-width:130px}
dt{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5f6b7a}
dd{margin:0;font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
figure{margin:0 0 16px}
figcaption{font-size:14px;margin-bottom:4px}
svg{display:block;max-width:100%;height:auto}
svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#3e4c59}
ol.findings{margin:0;padding-left:24px}
ol.findings li{margin:0 0 14px}
.headline{margin:0;font-weight:600}
.share{height:6px;background:#e1e5ea;border-radius:3px;margin:4px 0;max-width:420px}
.share span{display:block;height:6px;background:#7b5ea7;border-radius:3px}
.detail{margin:0;font-size:14px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f4f6f8;padding:1px 4px;
border-radius:3px}
pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#1f2933;color:#e4e7eb;
padding:14px;border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-word}
article.example{margin:0 0 24px}
.mark{display:inline-block;font-size:12px;border-radius:3px;padding:0 5px;margin:0 4px 2px 0;background:#edf0f3}
.mark.late{background:#fde2cf}.mark.extended{background:#dbe9fb}.mark.overridden{background:#e7dcf5}
@media print{body{background:#fff}section{border:0;padding:0}pre{background:#fff;color:#000;border:1px solid #999}}
"""


def render_class_report(results: list[StudentResult], *, title: str, top: int = 10,
                        similar: dict[tuple[str, str], str] | None = None) -> str:
    """Render the class's results as one self-contained HTML page, with the `top` most common diagnoses.

    `similar` marks students in a `grade similar` group: (student, exercise) -> "similar to bob, carol (0.93)".
    """
    groups = by_exercise(results)
    stats = [exercise_stats(exercise, graded) for exercise, graded in groups.items()]
    anchors = {s.exercise: f"exercise-{i}" for i, s in enumerate(stats, 1)}
    common = findings(results)[:max(top, 0)]
    grades = {(r.student, g.exercise): g for r in reversed(results) for g in reversed(r.grades)}
    examples: dict[tuple[str, str], str] = {}
    for finding in common:
        examples.setdefault((finding.students[0], finding.exercise), f"example-{len(examples) + 1}")
    students = len(results)
    meta = f"{students} student{'s' if students != 1 else ''} · {len(stats)} exercise{'s' if len(stats) != 1 else ''}"
    body = [f'<header><h1>{_text(title)}</h1><p class="meta">{meta} · autograd-grader class report</p></header>',
            '<nav><a href="#overview">Overview</a><a href="#diagnoses">Common diagnoses</a>'
            + ('<a href="#students">Students</a>' if any(r.adjustments for r in results) else "")
            + "".join(f'<a href="#{anchors[s.exercise]}">{_text(s.exercise)}</a>' for s in stats)
            + ('<a href="#examples">Example reports</a>' if examples else "") + "</nav>",
            _overview(stats, anchors),
            _diagnoses(common, students, anchors, examples)]
    if any(r.adjustments for r in results):  # only then: a class without policies keeps its page as it was
        body.append(_standings(results))
    body += [_exercise(s, anchors[s.exercise]) for s in stats]
    if examples:
        body.append(_examples(examples, grades))
    if similar and any(exercise in anchors for _, exercise in similar):
        body.append(_similar(similar, list(anchors)))
    return ("<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
            f"<title>{_text(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _overview(stats: list[ExerciseStats], anchors: dict[str, str]) -> str:
    if not stats:
        return '<section id="overview"><h2>Overview</h2><p class="muted">No grades yet.</p></section>'
    head = ("<tr><th>Exercise</th><th>Title</th><th class=\"num\">Handed in</th><th class=\"num\">Nothing handed in"
            "</th><th class=\"num\">Mean</th><th class=\"num\">Median</th><th class=\"num\">Full marks</th></tr>")
    rows = [f'<tr><td><a href="#{anchors[s.exercise]}">{_text(s.exercise)}</a></td><td>{_text(s.title)}</td>'
            f'<td class="num">{len(s.scores)}</td><td class="num">{s.no_submission}</td>'
            f'<td class="num">{_out_of(s.mean, s.max_score)}</td><td class="num">{_out_of(s.median, s.max_score)}'
            f'</td><td class="num">{s.full_marks}</td></tr>' for s in stats]
    return (f'<section id="overview"><h2>Overview</h2><table><thead>{head}</thead><tbody>{"".join(rows)}'
            "</tbody></table></section>")


def _diagnoses(common: list[Finding], students: int, anchors: dict[str, str], examples: dict) -> str:
    if not common:
        return ('<section id="diagnoses"><h2>Most common diagnoses</h2>'
                '<p class="muted">No failed checks: nothing to diagnose.</p></section>')
    items = []
    for finding in common:
        share = min(100.0, 100 * len(finding.students) / students)
        example = finding.students[0]
        checks = ", ".join(finding.checks)
        items.append(
            f'<li class="finding" data-code="{_text(finding.code)}" data-exercise="{_text(finding.exercise)}" '
            f'data-students="{len(finding.students)}"><p class="headline">{_text(describe(finding, students))}</p>'
            f'<div class="share"><span style="width:{share:.1f}%"></span></div>'
            f'<p class="detail"><code>{_text(finding.code)}</code>: {_text(meaning(finding.code))}.'
            + (f" Seen on: {_text(checks)}." if checks else "")
            + f' <a href="#{examples[example, finding.exercise]}">Example report ({_text(example)})</a>'
            f' · <a href="#{anchors[finding.exercise]}">{_text(finding.exercise)} charts</a></p></li>')
    return ('<section id="diagnoses"><h2>Most common diagnoses</h2><p class="muted">Each student is counted once '
            "per exercise and diagnosis, however many checks it failed; students who handed nothing in are "
            f'counted in the overview instead.</p><ol class="findings">{"".join(items)}</ol></section>')


def _exercise(stats: ExerciseStats, anchor: str) -> str:
    cells = [("Handed in", str(len(stats.scores))), ("Nothing handed in", str(stats.no_submission)),
             ("Mean", _out_of(stats.mean, stats.max_score)), ("Median", _out_of(stats.median, stats.max_score)),
             ("Full marks", str(stats.full_marks))]
    facts = "".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in cells)
    parts = [(f'<section class="exercise" id="{anchor}" data-exercise="{_text(stats.exercise)}">'
              f"<h2>{_text(stats.exercise)}: {_text(stats.title)}</h2>"), f'<dl class="stats">{facts}</dl>']
    if stats.scores:
        plural = "s" if len(stats.scores) != 1 else ""
        parts.append(f"<figure><figcaption>Score distribution: {len(stats.scores)} submission{plural}; "
                     f"students who handed nothing in are not shown</figcaption>{_histogram_svg(stats)}</figure>")
        parts.append("<figure><figcaption>Failure rate per check, among the students who handed it in"
                     f"</figcaption>{_failures_svg(stats)}</figure>")
    else:
        parts.append('<p class="muted">Nobody handed this exercise in.</p>')
    return "".join(parts) + "</section>"


def _histogram_svg(stats: ExerciseStats) -> str:
    width, height, left, right, top, bottom = 640, 270, 52, 16, 22, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    tallest = max(b.count for b in stats.bins)
    step = _tick_step(tallest)
    ceiling = max(step, math.ceil(tallest / step) * step)
    slot = plot_w / len(stats.bins)
    label = f"Histogram of {stats.exercise} scores"
    parts = [(f'<svg class="histogram" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
              f'role="img" aria-label="{_text(label)}"><title>{_text(label)}</title>')]
    for tick in range(0, ceiling + 1, step):
        y = top + plot_h - round(tick / ceiling * plot_h)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="#e1e5ea" />'
                     f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{tick}</text>')
    for i, b in enumerate(stats.bins):
        x, bar_w = round(left + i * slot + slot * 0.12), max(1, round(slot * 0.76))
        centre = round(left + (i + 0.5) * slot)
        h = round(b.count / ceiling * plot_h)
        if b.count:
            parts.append(f'<rect class="bar" x="{x}" y="{top + plot_h - h}" width="{bar_w}" height="{h}" '
                         f'fill="{HISTOGRAM_COLOUR}" shape-rendering="crispEdges" data-label="{_text(b.label)}" '
                         f'data-count="{b.count}"><title>{_text(b.label)}: {b.count}</title></rect>')
        parts.append(f'<text class="count" x="{centre}" y="{top + plot_h - h - 5}" text-anchor="middle">'
                     f'{b.count}</text><text class="tick" x="{centre}" y="{top + plot_h + 17}" '
                     f'text-anchor="middle">{_text(b.label)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#3e4c59" />'
                 f'<text class="axis" x="{left + plot_w // 2}" y="{height - 10}" text-anchor="middle">'
                 f"score (points out of {_points(stats.max_score)})</text>"
                 f'<text class="axis" x="14" y="{top + plot_h // 2}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top + plot_h // 2})">students</text></svg>')
    return "".join(parts)


def _failures_svg(stats: ExerciseStats) -> str:
    width, row, label_w, track_w = 640, 28, 190, 300
    height = row * len(stats.checks) + 8
    label = f"Failure rate per check in {stats.exercise}"
    parts = [(f'<svg class="failures" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
              f'role="img" aria-label="{_text(label)}"><title>{_text(label)}</title>')]
    for i, check in enumerate(stats.checks):
        y = 4 + i * row
        rate = check.failed / check.total if check.total else 0.0
        name = check.name if len(check.name) <= NAME_CHARS else check.name[:NAME_CHARS - 1] + "…"
        summary = f"{check.failed} / {check.total} ({round(100 * rate)}%)"
        parts.append(f'<text x="{label_w - 10}" y="{y + 18}" text-anchor="end">{_text(name)}<title>'
                     f'{_text(check.name)}</title></text><rect x="{label_w}" y="{y + 5}" width="{track_w}" '
                     f'height="{row - 10}" fill="#edf0f3" shape-rendering="crispEdges" />')
        if check.failed:
            parts.append(f'<rect class="bar" x="{label_w}" y="{y + 5}" width="{max(1, round(rate * track_w))}" '
                         f'height="{row - 10}" fill="{FAILURE_COLOUR}" shape-rendering="crispEdges" '
                         f'data-check="{_text(check.name)}" data-failed="{check.failed}" data-total="{check.total}">'
                         f"<title>{_text(check.name)}: {summary}</title></rect>")
        parts.append(f'<text class="rate" x="{label_w + track_w + 10}" y="{y + 18}">{summary}</text>')
    return "".join(parts) + "</svg>"


def _examples(examples: dict[tuple[str, str], str], grades: dict[tuple[str, str], Grade]) -> str:
    articles = [f'<article class="example" id="{anchor}"><h3>{_text(exercise)} · {_text(student)}</h3>'
                f"<pre>{_text(render(grades[student, exercise], colour=False))}</pre>"
                '<p class="detail"><a href="#diagnoses">Back to the diagnoses</a></p></article>'
                for (student, exercise), anchor in examples.items()]
    return ('<section id="examples"><h2>Example reports</h2><p class="muted">The report each example student '
            f"received, exactly as the grader gave it.</p>{''.join(articles)}</section>")


def _similar(similar: dict[tuple[str, str], str], order: list[str]) -> str:
    """Students `grade similar` grouped, per exercise: evidence for the instructor to read, never a verdict."""
    rank = {exercise: i for i, exercise in enumerate(order)}
    rows = [f'<tr class="similar" data-student="{_text(student)}" data-exercise="{_text(exercise)}"><td>'
            f"{_text(exercise)}</td><td>{_text(student)}</td><td>{_text(phrase)}</td></tr>"
            for (student, exercise), phrase in sorted(similar.items(), key=lambda kv: (rank.get(kv[0][1], 0),
                                                                                       kv[0][0]))
            if exercise in rank]  # only the exercises this report shows
    return ('<section id="similar"><h2>Similar submissions</h2><p class="muted">From <code>grade similar</code>: '
            "near-identical code after names, comments, layout and starter code are set aside. Evidence for a "
            "human to read, not a verdict; scores are unchanged.</p><table><thead><tr><th>Exercise</th><th>Student"
            f'</th><th>Similarity</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>')


def _standings(results: list[StudentResult]) -> str:
    """Each student's raw total, late penalty and final total, with what made them differ: late, extended,
    overridden (per exercise)."""
    rows = []
    for result in results:
        marks = []
        for grade in result.grades:
            adjustment, exercise = result.adjustment(grade.exercise), _text(grade.exercise)
            if adjustment.late_days > 0:
                cost = adjustment.penalty(grade.score)
                marks.append(f'<span class="mark late" data-mark="late" data-exercise="{exercise}">{exercise} late '
                             f"{adjustment.late_days:g} d (−{_points(cost)})</span>")
            if adjustment.extension_days > 0:
                marks.append(f'<span class="mark extended" data-mark="extended" data-exercise="{exercise}">'
                             f"{exercise} extended +{adjustment.extension_days:g} d</span>")
            if adjustment.override is not None:
                marks.append(f'<span class="mark overridden" data-mark="overridden" data-exercise="{exercise}" '
                             f'title="{_text(adjustment.override_reason)}">{exercise} overridden: '
                             f"{_points(grade.score)} → {_points(adjustment.override)}</span>")
        rows.append(f'<tr data-student="{_text(result.student)}" data-raw="{_points(result.score)}" '
                    f'data-penalty="{_points(result.penalty)}" data-final="{_points(result.final_score)}">'
                    f'<td>{_text(result.student)}</td><td class="num">{_points(result.score)}</td>'
                    f'<td class="num">{_points(result.penalty)}</td><td class="num">{_points(result.final_score)}'
                    f' / {_points(result.max_score)}</td><td>{"".join(marks)}</td></tr>')
    head = ('<tr><th>Student</th><th class="num">Raw</th><th class="num">Late penalty</th><th class="num">Final'
            "</th><th>Late, extended, overridden</th></tr>")
    return ('<section id="students"><h2>Students: raw, penalty, final</h2><p class="muted">Raw is the autograded '
            "score; an override replaces it for its exercise, and the late policy in config.yaml takes its share of "
            "that (the penalty); final is what the exports post. The charts below show raw scores.</p>"
            f'<table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></section>')


def _tick_step(tallest: int) -> int:
    """Return the smallest of 1, 2, 5, 10, 20, 50, ... that labels the count axis with at most five steps."""
    step = 1
    while math.ceil(tallest / step) > 5:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return step


def _out_of(value: float | None, max_score: float) -> str:
    return "–" if value is None else f"{_points(value)} / {_points(max_score)}"


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


def _text(value: object) -> str:
    return html.escape(_UNSAFE.sub("\ufffd", str(value)), quote=True)
