"""The student's report as HTML: what the text report says, escaped, hidden-trial details only where allowed."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from grader.exports import render_html
from grader.report import check_views, render
from grader.result import HIDDEN_NOTE, CheckResult, Grade, GradeError

HOSTILE = "<script>alert('x')</script>"
SIGN = "grad_a: got [-1.0], expected [1.0]; worst at [0].\nThe gradient has the wrong sign: check the loss's sign."
HIDDEN_VALUES = "grad_b: got [7.25], expected [3.5]; worst at [0].\nExactly 2x: gradients accumulated."


def _grade(**extra: object) -> Grade:
    checks = (CheckResult("value", "value", True, 4.0, 4.0),
              CheckResult("grad_a", "grad", False, 0.0, 3.0, SIGN, "sign", "public trial 1 (seed 0)"),
              CheckResult("grad_b", "grad", False, 0.0, 2.0, HIDDEN_VALUES, "scaled", "hidden trial 1 (seed 4242)"),
              CheckResult("secret", "grad", False, 0.0, 1.0, "what the secret check found", "value", None,
                          hidden=True))
    base: dict = dict(exercise="ex03", title="Q = 3a³ − b² <b>", version=1, submission=f"{HOSTILE}.py",
                      checks=checks, output=f"printed {HOSTILE}\n", public_seeds=(0, 1), hidden_seeds=(4242,),
                      seconds=0.5, trial_seconds=(0.1, 0.1, 0.1), timeout_s=10.0, handin_trials=3)
    base.update(extra)
    return Grade(**base)


class _Page(HTMLParser):
    """Tags and text of a page, as a browser's DOM dump or our fragment gives them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_says_the_score_each_failing_check_and_why_as_the_text_report_does():
    grade = _grade()
    page = _Page(render_html([grade]))
    text = " ".join(" ".join(page.text).split())
    assert "4/10" in text and "ex03: Q = 3a³ − b² <b>" in text
    for view in check_views(grade):  # every line the text report writes under a check is in the HTML
        for paragraph in view.paragraphs:
            assert " ".join(paragraph.split()) in text and paragraph.split("\n")[0] in render(grade)
    assert "[sign]" in text and "[scaled]" in text and "on public trial 1 (seed 0)" in text
    assert HIDDEN_NOTE in text and "what the secret check found" not in text  # a hidden check: never its details
    assert "hidden seeds 4242" in text and f"printed {HOSTILE}" in text


def test_every_student_string_arrives_escaped():
    error = GradeError("exception", f"RuntimeError: {HOSTILE}", line=3)
    html = render_html([_grade(error=error)], warnings=[f"cell 1 ({HOSTILE})"], title=HOSTILE)
    page = _Page(html)
    assert "script" not in page.tags and "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html.replace("<b>ERROR", "")  # the title's <b> too is text
    assert sum(HOSTILE in chunk for chunk in page.text) >= 4  # title, warning, submission, error, output


def test_without_hidden_details_no_value_seed_or_print_of_a_hidden_trial_is_shown():
    html = render_html([_grade()], hidden_details=False)
    text = " ".join(" ".join(_Page(html).text).split())
    assert "7.25" not in text and "4242" not in text and "printed" not in text
    assert "grad_b: correct on every public trial, wrong on hidden trial 1" in text
    assert "got [-1.0], expected [1.0]" in text and "public seeds 0, 1" in text  # public trials keep their values


def test_several_grades_get_a_total():
    passed = _grade(checks=(CheckResult("value", "value", True, 4.0, 4.0),), exercise="ex01")
    text = " ".join(_Page(render_html([passed, _grade()])).text)
    assert "total: 8/14 over 2 exercise(s)" in text and "every check passed" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed: apt-get install -y --no-install-recommends chromium")
def test_a_browser_renders_the_score_the_failing_check_and_its_diagnosis_and_runs_no_script(tmp_path):
    assert CHROMIUM is not None, "CI must run the browser tests: .ci/run installs chromium with apt-get"
    page = tmp_path / "report.html"
    fragment = render_html([_grade(error=GradeError("exception", f"RuntimeError: {HOSTILE}"))])
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{fragment}</body></html>",
                    encoding="utf-8")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = _Page(done.stdout.decode("utf-8"))
    text = " ".join(" ".join(dom.text).split())
    assert "4/10" in text and "grad_a" in text and "[sign]" in text
    assert "The gradient has the wrong sign: check the loss's sign." in text
    assert "script" not in dom.tags and HOSTILE in text  # the student's <script> is text on the page, never run
