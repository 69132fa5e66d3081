"""Grades -> JUnit XML for CI test tabs: a testsuite per exercise (or per student), a testcase per check.

A check that failed because the code could not be run to the end (its diagnosis is an error kind: exception,
timeout, crash, no_submission, ...) is an <error>; any other failed check is a <failure>. Points travel as
properties, which readers ignore harmlessly. Messages are complete (CI logs are for instructors and the student
who ran the command), except a check the exercise marks `hidden: true`, which one submission's JUnit (the student's
CI) shows by name, status and points only; characters XML 1.0 cannot hold are written as visible escapes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from ..codes import ERROR_KINDS
from ..result import HIDDEN_NOTE, CheckResult, Grade, StudentResult
from .columns import points

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def submission_junit(grades: Sequence[Grade], *, timestamp: str | None = None) -> str:
    """Render one submission's grades: a testsuite per exercise, classname = exercise id."""
    suites = [_suite(grade.exercise, [grade], classname=lambda g: g.exercise, timestamp=timestamp, reveal=False)
              for grade in grades]
    return _document(suites)


def class_junit(results: Sequence[StudentResult], *, timestamp: str | None = None) -> str:
    """Render a class: a testsuite per student, classname = `<student>.<exercise>`."""
    suites = [_suite(r.student, list(r.grades), classname=lambda g, s=r.student: f"{s}.{g.exercise}",
                     timestamp=timestamp) for r in results]
    return _document(suites)


def _clean(text: str) -> str:
    """Replace what XML 1.0 cannot hold (control characters, lone surrogates) with a visible escape."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x20 else "\ufffd", text)


def _properties(parent: ET.Element, **values: str) -> None:
    holder = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(holder, "property", name=name, value=_clean(value))


def _outcome(check: CheckResult) -> str:
    if check.passed:
        return "passed"
    return "error" if check.diagnosis in ERROR_KINDS else "failure"


def _suite(name: str, grades: list[Grade], *, classname: Callable[[Grade], str],
           timestamp: str | None, reveal: bool = True) -> ET.Element:
    outcomes = [_outcome(c) for g in grades for c in g.checks] + ["error" for g in grades if not g.checks]
    suite = ET.Element("testsuite", name=_clean(name), tests=str(len(outcomes)),
                       failures=str(outcomes.count("failure")), errors=str(outcomes.count("error")),
                       skipped="0", time=f"{sum(g.seconds for g in grades):.3f}")
    if timestamp is not None:
        suite.set("timestamp", timestamp)
    suite.set("hostname", "localhost")
    _properties(suite, score=points(sum(g.score for g in grades)), max_score=points(sum(g.max_score for g in grades)))
    for grade in grades:
        for check in grade.checks:
            _case(suite, grade, check, classname(grade), reveal=reveal)
        if not grade.checks:  # nothing to list: still say why the exercise was not graded
            case = ET.SubElement(suite, "testcase", classname=_clean(classname(grade)), name="(grading)",
                                 file=_clean(grade.submission), time="0")
            kind = grade.error.kind if grade.error else "crash"
            text = grade.error.message if grade.error else "no checks were graded"
            ET.SubElement(case, "error", message=_clean(f"{kind}: {text.splitlines()[0] if text else ''}"),
                          type=kind).text = _clean(text)
    return suite


def _case(suite: ET.Element, grade: Grade, check: CheckResult, classname: str, *, reveal: bool) -> None:
    case = ET.SubElement(suite, "testcase", classname=_clean(classname), name=_clean(check.name),
                         file=_clean(grade.submission), time="0")
    error = grade.error
    outcome = _outcome(check)
    if outcome == "error" and error is not None and error.line and check.diagnosis == error.kind \
            and not grade.submission.endswith(".ipynb"):
        case.set("line", str(error.line))
    _properties(case, score=points(check.score), max_score=points(check.max_score))
    if outcome == "passed":
        return
    if check.hidden and not reveal:
        ET.SubElement(case, outcome, message=HIDDEN_NOTE, type="hidden").text = HIDDEN_NOTE
        return
    first = check.message.split("\n", 1)[0]
    detail = check.message + (f"\n(on {check.trial})" if check.trial else "")
    element = ET.SubElement(case, outcome, message=_clean(f"{check.diagnosis or 'value'}: {first}"),
                            type=check.diagnosis or "value")
    element.text = _clean(detail)


def _document(suites: list[ET.Element]) -> str:
    root = ET.Element("testsuites", name="grade")
    for attribute in ("tests", "failures", "errors"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in suites)))
    root.set("skipped", "0")
    root.set("time", f"{sum(float(s.get('time', '0')) for s in suites):.3f}")
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
